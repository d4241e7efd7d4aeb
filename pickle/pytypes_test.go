package pickle_test

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secureredis/secureredis/pickle"
)

func mustZone(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// pyTypes are the Python types Django apps cache beyond plain data: the
// Python expression, the Go value Unmarshal gives for it (at every
// protocol), and the Python expression Marshal of that Go value must load
// as (equal, same type, same utcoffset and zone name; "" when it is py).
func pyTypes(tb testing.TB) []struct {
	py, back string
	go_      any
} {
	paris := mustZone(tb, "Europe/Paris")
	u := pickle.UUID{0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78}
	zi := "zoneinfo.ZoneInfo('Europe/Paris')"
	return []struct {
		py, back string
		go_      any
	}{
		{"datetime.time(12, 30, 5, 123)", "", pickle.Time{Hour: 12, Minute: 30, Second: 5, Microsecond: 123}},
		{"datetime.time(0, 0)", "", pickle.Time{}},
		{"datetime.time(23, 59, 59, 999999, tzinfo=datetime.timezone.utc)", "", pickle.Time{Hour: 23, Minute: 59, Second: 59, Microsecond: 999999, Location: time.UTC}},
		{"datetime.time(8, 0, tzinfo=" + zi + ")", "", pickle.Time{Hour: 8, Location: paris}},
		{"pytz.timezone('Europe/Paris').localize(datetime.datetime(2024, 7, 1, 12, 0, 0, 5))",
			"datetime.datetime(2024, 7, 1, 12, 0, 0, 5, tzinfo=" + zi + ")", time.Date(2024, 7, 1, 12, 0, 0, 5000, paris)},
		{"pytz.timezone('Europe/Paris').localize(datetime.datetime(2024, 1, 15, 8, 30))",
			"datetime.datetime(2024, 1, 15, 8, 30, tzinfo=" + zi + ")", time.Date(2024, 1, 15, 8, 30, 0, 0, paris)},
		{"pytz.timezone('Europe/Paris').localize(datetime.datetime(2024, 10, 27, 2, 30), is_dst=False)",
			"datetime.datetime(2024, 10, 27, 2, 30, fold=1, tzinfo=" + zi + ")", time.Date(2024, 10, 27, 1, 30, 0, 0, time.UTC).In(paris)},
		{"pytz.timezone('America/New_York').localize(datetime.datetime(2024, 3, 1, 9, 0))",
			"datetime.datetime(2024, 3, 1, 9, 0, tzinfo=zoneinfo.ZoneInfo('America/New_York'))", time.Date(2024, 3, 1, 9, 0, 0, 0, mustZone(tb, "America/New_York"))},
		{"datetime.datetime(2024, 7, 1, 12, 0, tzinfo=" + zi + ")", "", time.Date(2024, 7, 1, 12, 0, 0, 0, paris)},
		{"datetime.datetime(2024, 10, 27, 2, 30, tzinfo=" + zi + ")", "", time.Date(2024, 10, 27, 0, 30, 0, 0, time.UTC).In(paris)},
		{"datetime.datetime(2024, 10, 27, 2, 30, fold=1, tzinfo=" + zi + ")", "", time.Date(2024, 10, 27, 1, 30, 0, 0, time.UTC).In(paris)},
		{"collections.OrderedDict([('b', 1), ('a', [2]), (('t', 1), None)])", "", pickle.OrderedDict{{Key: "b", Value: int64(1)}, {Key: "a", Value: []any{int64(2)}}, {Key: pickle.Tuple{"t", int64(1)}, Value: nil}}},
		{"collections.OrderedDict()", "", pickle.OrderedDict{}},
		{"uuid.UUID('12345678-1234-5678-1234-567812345678')", "", u},
		{"uuid.UUID(int=0)", "", pickle.UUID{}},
		{"uuid.UUID(int=2**128-1)", "", pickle.UUID{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"{uuid.UUID('12345678-1234-5678-1234-567812345678'): 1}", "", map[any]any{u: int64(1)}},
		{"{(1, 'a'): 2, (2, ('b',)): 3}", "", pickle.Dict{{Key: pickle.Tuple{int64(1), "a"}, Value: int64(2)}, {Key: pickle.Tuple{int64(2), pickle.Tuple{"b"}}, Value: int64(3)}}},
		{"{b'k': 1, 'x': 2}", "", pickle.Dict{{Key: []byte("k"), Value: int64(1)}, {Key: "x", Value: int64(2)}}},
		{"{frozenset([1]): 'x'}", "", pickle.Dict{{Key: pickle.FrozenSet{int64(1)}, Value: "x"}}},
		{"bytearray(b'\\x00ab')", "", pickle.ByteArray("\x00ab")},
		{"bytearray()", "", pickle.ByteArray{}},
		{"[datetime.time(1, 2), bytearray(b'x'), uuid.UUID(int=1)]", "", []any{pickle.Time{Hour: 1, Minute: 2}, pickle.ByteArray("x"), pickle.UUID{15: 1}}},
	}
}

var pyTypesCmp = cmp.Options{
	cmp.Comparer(func(a, b time.Time) bool {
		na, oa := a.Zone()
		nb, ob := b.Zone()
		return a.Equal(b) && oa == ob && na == nb && a.Location().String() == b.Location().String()
	}),
	cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() }),
}

const pyTypesPrelude = `
import pickle, datetime, decimal, sys, binascii, collections, uuid, zoneinfo
import pytz
def zone(tz):
    return getattr(tz, "zone", None) or getattr(tz, "key", None)
def same(a, b):
    if type(a) is not type(b): return False
    if isinstance(a, (datetime.datetime, datetime.time)):
        return a == b and a.utcoffset() == b.utcoffset() and zone(a.tzinfo) == zone(b.tzinfo) and a.fold == b.fold
    if isinstance(a, (list, tuple)): return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict): return list(a.keys()) == list(b.keys()) and all(same(a[k], b[k]) for k in a)
    return a == b
`

// TestPyTypesPythonToGo decodes the Python types Django apps cache, as
// Python pickles them at every protocol.
func TestPyTypesPythonToGo(t *testing.T) {
	vals := pyTypes(t)
	exprs := make([]string, len(vals))
	for i, v := range vals {
		exprs[i] = v.py
	}
	out := python(t, pyTypesPrelude+`
for e in sys.argv[1:]:
    v = eval(e)
    print(" ".join(binascii.hexlify(pickle.dumps(v, p)).decode() for p in range(6)))
`, exprs...)
	lines := strings.Split(out, "\n")
	if len(lines) != len(vals) {
		t.Fatalf("python printed %d lines, want %d:\n%s", len(lines), len(vals), out)
	}
	for i, line := range lines {
		for proto, h := range strings.Fields(line) {
			if proto < 4 && strings.Contains(vals[i].py, "fold=1") {
				continue // Python pickles fold at protocol 4 and later only
			}
			b, _ := hex.DecodeString(h)
			got, err := pickle.Unmarshal(b)
			if err != nil {
				t.Errorf("%s, protocol %d: %v", vals[i].py, proto, err)
				continue
			}
			if d := cmp.Diff(vals[i].go_, got, pyTypesCmp); d != "" {
				t.Errorf("%s, protocol %d (-want +got):\n%s", vals[i].py, proto, d)
			}
		}
	}
}

// TestPyTypesGoToPython has Python load what Marshal writes for each Go
// type and compare it with the expected Python value, type, offset, zone and
// fold included; and reads Marshal's output back in Go.
func TestPyTypesGoToPython(t *testing.T) {
	var args []string
	for _, v := range pyTypes(t) {
		b, err := pickle.Marshal(v.go_)
		if err != nil {
			t.Fatalf("%s: %v", v.py, err)
		}
		back := v.back
		if back == "" {
			back = v.py
		}
		args = append(args, back, hex.EncodeToString(b))
		got, err := pickle.Unmarshal(b)
		if err != nil {
			t.Errorf("%s: Unmarshal(Marshal): %v", v.py, err)
		} else if d := cmp.Diff(v.go_, got, pyTypesCmp); d != "" {
			t.Errorf("%s: Unmarshal(Marshal) (-want +got):\n%s", v.py, d)
		}
	}
	out := python(t, pyTypesPrelude+`
bad = []
for e, h in zip(sys.argv[1::2], sys.argv[2::2]):
    got = pickle.loads(binascii.unhexlify(h))
    if not same(got, eval(e)): bad.append("%s -> %r" % (e, got))
print("\n".join(bad) or "OK")
`, args...)
	if out != "OK" {
		t.Errorf("Python read back different values:\n%s", out)
	}
}

// TestUnsupportedType: a namedtuple or any class outside the allow-list is
// an *UnsupportedTypeError naming it, quoted and clipped.
func TestUnsupportedType(t *testing.T) {
	h := python(t, `
import pickle, collections, binascii, __main__
Point = collections.namedtuple("Point", "x y")
__main__.Point = Point
print(binascii.hexlify(pickle.dumps(Point(1, 2), 5)).decode())
`)
	b, _ := hex.DecodeString(h)
	_, err := pickle.Unmarshal(b)
	var ute *pickle.UnsupportedTypeError
	if !errors.As(err, &ute) || !errors.Is(err, pickle.ErrUnsupportedType) || !errors.Is(err, pickle.ErrInvalid) {
		t.Fatalf("namedtuple: %v, want an UnsupportedTypeError", err)
	}
	if ute.Type != `"__main__"."Point"` {
		t.Errorf("Type = %s", ute.Type)
	}
	long := "\x80\x04\x8c\x05evil\x1b\x8c\x28" + strings.Repeat("A", 40) + "\x93)R."
	_, err = pickle.Unmarshal([]byte(long))
	if !errors.As(err, &ute) || ute.Type != `"evil\x1b".`+`"`+strings.Repeat("A", 32)+`"...` {
		t.Errorf("hostile name: %v", err)
	}
	// A malformed pickle is not an unsupported type.
	if _, err := pickle.Unmarshal([]byte("\x80\x04]K\x01s.")); errors.Is(err, pickle.ErrUnsupportedType) {
		t.Errorf("malformed: %v matches ErrUnsupportedType", err)
	}
}

// TestPyTypesRefused: hand-made pickles of the new types that Python would
// not write are refused.
func TestPyTypesRefused(t *testing.T) {
	for name, p := range map[string]string{
		"bad time":          "\x80\x04\x8c\x08datetime\x8c\x04time\x93C\x06\x18\x00\x00\x00\x00\x00\x85R.",
		"unknown zone":      "\x80\x04\x8c\x04pytz\x8c\x02_p\x93\x8c\x08Nowhere/X\x85R.",
		"path as zone":      "\x80\x04\x8c\x08zoneinfo\x8c\x08ZoneInfo\x93\x8c\x0b../../etc/x\x85R.",
		"Local zone":        "\x80\x04\x8c\x08zoneinfo\x8c\x08ZoneInfo\x93\x8c\x05Local\x85R.",
		"getattr elsewhere": "\x80\x04\x8c\x08builtins\x8c\x07getattr\x93\x8c\x08builtins\x8c\x03set\x93\x8c\x03pop\x86R.",
		"UUID unbuilt":      "\x80\x04\x8c\x04uuid\x8c\x04UUID\x93)\x81.",
		"UUID no int":       "\x80\x04\x8c\x04uuid\x8c\x04UUID\x93)\x81}b.",
		"UUID negative":     "\x80\x04\x8c\x04uuid\x8c\x04UUID\x93)\x81}\x8c\x03intJ\xff\xff\xff\xffsb.",
		"UUID twice built":  "\x80\x04\x8c\x04uuid\x8c\x04UUID\x93)\x81}\x8c\x03intK\x01sb}\x8c\x03intK\x01sb.",
		"BUILD on dict":     "\x80\x04}}b.",
		"NEWOBJ of set":     "\x80\x04\x8c\x08builtins\x8c\x03set\x93)\x81.",
		"list key in Dict":  "\x80\x04}K\x01\x85K\x01s]K\x02s.",
		"list in tuple key": "\x80\x04}]\x85K\x01s.",
		"OrderedDict args":  "\x80\x04\x8c\x0bcollections\x8c\x0bOrderedDict\x93]\x85R.",
		"object called":     "\x80\x04\x8c\x08builtins\x8c\x06object\x93)R.",
	} {
		if v, err := pickle.Unmarshal([]byte(p)); !errors.Is(err, pickle.ErrInvalid) {
			t.Errorf("%s: got %#v, %v; want ErrInvalid", name, v, err)
		}
	}
}

func TestUUIDString(t *testing.T) {
	u := pickle.UUID{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8}
	if got, want := u.String(), "12345678-9abc-def0-0102-030405060708"; got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
	if got := (pickle.Time{Hour: 1, Minute: 2, Second: 3, Microsecond: 4}).String(); got != "01:02:03.000004" {
		t.Errorf("Time.String() = %s", got)
	}
}
