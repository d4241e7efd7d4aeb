package codec

import (
	"crypto/aes"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/fernet/fernet-go"
)

// KeyRing holds the Fernet keys of a codec. The first key encrypts; every key
// decrypts, in order. This is Python's MultiFernet: to rotate, put the new key
// first and keep the old ones until every entry has been re-encrypted.
//
// A KeyRing is immutable and safe for concurrent use. It never prints its
// keys: String, GoString and every fmt verb give a redacted summary.
type KeyRing struct {
	keys []*fernet.Key
	fk   []*fernetKey // the same keys, ready to use
}

// NewKeyRing parses Fernet key strings: URL-safe base64 (padded, as made by
// Python's Fernet.generate_key and used for Django's REDIS_SECRET_KEY) of 32
// random bytes. Standard base64 is accepted too. It returns a *KeyError,
// naming the key by position, for an empty, malformed or wrongly sized key, and
// an error wrapping ErrInvalidKey when no key is given.
func NewKeyRing(keys ...string) (*KeyRing, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no keys given", ErrInvalidKey)
	}
	ring := &KeyRing{keys: make([]*fernet.Key, len(keys)), fk: make([]*fernetKey, len(keys))}
	for i, s := range keys {
		k, err := parseKey(i, s)
		if err != nil {
			return nil, err
		}
		ring.keys[i], ring.fk[i] = k, newFernetKey(k)
	}
	return ring, nil
}

func parseKey(i int, s string) (*fernet.Key, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, &KeyError{Index: i, Reason: "empty"}
	}
	b, err := base64.URLEncoding.DecodeString(s)
	if err != nil {
		if b, err = base64.StdEncoding.DecodeString(s); err != nil {
			return nil, &KeyError{Index: i, Reason: "not URL-safe base64"}
		}
	}
	if len(b) != len(fernet.Key{}) {
		return nil, &KeyError{Index: i, Reason: "decodes to " + strconv.Itoa(len(b)) + " bytes, want 32"}
	}
	k := new(fernet.Key)
	copy(k[:], b)
	clear(b)
	return k, nil
}

// GenerateKey returns a new random Fernet key in the URL-safe base64 form
// NewKeyRing and Python's Fernet accept. Randomness comes from crypto/rand.
func GenerateKey() (string, error) {
	var k fernet.Key
	if err := k.Generate(); err != nil {
		return "", fmt.Errorf("codec: generate key: %w", err)
	}
	return k.Encode(), nil
}

// Len returns the number of keys in the ring.
func (r *KeyRing) Len() int { return len(r.keys) }

// String returns a redacted description such as "codec.KeyRing(2 keys, redacted)".
func (r *KeyRing) String() string {
	if r == nil {
		return "codec.KeyRing(nil)"
	}
	if len(r.keys) == 1 {
		return "codec.KeyRing(1 key, redacted)"
	}
	return "codec.KeyRing(" + strconv.Itoa(len(r.keys)) + " keys, redacted)"
}

// GoString is String, so %#v does not print key bytes.
func (r *KeyRing) GoString() string { return r.String() }

// Format makes every fmt verb print the redacted String.
func (r *KeyRing) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(r.String())) }

const (
	// minTokenLen is the base64 length of the smallest Fernet token, 73
	// bytes: version, timestamp, IV, one AES block and the HMAC.
	minTokenLen = (ctOffset + aes.BlockSize + macSize + 2) / 3 * 4
)
