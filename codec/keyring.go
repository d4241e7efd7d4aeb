package codec

import (
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
	ring := &KeyRing{keys: make([]*fernet.Key, len(keys))}
	for i, s := range keys {
		k, err := parseKey(i, s)
		if err != nil {
			return nil, err
		}
		ring.keys[i] = k
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

// open verifies and decrypts a Fernet token with each key in turn and returns
// the plaintext (in a buffer the caller owns) and the index of the key that
// opened it. The token itself is never written to.
func (r *KeyRing) open(token []byte) ([]byte, int, error) {
	if len(token) < minTokenLen || !validBase64(token) {
		return nil, -1, ErrInvalidToken
	}
	for i := range r.keys {
		if msg := fernet.VerifyAndDecrypt(token, 0, r.keys[i:i+1]); msg != nil {
			// fernet-go also unpads a pad byte of 0 or over 16, which PKCS#7
			// and Python's Fernet reject: the ciphertext must be the
			// plaintext padded by 1 to 16 bytes.
			if ct := binaryLen(token) - tokenOverhead; ct != (len(msg)/aesBlock+1)*aesBlock {
				return nil, -1, ErrInvalidToken
			}
			return msg, i, nil
		}
	}
	return nil, -1, ErrInvalidToken
}

const (
	aesBlock      = 16
	tokenOverhead = 1 + 8 + aesBlock + 32 // version, timestamp, IV, HMAC-SHA256

	// minTokenLen is the base64 length of the smallest Fernet token, 73
	// bytes: the overhead and one AES block. fernet-go panics on a shorter
	// token whose HMAC verifies, so such tokens never reach it.
	minTokenLen = (tokenOverhead + aesBlock + 2) / 3 * 4
)

// binaryLen is the decoded length of a token validBase64 accepted.
func binaryLen(tok []byte) int {
	n := len(tok) / 4 * 3
	for i := len(tok) - 1; i >= 0 && tok[i] == '='; i-- {
		n--
	}
	return n
}

// base64URL maps the bytes of the URL-safe base64 alphabet to their 6-bit
// values and every other byte to 0xff.
var base64URL = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") {
		t[c] = byte(i)
	}
	return t
}()

// validBase64 reports whether tok is canonical padded URL-safe base64, the
// only form a Fernet token takes. fernet-go decodes leniently (it ignores
// trailing garbage, line breaks and the unused low bits of the last
// character), so tokens are checked strictly first: otherwise several
// spellings of one token would all decode.
func validBase64(tok []byte) bool {
	if len(tok) == 0 || len(tok)%4 != 0 {
		return false
	}
	body, unused := tok, byte(0)
	switch {
	case tok[len(tok)-2] == '=' && tok[len(tok)-1] == '=':
		body, unused = tok[:len(tok)-2], 0x0f
	case tok[len(tok)-1] == '=':
		body, unused = tok[:len(tok)-1], 0x03
	}
	var bad byte
	for _, c := range body {
		bad |= base64URL[c]
	}
	return bad&0xc0 == 0 && base64URL[body[len(body)-1]]&unused == 0
}
