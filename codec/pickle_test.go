package codec_test

import (
	"errors"
	"math/big"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secureredis/secureredis/codec"
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

// hostilePickles must all fail cleanly with ErrPickle.
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

// TestPickleAdapter: codec's pickle names are the pickle package's (the
// reader and writer are tested there); codec only adapts them.
func TestPickleAdapter(t *testing.T) {
	in := map[string]any{"t": codec.Tuple{int64(1), "a"}, "n": bigInt("123456789012345678901234567890")}
	b, err := codec.AppendPickle(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	direct, err := pickle.Append(nil, in)
	if err != nil || string(direct) != string(b) {
		t.Fatalf("codec.AppendPickle and pickle.Append differ (%v)", err)
	}
	got, err := codec.UnmarshalPickle(b)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(in, got, pickleCmp); d != "" {
		t.Error(d)
	}
	if _, err := codec.UnmarshalPickle([]byte("\x80\x04\xff")); !errors.Is(err, codec.ErrPickle) || !errors.Is(err, pickle.ErrInvalid) {
		t.Errorf("bad opcode: %v", err)
	}
}

func TestParsePlainInt(t *testing.T) {
	for in, want := range map[string]any{
		"42": int64(42), "-7": int64(-7), "+5": int64(5), " 12\n": int64(12), "1_000": int64(1000),
		"0": int64(0), "99999999999999999999": bigInt("99999999999999999999"),
	} {
		got, ok := codec.ParsePlainInt([]byte(in))
		if !ok || cmp.Diff(want, got, pickleCmp) != "" {
			t.Errorf("ParsePlainInt(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "-", "1.5", "_1", "1__0", "1_", "0x10", "gAAAAA", "4 2", strings.Repeat("9", 4301), "True", "+_1", "-_1", "1_-", " - 1"} {
		if v, ok := codec.ParsePlainInt([]byte(in)); ok {
			t.Errorf("ParsePlainInt(%q) = %v, want not an int", in, v)
		}
	}
	// A Django codec checks every token for an integer first: a token, or
	// any text that is not an integer, costs no allocation.
	tok := []byte(strings.Repeat("gAAAAA", 250))
	if n := testing.AllocsPerRun(100, func() { codec.ParsePlainInt(tok) }); n != 0 {
		t.Errorf("ParsePlainInt of a 1.5 KB token: %v allocations, want 0", n)
	}
}

func TestPickleSerializerInEnvelope(t *testing.T) {
	c := newCodec(t, newRing(t, keyA), codec.WithSerializer(codec.Pickle{}))
	tok, err := c.Encode(testStorageKey, codec.Tuple{int64(1), "a"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.DecodeDetail(testStorageKey, tok)
	if err != nil || d.Kind != codec.IDPickle {
		t.Fatalf("DecodeDetail = %+v, %v", d, err)
	}
	if diff := cmp.Diff(codec.Tuple{int64(1), "a"}, d.Value); diff != "" {
		t.Error(diff)
	}
	if _, err := c.Decode("app1:secure:1:other", tok); !errors.Is(err, codec.ErrInvalidToken) {
		t.Errorf("native pickle entries stay key-bound: %v", err)
	}
}
