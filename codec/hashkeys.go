package codec

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Sizes of the two MACs in a hashed name, in bytes before base64url.
const (
	nameMACLen = 16 // 128 bits: 22 characters
	tagMACLen  = 12 // 96 bits: 16 characters, between braces
)

// Their lengths in base64url characters.
const (
	nameMACChars = (nameMACLen*8 + 5) / 6
	tagMACChars  = (tagMACLen*8 + 5) / 6
)

// WithHashedNames makes the scheme name each entry
// "prefix:version:<MAC>" instead of "prefix:version:key": MAC is
// HMAC-SHA256, under the ring's first secret, of the byte 'n' followed by
// the clear storage key (what the scheme makes without this option,
// "prefix:version:key"), truncated to 128 bits and written in unpadded
// base64url (22 characters). A clear key of up to 54 bytes costs two
// SHA-256 blocks.
// The prefix and version stay in clear, so Pattern, Owns, Clear and prefix
// overlap checks work as before; the logical key does not appear in Redis.
//
// A logical key holding a Redis cluster hash tag ("user:{42}:cart") keeps
// its entries together in one slot: the tag is replaced by a 96-bit MAC of
// the prefix and the tag (of 't', the prefix's length as a uvarint, the
// prefix and the tag), between braces,
// "prefix:version:{<tag MAC>}<MAC>", so every key with the tag "42" shares
// a slot as it did with clear names (and whoever reads Redis sees which
// entries share a tag, never the tag). A tag inside the prefix itself stays
// as it is.
//
// The logical key is not recoverable from the name: it travels inside the
// entry's Fernet token, where the codec binds every token to the clear
// storage key (BindingKey says which). Codec.BoundKey reads it back from a
// token and CheckName checks that the name really is that key's, so scans
// recover logical keys by decrypting and a token moved to another hashed
// name is rejected there. Parse returns false for every hashed name.
//
// Key and KeyVersion use the ring's first secret; KeyAt gives the names
// under the others, which a reader tries in turn until the rotation has
// renamed every entry. A nil or empty ring fails NewKeyScheme.
func WithHashedNames(ring *NameRing) KeySchemeOption {
	return func(s *KeyScheme) error {
		if ring == nil {
			ring = &NameRing{}
		}
		s.names = ring
		return nil
	}
}

// checkNames validates the hashed-names setting, if any.
func (s *KeyScheme) checkNames() error {
	if s.names != nil && s.names.Len() == 0 {
		return fmt.Errorf("%w: hashed names need a name ring with at least one secret", ErrInvalidKeyScheme)
	}
	return nil
}

// Hashed reports whether the scheme names entries by keyed hash
// (WithHashedNames).
func (s *KeyScheme) Hashed() bool { return s.names != nil }

// NameRing returns the ring of a hashed-names scheme, nil otherwise.
func (s *KeyScheme) NameRing() *NameRing { return s.names }

// Secrets returns how many names an entry may have: the name ring's length
// with hashed names, 1 otherwise.
func (s *KeyScheme) Secrets() int {
	if s.names == nil {
		return 1
	}
	return s.names.Len()
}

// KeyAt returns the storage key of key at version under the name ring's
// secret i (0 is KeyVersion's). With clear names it is KeyVersion for
// i == 0. It panics for i outside [0, Secrets()).
func (s *KeyScheme) KeyAt(key string, version, i int) string {
	if s.names == nil {
		if i != 0 {
			panic("codec: KeyAt: no such secret")
		}
		return s.clearKey(key, version)
	}
	name, _ := s.hashName(key, version, i, false)
	return name
}

// BindingKey returns the string a codec binds the token of key, stored
// under storageKey (one of this scheme's keys for key), to: storageKey
// itself with clear names; with hashed names the clear storage key
// ("prefix:version:key", at the version storageKey names). Passing it to
// Codec.Encode and Codec.Decode is what puts the logical key inside the
// token and rejects a token moved to another name.
func (s *KeyScheme) BindingKey(storageKey, key string) string {
	if s.names == nil {
		return storageKey
	}
	return s.clearKey(key, s.versionOf(storageKey))
}

// versionOf returns the version a hashed name of this scheme carries, the
// default version for anything else; it does not check the MAC's shape
// (what BindingKey needs on the hot path: the name is the store's own).
func (s *KeyScheme) versionOf(name string) int {
	rest, ok := strings.CutPrefix(name, s.prefix+":")
	if !ok {
		return s.version
	}
	v := 0
	for i := 0; i < len(rest) && i <= 10; i++ {
		c := rest[i]
		switch {
		case c == ':' && i > 0:
			return v
		case c < '0' || c > '9':
			return s.version
		}
		v = v*10 + int(c-'0')
	}
	return s.version
}

// KeyBinding returns Key(key) and the key its tokens are bound to
// (BindingKey's result) together, building the clear storage key once; with
// clear names both are the same string.
func (s *KeyScheme) KeyBinding(key string) (storageKey, binding string) {
	if s.names == nil {
		bound := s.clearKey(key, s.version)
		return bound, bound
	}
	return s.hashName(key, s.version, 0, true)
}

// BindingKeyVersion is BindingKey for key at version: the clear storage key
// "prefix:version:key", whichever naming the scheme uses.
func (s *KeyScheme) BindingKeyVersion(key string, version int) string {
	return s.clearKey(key, version)
}

// CheckName reports whether storageKey is the name of the entry whose token
// is bound to bound (as Codec.BoundKey returns it) under one of the ring's
// secrets, and returns its logical key, version and the secret's position in
// the ring. It is the relocation check of a scan: a token copied from
// another name fails it. With clear names it checks storageKey == bound and
// parses it. It never panics, whatever the two strings hold.
func (s *KeyScheme) CheckName(storageKey, bound string) (key string, version, secret int, ok bool) {
	key, version, ok = s.reverse(bound, s.prefix)
	if !ok {
		return "", 0, 0, false
	}
	if s.names == nil {
		if storageKey != bound {
			return "", 0, 0, false
		}
		return key, version, 0, true
	}
	if nv, ok := s.nameVersion(storageKey); !ok || nv != version {
		return "", 0, 0, false
	}
	for i := range s.names.Len() {
		if s.nameAt(bound, version, i) == storageKey {
			return key, version, i, true
		}
	}
	return "", 0, 0, false
}

// hashName returns the hashed name of key at version under secret i and,
// with withBound, the clear storage key its tokens are bound to; the two
// share one allocation. With Django's key function the clear key is built
// in the MAC's pooled buffer, not as a string of its own.
func (s *KeyScheme) hashName(key string, version, i int, withBound bool) (name, bound string) {
	m := s.names.get(i)
	defer s.names.put(i, m)
	in := append(m.in[:0], macName)
	switch {
	case s.customMake:
		in = append(in, s.make(key, s.prefix, version)...)
	case version == s.version:
		in = append(in, s.head...)
		in = append(in, key...)
	default:
		in = append(in, s.prefix...)
		in = append(in, ':')
		in = strconv.AppendInt(in, int64(version), 10)
		in = append(in, ':')
		in = append(in, key...)
	}
	m.in = in
	return s.nameOf(m, version, withBound)
}

// nameAt returns the hashed name of the clear storage key bound, at version,
// under secret i.
func (s *KeyScheme) nameAt(bound string, version, i int) string {
	m := s.names.get(i)
	defer s.names.put(i, m)
	m.in = append(append(m.in[:0], macName), bound...)
	name, _ := s.nameOf(m, version, false)
	return name
}

// nameOf returns the name of the clear storage key m.in holds after its
// domain byte, at version, under m's secret, followed in the same string
// by that clear key when withBound.
func (s *KeyScheme) nameOf(m *nameMAC, version int, withBound bool) (name, bound string) {
	clear := m.in[1:]
	var vbuf [20]byte
	v := strconv.AppendInt(vbuf[:0], int64(version), 10)
	var enc [tagMACChars + 2 + nameMACChars]byte
	e := enc[:0]
	if tag, ok := s.hashTag(clear); ok {
		e = append(e, '{')
		e = m.appendMAC(e, m.tagInput(s.prefix, tag), tagMACLen)
		e = append(e, '}')
	}
	e = m.appendMAC(e, m.in, nameMACLen)
	n := len(s.prefix) + 1 + len(v) + 1 + len(e)
	size := n
	if withBound {
		size += len(clear)
	}
	var b strings.Builder
	b.Grow(size)
	b.WriteString(s.prefix)
	b.WriteByte(':')
	b.Write(v)
	b.WriteByte(':')
	b.Write(e)
	if withBound {
		b.Write(clear)
	}
	str := b.String()
	return str[:n], str[n:]
}

// hashTag returns the Redis cluster hash tag of the clear key bound (the
// content of its first "{...}", non-empty) when it does not lie wholly
// inside the prefix (which keeps it in clear in the name), so that it must
// be hashed.
func (s *KeyScheme) hashTag(bound []byte) ([]byte, bool) {
	open := bytes.IndexByte(bound, '{')
	if open < 0 {
		return nil, false
	}
	end := bytes.IndexByte(bound[open+1:], '}')
	if end <= 0 {
		return nil, false
	}
	end += open + 1
	if end < len(s.prefix) {
		return nil, false // "{...}" inside the prefix: the name keeps it
	}
	return bound[open+1 : end], true
}

// nameVersion parses a hashed name: "prefix:", a canonical decimal version,
// ":", an optional "{<16 base64url>}" and 22 base64url characters.
func (s *KeyScheme) nameVersion(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, s.prefix+":")
	if !ok {
		return 0, false
	}
	v, mac, ok := strings.Cut(rest, ":")
	if !ok || v == "" || len(v) > 10 {
		return 0, false
	}
	version, err := strconv.Atoi(v)
	if err != nil || strconv.Itoa(version) != v {
		return 0, false
	}
	if len(mac) == tagMACChars+2+nameMACChars {
		if mac[0] != '{' || mac[tagMACChars+1] != '}' || !isB64URL(mac[1:tagMACChars+1]) {
			return 0, false
		}
		mac = mac[tagMACChars+2:]
	}
	if len(mac) != nameMACChars || !isB64URL(mac) {
		return 0, false
	}
	return version, true
}

func isB64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
