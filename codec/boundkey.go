package codec

import "encoding/binary"

// BoundKey returns the storage key token is bound to (the key it was encoded
// under, see Encode): with a hashed-names KeyScheme, the clear storage key
// "prefix:version:key", from which KeyScheme.CheckName recovers the logical
// key and checks the name the token was read from. It opens the token as
// Decode does (ring, maximum age, wire-format version, binding context) but
// does not unmarshal the payload. Every failure is ErrInvalidToken. The
// token is never modified.
func (c *Codec) BoundKey(token []byte) (string, error) {
	plain, _, _, err := c.open(token)
	if err != nil {
		return "", err
	}
	defer clear(plain)
	key, ok := c.boundKey(plain)
	if !ok {
		return "", ErrInvalidToken
	}
	return key, nil
}

// boundKey reads the storage key of a plaintext envelope, checking its
// format byte and binding context as parseEnvelope does.
func (c *Codec) boundKey(plain []byte) (string, bool) {
	if len(plain) < 2 || plain[0]&1 != flagKeyBound {
		return "", false
	}
	rest := plain[1:]
	var ok bool
	switch plain[0] >> 5 {
	case formatVersion1:
		if c.context != "" {
			return "", false
		}
	case formatVersion2:
		if c.context == "" {
			return "", false
		}
		if rest, ok = cutField(rest, c.context); !ok {
			return "", false
		}
	default:
		return "", false
	}
	n, w := binary.Uvarint(rest)
	if w <= 0 || n > uint64(len(rest)-w) {
		return "", false
	}
	return string(rest[w : w+int(n)]), true
}
