package secureredis_test

// The Python types Django apps cache beyond plain data (datetime.time,
// aware datetimes in a named zone, OrderedDict, UUID, dicts with tuple
// keys, bytearray), written by real Django 3.2 and read in Go, and written
// by Go and read by Django; and a namedtuple, which Go refuses by name.

import (
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/google/go-cmp/cmp"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/pickle"
	"github.com/secureredis/secureredis/recovery"
	"github.com/secureredis/secureredis/store"
)

// djangoTypesPy sets Django up (testdata/django/settings.py) and defines
// VALUES, the Python side of djangoTypes, and same(), which compares type,
// value, utcoffset and zone name.
const djangoTypesPy = `
import collections, datetime, json, os, sys, uuid, zoneinfo
sys.path.insert(0, os.path.join("testdata", "django"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
import django
django.setup()
import pytz
from django.core.cache import caches
cache = caches["default"]
Point = collections.namedtuple("Point", "x y")
VALUES = {
    "time": datetime.time(12, 30, 5, 123),
    "time_utc": datetime.time(8, 0, tzinfo=datetime.timezone.utc),
    "datetime_pytz": pytz.timezone("Europe/Paris").localize(datetime.datetime(2024, 7, 1, 12, 0, 0, 5)),
    "datetime_pytz_winter": pytz.timezone("Europe/Paris").localize(datetime.datetime(2024, 1, 15, 8, 30)),
    "datetime_zoneinfo": datetime.datetime(2024, 1, 15, 8, 30, tzinfo=zoneinfo.ZoneInfo("America/New_York")),
    "ordereddict": collections.OrderedDict([("b", 1), ("a", [2, 3])]),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "tuple_keys": {(1, "a"): "x", (2, "b"): "y"},
    "bytearray": bytearray(b"\x00ab"),
}
def zone(tz):
    return getattr(tz, "zone", None) or getattr(tz, "key", None)
def same(a, b):
    if type(a) is not type(b): return False
    if isinstance(a, (datetime.datetime, datetime.time)):
        return a == b and a.utcoffset() == b.utcoffset() and zone(a.tzinfo) == zone(b.tzinfo)
    if isinstance(a, dict): return list(a.items()) == list(b.items())
    return a == b
`

func djangoTypes(t testing.TB) map[string]any {
	t.Helper()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"time":                 pickle.Time{Hour: 12, Minute: 30, Second: 5, Microsecond: 123},
		"time_utc":             pickle.Time{Hour: 8, Location: time.UTC},
		"datetime_pytz":        time.Date(2024, 7, 1, 12, 0, 0, 5000, paris),
		"datetime_pytz_winter": time.Date(2024, 1, 15, 8, 30, 0, 0, paris),
		"datetime_zoneinfo":    time.Date(2024, 1, 15, 8, 30, 0, 0, ny),
		"ordereddict":          pickle.OrderedDict{{Key: "b", Value: int64(1)}, {Key: "a", Value: []any{int64(2), int64(3)}}},
		"uuid":                 pickle.UUID{0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78},
		"tuple_keys":           pickle.Dict{{Key: pickle.Tuple{int64(1), "a"}, Value: "x"}, {Key: pickle.Tuple{int64(2), "b"}, Value: "y"}},
		"bytearray":            pickle.ByteArray("\x00ab"),
	}
}

// djangoTypesCmp compares times by instant, offset and zone name.
var djangoTypesCmp = cmp.Options{
	cmp.Comparer(func(a, b time.Time) bool {
		na, oa := a.Zone()
		nb, ob := b.Zone()
		return a.Equal(b) && oa == ob && na == nb && a.Location().String() == b.Location().String()
	}),
	cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() }),
}

// pyTypes runs script (after djangoTypesPy) against e's Redis and decodes
// the JSON it prints into out.
func (e *djangoEnv) pyTypes(t testing.TB, out any, script string, args ...string) {
	t.Helper()
	cmd := exec.Command(djangoPython, append([]string{"-c", djangoTypesPy + script}, args...)...)
	cmd.Env = append(cmd.Environ(), "PYTHONDONTWRITEBYTECODE=1", "REDIS_URL=redis://"+e.srv.Addr+"/1", "REDIS_SECRET_KEY="+e.key, "DJANGO_COMPRESSOR="+e.comp)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("python: %v: %s", err, b)
	}
}

// TestDjangoPythonTypes: each Python type Django writes reads in Go with
// the right value and Go type; Go writes it back and Django reads an equal
// value (same type, ==, same offset and zone name: a pytz zone comes back
// as a zoneinfo.ZoneInfo of the same name).
func TestDjangoPythonTypes(t *testing.T) {
	e := newDjangoEnv(t, "", "")
	ctx := t.Context()
	var wrote []string
	e.pyTypes(t, &wrote, `
for name, v in VALUES.items():
    cache.set("pt:" + name, v)
print(json.dumps(sorted(VALUES)))
`)
	want := djangoTypes(t)
	if len(wrote) != len(want) {
		t.Fatalf("Django wrote %v, the Go table has %d values", wrote, len(want))
	}
	s := e.store(t, "default")
	for _, name := range wrote {
		got, err := s.Get(ctx, "pt:"+name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if d := cmp.Diff(want[name], got, djangoTypesCmp); d != "" {
			t.Errorf("%s: Go read (-want +got):\n%s", name, d)
		}
	}
	for name, v := range want {
		if err := s.Set(ctx, "go:"+name, v); err != nil {
			t.Fatalf("Set %s: %v", name, err)
		}
	}
	var checked map[string]string
	e.pyTypes(t, &checked, `
out = {}
for name, v in VALUES.items():
    got = cache.get("go:" + name)
    out[name] = "ok" if same(got, v) else "got %r, want %r" % (got, v)
print(json.dumps(out))
`)
	for _, name := range wrote {
		if checked[name] != "ok" {
			t.Errorf("%s: Django read %s", name, checked[name])
		}
	}
}

// TestDjangoUnsupportedType: a namedtuple Django caches decrypts but is no
// type Go reads: the store's error is a NotFound that names the type
// (codec.ErrUnsupportedType), never codec.ErrInvalidToken, and Audit counts
// it in its own class, by type name, never as undecryptable.
func TestDjangoUnsupportedType(t *testing.T) {
	e := newDjangoEnv(t, "", "")
	ctx := t.Context()
	var ok bool
	e.pyTypes(t, &ok, `
cache.set("pt:point", Point(1, 2))
print(json.dumps(cache.get("pt:point") == Point(1, 2)))
`)
	if !ok {
		t.Fatal("Django did not read its own namedtuple back")
	}
	s := e.store(t, "default")
	_, err := s.Get(ctx, "pt:point")
	var ute *codec.UnsupportedTypeError
	if !errors.Is(err, gocachestore.NotFound{}) || !errors.Is(err, codec.ErrUnsupportedType) || !errors.As(err, &ute) || errors.Is(err, codec.ErrInvalidToken) {
		t.Fatalf("Get namedtuple: %v; want a NotFound caused by an UnsupportedTypeError", err)
	}
	var de *store.DecryptError
	if !errors.As(err, &de) || de.Class != codec.FailureUnsupportedType || ute.Type != `"__main__"."Point"` ||
		err.Error() != `store: entry "pt:point" exists but holds a Python type this package does not read: "__main__"."Point"` {
		t.Errorf("err %v, type %s; want a DecryptError naming the key and the type", err, ute.Type)
	}
	rep, err := recovery.Audit(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if rep.UnsupportedType != 1 || rep.Undecryptable != 0 || rep.UnsupportedTypes[`"__main__"."Point"`] != 1 ||
		len(rep.Samples[recovery.ClassUnsupportedType]) != 1 || !strings.HasSuffix(rep.Samples[recovery.ClassUnsupportedType][0], "pt:point") {
		t.Errorf("audit: %+v", rep)
	}
	if !strings.Contains(rep.String(), `unsupported-type 1 ("__main__"."Point": 1)`) {
		t.Errorf("audit summary: %s", rep)
	}
}
