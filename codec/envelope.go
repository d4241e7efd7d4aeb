package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Wire format constants; see the package documentation.
const (
	formatVersion1 byte = 1 // storage key only
	formatVersion2 byte = 2 // binding context, then storage key
	flagKeyBound   byte = 1

	// MaxBindingContextLen is the longest binding context, in bytes, that
	// WithBindingContext accepts.
	MaxBindingContextLen = 255

	// maxClockSkew is how far in the future a token's timestamp may be when a
	// maximum age is set, as in the Fernet specification.
	maxClockSkew = 60 * time.Second
)

func formatByte(version, kind, flags byte) byte { return version<<5 | kind<<1 | flags }

// WithBindingContext binds every token the codec writes to ctx, an
// environment, deployment or tenant name such as "production", as well as to
// its storage key (wire format version 2): a token decodes only under a codec
// with the same context, so deployments sharing secret keys and key names
// never accept each other's tokens. The default, "", is no context. Turning a
// context on or changing it makes every existing entry read as a miss
// (ErrInvalidToken). ctx is compared byte for byte, is at most
// MaxBindingContextLen bytes long, and is not secret.
func WithBindingContext(ctx string) Option {
	return codecOption(func(c *Codec) error {
		if len(ctx) > MaxBindingContextLen {
			return fmt.Errorf("codec: binding context of %d bytes, at most %d", len(ctx), MaxBindingContextLen)
		}
		c.context = ctx
		return nil
	})
}

func (c *Codec) appendEnvelope(dst []byte, storageKey string, value any) ([]byte, error) {
	var kind byte
	var payload []byte
	switch v := value.(type) {
	case string:
		kind = idString
		dst = c.appendHeader(dst, kind, storageKey, len(v))
		return append(dst, v...), nil
	case []byte:
		kind = idBytes
		dst = c.appendHeader(dst, kind, storageKey, len(v))
		return append(dst, v...), nil
	default:
		b, err := c.serializer.Marshal(value)
		if err != nil {
			if !errors.Is(err, ErrUnsupportedValue) { // a custom serializer's own error
				err = fmt.Errorf("%w: %s: %w", ErrUnsupportedValue, c.serializer.Name(), err)
			}
			return nil, err
		}
		kind, payload = c.serializer.ID(), b
	}
	dst = c.appendHeader(dst, kind, storageKey, len(payload))
	return append(dst, payload...), nil
}

// appendHeader appends the format byte, the binding context if the codec has
// one (version 2) and the storage key, in a buffer large enough for the
// payload too.
func (c *Codec) appendHeader(dst []byte, kind byte, storageKey string, payloadLen int) []byte {
	need := 1 + binary.MaxVarintLen64 + len(storageKey) + payloadLen
	if c.context != "" {
		need += binary.MaxVarintLen64 + len(c.context)
	}
	if cap(dst)-len(dst) < need {
		dst = append(make([]byte, 0, len(dst)+need), dst...)
	}
	if c.context == "" {
		dst = append(dst, formatByte(formatVersion1, kind, flagKeyBound))
	} else {
		dst = append(dst, formatByte(formatVersion2, kind, flagKeyBound))
		dst = binary.AppendUvarint(dst, uint64(len(c.context)))
		dst = append(dst, c.context...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(storageKey)))
	return append(dst, storageKey...)
}

// parseEnvelope checks the format byte, the binding context and the storage
// key, and returns the serializer ID and the payload. A version 1 envelope
// matches only a codec without a context, a version 2 one only the codec's
// own non-empty context.
func (c *Codec) parseEnvelope(plain []byte, storageKey string) (kind byte, payload []byte, ok bool) {
	if len(plain) < 2 {
		return 0, nil, false
	}
	f := plain[0]
	if f&1 != flagKeyBound {
		return 0, nil, false
	}
	rest := plain[1:]
	switch f >> 5 {
	case formatVersion1:
		if c.context != "" {
			return 0, nil, false
		}
	case formatVersion2:
		if c.context == "" {
			return 0, nil, false
		}
		if rest, ok = cutField(rest, c.context); !ok {
			return 0, nil, false
		}
	default:
		return 0, nil, false
	}
	if rest, ok = cutField(rest, storageKey); !ok {
		return 0, nil, false
	}
	return f >> 1 & 0x0f, rest, true
}

// cutField reads a uvarint length and that many bytes from the start of b,
// and returns what follows if those bytes are want.
func cutField(b []byte, want string) (rest []byte, ok bool) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n != uint64(len(want)) {
		return nil, false
	}
	b = b[w:]
	if uint64(len(b)) < n || string(b[:n]) != want {
		return nil, false
	}
	return b[n:], true
}
