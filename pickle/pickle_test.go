package pickle_test

import (
	"encoding/hex"
	"errors"
	"math"
	"math/big"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secureredis/secureredis/internal/pyfernet"
	"github.com/secureredis/secureredis/pickle"
)

func bigInt(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return n
}

var plus2 = time.FixedZone("", 2*3600)

// pyValues are Python expressions and the Go values Unmarshal decodes them to.
var pyValues = []struct {
	py  string
	go_ any
}{
	{"None", nil},
	{"True", true},
	{"False", false},
	{"0", int64(0)},
	{"255", int64(255)},
	{"65535", int64(65535)},
	{"-1", int64(-1)},
	{"2**31", int64(1 << 31)},
	{"-2**63", int64(-1 << 63)},
	{"2**63", bigInt("9223372036854775808")},
	{"-2**100", bigInt("-1267650600228229401496703205376")},
	{"1.5", 1.5},
	{"-0.0", math.Copysign(0, -1)},
	{"'héllo ✓'", "héllo ✓"},
	{"'x'*300", strings.Repeat("x", 300)},
	{"b'\\x00\\xff'", []byte{0, 0xff}},
	{"bytearray(b'ab')", pickle.ByteArray("ab")},
	{"[1, 'two', [3.0, None]]", []any{int64(1), "two", []any{3.0, nil}}},
	{"list(range(1500))", func() any {
		l := make([]any, 1500)
		for i := range l {
			l[i] = int64(i)
		}
		return l
	}()},
	{"()", pickle.Tuple{}},
	{"(1,)", pickle.Tuple{int64(1)}},
	{"(1, 2, 3, 4)", pickle.Tuple{int64(1), int64(2), int64(3), int64(4)}},
	{"{'a': {'b': [1]}}", map[string]any{"a": map[string]any{"b": []any{int64(1)}}}},
	{"{1: 'one', None: 2}", map[any]any{int64(1): "one", nil: int64(2)}},
	{"{1, 2}", pickle.Set{int64(1), int64(2)}},
	{"frozenset(['a'])", pickle.FrozenSet{"a"}},
	{"[s, s] if (s := 'shared') else 0", []any{"shared", "shared"}},
	{"datetime.datetime(2024, 5, 6, 7, 8, 9, 123456)", pickle.NaiveDateTime{Time: time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)}},
	{"datetime.datetime(2024, 5, 6, 7, 8, 9, 10, tzinfo=datetime.timezone.utc)", time.Date(2024, 5, 6, 7, 8, 9, 10000, time.UTC)},
	{"datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=pytz.utc)", time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)},
	{"datetime.datetime(2024, 5, 6, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))", time.Date(2024, 5, 6, 0, 0, 0, 0, plus2)},
	{"datetime.datetime(2024, 11, 3, 1, 30, fold=1)", pickle.NaiveDateTime{Time: time.Date(2024, 11, 3, 1, 30, 0, 0, time.UTC)}},
	{"datetime.date(2024, 2, 29)", pickle.Date{Year: 2024, Month: 2, Day: 29}},
	{"decimal.Decimal('-12.3400')", pickle.Decimal("-12.3400")},
	{"decimal.Decimal('NaN')", pickle.Decimal("NaN")},
	{"datetime.timedelta(days=-1, seconds=5, microseconds=7)", -24*time.Hour + 5*time.Second + 7*time.Microsecond},
}

var pickleCmp = cmp.Options{
	cmp.Comparer(func(a, b *big.Int) bool { return a.Cmp(b) == 0 }),
	cmp.Comparer(func(a, b time.Time) bool {
		_, oa := a.Zone()
		_, ob := b.Zone()
		return a.Equal(b) && oa == ob
	}),
}

func python(tb testing.TB, script string, args ...string) string {
	tb.Helper()
	out, err := exec.Command(pyfernet.Python(tb), append([]string{"-c", script}, args...)...).CombinedOutput()
	if err != nil {
		tb.Fatalf("python: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestPicklePythonToGo decodes what Python's pickle writes, at every protocol.
func TestPythonToGo(t *testing.T) {
	exprs := make([]string, len(pyValues))
	for i, v := range pyValues {
		exprs[i] = v.py
	}
	out := python(t, `
import pickle, datetime, decimal, sys, binascii
import pytz
for e in sys.argv[1:]:
    v = eval(e)
    print(" ".join(binascii.hexlify(pickle.dumps(v, p)).decode() for p in range(6)))
`, exprs...)
	lines := strings.Split(out, "\n")
	if len(lines) != len(pyValues) {
		t.Fatalf("python printed %d lines, want %d", len(lines), len(pyValues))
	}
	for i, line := range lines {
		for proto, h := range strings.Fields(line) {
			b, _ := hex.DecodeString(h)
			got, err := pickle.Unmarshal(b)
			if err != nil {
				t.Errorf("%s, protocol %d: %v", pyValues[i].py, proto, err)
				continue
			}
			if d := cmp.Diff(pyValues[i].go_, got, pickleCmp); d != "" {
				t.Errorf("%s, protocol %d (-want +got):\n%s", pyValues[i].py, proto, d)
			}
		}
	}
}

// TestPickleGoToPython has Python load what Marshal writes and compare it
// with the Python expression, type included.
func TestGoToPython(t *testing.T) {
	var args []string
	for _, v := range pyValues {
		if strings.Contains(v.py, "pytz") || strings.Contains(v.py, "fold") {
			continue // decode-only: Go writes them as timezone.utc, fold 0
		}
		b, err := pickle.Marshal(v.go_)
		if err != nil {
			t.Fatalf("%s: %v", v.py, err)
		}
		args = append(args, v.py, hex.EncodeToString(b))
	}
	out := python(t, `
import pickle, datetime, decimal, sys, binascii, math
def same(a, b):
    if type(a) is not type(b): return False
    if isinstance(a, datetime.datetime):
        return a == b and a.utcoffset() == b.utcoffset()
    if isinstance(a, decimal.Decimal): return str(a) == str(b)
    if isinstance(a, float): return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, (list, tuple)): return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict): return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b
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

func TestRoundTrip(t *testing.T) {
	type myInt int16
	cases := []struct {
		in, want any
	}{
		{int(7), int64(7)},
		{uint64(1 << 63), bigInt("9223372036854775808")},
		{myInt(-3), int64(-3)},
		{float32(0.5), 0.5},
		{[]string{"a"}, []any{"a"}},
		{[2]int{1, 2}, []any{int64(1), int64(2)}},
		{map[string]int{"b": 2, "a": 1}, map[string]any{"a": int64(1), "b": int64(2)}},
		{map[int]bool{1: true}, map[any]any{int64(1): true}},
		{ptr("p"), "p"},
		{(*string)(nil), nil},
		{big.NewInt(-129), int64(-129)},
		{bigInt("-340282366920938463463374607431768211456"), bigInt("-340282366920938463463374607431768211456")},
		{pickle.Set{}, pickle.Set{}},
		{time.Date(2024, 1, 2, 3, 4, 5, 6789, time.UTC), time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC)},
		{time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("X", -3*3600-1800)), time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("", -3*3600-1800))},
		{90 * time.Minute, 90 * time.Minute},
		{pickle.Decimal("1E+3"), pickle.Decimal("1E+3")},
	}
	for _, c := range cases {
		b, err := pickle.Marshal(c.in)
		if err != nil {
			t.Errorf("%#v: %v", c.in, err)
			continue
		}
		got, err := pickle.Unmarshal(b)
		if err != nil {
			t.Errorf("%#v: decode: %v", c.in, err)
			continue
		}
		if d := cmp.Diff(c.want, got, pickleCmp); d != "" {
			t.Errorf("%#v (-want +got):\n%s", c.in, d)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestUnsupportedValues(t *testing.T) {
	for _, v := range []any{
		struct{ A int }{1},
		make(chan int),
		"\xff not utf-8",
		pickle.Decimal("1.2.3"),
		pickle.Date{Year: 2023, Month: 2, Day: 29},
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		pickle.NaiveDateTime{Time: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		if _, err := pickle.Marshal(v); !errors.Is(err, pickle.ErrUnsupportedValue) {
			t.Errorf("%#v: err = %v, want ErrUnsupportedValue", v, err)
		}
	}
	cyclic := []any{nil}
	cyclic[0] = cyclic
	if _, err := pickle.Marshal(cyclic); !errors.Is(err, pickle.ErrUnsupportedValue) {
		t.Errorf("cyclic: err = %v", err)
	}
}

// hostilePickles must all fail cleanly with ErrInvalid.
var hostilePickles = map[string]string{
	"os.system":          "\x80\x04\x95\x1e\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94\x8c\x06system\x94\x93\x94\x8c\x02id\x94\x85\x94R\x94.",
	"GLOBAL posix":       "cposix\nsystem\n(S'id'\ntR.",
	"builtins.eval":      "\x80\x04\x8c\x08builtins\x8c\x04eval\x93\x8c\x011\x85R.",
	"INST":               "(S'x'\nidatetime\ndate\n.",
	"OBJ":                "(cdatetime\ndate\no.",
	"NEWOBJ":             "\x80\x02cdatetime\ndate\n)\x81.",
	"BUILD":              "\x80\x02}N\x86b.",
	"PERSID":             "Pfoo\n.",
	"BINPERSID":          "\x80\x02K\x01Q.",
	"EXT1":               "\x80\x02\x82\x01.",
	"NEXT_BUFFER":        "\x80\x05\x97.",
	"unknown opcode":     "\x80\x04\xff.",
	"protocol 6":         "\x80\x06N.",
	"empty":              "",
	"no STOP":            "\x80\x04N",
	"two values":         "\x80\x04NN.",
	"empty stack":        "\x80\x04.",
	"truncated unicode":  "\x80\x04\x8c\x05ab.",
	"huge BINUNICODE8":   "\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\x7f.",
	"huge BINBYTES":      "\x80\x04B\xff\xff\xff\xff.",
	"huge frame":         "\x80\x04\x95\xff\xff\xff\xff\xff\xff\x00\x00N.",
	"negative LONG4":     "\x80\x04\x8b\xff\xff\xff\xffN.",
	"bad utf-8":          "\x80\x04\x8c\x01\xff.",
	"memo miss":          "\x80\x04h\x05.",
	"APPEND to int":      "\x80\x04K\x01K\x02a.",
	"SETITEM on list":    "\x80\x04]K\x01K\x02s.",
	"odd SETITEMS":       "\x80\x04}(K\x01u.",
	"no mark":            "\x80\x04t.",
	"recursive list":     "\x80\x04]\x94h\x00a.",
	"tz alone":           "\x80\x04\x8c\x04pytz\x8c\x04_UTC\x93)R.",
	"class as value":     "\x80\x04\x8c\x07decimal\x8c\x07Decimal\x93.",
	"bad Decimal":        "\x80\x04\x8c\x07decimal\x8c\x07Decimal\x93\x8c\x03abc\x85R.",
	"bad date":           "\x80\x04\x8c\x08datetime\x8c\x04date\x93C\x04\x07\xe7\x02\x1e\x85R.",
	"bad datetime state": "\x80\x04\x8c\x08datetime\x8c\x08datetime\x93C\x03abc\x85R.",
	"list as dict key":   "\x80\x04}]K\x01s.",
	"bytearray dict key": "\x80\x05}\x96\x01\x00\x00\x00\x00\x00\x00\x00aK\x01s.",
	"STACK_GLOBAL ints":  "\x80\x04K\x01K\x02\x93.",
	"REDUCE non-tuple":   "\x80\x04\x8c\x08builtins\x8c\x03set\x93K\x01R.",
	"bad STRING":         "S'abc\n.",
	"bad INT":            "Iabc\n.",
	"timedelta overflow": "\x80\x04\x8c\x08datetime\x8c\ttimedelta\x93J\xff\xff\xff\x7fK\x00K\x00\x87R.",
}

func TestRejectsHostileInput(t *testing.T) {
	for name, p := range hostilePickles {
		v, err := pickle.Unmarshal([]byte(p))
		if !errors.Is(err, pickle.ErrInvalid) {
			t.Errorf("%s: got %#v, %v; want ErrInvalid", name, v, err)
		}
	}
	// A billion laughs through the memo: 60 levels of a tuple holding the
	// previous one twice would re-encode as 2^60 lists: refused, as every
	// value expanding past pickle.MaxExpansion times its pickle.
	p := []byte("\x80\x04]\x940")
	for i := range 60 {
		p = append(p, 'h', byte(i), 'h', byte(i), 0x86, 0x94, '0') // (prev, prev), memoized as i+1
	}
	p = append(p, 'h', 60, '.')
	if _, err := pickle.Unmarshal(p); !errors.Is(err, pickle.ErrInvalid) || !errors.Is(err, pickle.ErrTooLarge) {
		t.Errorf("shared nesting: %v, want ErrInvalid and pickle.ErrTooLarge", err)
	}
	deep := []byte("\x80\x04" + strings.Repeat("]", 2000) + strings.Repeat("a", 1999) + ".")
	if _, err := pickle.Unmarshal(deep); !errors.Is(err, pickle.ErrInvalid) {
		t.Errorf("2000 nested lists: %v, want ErrInvalid", err)
	}
}
