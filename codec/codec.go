package codec

import (
	"errors"
	"fmt"
	"reflect"
	"time"
)

// Codec turns values into Fernet tokens bound to their storage key (and to
// an optional binding context), and back: the native format, in a versioned
// envelope (see the package documentation). Django is the other format. A
// Codec does no I/O, is immutable and is safe for concurrent use.
type Codec struct {
	sealer
	serializer Serializer
	context    string // WithBindingContext; "" for none (envelope.go)
}

// Option configures a Codec (New): WithSerializer and WithBindingContext, and
// the SharedOptions WithMaxAge, WithClock and WithRandom. A nil Option is
// ignored.
type Option interface {
	applyCodec(*Codec) error
}

// codecOption is an Option that applies to Codec only.
type codecOption func(*Codec) error

func (o codecOption) applyCodec(c *Codec) error { return o(c) }

// WithSerializer sets the serializer for values other than string and []byte.
// The default is Msgpack. Entries written with any built-in serializer stay
// readable whatever this is set to. A nil serializer, or an ID out of range or
// reserved (0 to 7, but for this package's own), is an error.
func WithSerializer(s Serializer) Option {
	return codecOption(func(c *Codec) error {
		if s == nil || isNilPointer(s) {
			return errors.New("codec: nil serializer")
		}
		switch id := s.ID(); {
		case id > maxID:
			return fmt.Errorf("codec: serializer %q: id %d out of range", s.Name(), id)
		case id < minUserID && !isBuiltin(s):
			return fmt.Errorf("codec: serializer %q: id %d is reserved, use 8 to 15", s.Name(), id)
		}
		c.serializer = s
		return nil
	})
}

// isBuiltin reports whether s is one of this package's serializers, the only
// ones allowed the reserved IDs 2 to 4.
func isBuiltin(s Serializer) bool {
	switch s.(type) {
	case Msgpack, *Msgpack, JSON, *JSON, Pickle, *Pickle:
		return true
	}
	return false
}

func isNilPointer(v any) bool {
	r := reflect.ValueOf(v)
	return r.Kind() == reflect.Pointer && r.IsNil()
}

// New returns a codec that encrypts with the ring's first key and decrypts with
// any of its keys. It fails on a nil ring or an invalid option.
func New(ring *KeyRing, opts ...Option) (*Codec, error) {
	s, err := newSealer(ring)
	if err != nil {
		return nil, err
	}
	c := &Codec{sealer: s, serializer: Msgpack{}}
	for _, opt := range opts {
		if opt == nil || isNilPointer(opt) {
			continue
		}
		if err := opt.applyCodec(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Ring returns the codec's key ring.
func (c *Codec) Ring() *KeyRing { return c.ring }

// Serializer returns the serializer used for values other than string and []byte.
func (c *Codec) Serializer() Serializer { return c.serializer }

// Encode returns the Fernet token (URL-safe base64 bytes) for value stored
// under storageKey. A string or []byte is stored byte for byte and comes back
// with the same type; any other value goes through the serializer. A nil
// value is encoded by the serializer (msgpack nil) and decodes as nil.
// Errors wrap ErrUnsupportedValue.
func (c *Codec) Encode(storageKey string, value any) ([]byte, error) {
	return c.AppendEncode(nil, storageKey, value)
}

// AppendEncode is Encode appending the token to dst (growing it if it is too
// small) and returning the extended slice, so that a caller can write tokens
// into a buffer it reuses: store.EncryptingStore does, for a Set. On error
// it returns nil.
func (c *Codec) AppendEncode(dst []byte, storageKey string, value any) ([]byte, error) {
	bp := plaintextPool.Get().(*[]byte)
	p, err := c.appendEnvelope((*bp)[:0], storageKey, value)
	return c.sealPooled(dst, bp, p, err)
}

// Decode returns the value of a token read from storageKey. Every failure is
// ErrInvalidToken (see its documentation), except a pickle payload that
// decrypts but holds a Python type outside package pickle's allow-list: an
// *UnsupportedTypeError (ErrUnsupportedType). The token is never modified, so it
// may alias read-only memory.
func (c *Codec) Decode(storageKey string, token []byte) (any, error) {
	d, err := c.DecodeDetail(storageKey, token)
	return d.Value, err
}

// Decoded is the result of DecodeDetail.
type Decoded struct {
	Value    any
	KeyIndex int       // position in the ring of the key that opened the token; 0 is current; -1 for a Django plaintext integer
	Signed   time.Time // the token's Fernet timestamp, to the second
	Kind     byte      // serializer ID in the format byte (0 []byte, 1 string)
}

// DecodeDetail is Decode, also telling which key opened the token and when it
// was made: what key rotation and audits need. With an
// *UnsupportedTypeError it still tells the key and time (Value is nil).
func (c *Codec) DecodeDetail(storageKey string, token []byte) (Decoded, error) {
	plain, idx, signed, err := c.open(token)
	return c.decoded(storageKey, plain, idx, signed, err)
}

// DecodeString is Decode for a token held in a string, as go-redis returns
// replies: the token is decoded from the string itself, with no copy. It
// accepts and returns what Decode does.
func (c *Codec) DecodeString(storageKey, token string) (any, error) {
	plain, idx, signed, err := c.openString(token)
	d, err := c.decoded(storageKey, plain, idx, signed, err)
	return d.Value, err
}

// decoded is DecodeDetail after the token is opened.
func (c *Codec) decoded(storageKey string, plain []byte, idx int, signed time.Time, err error) (Decoded, error) {
	if err != nil {
		return Decoded{}, err
	}
	kind, payload, ok := c.parseEnvelope(plain, storageKey)
	if !ok {
		return Decoded{}, ErrInvalidToken
	}
	v, err := c.unmarshal(kind, payload)
	if err != nil {
		return Decoded{KeyIndex: idx, Signed: signed, Kind: kind}, decodeFailure(err)
	}
	return Decoded{Value: v, KeyIndex: idx, Signed: signed, Kind: kind}, nil
}

// Reseal re-encrypts token, read from storageKey, with the ring's first key
// and a new IV, keeping its plaintext byte for byte and its timestamp, so a
// rotation does not extend the age WithMaxAge measures (see Key rotation in
// the package documentation). It accepts exactly the tokens DecodeDetail
// accepts under storageKey, without unmarshaling the payload; anything else
// is ErrInvalidToken. keyIndex is the ring position of the key that opened
// token (0: already under the first key, and re-sealed all the same). The
// token is never modified.
func (c *Codec) Reseal(storageKey string, token []byte) (resealed []byte, keyIndex int, err error) {
	plain, idx, signed, err := c.open(token)
	if err != nil {
		return nil, -1, err
	}
	defer clear(plain)
	if _, _, ok := c.parseEnvelope(plain, storageKey); !ok {
		return nil, -1, ErrInvalidToken
	}
	tok, err := c.reseal(plain, signed)
	if err != nil {
		return nil, -1, err
	}
	return tok, idx, nil
}

func (c *Codec) unmarshal(kind byte, payload []byte) (any, error) {
	switch kind {
	case idBytes:
		return payload, nil
	case idString:
		return string(payload), nil
	case c.serializer.ID():
		return c.serializer.Unmarshal(payload)
	case IDMsgpack:
		return Msgpack{}.Unmarshal(payload)
	case IDJSON:
		return JSON{}.Unmarshal(payload)
	case IDPickle:
		return Pickle{}.Unmarshal(payload)
	case idZoned:
		return c.unmarshalZoned(payload) // typed.go
	}
	return nil, ErrInvalidToken
}
