package codec_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/secureredis/secureredis/codec"
)

// Fixed test keys. They are test data, not secrets.
const (
	keyA = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" // bytes 0x00..0x1f
	keyB = "IAAgASACIAMgBCAFIAYgByAIIAkgCiALIAwgDSAOIA8=" // another 32 bytes
	keyC = "_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-8=" // URL-safe only characters

	testStorageKey = "app1:secure:1:user:42"
)

// Envelope format bytes of wire version 1 with the key-bound bit set.
const (
	fmtBytes   = 0x21
	fmtString  = 0x23
	fmtMsgpack = 0x25
	fmtJSON    = 0x27
)

func newRing(tb testing.TB, keys ...string) *codec.KeyRing {
	tb.Helper()
	r, err := codec.NewKeyRing(keys...)
	if err != nil {
		tb.Fatalf("NewKeyRing: %v", err)
	}
	return r
}

func newCodec(tb testing.TB, ring *codec.KeyRing, opts ...codec.Option) *codec.Codec {
	tb.Helper()
	c, err := codec.New(ring, opts...)
	if err != nil {
		tb.Fatalf("codec.New: %v", err)
	}
	return c
}

func encode(tb testing.TB, c *codec.Codec, storageKey string, v any) []byte {
	tb.Helper()
	tok, err := c.Encode(storageKey, v)
	if err != nil {
		tb.Fatalf("Encode(%q, %T): %v", storageKey, v, err)
	}
	return tok
}

func decode(tb testing.TB, c *codec.Codec, storageKey string, tok []byte) codec.Decoded {
	tb.Helper()
	d, err := c.DecodeDetail(storageKey, tok)
	if err != nil {
		tb.Fatalf("DecodeDetail(%q): %v", storageKey, err)
	}
	return d
}

// wantInvalid fails unless decoding tok under storageKey fails with exactly
// ErrInvalidToken and no value.
func wantInvalid(tb testing.TB, c *codec.Codec, storageKey string, tok []byte, what string) {
	tb.Helper()
	v, err := c.Decode(storageKey, tok)
	if !errors.Is(err, codec.ErrInvalidToken) || v != nil {
		tb.Errorf("%s: Decode = %#v, %v; want nil, ErrInvalidToken", what, v, err)
	}
	if v, err := c.DecodeString(storageKey, string(tok)); !errors.Is(err, codec.ErrInvalidToken) || v != nil {
		tb.Errorf("%s: DecodeString = %#v, %v; want nil, ErrInvalidToken", what, v, err)
	}
}

// envelope builds a version 1 plaintext by hand, from the documented layout.
func envelope(format byte, storageKey string, payload []byte) []byte {
	b := []byte{format}
	b = binary.AppendUvarint(b, uint64(len(storageKey)))
	b = append(b, storageKey...)
	return append(b, payload...)
}

// envelope2 builds a version 2 plaintext (with a binding context) by hand,
// from the documented layout.
func envelope2(format byte, context, storageKey string, payload []byte) []byte {
	b := []byte{format}
	b = binary.AppendUvarint(b, uint64(len(context)))
	b = append(b, context...)
	return append(b, envelope(format, storageKey, payload)[1:]...)
}

// diff describes how got differs from want (reflect.DeepEqual, exact types).
func diff(got, want any) string {
	if reflect.DeepEqual(got, want) {
		return ""
	}
	return fmt.Sprintf("got  %#v\nwant %#v", got, want)
}

// fakeClock is a settable clock for WithClock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
