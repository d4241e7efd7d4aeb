package codec

import (
	"errors"
	"strconv"
)

// ErrInvalidToken is returned by every decode failure: a token that is not
// base64, was made with a key the ring does not hold, was tampered with or
// truncated, is older than the configured maximum age, was stored under a
// different storage key, or carries an unknown wire format. The causes are
// deliberately not distinguished: telling them apart would help an attacker
// probe the ring.
var ErrInvalidToken = errors.New("codec: invalid token")

// ErrPlaintextInt is returned by Django.Reseal for an integer stored in
// clear (see Django): it is not a token, nothing authenticates it, so
// there is nothing to re-seal. Anyone who can write Redis can plant one.
var ErrPlaintextInt = errors.New("codec: integer stored in clear, not a token")

// ErrInvalidKey is matched (with errors.Is) by every *KeyError.
var ErrInvalidKey = errors.New("codec: invalid secret key")

// ErrUnsupportedValue is returned by Encode for a value the configured
// serializer cannot represent.
var ErrUnsupportedValue = errors.New("codec: unsupported value")

// ErrInvalidKeyScheme is returned by NewKeyScheme for an unusable prefix,
// version or key function.
var ErrInvalidKeyScheme = errors.New("codec: invalid key scheme")

// KeyError reports a secret key that cannot be used. It names the key by its
// position in the ring and never contains key material.
type KeyError struct {
	Index  int    // position of the key in the list given to NewKeyRing
	Reason string // "empty", "not URL-safe base64", "decodes to N bytes, want 32"
}

func (e *KeyError) Error() string {
	return "codec: secret key #" + strconv.Itoa(e.Index) + ": " + e.Reason
}

// Is reports whether target is ErrInvalidKey.
func (e *KeyError) Is(target error) bool { return target == ErrInvalidKey }
