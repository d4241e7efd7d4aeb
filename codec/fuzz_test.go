package codec_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/secureredis/secureredis/codec"
)

// The seed corpora below run in every go test. To fuzz:
//
//	go test -fuzz=FuzzDecode -fuzztime=30s ./codec
//	go test -fuzz=FuzzRoundTrip -fuzztime=30s ./codec
//	go test -fuzz=FuzzEnvelope -fuzztime=30s ./codec
//
// Crashers go to testdata/fuzz/FuzzX/ and then run in every go test too.

var fuzzTime = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

const fuzzContext = "production"

func fuzzCodec(tb testing.TB) *codec.Codec {
	tb.Helper()
	return newCodec(tb, newRing(tb, keyB, keyA),
		codec.WithMaxAge(time.Hour), codec.WithClock(func() time.Time { return fuzzTime }))
}

// FuzzDecode feeds arbitrary bytes to Decode: it must never panic and every
// error must be ErrInvalidToken.
func FuzzDecode(f *testing.F) {
	c := fuzzCodec(f)
	valid := encode(f, c, testStorageKey, "value")
	old := encode(f, newCodec(f, newRing(f, keyA), codec.WithClock(func() time.Time { return fuzzTime })), testStorageKey, map[string]any{"a": 1})
	f.Add(valid, testStorageKey)
	f.Add(old, testStorageKey)
	f.Add(valid, "other")
	f.Add(valid[:len(valid)-1], testStorageKey)
	f.Add(append(bytes.Clone(valid), '\n'), testStorageKey)
	f.Add([]byte{}, "")
	f.Add([]byte("===="), "k")
	f.Add([]byte("gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA=="), testStorageKey)
	f.Add([]byte(strings.Repeat("A", 100)), testStorageKey)
	f.Fuzz(func(t *testing.T, tok []byte, storageKey string) {
		before := bytes.Clone(tok)
		d, err := c.DecodeDetail(storageKey, tok)
		if err != nil {
			if !errors.Is(err, codec.ErrInvalidToken) || d.Value != nil {
				t.Fatalf("DecodeDetail = %#v, %v; want ErrInvalidToken", d, err)
			}
		} else if d.KeyIndex < 0 || d.KeyIndex > 1 {
			t.Fatalf("KeyIndex = %d", d.KeyIndex)
		}
		if !bytes.Equal(tok, before) {
			t.Fatalf("Decode modified the token")
		}
		if v, serr := c.DecodeString(storageKey, string(tok)); (serr == nil) != (err == nil) || !reflect.DeepEqual(v, d.Value) {
			t.Fatalf("DecodeString = %#v, %v; DecodeDetail %#v, %v", v, serr, d.Value, err)
		}
	})
}

// FuzzRoundTrip checks that any string and []byte, under any storage key,
// come back exactly and with their own type, and under no other key.
func FuzzRoundTrip(f *testing.F) {
	c := fuzzCodec(f)
	f.Add("secret", []byte("secret"), testStorageKey)
	f.Add("", []byte{}, "")
	f.Add("\x00\xff", []byte{0, 0xff}, strings.Repeat("k", 200))
	f.Add(strings.Repeat("x", 16), bytes.Repeat([]byte{16}, 16), "k")
	f.Add("héllo ✓", []byte("\n\r"), "app1:secure:1:ü")
	f.Fuzz(func(t *testing.T, s string, b []byte, storageKey string) {
		tok, err := c.Encode(storageKey, s)
		if err != nil {
			t.Fatalf("Encode(string): %v", err)
		}
		if v, err := c.Decode(storageKey, tok); err != nil || v != s {
			t.Fatalf("Decode(string) = %#v, %v; want %q", v, err, s)
		}
		if _, err := c.Decode(storageKey+"\x00", tok); !errors.Is(err, codec.ErrInvalidToken) {
			t.Fatalf("Decode under another key: %v", err)
		}
		tok, err = c.Encode(storageKey, b)
		if err != nil {
			t.Fatalf("Encode([]byte): %v", err)
		}
		v, err := c.Decode(storageKey, tok)
		if got, ok := v.([]byte); err != nil || !ok || !bytes.Equal(got, b) {
			t.Fatalf("Decode([]byte) = %#v, %v; want %q", v, err, b)
		}
	})
}

// FuzzEnvelope wraps arbitrary plaintext in a valid Fernet token for a key in
// the ring, so everything after authentication (the envelope parser and the
// serializers) sees attacker-shaped input: no panic, and any error is
// ErrInvalidToken. Seeds are well-formed envelopes, so mutations reach deep.
func FuzzEnvelope(f *testing.F) {
	c := fuzzCodec(f)
	sign, enc := rawKey(f, keyA)
	iv := []byte("0123456789abcdef")
	k := testStorageKey
	for _, plain := range [][]byte{
		envelope(fmtString, k, []byte("value")),
		envelope(fmtBytes, k, []byte{0, 1, 2}),
		envelope(fmtBytes, "", nil),
		envelope(fmtMsgpack, k, []byte{0x81, 0xa4, 'u', 's', 'e', 'r', 0x95, 0x2a, 0xa3, 'a', 'd', 'a', 0xc3, 0xc0, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}),
		envelope(fmtMsgpack, k, []byte{0x82, 0x01, 0xa1, 'a', 0xc3, 0xc0}),                 // map with int and bool keys
		envelope(fmtMsgpack, k, []byte{0x81, 0x91, 0x01, 0xc0}),                            // array as map key
		envelope(fmtMsgpack, k, []byte{0x81, 0xc4, 0x01, 'x', 0xc0}),                       // bin as map key
		envelope(fmtMsgpack, k, []byte{0x81, 0xd6, 0xff, 0, 0, 0, 1, 0xc0}),                // timestamp as map key
		envelope(fmtMsgpack, k, []byte{0x81, 0xd4, 0x05, 0x00, 0xc0}),                      // unknown extension as key
		envelope(fmtMsgpack, k, []byte{0xdf, 0xff, 0xff, 0xff, 0xff}),                      // map claiming 2^32-1 entries
		envelope(fmtMsgpack, k, []byte{0xdd, 0xff, 0xff, 0xff, 0xff}),                      // array claiming 2^32-1 entries
		envelope(fmtMsgpack, k, []byte{0xc6, 0xff, 0xff, 0xff, 0xff}),                      // bin claiming 4 GiB
		envelope(fmtMsgpack, k, []byte{0xdb, 0x7f, 0xff, 0xff, 0xff}),                      // str claiming 2 GiB
		envelope(fmtMsgpack, k, []byte{0xc7, 0xff, 0xff, 0xff}),                            // ext claiming 4 GiB
		envelope(fmtMsgpack, k, bytes.Repeat([]byte{0x91}, 10000)),                         // deep nesting
		envelope(fmtMsgpack, k, append(bytes.Repeat([]byte{0x81, 0xa1, 'k'}, 1000), 0xc0)), // deep maps
		envelope(fmtJSON, k, []byte(`{"a":[1,"x",true,null],"big":12345678901234567890}`)),
		envelope(fmtJSON, k, []byte(strings.Repeat("[", 20000))),
		envelope(0x43, k, []byte("v")), // version 2 without a context field
		envelope2(0x43, fuzzContext, k, []byte("v")),
		envelope2(0x45, fuzzContext, k, []byte{0x91, 0x01}),
		envelope2(0x43, "", k, []byte("v")),              // version 2, empty context
		envelope2(0x43, fuzzContext+"x", k, []byte("v")), // another context
		envelope(0x63, k, []byte("v")),                   // version 3
		envelope(0x22, k, []byte("v")),                   // key-bound bit clear
		envelope(0x31, k, []byte("v")),                   // kind 8, no such serializer
		{},
		{fmtString},
		{fmtString, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
	} {
		f.Add(plain, k)
	}
	cCtx := newCodec(f, newRing(f, keyB, keyA), codec.WithBindingContext(fuzzContext),
		codec.WithMaxAge(time.Hour), codec.WithClock(func() time.Time { return fuzzTime }))
	f.Fuzz(func(t *testing.T, plain []byte, storageKey string) {
		tok := rawFernetSeal(sign, enc, iv, uint64(fuzzTime.Unix()), plain)
		d, err := cCtx.DecodeDetail(storageKey, tok)
		if err != nil {
			if !errors.Is(err, codec.ErrInvalidToken) || d.Value != nil {
				t.Fatalf("with a context: DecodeDetail = %#v, %v; want ErrInvalidToken", d, err)
			}
		} else if p := envelope2(plain[0], fuzzContext, storageKey, nil); !bytes.HasPrefix(plain, p) {
			t.Fatalf("with a context: envelope %x accepted", plain)
		}
		d, err = c.DecodeDetail(storageKey, tok)
		if err != nil {
			if !errors.Is(err, codec.ErrInvalidToken) || d.Value != nil {
				t.Fatalf("DecodeDetail = %#v, %v; want ErrInvalidToken", d, err)
			}
			return
		}
		if d.KeyIndex != 1 {
			t.Fatalf("KeyIndex = %d, want 1", d.KeyIndex)
		}
		if len(plain) == 0 || plain[0]>>5 != 1 || plain[0]&1 != 1 {
			t.Fatalf("format byte %#x accepted", plain[0])
		}
	})
}

// FuzzDjangoDecode: a Django-mode codec with a compressor, on arbitrary
// stored bytes, never panics and fails only with ErrInvalidToken.
func FuzzDjangoDecode(f *testing.F) {
	comp, err := codec.NewCompressor("zlib")
	if err != nil {
		f.Fatal(err)
	}
	c, err := codec.NewDjango(newRing(f, keyA), codec.WithCompressor(comp))
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range []any{"s", int64(1), []any{"a", 1.5}, map[string]any{"k": codec.Set{int64(1)}}, strings.Repeat("z", 100)} {
		tok, err := c.Encode("k", v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
	}
	f.Add([]byte("42"))
	f.Add([]byte("-"))
	f.Add([]byte(" +1_000 "))
	f.Add([]byte("-_1"))
	f.Add([]byte("12345678901234567890123"))
	// Without a compressor, DecodeString decodes from the string itself.
	bare, err := codec.NewDjango(newRing(f, keyA))
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range []any{"s", []any{"a", 1.5}} {
		tok, err := bare.Encode("k", v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := c.Decode("k", data); err != nil && !errors.Is(err, codec.ErrInvalidToken) {
			t.Fatalf("error %v is not ErrInvalidToken", err)
		}
		v, err := bare.Decode("k", data)
		if sv, serr := bare.DecodeString("k", string(data)); (serr == nil) != (err == nil) || !reflect.DeepEqual(sv, v) {
			t.Fatalf("DecodeString = %#v, %v; Decode %#v, %v", sv, serr, v, err)
		}
	})
}
