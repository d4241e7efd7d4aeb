package codec_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fernet/fernet-go"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/secureredis/secureredis/codec"
)

func TestNewErrors(t *testing.T) {
	ring := newRing(t, keyA)
	if c, err := codec.New(nil); c != nil || !errors.Is(err, codec.ErrInvalidKey) {
		t.Errorf("New(nil) = %v, %v; want nil, ErrInvalidKey", c, err)
	}
	if c, err := codec.New(&codec.KeyRing{}); c != nil || !errors.Is(err, codec.ErrInvalidKey) {
		t.Errorf("New(empty ring) = %v, %v; want nil, ErrInvalidKey", c, err)
	}
	for name, opt := range map[string]codec.Option{
		"negative max age": codec.WithMaxAge(-time.Second),
		"nil clock":        codec.WithClock(nil),
		"nil serializer":   codec.WithSerializer(nil),
	} {
		if c, err := codec.New(ring, opt); c != nil || err == nil {
			t.Errorf("New with %s = %v, %v; want an error", name, c, err)
		}
	}
	c := newCodec(t, ring, codec.WithMaxAge(0))
	if c.Ring() != ring {
		t.Errorf("Ring() is not the ring given to New")
	}
	if _, ok := c.Serializer().(codec.Msgpack); !ok {
		t.Errorf("default Serializer() = %T, want codec.Msgpack", c.Serializer())
	}
}

type point struct {
	X, Y int
	Name string `msgpack:"name"`
	skip int
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		in, want any
		kind     byte
	}{
		{"string", "secret value", "secret value", 1},
		{"empty string", "", "", 1},
		{"unicode string", "héllo, 世界 ✓", "héllo, 世界 ✓", 1},
		{"invalid utf-8 string", "\xff\xfe\x00", "\xff\xfe\x00", 1},
		{"bytes", []byte{0, 1, 2, 0xff}, []byte{0, 1, 2, 0xff}, 0},
		{"empty bytes", []byte{}, []byte{}, 0},
		{"nil bytes", []byte(nil), []byte{}, 0},
		{"large bytes", bytes.Repeat([]byte("0123456789abcdef"), 4096), bytes.Repeat([]byte("0123456789abcdef"), 4096), 0},
		{"nil", nil, nil, 2},
		{"true", true, true, 2},
		{"false", false, false, 2},
		{"int", 42, int64(42), 2},
		{"negative int", -7, int64(-7), 2},
		{"int8", int8(-128), int64(-128), 2},
		{"uint8", uint8(200), int64(200), 2},
		{"uint32", uint32(math.MaxUint32), int64(math.MaxUint32), 2},
		{"int64 min", int64(math.MinInt64), int64(math.MinInt64), 2},
		{"int64 max", int64(math.MaxInt64), int64(math.MaxInt64), 2},
		{"uint64 fits int64", uint64(math.MaxInt64), int64(math.MaxInt64), 2},
		{"uint64 over int64", uint64(math.MaxInt64) + 1, uint64(math.MaxInt64) + 1, 2},
		{"uint64 max", uint64(math.MaxUint64), uint64(math.MaxUint64), 2},
		{"float64", 3.25, 3.25, 2},
		{"float32", float32(1.5), 1.5, 2},
		{"float64 inf", math.Inf(-1), math.Inf(-1), 2},
		{"[]string", []string{"a", "b"}, []any{"a", "b"}, 2},
		{"[]int", []int{1, 2, 300}, []any{int64(1), int64(2), int64(300)}, 2},
		{"empty []any", []any{}, []any{}, 2},
		{"map[string]int", map[string]int{"a": 1}, map[string]any{"a": int64(1)}, 2},
		{"nested", map[string]any{
			"list": []any{1, "x", map[string]any{"ok": true, "n": nil}, []byte("raw")},
			"map":  map[string]any{"f": 2.5, "u": uint64(math.MaxUint64)},
		}, map[string]any{
			"list": []any{int64(1), "x", map[string]any{"ok": true, "n": nil}, []byte("raw")},
			"map":  map[string]any{"f": 2.5, "u": uint64(math.MaxUint64)},
		}, 2},
		{"map with int keys", map[int]string{1: "a", -2: "b"}, map[any]any{int64(1): "a", int64(-2): "b"}, 2},
		{"map with mixed keys", map[any]any{"s": 1, 2: "two", true: nil},
			map[any]any{"s": int64(1), int64(2): "two", true: nil}, 2},
		{"nested int-key map", map[string]any{"m": map[uint8]any{7: []int8{-1}}},
			map[string]any{"m": map[any]any{int64(7): []any{int64(-1)}}}, 2},
		{"struct", point{X: 1, Y: -2, Name: "p", skip: 9}, map[string]any{"X": int64(1), "Y": int64(-2), "name": "p"}, 2},
	}
	c := newCodec(t, newRing(t, keyA))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := encode(t, c, testStorageKey, tt.in)
			d := decode(t, c, testStorageKey, tok)
			if s := diff(d.Value, tt.want); s != "" {
				t.Errorf("round trip of %#v:\n%s", tt.in, s)
			}
			if d.Kind != tt.kind || d.KeyIndex != 0 {
				t.Errorf("Kind, KeyIndex = %d, %d; want %d, 0", d.Kind, d.KeyIndex, tt.kind)
			}
			v, err := c.Decode(testStorageKey, tok)
			if err != nil || diff(v, tt.want) != "" {
				t.Errorf("Decode = %#v, %v", v, err)
			}
		})
	}
}

func TestRoundTripTime(t *testing.T) {
	c := newCodec(t, newRing(t, keyA))
	for _, in := range []time.Time{
		time.Date(2024, 2, 29, 23, 59, 58, 123456789, time.UTC),
		time.Date(1969, 7, 20, 20, 17, 0, 0, time.FixedZone("X", -5*3600)),
		time.Unix(0, 0),
	} {
		v := decode(t, c, testStorageKey, encode(t, c, testStorageKey, in)).Value
		got, ok := v.(time.Time)
		if !ok || !got.Equal(in) {
			t.Errorf("round trip of %v = %#v, want an equal time.Time", in, v)
		}
		// Inside a container too.
		v = decode(t, c, testStorageKey, encode(t, c, testStorageKey, map[string]any{"t": in})).Value
		if m, ok := v.(map[string]any); !ok || !m["t"].(time.Time).Equal(in) {
			t.Errorf("round trip of map with %v = %#v", in, v)
		}
	}
}

func TestJSONSerializer(t *testing.T) {
	ring := newRing(t, keyA)
	for _, s := range []codec.Serializer{codec.JSON{}, &codec.JSON{}} {
		c := newCodec(t, ring, codec.WithSerializer(s))
		if c.Serializer().ID() != codec.IDJSON || c.Serializer().Name() != "json" {
			t.Errorf("Serializer = %s (%d)", c.Serializer().Name(), c.Serializer().ID())
		}
	}
	c := newCodec(t, ring, codec.WithSerializer(codec.JSON{}))
	tests := []struct {
		name     string
		in, want any
		kind     byte
	}{
		{"string stays raw", "s", "s", 1},
		{"bytes stay raw", []byte{0xff}, []byte{0xff}, 0},
		{"nil", nil, nil, codec.IDJSON},
		{"bool", true, true, codec.IDJSON},
		{"int", 42, json.Number("42"), codec.IDJSON},
		{"big uint64 keeps its digits", uint64(math.MaxUint64), json.Number("18446744073709551615"), codec.IDJSON},
		{"float", 1.5, json.Number("1.5"), codec.IDJSON},
		{"nested", map[string]any{"a": []any{1, "x", true, nil}, "m": map[string]any{"f": 0.1}},
			map[string]any{"a": []any{json.Number("1"), "x", true, nil}, "m": map[string]any{"f": json.Number("0.1")}}, codec.IDJSON},
		{"bytes inside a value become base64", []any{[]byte("hi")}, []any{"aGk="}, codec.IDJSON},
		{"struct", point{X: 1, Y: 2, Name: "p"}, map[string]any{"X": json.Number("1"), "Y": json.Number("2"), "Name": "p"}, codec.IDJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decode(t, c, testStorageKey, encode(t, c, testStorageKey, tt.in))
			if s := diff(d.Value, tt.want); s != "" {
				t.Errorf("round trip of %#v:\n%s", tt.in, s)
			}
			if d.Kind != tt.kind {
				t.Errorf("Kind = %d, want %d", d.Kind, tt.kind)
			}
		})
	}
}

// TestCrossSerializer checks that entries written with one built-in
// serializer stay readable by a codec configured with the other.
func TestCrossSerializer(t *testing.T) {
	ring := newRing(t, keyA)
	mp := newCodec(t, ring)
	js := newCodec(t, ring, codec.WithSerializer(codec.JSON{}))
	in := map[string]any{"a": 1, "b": []any{"x", nil}}

	d := decode(t, js, testStorageKey, encode(t, mp, testStorageKey, in))
	if s := diff(d.Value, map[string]any{"a": int64(1), "b": []any{"x", nil}}); s != "" || d.Kind != codec.IDMsgpack {
		t.Errorf("JSON codec reading msgpack entry (kind %d):\n%s", d.Kind, s)
	}
	d = decode(t, mp, testStorageKey, encode(t, js, testStorageKey, in))
	if s := diff(d.Value, map[string]any{"a": json.Number("1"), "b": []any{"x", nil}}); s != "" || d.Kind != codec.IDJSON {
		t.Errorf("msgpack codec reading JSON entry (kind %d):\n%s", d.Kind, s)
	}
}

// upper is a custom serializer for strings only: it stores them upper-cased
// behind a marker so tests can tell it ran.
type upper struct{ id byte }

func (u upper) ID() byte     { return u.id }
func (u upper) Name() string { return "upper" }
func (u upper) Marshal(v any) ([]byte, error) {
	s, ok := v.(fmt.Stringer)
	if !ok {
		return nil, errUpper
	}
	return []byte("U:" + strings.ToUpper(s.String())), nil
}

func (u upper) Unmarshal(b []byte) (any, error) {
	s, ok := strings.CutPrefix(string(b), "U:")
	if !ok {
		return nil, errUpper
	}
	return upperValue(s), nil
}

var errUpper = errors.New("upper: cannot serialize")

type upperValue string

func (u upperValue) String() string { return string(u) }

func TestWithSerializerIDs(t *testing.T) {
	ring := newRing(t, keyA)
	tests := []struct {
		s  codec.Serializer
		ok bool
	}{
		{codec.Msgpack{}, true},
		{&codec.Msgpack{}, true},
		{codec.JSON{}, true},
		{&codec.JSON{}, true},
		{upper{0}, false},  // []byte
		{upper{1}, false},  // string
		{upper{2}, false},  // msgpack
		{upper{3}, false},  // JSON
		{upper{5}, false},  // reserved
		{upper{6}, false},  // reserved
		{upper{7}, false},  // reserved
		{upper{8}, true},   // first custom ID
		{upper{12}, true},  //
		{upper{15}, true},  // last custom ID
		{upper{16}, false}, // does not fit in four bits
		{upper{31}, false},
		{upper{255}, false},
	}
	for _, tt := range tests {
		c, err := codec.New(ring, codec.WithSerializer(tt.s))
		if tt.ok && (c == nil || err != nil) || !tt.ok && (c != nil || err == nil) {
			t.Errorf("WithSerializer(%s id %d) = %v, %v; want ok=%v", tt.s.Name(), tt.s.ID(), c, err, tt.ok)
		}
	}
}

// TestWithSerializerReservedIDs: IDs 2 to 4 belong to this package's
// serializers (4 to the Django pickle one); foreign serializers and nil
// pointers are refused.
func TestWithSerializerReservedIDs(t *testing.T) {
	for _, id := range []byte{codec.IDMsgpack, codec.IDJSON, codec.IDPickle} {
		if _, err := codec.New(newRing(t, keyA), codec.WithSerializer(upper{id})); err == nil {
			t.Errorf("WithSerializer(foreign id %d) accepted", id)
		}
	}
	if _, err := codec.New(newRing(t, keyA), codec.WithSerializer((*codec.JSON)(nil))); err == nil {
		t.Error("WithSerializer((*JSON)(nil)) accepted")
	}
}

func TestCustomSerializer(t *testing.T) {
	ring := newRing(t, keyA)
	for _, id := range []byte{8, 15} {
		c := newCodec(t, ring, codec.WithSerializer(upper{id}))
		tok := encode(t, c, testStorageKey, upperValue("abc"))
		d := decode(t, c, testStorageKey, tok)
		if d.Value != upperValue("ABC") || d.Kind != id {
			t.Errorf("id %d: DecodeDetail = %#v (kind %d), want upperValue(\"ABC\") kind %d", id, d.Value, d.Kind, id)
		}
		// Strings and []byte bypass the serializer; built-in entries stay readable.
		if v := decode(t, c, testStorageKey, encode(t, c, testStorageKey, "abc")).Value; v != "abc" {
			t.Errorf("string through custom codec = %#v", v)
		}
		if v := decode(t, c, testStorageKey, encode(t, newCodec(t, ring), testStorageKey, 7)).Value; v != int64(7) {
			t.Errorf("msgpack entry through custom codec = %#v", v)
		}
		// A codec that does not know the kind refuses it rather than guessing.
		wantInvalid(t, newCodec(t, ring), testStorageKey, tok, "custom kind, default codec")
		wantInvalid(t, newCodec(t, ring, codec.WithSerializer(upper{id ^ 1})), testStorageKey, tok, "custom kind, other custom codec")
	}
}

func TestUnsupportedValue(t *testing.T) {
	ring := newRing(t, keyA)
	mp := newCodec(t, ring)
	js := newCodec(t, ring, codec.WithSerializer(codec.JSON{}))
	cu := newCodec(t, ring, codec.WithSerializer(upper{9}))
	tests := []struct {
		name string
		c    *codec.Codec
		v    any
	}{
		{"msgpack chan", mp, make(chan int)},
		{"msgpack func", mp, func() {}},
		{"msgpack complex", mp, complex(1, 2)},
		{"msgpack chan in map", mp, map[string]any{"c": make(chan int)}},
		{"json chan", js, make(chan int)},
		{"json func", js, func() {}},
		{"json NaN", js, math.NaN()},
		{"json int-key map of funcs", js, map[int]any{1: func() {}}},
		{"custom serializer error", cu, 42},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := tt.c.Encode(testStorageKey, tt.v)
			if tok != nil || !errors.Is(err, codec.ErrUnsupportedValue) {
				t.Errorf("Encode = %q, %v; want nil, ErrUnsupportedValue", tok, err)
			}
		})
	}
	// The codec is still usable after a failed Encode.
	if v := decode(t, mp, testStorageKey, encode(t, mp, testStorageKey, "ok")).Value; v != "ok" {
		t.Errorf("Decode after failed Encode = %#v", v)
	}
}

// validTokens returns tokens of ciphertexts of one, two and three AES
// blocks, so their base64 forms end with no padding, "==" and "=".
func validTokens(tb testing.TB, c *codec.Codec, storageKey string) map[string][]byte {
	tb.Helper()
	toks := map[string][]byte{}
	for n := 0; n < 64 && len(toks) < 3; n++ {
		tok := encode(tb, c, storageKey, strings.Repeat("v", n))
		pad := strings.Repeat("=", len(tok)-len(bytes.TrimRight(tok, "=")))
		if _, ok := toks[pad]; !ok {
			toks[pad] = tok
		}
	}
	if len(toks) != 3 {
		tb.Fatalf("found tokens with padding %q only", toks)
	}
	return toks
}

func TestDecodeWrongKey(t *testing.T) {
	cA := newCodec(t, newRing(t, keyA))
	tok := encode(t, cA, testStorageKey, "secret")
	for name, keys := range map[string][]string{
		"other key":          {keyB},
		"two other keys":     {keyB, keyC},
		"fernet spec key":    {"cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="},
		"halves swapped":     {base64.URLEncoding.EncodeToString(append(bytes.Clone(mustB64(t, keyA)[16:]), mustB64(t, keyA)[:16]...))},
		"same signing half":  {base64.URLEncoding.EncodeToString(append(bytes.Clone(mustB64(t, keyA)[:16]), mustB64(t, keyB)[16:]...))},
		"same encrypt. half": {base64.URLEncoding.EncodeToString(append(bytes.Clone(mustB64(t, keyB)[:16]), mustB64(t, keyA)[16:]...))},
	} {
		wantInvalid(t, newCodec(t, newRing(t, keys...)), testStorageKey, tok, name)
	}
}

func mustB64(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := base64.URLEncoding.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestDecodeFlippedBytes flips every byte of valid tokens with several masks:
// every result must be rejected, including changes confined to the unused low
// bits of the last base64 character.
func TestDecodeFlippedBytes(t *testing.T) {
	c := newCodec(t, newRing(t, keyA))
	masks := []byte{0x01, 0x02, 0x03, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff}
	for pad, tok := range validTokens(t, c, testStorageKey) {
		t.Run("padding="+pad, func(t *testing.T) {
			for i := range tok {
				for _, m := range masks {
					bad := bytes.Clone(tok)
					bad[i] ^= m
					wantInvalid(t, c, testStorageKey, bad, fmt.Sprintf("byte %d ^ %#02x", i, m))
				}
			}
		})
	}
}

func TestDecodeTruncated(t *testing.T) {
	c := newCodec(t, newRing(t, keyA))
	for pad, tok := range validTokens(t, c, testStorageKey) {
		for n := range len(tok) {
			wantInvalid(t, c, testStorageKey, tok[:n], fmt.Sprintf("padding %q, truncated to %d", pad, n))
			wantInvalid(t, c, testStorageKey, tok[len(tok)-n:], fmt.Sprintf("padding %q, first %d bytes cut", pad, len(tok)-n))
		}
	}
}

func TestDecodeNotBase64(t *testing.T) {
	c := newCodec(t, newRing(t, keyA))
	// A token with both '-' and '_' so the standard-alphabet variant differs.
	var tok []byte
	for range 1000 {
		tok = encode(t, c, testStorageKey, "value")
		if bytes.ContainsRune(tok, '-') && bytes.ContainsRune(tok, '_') {
			break
		}
	}
	if !bytes.ContainsRune(tok, '-') || !bytes.ContainsRune(tok, '_') {
		t.Fatalf("no token with both '-' and '_' in 1000 tries")
	}
	mid := len(tok) / 2
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := map[string][]byte{
		"garbage":                  []byte("this is not a token"),
		"base64-looking garbage":   []byte("gAAAAAB" + strings.Repeat("A", 93)),
		"bangs":                    []byte("!!!!"),
		"only padding":             []byte("===="),
		"trailing garbage":         join(tok, []byte("!")),
		"trailing base64 quad":     join(tok, []byte("AAAA")),
		"trailing padding":         join(tok, []byte("=")),
		"trailing quad of padding": join(tok, []byte("====")),
		"doubled token":            join(tok, tok),
		"trailing newline":         join(tok, []byte("\n")),
		"trailing CRLF":            join(tok, []byte("\r\n")),
		"newline inserted":         join(tok[:mid], []byte("\n"), tok[mid:]),
		"four newlines inserted":   join(tok[:mid], []byte("\n\n\n\n"), tok[mid:]),
		"four CRs inserted":        join(tok[:mid], []byte("\r\r\r\r"), tok[mid:]),
		"CRLFs at the start":       join([]byte("\r\n\r\n"), tok),
		"CRLFs before the padding": join(bytes.TrimRight(tok, "="), []byte("\r\n\r\n"), tok[len(bytes.TrimRight(tok, "=")):]),
		"line breaks for padding":  join(tok[:len(tok)-4], []byte("\n\n\n\n"), tok[len(tok)-4:]),
		"space inserted":           join(tok[:mid], []byte("    "), tok[mid:]),
		"leading space":            join([]byte(" "), tok),
		"NUL inserted":             join(tok[:mid], []byte{0, 0, 0, 0}, tok[mid:]),
		"standard alphabet":        []byte(strings.NewReplacer("-", "+", "_", "/").Replace(string(tok))),
		"standard '+' only":        bytes.Replace(tok, []byte("-"), []byte("+"), 1),
		"standard '/' only":        bytes.Replace(tok, []byte("_"), []byte("/"), 1),
		"padding removed":          bytes.TrimRight(tok, "="),
		"padding in the middle":    join(tok[:mid], []byte("===="), tok[mid:]),
		"raw bytes":                mustDecodeB64(t, tok),
		"double base64":            []byte(base64.URLEncoding.EncodeToString(tok)),
		"upper-cased":              bytes.ToUpper(tok),
		"non-ASCII":                join(tok[:mid], []byte("é"), tok[mid+2:]),
	}
	for name, bad := range tests {
		wantInvalid(t, c, testStorageKey, bad, name)
	}
}

func mustDecodeB64(tb testing.TB, tok []byte) []byte {
	tb.Helper()
	b, err := base64.URLEncoding.DecodeString(string(tok))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestDecodeEmptyAndPlaintext(t *testing.T) {
	c := newCodec(t, newRing(t, keyA))
	mp, err := msgpack.Marshal(map[string]any{"user": 42})
	if err != nil {
		t.Fatal(err)
	}
	env := envelope(fmtString, testStorageKey, []byte("hello"))
	tests := map[string][]byte{
		"nil":                   nil,
		"empty":                 {},
		"plain text":            []byte("hello"),
		"plain text, 4n bytes":  []byte("helloooo"),
		"msgpack blob":          mp,
		"JSON":                  []byte(`{"user":42}`),
		"JSON string":           []byte(`"hello"`),
		"envelope":              env,
		"base64 envelope":       []byte(base64.URLEncoding.EncodeToString(env)),
		"base64 of 57 zeros":    []byte(base64.URLEncoding.EncodeToString(make([]byte, 57))),
		"base64 of 73 zeros":    []byte(base64.URLEncoding.EncodeToString(make([]byte, 73))),
		"fernet header, no MAC": []byte(base64.URLEncoding.EncodeToString(append([]byte{0x80}, make([]byte, 24)...))),
	}
	for name, tok := range tests {
		wantInvalid(t, c, testStorageKey, tok, name)
	}
}

// TestDecodeForeignFernet checks tokens that are valid Fernet for a key in the
// ring but were not made by this codec: their plaintext is not an envelope.
func TestDecodeForeignFernet(t *testing.T) {
	const specKey = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
	const specToken = "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA=="
	c := newCodec(t, newRing(t, specKey))
	wantInvalid(t, c, testStorageKey, []byte(specToken), "Fernet spec token (plaintext \"hello\")")

	k, err := fernet.DecodeKey(keyA)
	if err != nil {
		t.Fatal(err)
	}
	cA := newCodec(t, newRing(t, keyA))
	for name, plain := range map[string][]byte{
		"empty":                 {},
		"one byte":              {fmtString},
		"plain string":          []byte("hello"),
		"version 0":             envelope(0x03, testStorageKey, []byte("v")),
		"version 2":             envelope(0x43, testStorageKey, []byte("v")),
		"version 7":             envelope(0xe3, testStorageKey, []byte("v")),
		"key-bound bit clear":   envelope(0x22, testStorageKey, []byte("v")),
		"unknown kind 4":        envelope(0x29, testStorageKey, []byte("v")),
		"unknown kind 5":        envelope(0x2b, testStorageKey, []byte("v")),
		"unknown kind 15":       envelope(0x3f, testStorageKey, []byte("v")),
		"key length too long":   append([]byte{fmtString, byte(len(testStorageKey) + 1)}, testStorageKey...),
		"key length short":      append([]byte{fmtString, byte(len(testStorageKey) - 1)}, testStorageKey...),
		"key length overflow":   append([]byte{fmtString, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, testStorageKey...),
		"key length truncated":  {fmtString, 0x80},
		"no key":                envelope(fmtString, "", []byte(testStorageKey)),
		"bad msgpack":           envelope(fmtMsgpack, testStorageKey, []byte{0xc1}),
		"empty msgpack":         envelope(fmtMsgpack, testStorageKey, nil),
		"msgpack trailing data": envelope(fmtMsgpack, testStorageKey, []byte{0xc0, 0xc0}),
		"bad JSON":              envelope(fmtJSON, testStorageKey, []byte("{")),
		"empty JSON":            envelope(fmtJSON, testStorageKey, nil),
		"JSON trailing data":    envelope(fmtJSON, testStorageKey, []byte("1 2")),
	} {
		tok, err := fernet.EncryptAndSign(plain, k)
		if err != nil {
			t.Fatal(err)
		}
		wantInvalid(t, cA, testStorageKey, tok, name)
	}
	// A correct envelope made outside the codec decodes.
	tok, err := fernet.EncryptAndSign(envelope(fmtString, testStorageKey, []byte("v")), k)
	if err != nil {
		t.Fatal(err)
	}
	if v := decode(t, cA, testStorageKey, tok).Value; v != "v" {
		t.Errorf("hand-made envelope decodes to %#v", v)
	}
}

func TestDecodeMovedToAnotherKey(t *testing.T) {
	c := newCodec(t, newRing(t, keyA))
	tok := encode(t, c, testStorageKey, "alice's secret")
	for _, other := range []string{
		"app1:secure:1:user:43",
		"app1:secure:2:user:42",
		"app2:secure:1:user:42",
		"app1:secure:1:user:4",
		"app1:secure:1:user:420",
		"app1:secure:1:user:42 ",
		"APP1:SECURE:1:USER:42",
		"user:42",
		"",
	} {
		wantInvalid(t, c, other, tok, "moved to "+other)
	}
	empty := encode(t, c, "", "v")
	wantInvalid(t, c, "x", empty, "empty key moved to x")
	if v := decode(t, c, "", empty).Value; v != "v" {
		t.Errorf("empty storage key round trip = %#v", v)
	}
	long := strings.Repeat("k", 300) // two-byte uvarint length
	if v := decode(t, c, long, encode(t, c, long, "v")).Value; v != "v" {
		t.Errorf("long storage key round trip = %#v", v)
	}
	wantInvalid(t, c, long[:299], encode(t, c, long, "v"), "long key truncated")
}

func TestMaxAge(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := newFakeClock(t0)
	ring := newRing(t, keyA)
	c := newCodec(t, ring, codec.WithMaxAge(time.Hour), codec.WithClock(clock.Now))
	noAge := newCodec(t, ring, codec.WithClock(clock.Now))
	tok := encode(t, c, testStorageKey, "v")

	d := decode(t, c, testStorageKey, tok)
	if !d.Signed.Equal(t0) {
		t.Errorf("Signed = %v, want %v", d.Signed, t0)
	}
	clock.Advance(time.Hour)
	decode(t, c, testStorageKey, tok) // exactly max age: still valid
	clock.Advance(time.Second)
	wantInvalid(t, c, testStorageKey, tok, "one second past max age")
	clock.Advance(1000 * 24 * time.Hour)
	wantInvalid(t, c, testStorageKey, tok, "years past max age")
	decode(t, noAge, testStorageKey, tok) // no max age: any age is fine

	// From the future: up to 60 seconds of clock skew are tolerated.
	clock.Set(t0.Add(-60 * time.Second))
	decode(t, c, testStorageKey, tok)
	clock.Set(t0.Add(-61 * time.Second))
	wantInvalid(t, c, testStorageKey, tok, "61 seconds in the future")
	clock.Set(t0.Add(-24 * time.Hour))
	wantInvalid(t, c, testStorageKey, tok, "a day in the future")
	decode(t, noAge, testStorageKey, tok)

	// Far-future and far-past Fernet timestamps.
	sign, enc := rawKey(t, keyA)
	iv := make([]byte, 16)
	plain := envelope(fmtString, testStorageKey, []byte("v"))
	clock.Set(t0)
	for name, ts := range map[string]uint64{
		"year 2200":     uint64(time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC).Unix()),
		"2^62":          1 << 62,
		"2^63":          1 << 63,
		"max uint64":    math.MaxUint64,
		"epoch":         0,
		"max age + 61s": uint64(t0.Add(-time.Hour - time.Minute - time.Second).Unix()),
	} {
		wantInvalid(t, c, testStorageKey, rawFernetSeal(sign, enc, iv, ts, plain), name)
	}
}

func TestDecodeDetailSigned(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 987654321, time.UTC)
	c := newCodec(t, newRing(t, keyA), codec.WithClock(func() time.Time { return t0 }))
	d := decode(t, c, testStorageKey, encode(t, c, testStorageKey, []byte("x")))
	if !d.Signed.Equal(t0.Truncate(time.Second)) || d.Kind != 0 || d.KeyIndex != 0 {
		t.Errorf("DecodeDetail = %+v; want Signed %v, Kind 0, KeyIndex 0", d, t0.Truncate(time.Second))
	}
	if _, err := c.DecodeDetail(testStorageKey, []byte("bad")); !errors.Is(err, codec.ErrInvalidToken) {
		t.Errorf("DecodeDetail(bad) error = %v", err)
	}
}

func TestKeyRotation(t *testing.T) {
	const oldKey, newKey, otherKey = keyA, keyB, keyC
	cOld := newCodec(t, newRing(t, oldKey))
	cRot := newCodec(t, newRing(t, newKey, oldKey))
	cNew := newCodec(t, newRing(t, newKey))

	oldTok := encode(t, cOld, testStorageKey, "v1")
	if d := decode(t, cRot, testStorageKey, oldTok); d.Value != "v1" || d.KeyIndex != 1 {
		t.Errorf("[new, old] on old token: %#v, KeyIndex %d; want \"v1\", 1", d.Value, d.KeyIndex)
	}
	wantInvalid(t, cNew, testStorageKey, oldTok, "old token, ring [new]")

	newTok := encode(t, cRot, testStorageKey, "v2")
	for name, c := range map[string]*codec.Codec{"[new, old]": cRot, "[new]": cNew} {
		if d := decode(t, c, testStorageKey, newTok); d.Value != "v2" || d.KeyIndex != 0 {
			t.Errorf("%s on new token: %#v, KeyIndex %d; want \"v2\", 0", name, d.Value, d.KeyIndex)
		}
	}
	wantInvalid(t, cOld, testStorageKey, newTok, "new token, ring [old]")

	c3 := newCodec(t, newRing(t, otherKey, newKey, oldKey))
	for tok, want := range map[string]int{string(oldTok): 2, string(newTok): 1} {
		if d := decode(t, c3, testStorageKey, []byte(tok)); d.KeyIndex != want {
			t.Errorf("ring of 3: KeyIndex = %d, want %d", d.KeyIndex, want)
		}
	}
}

func TestDecodeDoesNotModifyToken(t *testing.T) {
	ring := newRing(t, keyB, keyA)
	c := newCodec(t, ring)
	cA := newCodec(t, newRing(t, keyA))
	toks := [][]byte{
		encode(t, c, testStorageKey, "string"),
		encode(t, c, testStorageKey, []byte("bytes")),
		encode(t, c, testStorageKey, map[string]any{"m": []any{1}}),
		encode(t, cA, testStorageKey, "old key"),
		encode(t, c, "other key", "moved"),
		[]byte("garbage!"),
	}
	for i, tok := range toks {
		// Spare capacity after the token must not be written either.
		buf := append(bytes.Clone(tok), bytes.Repeat([]byte{0xaa}, 64)...)
		tok = buf[:len(tok):len(buf)]
		before := bytes.Clone(buf)
		v, _ := c.Decode(testStorageKey, tok)
		if !bytes.Equal(buf, before) {
			t.Errorf("token %d: Decode modified the token buffer", i)
		}
		// The returned []byte does not alias the token.
		if b, ok := v.([]byte); ok {
			clear(b)
			if !bytes.Equal(buf, before) {
				t.Errorf("token %d: decoded []byte aliases the token", i)
			}
		}
	}
}

func TestDecodedBytesAreFresh(t *testing.T) {
	c := newCodec(t, newRing(t, keyA))
	tok := encode(t, c, testStorageKey, []byte("abc"))
	first := decode(t, c, testStorageKey, tok).Value.([]byte)
	first[0] = 'X'
	if second := decode(t, c, testStorageKey, tok).Value.([]byte); string(second) != "abc" {
		t.Errorf("second Decode = %q after the first result was modified", second)
	}
	// Encode does not keep the caller's slice either.
	in := []byte("def")
	tok = encode(t, c, testStorageKey, in)
	in[0] = 'X'
	if got := decode(t, c, testStorageKey, tok).Value.([]byte); string(got) != "def" {
		t.Errorf("Decode = %q after the encoded slice was modified", got)
	}
}

func TestEncodeFreshIV(t *testing.T) {
	c := newCodec(t, newRing(t, keyA), codec.WithClock(func() time.Time { return time.Unix(1700000000, 0) }))
	a := encode(t, c, testStorageKey, "same")
	b := encode(t, c, testStorageKey, "same")
	if bytes.Equal(a, b) {
		t.Errorf("two encodings of the same value at the same time are identical: IV reused")
	}
}

func TestConcurrentUse(t *testing.T) {
	clock := newFakeClock(time.Now())
	c := newCodec(t, newRing(t, keyB, keyA), codec.WithMaxAge(time.Hour), codec.WithClock(clock.Now))
	shared := encode(t, c, testStorageKey, map[string]any{"shared": true})
	const goroutines, iterations = 16, 100
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range iterations {
				sk := fmt.Sprintf("app1:secure:1:g%d:%d", g, i)
				values := []struct{ in, want any }{
					{fmt.Sprintf("value %d/%d", g, i), fmt.Sprintf("value %d/%d", g, i)},
					{bytes.Repeat([]byte{byte(g)}, i), bytes.Repeat([]byte{byte(g)}, i)},
					{map[string]any{"g": g, "i": []any{i}}, map[string]any{"g": int64(g), "i": []any{int64(i)}}},
				}
				for _, v := range values {
					tok, err := c.Encode(sk, v.in)
					if err != nil {
						t.Errorf("Encode: %v", err)
						return
					}
					got, err := c.Decode(sk, tok)
					if err != nil || diff(got, v.want) != "" {
						t.Errorf("Decode = %#v, %v; want %#v", got, err, v.want)
					}
					if _, err := c.Decode(sk+"x", tok); !errors.Is(err, codec.ErrInvalidToken) {
						t.Errorf("Decode under another key: %v", err)
					}
				}
				if v, err := c.Decode(testStorageKey, shared); err != nil || diff(v, map[string]any{"shared": true}) != "" {
					t.Errorf("Decode(shared) = %#v, %v", v, err)
				}
				if i%10 == 0 {
					clock.Advance(time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
}

// TestDecodeAuthenticatedMalformed covers tokens whose HMAC verifies with a
// ring key but whose structure is not Fernet's: only a holder of the key can
// make them (a buggy writer sharing it, say). They must fail cleanly, and as
// Python's Fernet fails them, not panic or decode.
func TestDecodeAuthenticatedMalformed(t *testing.T) {
	c := newCodec(t, newRing(t, keyB, keyA))
	sign, enc := rawKey(t, keyA)
	seal := func(bin []byte) []byte { // append a valid HMAC and encode
		mac := hmac.New(sha256.New, sign)
		mac.Write(bin)
		return []byte(base64.URLEncoding.EncodeToString(mac.Sum(bin)))
	}
	header := func(n int) []byte { // version, timestamp, IV, then n zero bytes
		b := make([]byte, 25+n)
		b[0] = 0x80
		return b
	}
	for _, n := range []int{-16, -1, 0, 1, 15, 17, 31} {
		wantInvalid(t, c, testStorageKey, seal(header(n)[:25+n]), fmt.Sprintf("authenticated token with %d ciphertext bytes", n))
	}
	// Ciphertexts that decrypt to a bad PKCS#7 pad byte (0, 17, 32) after a
	// valid envelope.
	plain := envelope(fmtString, testStorageKey, []byte("v"))
	for _, pad := range []byte{0, 17, 32} {
		padded := append(bytes.Clone(plain), bytes.Repeat([]byte{pad}, 64-len(plain))...)
		block, err := aes.NewCipher(enc)
		if err != nil {
			t.Fatal(err)
		}
		bin := header(len(padded))
		cipher.NewCBCEncrypter(block, bin[9:25]).CryptBlocks(bin[25:], padded)
		wantInvalid(t, c, testStorageKey, seal(bin), fmt.Sprintf("pad byte %d", pad))
	}
	// A correctly padded one built the same way decodes, so the cases above
	// fail for their padding alone.
	p := 16 - len(plain)%16
	padded := append(bytes.Clone(plain), bytes.Repeat([]byte{byte(p)}, p)...)
	block, _ := aes.NewCipher(enc)
	bin := header(len(padded))
	cipher.NewCBCEncrypter(block, bin[9:25]).CryptBlocks(bin[25:], padded)
	if d := decode(t, c, testStorageKey, seal(bin)); d.Value != "v" || d.KeyIndex != 1 {
		t.Errorf("well-padded control token: %#v, KeyIndex %d", d.Value, d.KeyIndex)
	}
}
