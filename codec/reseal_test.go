package codec_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/secureredis/secureredis/codec"
)

// tokenParts opens tok with key (test Fernet implementation) and returns its
// plaintext and its timestamp.
func tokenParts(tb testing.TB, key string, tok []byte) ([]byte, uint64) {
	tb.Helper()
	sign, enc := rawKey(tb, key)
	plain, ok := rawFernetOpen(sign, enc, tok)
	if !ok {
		tb.Fatalf("token does not open with the expected key")
	}
	bin, err := base64.URLEncoding.DecodeString(string(tok))
	if err != nil {
		tb.Fatal(err)
	}
	return plain, binary.BigEndian.Uint64(bin[1:9])
}

// TestResealKeepsPlaintextAndTime: whatever serializer and Go type wrote a
// token, Reseal seals the same plaintext bytes under the first key with the
// original timestamp, and the value decodes with its type.
func TestResealKeepsPlaintextAndTime(t *testing.T) {
	written := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := newFakeClock(written)
	values := []struct {
		name string
		ser  codec.Serializer
		v    any
	}{
		{"string", codec.Msgpack{}, "a string"},
		{"bytes", codec.Msgpack{}, []byte{0, 1, 0xff}},
		{"msgpack", codec.Msgpack{}, map[string]any{"n": int64(1)}},
		{"json", codec.JSON{}, map[string]any{"a": []any{"x", true}}},
		{"pickle", codec.Pickle{}, map[string]any{"user": "ada"}},
		{"pickle tuple", codec.Pickle{}, codec.Tuple{"a", int64(1)}},
		{"pickle set", codec.Pickle{}, codec.Set{"a", "b"}},
		{"custom", upper{id: 9}, upperValue("abc")},
	}
	for _, tc := range values {
		t.Run(tc.name, func(t *testing.T) {
			clock.Set(written)
			old := newCodec(t, newRing(t, keyA), codec.WithSerializer(tc.ser), codec.WithClock(clock.Now))
			tok := encode(t, old, testStorageKey, tc.v)
			want := decode(t, old, testStorageKey, tok)
			oldPlain, oldTime := tokenParts(t, keyA, tok)

			clock.Advance(23 * time.Hour)
			// The rotating codec uses the default serializer (msgpack): the
			// entry must keep its own.
			rot := newCodec(t, newRing(t, keyB, keyA), codec.WithClock(clock.Now), codec.WithMaxAge(24*time.Hour))
			if _, ok := tc.ser.(upper); ok {
				rot = newCodec(t, newRing(t, keyB, keyA), codec.WithSerializer(tc.ser), codec.WithClock(clock.Now), codec.WithMaxAge(24*time.Hour))
			}
			got, idx, err := rot.Reseal(testStorageKey, tok)
			if err != nil || idx != 1 {
				t.Fatalf("Reseal = %v, %d; want key #1", err, idx)
			}
			plain, ts := tokenParts(t, keyB, got)
			if !bytes.Equal(plain, oldPlain) {
				t.Errorf("plaintext changed:\n got  %x\n want %x", plain, oldPlain)
			}
			if ts != oldTime || ts != uint64(written.Unix()) {
				t.Errorf("timestamp %d, want the original %d", ts, oldTime)
			}
			d := decode(t, rot, testStorageKey, got)
			if s := diff(d.Value, want.Value); s != "" || d.Kind != want.Kind || d.KeyIndex != 0 || !d.Signed.Equal(written) {
				t.Errorf("resealed: %+v; want %+v, signed %v\n%s", d, want, written, s)
			}
			// Max age still counts from the original write: an hour and a
			// second later (24 h after it) the resealed token is too old.
			clock.Advance(time.Hour + time.Second)
			wantInvalid(t, rot, testStorageKey, got, "resealed token past the max age of the original")
			if _, _, err := rot.Reseal(testStorageKey, got); !errors.Is(err, codec.ErrInvalidToken) {
				t.Errorf("Reseal of an expired token: %v", err)
			}
		})
	}
}

// TestResealRefuses: Reseal authenticates as Decode does.
func TestResealRefuses(t *testing.T) {
	c := newCodec(t, newRing(t, keyB, keyA))
	tok := encode(t, newCodec(t, newRing(t, keyA)), testStorageKey, "v")
	foreign := encode(t, newCodec(t, newRing(t, keyC)), testStorageKey, "v")
	flipped := bytes.Clone(tok)
	flipped[len(flipped)/2] ^= 1
	sign, enc := rawKey(t, keyA)
	iv := make([]byte, 16)
	for name, tc := range map[string]struct {
		key string
		tok []byte
	}{
		"moved to another key": {"other:key", tok},
		"foreign key":          {testStorageKey, foreign},
		"flipped":              {testStorageKey, flipped},
		"plaintext":            {testStorageKey, []byte("42")},
		"empty":                {testStorageKey, nil},
		"unknown version":      {testStorageKey, rawFernetSeal(sign, enc, iv, uint64(time.Now().Unix()), envelope(0x43, testStorageKey, []byte("x")))},
		"key-bound bit clear":  {testStorageKey, rawFernetSeal(sign, enc, iv, uint64(time.Now().Unix()), envelope(0x22, testStorageKey, []byte("x")))},
	} {
		if got, idx, err := c.Reseal(tc.key, tc.tok); !errors.Is(err, codec.ErrInvalidToken) || got != nil || idx != -1 {
			t.Errorf("%s: Reseal = %q, %d, %v; want ErrInvalidToken", name, got, idx, err)
		}
	}
	// A kind this codec does not know (a custom serializer's) is re-sealed
	// as it is: Reseal does not unmarshal.
	custom := encode(t, newCodec(t, newRing(t, keyA), codec.WithSerializer(upper{id: 9})), testStorageKey, upperValue("x"))
	if _, idx, err := c.Reseal(testStorageKey, custom); err != nil || idx != 1 {
		t.Errorf("custom kind: Reseal = %d, %v", idx, err)
	}
	// A token already under the first key is re-sealed all the same, with a
	// new IV and its timestamp.
	cur := encode(t, c, testStorageKey, "current")
	got, idx, err := c.Reseal(testStorageKey, cur)
	if err != nil || idx != 0 || bytes.Equal(got, cur) || !bytes.Equal(got[:12], cur[:12]) {
		t.Errorf("current token: Reseal = %s, %d, %v", got, idx, err)
	}
}

// TestDjangoReseal: in Django mode the pickle is re-sealed as it is (Tuple
// and Set stay Python tuples and sets), the timestamp kept, the compressor
// applied; a plaintext integer is ErrPlaintextInt.
func TestDjangoReseal(t *testing.T) {
	written := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := newFakeClock(written)
	z, err := codec.NewCompressor("zlib")
	if err != nil {
		t.Fatal(err)
	}
	for name, comp := range map[string]codec.Compressor{"plain": nil, "zlib": z} {
		t.Run(name, func(t *testing.T) {
			clock.Set(written)
			old := newDjango(t, newRing(t, keyA), codec.WithClock(clock.Now), codec.WithCompressor(comp))
			rot := newDjango(t, newRing(t, keyB, keyA), codec.WithClock(clock.Now), codec.WithCompressor(comp), codec.WithMaxAge(24*time.Hour))
			for _, v := range []any{codec.Tuple{"a", int64(1)}, codec.Set{"x"}, map[string]any{"k": []any{int64(1)}}, "s"} {
				clock.Set(written)
				stored, err := old.Encode("k", v)
				if err != nil {
					t.Fatal(err)
				}
				tok := stored
				if comp != nil {
					if tok, err = comp.Decompress(stored); err != nil {
						t.Fatal(err)
					}
				}
				oldPlain, oldTime := tokenParts(t, keyA, tok)
				clock.Advance(23 * time.Hour)
				got, idx, err := rot.Reseal("k", stored)
				if err != nil || idx != 1 {
					t.Fatalf("%T: Reseal = %v, %d", v, err, idx)
				}
				if comp != nil {
					if got, err = comp.Decompress(got); err != nil {
						t.Fatalf("resealed value is not compressed: %v", err)
					}
				}
				plain, ts := tokenParts(t, keyB, got)
				if !bytes.Equal(plain, oldPlain) || ts != oldTime {
					t.Errorf("%T: plaintext %x at %d, want %x at %d", v, plain, ts, oldPlain, oldTime)
				}
				dv, err := newDjango(t, newRing(t, keyB), codec.WithCompressor(comp)).Decode("k", must(comp, got))
				if err != nil || diff(dv, v) != "" {
					t.Errorf("%T: resealed decodes to %#v, %v", v, dv, err)
				}
			}
			if _, _, err := rot.Reseal("k", []byte("42")); !errors.Is(err, codec.ErrPlaintextInt) {
				t.Errorf("plaintext int: %v, want ErrPlaintextInt", err)
			}
			if _, _, err := rot.Reseal("k", []byte("not a token")); !errors.Is(err, codec.ErrInvalidToken) {
				t.Errorf("garbage: %v, want ErrInvalidToken", err)
			}
		})
	}
}

// must compresses tok with comp, if any, panicking on error (tests only).
func must(comp codec.Compressor, tok []byte) []byte {
	if comp == nil {
		return tok
	}
	b, err := comp.Compress(tok)
	if err != nil {
		panic(err)
	}
	return b
}
