package codec

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// sealer is what the two formats, Codec and Django, share: the key ring, the
// maximum age, the clock and the source of IVs. Each format is its own type
// around it, as crypto/cipher has one type per mode around a Block.
type sealer struct {
	ring   *KeyRing
	maxAge time.Duration
	now    func() time.Time
	random io.Reader // IVs: crypto/rand unless WithRandom
}

func newSealer(ring *KeyRing) (sealer, error) {
	if ring == nil || len(ring.keys) == 0 {
		return sealer{}, fmt.Errorf("%w: no key ring", ErrInvalidKey)
	}
	return sealer{ring: ring, now: time.Now, random: rand.Reader}, nil
}

// open authenticates and decrypts a Fernet token with the ring, and enforces
// the maximum age: the plaintext, the index of the key that opened it and the
// token's timestamp, or ErrInvalidToken.
func (s *sealer) open(token []byte) (plain []byte, keyIndex int, signed time.Time, err error) {
	plain, keyIndex, signed, err = s.ring.open(token)
	if err != nil {
		return nil, -1, time.Time{}, classError(shapeOf(token)) // classify.go
	}
	if !s.fresh(signed) {
		return nil, -1, time.Time{}, classError(FailureUndecodable)
	}
	return plain, keyIndex, signed, nil
}

// openString is open for a token held in a string (KeyRing.openString).
func (s *sealer) openString(token string) (plain []byte, keyIndex int, signed time.Time, err error) {
	plain, keyIndex, signed, err = s.ring.openString(token)
	if err != nil {
		return nil, -1, time.Time{}, classError(shapeOf([]byte(token))) // a failure: the copy does not matter
	}
	if !s.fresh(signed) {
		return nil, -1, time.Time{}, classError(FailureUndecodable)
	}
	return plain, keyIndex, signed, nil
}

// fresh reports whether a token signed at signed passes the maximum age: not
// older than it, nor more than maxClockSkew in the future. Without a maximum
// age every timestamp passes.
func (s *sealer) fresh(signed time.Time) bool {
	if s.maxAge <= 0 {
		return true
	}
	now := s.now()
	return now.Sub(signed) <= s.maxAge && signed.Sub(now) <= maxClockSkew
}

// plaintextPool holds the buffers plaintexts are built in before encryption.
var plaintextPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// sealPooled appends to dst the token of p, built in the pooled buffer bp (or
// returns err, the building error), made at the current time, then wipes p
// and returns bp to the pool. A nil dst gets a token of its own.
func (s *sealer) sealPooled(dst []byte, bp *[]byte, p []byte, err error) ([]byte, error) {
	if err != nil {
		plaintextPool.Put(bp)
		return nil, err
	}
	tok, err := s.ring.appendSeal(dst, p, s.now(), s.random)
	clear(p) // the pooled buffer held plaintext
	if cap(p) <= 1<<20 {
		*bp = p[:0]
		plaintextPool.Put(bp)
	}
	if err != nil {
		return nil, fmt.Errorf("codec: encrypt: %w", err)
	}
	return tok, nil
}

// reseal encrypts plain again with the first key, at the time signed.
func (s *sealer) reseal(plain []byte, signed time.Time) ([]byte, error) {
	tok, err := s.ring.appendSeal(nil, plain, signed, s.random)
	if err != nil {
		return nil, fmt.Errorf("codec: encrypt: %w", err)
	}
	return tok, nil
}

// SharedOption is an option both New and NewDjango accept: WithMaxAge,
// WithClock and WithRandom. It is an Option and a DjangoOption.
type SharedOption struct {
	apply func(*sealer) error
}

func (o SharedOption) applyCodec(c *Codec) error   { return o.applyTo(&c.sealer) }
func (o SharedOption) applyDjango(d *Django) error { return o.applyTo(&d.sealer) }

func (o SharedOption) applyTo(s *sealer) error {
	if o.apply == nil {
		return errors.New("codec: zero SharedOption")
	}
	return o.apply(s)
}

// WithMaxAge makes Decode reject tokens whose Fernet timestamp is older than d
// (or more than a minute in the future), so a stale ciphertext replayed into
// Redis is refused. The default, 0, accepts tokens of any age: set it to at
// least the longest TTL the cache uses, or live entries will read as misses.
// A Django codec also refuses integers stored in clear (see Django),
// which have no timestamp to check. Reseal keeps a token's timestamp, so the
// maximum age counts from the original write across key rotations. A
// negative d is an error.
func WithMaxAge(d time.Duration) SharedOption {
	return SharedOption{func(s *sealer) error {
		if d < 0 {
			return errors.New("codec: negative max age")
		}
		s.maxAge = d
		return nil
	}}
}

// WithClock replaces time.Now, for the token timestamp and the max-age check.
func WithClock(now func() time.Time) SharedOption {
	return SharedOption{func(s *sealer) error {
		if now == nil {
			return errors.New("codec: nil clock")
		}
		s.now = now
		return nil
	}}
}

// WithRandom replaces crypto/rand as the source of Fernet IVs. It is for
// tests that pin tokens (golden files); never use anything but crypto/rand in
// production.
func WithRandom(r io.Reader) SharedOption {
	return SharedOption{func(s *sealer) error {
		if r == nil {
			return errors.New("codec: nil random source")
		}
		s.random = r
		return nil
	}}
}
