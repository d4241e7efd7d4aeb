package codec_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/secureredis/secureredis/internal/pyfernet"
)

// TestPythonDecryptsGoTokens checks that Python's cryptography.fernet opens
// the codec's tokens and finds exactly the documented envelope: format byte,
// uvarint storage key length, storage key, payload.
func TestPythonDecryptsGoTokens(t *testing.T) {
	c := newCodec(t, newRing(t, keyA))
	longKey := "app1:secure:1:" + strings.Repeat("long:", 40) // length needs a two-byte uvarint
	tests := []struct {
		name       string
		storageKey string
		value      any
		want       []byte
	}{
		{"string", testStorageKey, "héllo wörld", envelope(fmtString, testStorageKey, []byte("héllo wörld"))},
		{"empty string", testStorageKey, "", envelope(fmtString, testStorageKey, nil)},
		{"bytes", testStorageKey, []byte{0, 0xff, 0x10}, envelope(fmtBytes, testStorageKey, []byte{0, 0xff, 0x10})},
		{"msgpack", testStorageKey, []any{1, "a"}, envelope(fmtMsgpack, testStorageKey, []byte{0x92, 0x01, 0xa1, 'a'})},
		{"long storage key", longKey, "v", envelope(fmtString, longKey, []byte("v"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := encode(t, c, tt.storageKey, tt.value)
			plain, ok := pyfernet.Decrypt(t, keyA, tok)
			if !ok {
				t.Fatalf("Python rejects the codec's token %s", tok)
			}
			if !bytes.Equal(plain, tt.want) {
				t.Errorf("Python plaintext:\n got  %s\n want %s", hex.EncodeToString(plain), hex.EncodeToString(tt.want))
			}
		})
	}
	if len(longKey) < 128 || tests[4].want[1]&0x80 == 0 {
		t.Fatalf("long storage key does not exercise a multi-byte length")
	}
	// Python refuses it with another key, as the codec does.
	if _, ok := pyfernet.Decrypt(t, keyB, encode(t, c, testStorageKey, "v")); ok {
		t.Errorf("Python decrypted a token with the wrong key")
	}
}

// TestGoDecodesPythonTokens checks that tokens made by Python's
// Fernet(key).encrypt(envelope) decode, and that Python-made tokens the codec
// did not shape (wrong key, bare plaintext, other storage key) do not.
func TestGoDecodesPythonTokens(t *testing.T) {
	c := newCodec(t, newRing(t, keyB, keyA))
	tests := []struct {
		name  string
		plain []byte
		want  any
		index int
	}{
		{"string", envelope(fmtString, testStorageKey, []byte("from python ✓")), "from python ✓", 1},
		{"bytes", envelope(fmtBytes, testStorageKey, []byte{1, 2, 3}), []byte{1, 2, 3}, 1},
		{"JSON", envelope(fmtJSON, testStorageKey, []byte(`{"a":[1,true]}`)), map[string]any{"a": []any{json.Number("1"), true}}, 1},
		{"msgpack", envelope(fmtMsgpack, testStorageKey, []byte{0x81, 0xa1, 'a', 0x2a}), map[string]any{"a": int64(42)}, 1},
	}
	key := map[int]string{0: keyB, 1: keyA}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := pyfernet.Encrypt(t, key[tt.index], tt.plain)
			d := decode(t, c, testStorageKey, tok)
			if s := diff(d.Value, tt.want); s != "" || d.KeyIndex != tt.index {
				t.Errorf("KeyIndex %d (want %d), value:\n%s", d.KeyIndex, tt.index, s)
			}
		})
	}

	good := envelope(fmtString, testStorageKey, []byte("v"))
	wantInvalid(t, c, testStorageKey, pyfernet.Encrypt(t, keyC, good), "Python token, key not in ring")
	wantInvalid(t, c, testStorageKey, pyfernet.Encrypt(t, keyA, []byte("v")), "Python token, bare plaintext")
	wantInvalid(t, c, "app1:secure:1:user:43", pyfernet.Encrypt(t, keyA, good), "Python token, other storage key")

	// Python's own key format is the one NewKeyRing takes.
	if v := decode(t, newCodec(t, newRing(t, keyA)), testStorageKey, pyfernet.Encrypt(t, keyA, good)).Value; v != "v" {
		t.Errorf("single-key ring: %#v", v)
	}
}
