package codec_test

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secureredis/secureredis/codec"
)

// pyDjangoRedis runs a Python script with django-redis's serializers and
// compressors imported (Debian's python3-django-redis and python3-msgpack)
// and decodes the JSON it prints into out.
func pyDjangoRedis(t *testing.T, script string, out any) {
	t.Helper()
	prelude := `
import json, os, sys, datetime, decimal
import django
want = os.environ.get("SECUREREDIS_DJANGO_VERSION", "")
if want and django.get_version() != want and not django.get_version().startswith(want + "."):
    sys.exit("Django %s imports, SECUREREDIS_DJANGO_VERSION wants %s (check PYTHONPATH)" % (django.get_version(), want))
from django.conf import settings
settings.configure()
from django_redis.serializers.json import JSONSerializer
from django_redis.serializers.msgpack import MSGPackSerializer
from django_redis.compressors.zlib import ZlibCompressor
from django_redis.compressors.identity import IdentityCompressor
from django_redis.client.default import DefaultClient
def codec(ser, comp):
    c = DefaultClient.__new__(DefaultClient)
    c._serializer = {"json": JSONSerializer, "msgpack": MSGPackSerializer}[ser]({})
    c._compressor = {"": IdentityCompressor, "zlib": ZlibCompressor}[comp]({})
    return c
`
	cmd := exec.Command("/usr/bin/python3", "-c", prelude+script)
	b, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("python: %v\n%s\n(needs python3-django-redis and python3-msgpack)", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("python output %q: %v", b, err)
	}
}

var bigInt100 = new(big.Int).Lsh(big.NewInt(1), 100)

// What django-redis's encode() writes for each value, decoded in Go.
func TestDjangoRedisJSONAndMsgpackReadWhatDjangoRedisWrites(t *testing.T) {
	var got map[string]map[string]string // "ser/comp" -> name -> hex
	pyDjangoRedis(t, `
values = {
    "int": 42, "int_neg": -7, "int_big": 2**100, "bool": True, "none": None, "float": 3.25,
    "str": "héllo ✓ \U0001F600", "long": "x" * 200, "list": [1, "two", [3.0, None]], "tuple": (1, "a"),
    "dict": {"a": 1, "nested": {"b": [1, 2]}},
}
json_only = {
    "datetime": datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=datetime.timezone.utc),
    "date": datetime.date(2024, 2, 29), "decimal": decimal.Decimal("12345.678900"),
    "timedelta": datetime.timedelta(days=1, seconds=5, microseconds=7), "int_keys": {1: "one"},
    "nested_big": [2**100],
}
msgpack_only = {"bytes": b"\x00\x01\xff"}
out = {}
for ser, extra in (("json", json_only), ("msgpack", msgpack_only)):
    for comp in ("", "zlib"):
        c = codec(ser, comp)
        vals = dict(values, **extra)
        enc = {}
        for k, v in vals.items():
            b = c.encode(v)
            enc[k] = (str(b).encode() if isinstance(b, int) else b).hex()
            assert c.decode(bytes.fromhex(enc[k])) == (list(v) if isinstance(v, tuple) else v) or ser == "json"
        out[ser + "/" + comp] = enc
print(json.dumps(out))
`, &got)
	common := map[string]any{
		"int": int64(42), "int_neg": int64(-7), "int_big": bigInt100, "bool": true, "none": nil, "float": 3.25,
		"str": "héllo ✓ \U0001F600", "long": strings.Repeat("x", 200),
		"list": []any{int64(1), "two", []any{3.0, nil}}, "tuple": []any{int64(1), "a"},
		"dict": map[string]any{"a": int64(1), "nested": map[string]any{"b": []any{int64(1), int64(2)}}},
	}
	jsonWant := map[string]any{
		"datetime": "2024-05-06T07:08:09.123Z", "date": "2024-02-29", "decimal": "12345.678900",
		"timedelta": "P1DT00H00M05.000007S", "int_keys": map[string]any{"1": "one"}, "nested_big": []any{bigInt100},
	}
	msgpackWant := map[string]any{"bytes": []byte{0, 1, 0xff}}
	bigCmp := cmp.Comparer(func(a, b *big.Int) bool { return a.Cmp(b) == 0 })
	for sc, enc := range got {
		ser, comp, _ := strings.Cut(sc, "/")
		var c interface {
			Decode(string, []byte) (any, error)
			Encode(string, any) ([]byte, error)
		}
		cp := mustCompressor(t, comp)
		extra := jsonWant
		if ser == "json" {
			c = codec.DjangoRedisJSON{Compressor: cp}
		} else {
			c, extra = codec.DjangoRedisMsgpack{Compressor: cp}, msgpackWant
		}
		if len(enc) != len(common)+len(extra) {
			t.Fatalf("%s: Python wrote %d values", sc, len(enc))
		}
		for name, h := range enc {
			data, _ := hex.DecodeString(h)
			v, err := c.Decode("k", data)
			if err != nil {
				t.Errorf("%s %s: %v", sc, name, err)
				continue
			}
			want, ok := common[name]
			if !ok {
				want = extra[name]
			}
			if d := cmp.Diff(want, v, bigCmp); d != "" {
				t.Errorf("%s %s (-want +got):\n%s", sc, name, d)
			}
		}
	}
}

func mustCompressor(t *testing.T, name string) codec.Compressor {
	t.Helper()
	if name == "" {
		return nil
	}
	c, err := codec.NewCompressor(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// What Go writes, django-redis's decode() reads as the Python value.
func TestDjangoRedisReadsWhatGoWrites(t *testing.T) {
	values := map[string]any{
		"int":      int64(42),
		"int_big":  bigInt100,
		"str":      "héllo ✓",
		"float":    3.25,
		"bool":     false,
		"list":     []any{int64(1), "two", nil},
		"tuple":    codec.Tuple{int64(1), "a"},
		"dict":     map[string]any{"a": int64(1)},
		"int_keys": map[any]any{int64(1): "one"},
		"long":     strings.Repeat("y", 300),
	}
	jsonOnly := map[string]any{
		"datetime":  time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC),
		"offset":    time.Date(2024, 5, 6, 7, 8, 9, 0, time.FixedZone("", 7200)),
		"naive":     codec.NaiveDateTime{Time: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)},
		"date":      codec.Date{Year: 2024, Month: 2, Day: 29},
		"decimal":   codec.Decimal("1.50"),
		"timedelta": -(24*time.Hour - 5*time.Second - 7*time.Microsecond),
	}
	want := map[string]string{
		"int": "42", "int_big": "1267650600228229401496703205376", "str": "'héllo ✓'", "float": "3.25",
		"bool": "False", "list": "[1, 'two', None]", "tuple": "[1, 'a']", "dict": "{'a': 1}",
		"long":     "'" + strings.Repeat("y", 300) + "'",
		"datetime": "'2024-05-06T07:08:09.123Z'", "offset": "'2024-05-06T07:08:09+02:00'", "naive": "'2024-05-06T07:08:09'",
		"date": "'2024-02-29'", "decimal": "'1.50'", "timedelta": "'-P0DT23H59M54.999993S'",
	}
	for _, comp := range []string{"", "zlib"} {
		enc := map[string]string{}
		for name, v := range values {
			j, err := codec.DjangoRedisJSON{Compressor: mustCompressor(t, comp)}.Encode("k", v)
			if err != nil {
				t.Fatalf("json %s: %v", name, err)
			}
			enc["json/"+name] = hex.EncodeToString(j)
			if name == "int_keys" {
				continue // Python's msgpack.loads refuses int keys (strict_map_key)
			}
			m, err := codec.DjangoRedisMsgpack{Compressor: mustCompressor(t, comp)}.Encode("k", v)
			if err != nil {
				t.Fatalf("msgpack %s: %v", name, err)
			}
			enc["msgpack/"+name] = hex.EncodeToString(m)
		}
		for name, v := range jsonOnly {
			j, err := codec.DjangoRedisJSON{Compressor: mustCompressor(t, comp)}.Encode("k", v)
			if err != nil {
				t.Fatalf("json %s: %v", name, err)
			}
			enc["json/"+name] = hex.EncodeToString(j)
		}
		in, _ := json.Marshal(enc)
		var got map[string]string
		pyDjangoRedis(t, `
enc = json.loads(`+"'''"+string(in)+"'''"+`)
print(json.dumps({k: repr(codec(k.split("/")[0], "`+comp+`").decode(bytes.fromhex(h))) for k, h in enc.items()}))
`, &got)
		for k, r := range got {
			_, name, _ := strings.Cut(k, "/")
			w := want[name]
			if name == "int_keys" {
				w = "{'1': 'one'}"
			}
			if k == "msgpack/tuple" {
				w = "[1, 'a']"
			}
			if r != w {
				t.Errorf("compressor %q: %s: Python read %s, want %s", comp, k, r, w)
			}
		}
	}
}

func TestDjangoRedisRefuses(t *testing.T) {
	j, m := codec.DjangoRedisJSON{}, codec.DjangoRedisMsgpack{}
	for name, data := range map[string]string{
		"NaN":            `[NaN]`,
		"Infinity":       `{"a": Infinity}`,
		"trailing":       `{"a": 1} x`,
		"two values":     `1.5 2.5`,
		"lone surrogate": `"\ud800"`,
		"low surrogate":  `["\udc00"]`,
		"bad UTF-8":      "\"\xff\"",
		"huge int":       "[" + strings.Repeat("9", 4301) + "]",
		"empty":          ``,
		"garbage":        "\x80\x04K*.",
	} {
		if v, err := j.Decode("k", []byte(data)); !errors.Is(err, codec.ErrDjangoRedisValue) {
			t.Errorf("json %s: %v, %v; want ErrDjangoRedisValue", name, v, err)
		}
	}
	for name, v := range map[string]string{"escaped backslash": `"\\ud800"`, "pair": `"\ud83d\ude00"`, "spaces": " [1] \n"} {
		if _, err := j.Decode("k", []byte(v)); err != nil {
			t.Errorf("json %s: %v", name, err)
		}
	}
	if v, err := j.Decode("k", []byte("1e400")); err != nil || v != math.Inf(1) {
		t.Errorf("1e400 = %v, %v; want +Inf as Python reads it", v, err)
	}
	for name, data := range map[string][]byte{
		"int keys":  {0x81, 0x01, 0xa1, 'x'},
		"bad UTF-8": {0xa1, 0xff},
		"ext":       {0xd6, 0xff, 0, 0, 0, 1},
		"trailing":  {0xc3, 0xc3},
		"truncated": {0x92, 0x01},
		"huge len":  {0xdd, 0xff, 0xff, 0xff, 0xff},
	} {
		if v, err := m.Decode("k", data); !errors.Is(err, codec.ErrDjangoRedisValue) {
			t.Errorf("msgpack %s: %v, %v; want ErrDjangoRedisValue", name, v, err)
		}
	}
	for name, v := range map[string]any{"bytes": []byte("x"), "set": codec.Set{int64(1)}, "nan": math.NaN(), "func key": map[any]any{1.5: 1}} {
		if _, err := j.Encode("k", v); !errors.Is(err, codec.ErrUnsupportedValue) {
			t.Errorf("json encode %s: %v; want ErrUnsupportedValue", name, err)
		}
	}
	if _, err := m.Encode("k", time.Now()); !errors.Is(err, codec.ErrUnsupportedValue) {
		t.Errorf("msgpack encode time: %v", err)
	}
	// Integers are django-redis's plain digits, whatever the serializer.
	for _, c := range []interface {
		Decode(string, []byte) (any, error)
		Encode(string, any) ([]byte, error)
	}{j, m} {
		if b, err := c.Encode("k", 7); err != nil || string(b) != "7" {
			t.Errorf("%T Encode(7) = %q, %v", c, b, err)
		}
		if v, err := c.Decode("k", []byte(" -12 ")); err != nil || v != int64(-12) {
			t.Errorf("%T Decode(-12) = %v, %v", c, v, err)
		}
	}
}

// FuzzDjangoRedisDecode: what anyone who can write Redis plants in a
// django-redis JSON or msgpack alias (read without authentication by a
// migration) decodes or fails cleanly, never panics, and what decodes writes
// back to the same value when it can be written at all.
func FuzzDjangoRedisDecode(f *testing.F) {
	for _, s := range []string{
		`{"a": [1, 2.5, null, true, "x"]}`, `"\ud83d\ude00"`, `[1e400]`, `12`, ` -3 `, `[` + strings.Repeat("[", 50) + `]`,
		"\x93\x01\xa1a\xc3", "\x81\xa1k\xc0", "\xdd\xff\xff\xff\xff", "x\x9c\xcb\x00\x00", "\xd6\xff\x00\x00\x00\x01",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	zlib := mustCompressorF(f)
	f.Fuzz(func(t *testing.T, data []byte, compressed bool) {
		var comp codec.Compressor
		if compressed {
			comp = zlib
		}
		for _, c := range []interface {
			Decode(string, []byte) (any, error)
			Encode(string, any) ([]byte, error)
		}{codec.DjangoRedisJSON{Compressor: comp}, codec.DjangoRedisMsgpack{Compressor: comp}} {
			v, err := c.Decode("k", data)
			if err != nil {
				continue
			}
			b, err := c.Encode("k", v)
			if err != nil {
				continue // e.g. +Inf, which Python's json reads but json.dumps(allow_nan) is not asked to write
			}
			w, err := c.Decode("k", b)
			if err != nil {
				t.Fatalf("%T: re-encoded %v does not decode: %v", c, v, err)
			}
			// Not cmp.Diff: it is slow on deep nesting, which the fuzzer finds.
			if !sameValue(sameInts(v), sameInts(w)) {
				t.Fatalf("%T: round trip changed %#v into %#v", c, v, w)
			}
		}
	})
}

func mustCompressorF(f *testing.F) codec.Compressor {
	c, err := codec.NewCompressor("zlib")
	if err != nil {
		f.Fatal(err)
	}
	return c
}

// sameInts writes every integer as its decimal text, so that one integer read
// as uint64 or int64 and, after a round trip, as *big.Int compares equal
// (Python has one int type).
func sameInts(v any) any {
	switch x := v.(type) {
	case int64:
		return "int " + big.NewInt(x).String()
	case uint64:
		return "int " + new(big.Int).SetUint64(x).String()
	case *big.Int:
		return "int " + x.String()
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = sameInts(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = sameInts(e)
		}
		return out
	}
	return v
}

// sameValue is reflect.DeepEqual with NaN equal to NaN, in linear time.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || math.IsNaN(x) && math.IsNaN(y))
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, e := range x {
			if f, ok := y[k]; !ok || !sameValue(e, f) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}
