package codec_test

// Golden tokens pin the wire format (see the package documentation).
//
// testdata/golden.json holds Fernet tokens made by Python's cryptography
// package with a fixed key (the Fernet specification's), fixed IVs and a fixed
// clock, over hand-built version 1 envelopes and version 2 ones (with a
// binding context). To regenerate, on purpose only
// (a change is a wire format change):
//
//	python3 codec/testdata/gen_golden.py > codec/testdata/golden.json
//
// and update goldenValues below if entries were added.

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/secureredis/secureredis/codec"
)

type goldenFile struct {
	Key        string        `json:"key"`
	Time       int64         `json:"time"`
	StorageKey string        `json:"storage_key"`
	Tokens     []goldenToken `json:"tokens"`
}

type goldenToken struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Value     string `json:"value"`
	Valid     bool   `json:"valid"`
	IV        string `json:"iv"`
	Plaintext string `json:"plaintext"`
	Token     string `json:"token"`
	// Context is the binding context of a version 2 envelope; nil for the
	// version 1 layout.
	Context *string `json:"context"`
}

// context returns the token's binding context, "" for none.
func (tok goldenToken) context() string {
	if tok.Context == nil {
		return ""
	}
	return *tok.Context
}

// opts returns the codec options the token was made with: its binding
// context, and the JSON serializer for JSON.
func (tok goldenToken) opts() []codec.Option {
	opts := []codec.Option{codec.WithBindingContext(tok.context())}
	if goldenValues[tok.Name].kind == codec.IDJSON {
		opts = append(opts, codec.WithSerializer(codec.JSON{}))
	}
	return opts
}

// goldenValues are the Go values of the valid golden entries: in is what
// Encode is given, want what Decode returns.
var goldenValues = map[string]struct {
	in, want any
	kind     byte
}{
	"string":       {"golden value ✓", "golden value ✓", 1},
	"empty-string": {"", "", 1},
	"bytes":        {[]byte{0, 1, 2, 0xfe, 0xff}, []byte{0, 1, 2, 0xfe, 0xff}, 0},
	"msgpack": {
		map[string]any{"user": []any{42, "ada", true, nil, 1.5}},
		map[string]any{"user": []any{int64(42), "ada", true, nil, 1.5}},
		codec.IDMsgpack,
	},
	"json": {
		map[string]any{"a": []any{1, "x", true, nil}, "big": uint64(12345678901234567890)},
		map[string]any{"a": []any{json.Number("1"), "x", true, nil}, "big": json.Number("12345678901234567890")},
		codec.IDJSON,
	},
	"ctx-string": {"golden value ✓", "golden value ✓", 1},
	"ctx-msgpack": {
		map[string]any{"user": []any{42, "ada", true, nil, 1.5}},
		map[string]any{"user": []any{int64(42), "ada", true, nil, 1.5}},
		codec.IDMsgpack,
	},
}

func loadGolden(tb testing.TB) goldenFile {
	tb.Helper()
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		tb.Fatal(err)
	}
	var g goldenFile
	if err := json.Unmarshal(b, &g); err != nil {
		tb.Fatalf("testdata/golden.json: %v", err)
	}
	if len(g.Tokens) == 0 || g.Key == "" || g.StorageKey == "" {
		tb.Fatalf("testdata/golden.json is incomplete")
	}
	return g
}

func mustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// goldenCodec is a codec with the golden key whose clock stands at the golden
// time, with a maximum age so the timestamp is checked too.
func goldenCodec(tb testing.TB, g goldenFile, opts ...codec.Option) *codec.Codec {
	tb.Helper()
	at := time.Unix(g.Time, 0)
	opts = append([]codec.Option{codec.WithMaxAge(time.Hour), codec.WithClock(func() time.Time { return at })}, opts...)
	return newCodec(tb, newRing(tb, g.Key), opts...)
}

// TestGoldenDecode: every valid golden token decodes to its value under its
// own binding context (none for version 1) and under no other, nor under
// another storage key; the others are ErrInvalidToken under any context.
func TestGoldenDecode(t *testing.T) {
	g := loadGolden(t)
	contexts := []string{"", "production", "staging", g.StorageKey}
	valid := 0
	for _, tok := range g.Tokens {
		t.Run(tok.Name, func(t *testing.T) {
			for _, ctx := range contexts {
				for _, ser := range []codec.Serializer{codec.Msgpack{}, codec.JSON{}} {
					c := goldenCodec(t, g, codec.WithSerializer(ser), codec.WithBindingContext(ctx))
					if !tok.Valid || ctx != tok.context() {
						wantInvalid(t, c, g.StorageKey, []byte(tok.Token), fmt.Sprintf("%s under context %q", tok.Value, ctx))
						continue
					}
					want, ok := goldenValues[tok.Name]
					if !ok {
						t.Fatalf("no goldenValues entry for %q", tok.Name)
					}
					d := decode(t, c, g.StorageKey, []byte(tok.Token))
					if s := diff(d.Value, want.want); s != "" {
						t.Errorf("%s:\n%s", tok.Value, s)
					}
					if d.Kind != want.kind || d.KeyIndex != 0 || d.Signed.Unix() != g.Time {
						t.Errorf("Kind %d, KeyIndex %d, Signed %d; want %d, 0, %d", d.Kind, d.KeyIndex, d.Signed.Unix(), want.kind, g.Time)
					}
					wantInvalid(t, c, g.StorageKey+":moved", []byte(tok.Token), "golden token under another key")
				}
			}
			if tok.Valid {
				valid++
			}
		})
	}
	if valid != len(goldenValues) {
		t.Errorf("%d valid golden tokens, %d goldenValues", valid, len(goldenValues))
	}

	// The golden clock matters: a day later the tokens are too old.
	late := goldenCodec(t, g, codec.WithClock(func() time.Time { return time.Unix(g.Time, 0).Add(24 * time.Hour) }))
	wantInvalid(t, late, g.StorageKey, []byte(g.Tokens[0].Token), "golden token a day late")
}

// TestGoldenEncode: the codec's plaintext for each golden value, at the golden
// clock, is the golden plaintext byte for byte (only the random IV differs).
func TestGoldenEncode(t *testing.T) {
	g := loadGolden(t)
	sign, enc := rawKey(t, g.Key)
	for _, tok := range g.Tokens {
		want, ok := goldenValues[tok.Name]
		if !tok.Valid || !ok {
			continue
		}
		t.Run(tok.Name, func(t *testing.T) {
			opts := tok.opts()
			got := encode(t, goldenCodec(t, g, opts...), g.StorageKey, want.in)
			if len(got) != len(tok.Token) || !bytes.Equal(got[:12], []byte(tok.Token[:12])) {
				t.Errorf("token %s: want the length and version/timestamp prefix of %s", got, tok.Token)
			}
			plain, ok := rawFernetOpen(sign, enc, got)
			if !ok {
				t.Fatalf("token does not open with the test Fernet implementation")
			}
			if wantPlain := mustHex(t, tok.Plaintext); !bytes.Equal(plain, wantPlain) {
				t.Errorf("plaintext:\n got  %x\n want %x", plain, wantPlain)
			}
			// With the golden IV as the random source, the token itself is the
			// golden one, byte for byte.
			fixed := append(opts, codec.WithRandom(bytes.NewReader(mustHex(t, tok.IV))))
			if got := encode(t, goldenCodec(t, g, fixed...), g.StorageKey, want.in); string(got) != tok.Token {
				t.Errorf("token with the golden IV:\n got  %s\n want %s", got, tok.Token)
			}
		})
	}
}

// TestGoldenRawFernet: the test-only Fernet builder, given the golden key, IV,
// time and plaintext, reproduces every golden token exactly, and opens it.
func TestGoldenRawFernet(t *testing.T) {
	g := loadGolden(t)
	sign, enc := rawKey(t, g.Key)
	for _, tok := range g.Tokens {
		plain := mustHex(t, tok.Plaintext)
		got := rawFernetSeal(sign, enc, mustHex(t, tok.IV), uint64(g.Time), plain)
		if string(got) != tok.Token {
			t.Errorf("%s: rawFernetSeal =\n %s\nwant\n %s", tok.Name, got, tok.Token)
		}
		if opened, ok := rawFernetOpen(sign, enc, []byte(tok.Token)); !ok || !bytes.Equal(opened, plain) {
			t.Errorf("%s: rawFernetOpen = %x, %v", tok.Name, opened, ok)
		}
	}
}

// TestGoldenEnvelopeLayout reads the golden plaintexts field by field, as
// the package documentation describes them.
func TestGoldenEnvelopeLayout(t *testing.T) {
	g := loadGolden(t)
	wantFormat := map[string]byte{
		"string": fmtString, "empty-string": fmtString, "bytes": fmtBytes, "msgpack": fmtMsgpack, "json": fmtJSON,
		"version-2": 0x43, "key-bound-clear": 0x22, "unknown-kind": 0x2b,
		"ctx-string": 0x43, "ctx-msgpack": 0x45, "ctx-empty": 0x43, "version-3": 0x63,
	}
	for _, tok := range g.Tokens {
		p := mustHex(t, tok.Plaintext)
		f, ok := wantFormat[tok.Name]
		if !ok {
			t.Errorf("%s: unexpected golden entry", tok.Name)
			continue
		}
		if p[0] != f {
			t.Errorf("%s: format byte %#02x, want %#02x", tok.Name, p[0], f)
		}
		rest := p[1:]
		if tok.Context != nil { // version 2: the context's length and bytes first
			ctx := tok.context()
			if int(rest[0]) != len(ctx) || string(rest[1:1+len(ctx)]) != ctx {
				t.Errorf("%s: binding context not at bytes 1..: %x", tok.Name, p)
			}
			rest = rest[1+len(ctx):]
		}
		if int(rest[0]) != len(g.StorageKey) || string(rest[1:1+len(g.StorageKey)]) != g.StorageKey {
			t.Errorf("%s: storage key not after the format byte (and context): %x", tok.Name, p)
		}
		bin, err := base64.URLEncoding.DecodeString(tok.Token)
		if err != nil || bin[0] != 0x80 || binary.BigEndian.Uint64(bin[1:9]) != uint64(g.Time) {
			t.Errorf("%s: token header is not version 0x80 and the golden time", tok.Name)
		}
		if !bytes.Equal(bin[9:25], mustHex(t, tok.IV)) {
			t.Errorf("%s: token IV is not the golden IV", tok.Name)
		}
	}
}
