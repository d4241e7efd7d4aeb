package codec

import (
	"bytes"
	"crypto/aes"
	"encoding/base64"
	"errors"
)

// FailureClass tells, coarsely, why a stored entry did not decode: enough
// for an operator to tell a wrong key from tampering or from plaintext left
// by an old deployment, never more (no byte offset, no key material, no
// plaintext). See KeyRing.Classify.
type FailureClass uint8

// The failure classes, in the order FailureClasses lists them.
const (
	// FailureWrongKey is a well-formed Fernet token (version byte 0x80, a
	// sane length) that no key of the ring authenticates: written under
	// another key, or tampered with after it was written (an HMAC cannot
	// tell the two apart). When every entry reads this way, the ring is
	// the wrong one.
	FailureWrongKey FailureClass = iota + 1
	// FailureUndecodable is a token that is malformed (truncated, bad
	// padding or length), or that a key of the ring authenticates but
	// whose content is refused: written under another storage key or
	// binding context, older than the maximum age, an unknown wire format.
	FailureUndecodable
	// FailurePlaintext is not a Fernet token at all: a value written in
	// clear (an old plaintext alias, another application).
	FailurePlaintext
	// FailureValueType is an entry that decrypts but whose value does not
	// fit the Go type asked for (codec.ErrValueType): written with another
	// type or schema.
	FailureValueType
	// FailureUnsupportedType is an entry that decrypts but holds a Python
	// type the pickle reader refuses (codec.ErrUnsupportedType: a
	// namedtuple, any class outside its allow-list).
	FailureUnsupportedType
	numFailureClasses
)

// FailureClasses lists every FailureClass, for iterating over counters.
var FailureClasses = []FailureClass{FailureWrongKey, FailureUndecodable, FailurePlaintext, FailureValueType, FailureUnsupportedType}

// String returns the class's name: "wrong-key", "undecodable", "plaintext",
// "value-type", or "unknown".
func (c FailureClass) String() string {
	switch c {
	case FailureWrongKey:
		return "wrong-key"
	case FailureUndecodable:
		return "undecodable"
	case FailurePlaintext:
		return "plaintext"
	case FailureValueType:
		return "value-type"
	case FailureUnsupportedType:
		return "unsupported-type"
	}
	return "unknown"
}

// Describe returns a short sentence for error messages, saying what the
// class means and nothing about the bytes.
func (c FailureClass) Describe() string {
	switch c {
	case FailureWrongKey:
		return "does not decrypt with any key of the ring (wrong key? tampered?)"
	case FailureUndecodable:
		return "does not decrypt (malformed, expired, or written under another key name or context)"
	case FailurePlaintext:
		return "is not encrypted (plaintext, not a Fernet token)"
	case FailureValueType:
		return "decrypts but does not fit the requested Go type"
	case FailureUnsupportedType:
		return "holds a Python type this package does not read:"
	}
	return "does not decrypt"
}

// Classify tells why data, which failed to decode, failed: FailurePlaintext
// when it is not a Fernet token at all, FailureWrongKey when it is a
// well-formed token no key of the ring authenticates, FailureUndecodable
// otherwise (a malformed token, or one a key authenticates but the codec
// refuses). It runs in time linear in len(data) and keeps nothing.
func (r *KeyRing) Classify(data []byte) FailureClass {
	if r == nil {
		return FailureUndecodable
	}
	if _, _, _, err := r.open(data); err == nil {
		return FailureUndecodable // authenticated, refused after
	}
	return shapeOf(data)
}

// shapeOf classifies data that no key authenticates by its shape alone.
func shapeOf(data []byte) FailureClass {
	// Fernet tokens start with "gAAAAA" (0x80 then the top bytes of a
	// 64-bit timestamp, zero until the year 4000 or so).
	if !bytes.HasPrefix(data, []byte("gAAAAA")) {
		return FailurePlaintext
	}
	bin := make([]byte, base64.URLEncoding.DecodedLen(len(data)))
	n, err := base64.URLEncoding.Decode(bin, data)
	if err != nil || n < ctOffset+aes.BlockSize+macSize || (n-ctOffset-macSize)%aes.BlockSize != 0 {
		return FailureUndecodable
	}
	return FailureWrongKey
}

// classError is the ErrInvalidToken a failed open returns: it prints and
// matches as ErrInvalidToken, and carries the class ClassOf reads.
type classError FailureClass

func (e classError) Error() string        { return ErrInvalidToken.Error() }
func (e classError) Is(target error) bool { return target == ErrInvalidToken }

// ClassOf returns the class of a decode error of this package:
// FailureValueType for ErrValueType, the class recorded when the token did
// not open (FailureWrongKey, FailurePlaintext, FailureUndecodable), and
// FailureUndecodable for any other ErrInvalidToken (a token that opened but
// was refused). It does no work on the data, so a store classifies a
// failure for free.
func ClassOf(err error) FailureClass {
	var ce classError
	switch {
	case errors.Is(err, ErrValueType):
		return FailureValueType
	case errors.Is(err, ErrUnsupportedType):
		return FailureUnsupportedType
	case errors.As(err, &ce):
		return FailureClass(ce)
	}
	return FailureUndecodable
}
