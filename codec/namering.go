package codec

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"sync"
)

// NameSecretLen is the length in bytes of a name secret: 32, the output of
// HKDF-SHA256 and the block-sized half of an HMAC-SHA256 key.
const NameSecretLen = 32

// nameKDFInfo is the HKDF info string DeriveNameRing uses. Changing it
// renames every entry of every hashed-names alias.
const nameKDFInfo = "secureredis key names v1"

// NameRing holds the secrets that name the entries of a hashed-names key
// scheme (WithHashedNames): the first secret names new entries, every secret
// is tried in order when an entry is read, as KeyRing does for values. To
// rotate, put a new secret first, keep the old ones, and run the rotation
// (recovery.Rotate), which renames every entry under the first secret.
//
// A NameRing is immutable and safe for concurrent use. It never prints its
// secrets: String, GoString and every fmt verb give a redacted summary.
type NameRing struct {
	keys  [][]byte
	pools []*sync.Pool // one pool of HMAC-SHA256 states per secret
}

// NewNameRing parses name secrets: URL-safe (or standard) base64, padded or
// not, of at least NameSecretLen random bytes, as GenerateNameSecret makes.
// It returns a *KeyError naming the bad secret by position, or an error
// wrapping ErrInvalidKey when none is given.
func NewNameRing(secrets ...string) (*NameRing, error) {
	if len(secrets) == 0 {
		return nil, fmt.Errorf("%w: no name secrets given", ErrInvalidKey)
	}
	keys := make([][]byte, len(secrets))
	for i, s := range secrets {
		b, err := parseNameSecret(i, s)
		if err != nil {
			return nil, err
		}
		keys[i] = b
	}
	return newNameRing(keys), nil
}

func parseNameSecret(i int, s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, &KeyError{Index: i, Reason: "empty"}
	}
	var b []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.URLEncoding, base64.RawURLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		if b, err = enc.DecodeString(s); err == nil {
			break
		}
	}
	if err != nil {
		return nil, &KeyError{Index: i, Reason: "not base64"}
	}
	if len(b) < NameSecretLen {
		return nil, &KeyError{Index: i, Reason: "decodes to " + strconv.Itoa(len(b)) + " bytes, want at least 32"}
	}
	return b, nil
}

// DeriveNameRing derives one name secret from each key of ring, in order,
// with HKDF-SHA256 (RFC 5869: the 32-byte Fernet key as input keying
// material, no salt, info "secureredis key names v1"). The derived secrets
// are independent of the keys' use for Fernet (a name reveals nothing about
// the key that encrypts), and rotating the Fernet ring rotates the names with
// it: after a new key is put first, recovery.Rotate re-encrypts and renames
// in one run. A separate ring (NewNameRing) lets names and values rotate on
// their own schedules.
func DeriveNameRing(ring *KeyRing) (*NameRing, error) {
	if ring == nil || len(ring.keys) == 0 {
		return nil, fmt.Errorf("%w: no key ring", ErrInvalidKey)
	}
	keys := make([][]byte, len(ring.keys))
	for i, k := range ring.keys {
		b, err := hkdf.Key(sha256.New, k[:], nil, nameKDFInfo, NameSecretLen)
		if err != nil {
			return nil, fmt.Errorf("codec: derive name secret: %w", err)
		}
		keys[i] = b
	}
	return newNameRing(keys), nil
}

func newNameRing(keys [][]byte) *NameRing {
	r := &NameRing{keys: keys, pools: make([]*sync.Pool, len(keys))}
	for i, k := range keys {
		r.pools[i] = &sync.Pool{New: func() any { return &nameMAC{h: hmac.New(sha256.New, k), in: make([]byte, 0, 128)} }}
	}
	return r
}

// GenerateNameSecret returns a new random name secret (32 bytes from
// crypto/rand, URL-safe base64 with padding) in the form NewNameRing accepts.
func GenerateNameSecret() (string, error) {
	b := make([]byte, NameSecretLen)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("codec: generate name secret: %w", err)
	}
	return base64.URLEncoding.EncodeToString(b), nil
}

// Len returns the number of secrets in the ring.
func (r *NameRing) Len() int { return len(r.keys) }

// String returns a redacted description such as "codec.NameRing(2 secrets, redacted)".
func (r *NameRing) String() string {
	if r == nil {
		return "codec.NameRing(nil)"
	}
	if len(r.keys) == 1 {
		return "codec.NameRing(1 secret, redacted)"
	}
	return "codec.NameRing(" + strconv.Itoa(len(r.keys)) + " secrets, redacted)"
}

// GoString is String, so %#v does not print secret bytes.
func (r *NameRing) GoString() string { return r.String() }

// Format makes every fmt verb print the redacted String.
func (r *NameRing) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(r.String())) }

// Domain-separation bytes of the two MACs a name is made of.
const (
	macName byte = 'n' // the whole clear storage key
	macTag  byte = 't' // the prefix and the cluster hash tag
)

// nameMAC is a pooled HMAC-SHA256 state under one secret and the buffers
// its inputs are built in.
type nameMAC struct {
	h   hash.Hash
	in  []byte // macName, then the clear storage key
	tag []byte // macTag's input
	sum [sha256.Size]byte
}

// get returns a state of secret i; put gives it back.
func (r *NameRing) get(i int) *nameMAC { return r.pools[i].Get().(*nameMAC) }

func (r *NameRing) put(i int, m *nameMAC) {
	if cap(m.in) > 4096 {
		m.in = nil
	}
	if cap(m.tag) > 4096 {
		m.tag = nil
	}
	r.pools[i].Put(m)
}

// appendMAC appends the base64url (unpadded) encoding of the first n bytes
// of HMAC-SHA256 of in under m's secret.
func (m *nameMAC) appendMAC(dst, in []byte, n int) []byte {
	m.h.Reset()
	m.h.Write(in)
	return base64.RawURLEncoding.AppendEncode(dst, m.h.Sum(m.sum[:0])[:n])
}

// tagInput builds, in m.tag, the input of a hash tag's MAC:
// macTag || uvarint(len(prefix)) || prefix || tag.
func (m *nameMAC) tagInput(prefix string, tag []byte) []byte {
	in := append(m.tag[:0], macTag)
	in = binary.AppendUvarint(in, uint64(len(prefix)))
	in = append(in, prefix...)
	m.tag = append(in, tag...)
	return m.tag
}
