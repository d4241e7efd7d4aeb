package codec_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/fernet/fernet-go"

	"github.com/secureredis/secureredis/codec"
)

// The codec's Fernet tokens are checked against fernet-go, an independent
// implementation of the spec, in both directions and at every padding length.
func TestFernetGoOracle(t *testing.T) {
	ring := newRing(t, keyA)
	c := newCodec(t, ring)
	keys := fernet.MustDecodeKeys(keyA)
	for n := range 70 {
		value := bytes.Repeat([]byte{byte(n)}, n)
		tok := encode(t, c, testStorageKey, value)
		plain := fernet.VerifyAndDecrypt(tok, 0, keys)
		if plain == nil {
			t.Fatalf("len %d: fernet-go rejects the codec's token", n)
		}
		if want := envelope(0x21, testStorageKey, value); !bytes.Equal(plain, want) {
			t.Fatalf("len %d: fernet-go opened %x, want %x", n, plain, want)
		}
		theirs, err := fernet.EncryptAndSignAtTime(envelope(0x21, testStorageKey, value), keys[0], time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if got := decode(t, c, testStorageKey, theirs).Value; !bytes.Equal(got.([]byte), value) {
			t.Fatalf("len %d: fernet-go token decoded to %x", n, got)
		}
	}
	if _, err := codec.New(ring, codec.WithRandom(nil)); err == nil {
		t.Error("WithRandom(nil) accepted")
	}
}
