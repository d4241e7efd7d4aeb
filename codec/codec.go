package codec

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync"
	"time"
)

// Codec turns values into Fernet tokens bound to their storage key, and back.
// It does no I/O. A Codec is immutable and safe for concurrent use.
type Codec struct {
	ring       *KeyRing
	serializer Serializer
	maxAge     time.Duration
	now        func() time.Time
	random     io.Reader   // IVs: crypto/rand unless WithRandom
	context    string      // WithBindingContext; "" for none (envelope.go)
	django     *djangoMode // set by NewDjango: no envelope, pickle (django.go)
}

// Option configures a Codec.
type Option func(*Codec) error

// WithSerializer sets the serializer for values other than string and []byte.
// The default is Msgpack. Entries written with any built-in serializer stay
// readable whatever this is set to.
func WithSerializer(s Serializer) Option {
	return func(c *Codec) error {
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
	}
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

// WithMaxAge makes Decode reject tokens whose Fernet timestamp is older than d
// (or more than a minute in the future), so a stale ciphertext replayed into
// Redis is refused. The default, 0, accepts tokens of any age: set it to at
// least the longest TTL the cache uses, or live entries will read as misses.
// In Django mode it also refuses integers stored in clear (see NewDjango),
// which have no timestamp to check. Reseal keeps a token's timestamp, so the
// maximum age counts from the original write across key rotations.
func WithMaxAge(d time.Duration) Option {
	return func(c *Codec) error {
		if d < 0 {
			return errors.New("codec: negative max age")
		}
		c.maxAge = d
		return nil
	}
}

// WithClock replaces time.Now, for the token timestamp and the max-age check.
func WithClock(now func() time.Time) Option {
	return func(c *Codec) error {
		if now == nil {
			return errors.New("codec: nil clock")
		}
		c.now = now
		return nil
	}
}

// WithRandom replaces crypto/rand as the source of Fernet IVs. It is for
// tests that pin tokens (golden files); never use anything but crypto/rand in
// production.
func WithRandom(r io.Reader) Option {
	return func(c *Codec) error {
		if r == nil {
			return errors.New("codec: nil random source")
		}
		c.random = r
		return nil
	}
}

// New returns a codec that encrypts with the ring's first key and decrypts with
// any of its keys. It fails on a nil ring or an invalid option.
func New(ring *KeyRing, opts ...Option) (*Codec, error) {
	if ring == nil || len(ring.keys) == 0 {
		return nil, fmt.Errorf("%w: no key ring", ErrInvalidKey)
	}
	c := &Codec{ring: ring, serializer: Msgpack{}, now: time.Now, random: rand.Reader}
	for _, opt := range opts {
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Ring returns the codec's key ring.
func (c *Codec) Ring() *KeyRing { return c.ring }

// Serializer returns the serializer used for values other than string and []byte.
func (c *Codec) Serializer() Serializer { return c.serializer }

// plaintextPool holds the buffers plaintexts are built in before encryption.
var plaintextPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// Encode returns the Fernet token (URL-safe base64 bytes) for value stored
// under storageKey. A string or []byte is stored byte for byte and comes back
// with the same type; any other value goes through the serializer. A nil
// value is encoded by the serializer (msgpack nil) and decodes as nil.
// Errors wrap ErrUnsupportedValue.
func (c *Codec) Encode(storageKey string, value any) ([]byte, error) {
	bp := plaintextPool.Get().(*[]byte)
	var p []byte
	var err error
	if c.django != nil {
		p, err = AppendPickle((*bp)[:0], value)
	} else {
		p, err = c.appendEnvelope((*bp)[:0], storageKey, value)
	}
	if err != nil {
		plaintextPool.Put(bp)
		return nil, err
	}
	tok, err := c.ring.seal(p, c.now(), c.random)
	clear(p) // the pooled buffer held plaintext
	if cap(p) <= 1<<20 {
		*bp = p[:0]
		plaintextPool.Put(bp)
	}
	if err != nil {
		return nil, fmt.Errorf("codec: encrypt: %w", err)
	}
	if c.django != nil && c.django.compressor != nil {
		comp := c.django.compressor
		if tok, err = comp.Compress(tok); err != nil {
			return nil, fmt.Errorf("codec: %s: %w", comp.Name(), err)
		}
	}
	return tok, nil
}

// Decode returns the value of a token read from storageKey. Every failure is
// ErrInvalidToken (see its documentation). The token is never modified, so it
// may alias read-only memory.
func (c *Codec) Decode(storageKey string, token []byte) (any, error) {
	d, err := c.DecodeDetail(storageKey, token)
	return d.Value, err
}

// Decoded is the result of DecodeDetail.
type Decoded struct {
	Value    any
	KeyIndex int       // position in the ring of the key that opened the token; 0 is current; -1 for a Django plaintext integer (NewDjango)
	Signed   time.Time // the token's Fernet timestamp, to the second
	Kind     byte      // serializer ID in the format byte (0 []byte, 1 string)
}

// DecodeDetail is Decode, also telling which key opened the token and when it
// was made: what key rotation and audits need.
func (c *Codec) DecodeDetail(storageKey string, token []byte) (Decoded, error) {
	if c.django != nil {
		return c.djangoDecode(token)
	}
	plain, idx, signed, err := c.open(token)
	if err != nil {
		return Decoded{}, err
	}
	kind, payload, ok := c.parseEnvelope(plain, storageKey)
	if !ok {
		return Decoded{}, ErrInvalidToken
	}
	v, err := c.unmarshal(kind, payload)
	if err != nil {
		return Decoded{}, ErrInvalidToken
	}
	return Decoded{Value: v, KeyIndex: idx, Signed: signed, Kind: kind}, nil
}

// open authenticates and decrypts a Fernet token with the ring, and enforces
// the maximum age: the plaintext, the index of the key that opened it and the
// token's timestamp, or ErrInvalidToken.
func (c *Codec) open(token []byte) (plain []byte, keyIndex int, signed time.Time, err error) {
	plain, keyIndex, signed, err = c.ring.open(token)
	if err != nil || !c.fresh(signed) {
		return nil, -1, time.Time{}, ErrInvalidToken
	}
	return plain, keyIndex, signed, nil
}

// fresh reports whether a token signed at signed passes the maximum age: not
// older than it, nor more than maxClockSkew in the future. Without a maximum
// age every timestamp passes.
func (c *Codec) fresh(signed time.Time) bool {
	if c.maxAge <= 0 {
		return true
	}
	now := c.now()
	return now.Sub(signed) <= c.maxAge && signed.Sub(now) <= maxClockSkew
}

// Reseal re-encrypts token, read from storageKey, with the ring's first key:
// the plaintext it decrypts is sealed again byte for byte, under the token's
// own timestamp, with a new IV. This is Python's MultiFernet.rotate, except
// that the original timestamp is kept: the serializer, the value's Go type and
// every byte of the envelope stay as they were written, and so does the age
// WithMaxAge measures. A token's age is the age of the value in it, and a
// rotation is not a fresh write: a token 23 hours old when rotated under a
// 24-hour maximum age expires an hour later, not 24 hours later, so a stale
// ciphertext replayed into Redis just before a rotation does not come out of
// it with a new lease of life.
//
// Reseal accepts exactly the tokens DecodeDetail accepts under storageKey,
// except that it does not unmarshal the payload (so a kind from a serializer
// this codec does not know is re-sealed as it is): the token must open with a
// key of the ring, pass the maximum age, and carry a known wire-format
// version bound to storageKey (and to the binding context, if any). Anything
// else is ErrInvalidToken. keyIndex is the position in the ring of the key
// that opened token; when it is 0 the token was already under the first key,
// and Reseal re-seals it all the same. The token is never modified.
func (c *Codec) Reseal(storageKey string, token []byte) (resealed []byte, keyIndex int, err error) {
	if c.django != nil {
		return c.djangoReseal(token)
	}
	plain, idx, signed, err := c.open(token)
	if err != nil {
		return nil, -1, err
	}
	defer clear(plain)
	if _, _, ok := c.parseEnvelope(plain, storageKey); !ok {
		return nil, -1, ErrInvalidToken
	}
	tok, err := c.ring.seal(plain, signed, c.random)
	if err != nil {
		return nil, -1, fmt.Errorf("codec: encrypt: %w", err)
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
	}
	return nil, ErrInvalidToken
}
