package codec_test

import (
	"errors"
	"testing"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/pyfernet"
)

// namedtuplePickle is Python's pickle (protocol 5) of
// collections.namedtuple("Point", "x y")(1, 2) defined in __main__.
const namedtuplePickle = "\x80\x05\x95\x15\x00\x00\x00\x00\x00\x00\x00\x8c\x08__main__\x94\x8c\x05Point\x94\x93\x94K\x01K\x02\x86\x94\x81\x94."

// TestUnsupportedTypeIsItsOwnError: an entry that decrypts but holds a
// Python type outside the allow-list is an *UnsupportedTypeError naming the
// type, with the key that opened it, never ErrInvalidToken; a token under
// another key still is ErrInvalidToken.
func TestUnsupportedTypeIsItsOwnError(t *testing.T) {
	d := newDjango(t, newRing(t, keyB, keyA))
	tok := pyfernet.Encrypt(t, keyA, []byte(namedtuplePickle))
	dd, err := d.DecodeDetail("k", tok)
	var ute *codec.UnsupportedTypeError
	if !errors.As(err, &ute) || !errors.Is(err, codec.ErrUnsupportedType) || errors.Is(err, codec.ErrInvalidToken) {
		t.Fatalf("Django: %v, want an UnsupportedTypeError only", err)
	}
	if ute.Type != `"__main__"."Point"` || dd.KeyIndex != 1 || dd.Value != nil {
		t.Errorf("Type %s, KeyIndex %d, Value %v", ute.Type, dd.KeyIndex, dd.Value)
	}
	if _, err := newDjango(t, newRing(t, keyB)).Decode("k", tok); !errors.Is(err, codec.ErrInvalidToken) || errors.Is(err, codec.ErrUnsupportedType) {
		t.Errorf("wrong key: %v, want ErrInvalidToken", err)
	}
	// A malformed pickle under the right key stays ErrInvalidToken.
	if _, err := d.Decode("k", pyfernet.Encrypt(t, keyA, []byte("\x80\x04]K\x01s."))); !errors.Is(err, codec.ErrInvalidToken) {
		t.Errorf("malformed pickle: %v, want ErrInvalidToken", err)
	}
}
