package store

import (
	"context"
	"errors"
	"strconv"

	gocachestore "github.com/eko/gocache/lib/v4/store"

	"github.com/secureredis/secureredis/codec"
)

// DecryptError is the error Get, GetWithTTL, GetMany, GetInto and
// GetWithTTLInto return for an entry that exists but does not decode. It is a
// miss for the application: errors.Is(err, gocachestore.NotFound{}) is true,
// so gocache's caches (chain, loadable) recompute and overwrite the entry,
// and so is errors.Is(err, codec.ErrInvalidToken) (or codec.ErrValueType for
// a typed read whose value does not fit). Unlike a plain miss, its text says
// that the entry exists and does not decrypt, and its Class says coarsely
// why; it never holds the value, the token or key material.
type DecryptError struct {
	Key   string             // the logical key
	Class codec.FailureClass // see codec.FailureClass
	err   error              // the codec's error
}

// Error returns e.g. `store: entry "user:42" exists but does not decrypt
// with any key of the ring (wrong key? tampered?)`.
func (e *DecryptError) Error() string {
	msg := "store: entry " + strconv.QuoteToASCII(e.Key) + " exists but " + e.Class.Describe()
	var ut *codec.UnsupportedTypeError
	if errors.As(e.err, &ut) {
		msg += " " + ut.Type // quoted and clipped by the pickle reader
	}
	return msg
}

// Unwrap returns gocache's NotFound (wrapping the codec's error) and the
// codec's error.
func (e *DecryptError) Unwrap() []error {
	return []error{gocachestore.NotFoundWithCause(e.err), e.err}
}

// WithFailureHook calls fn, with the logical key and the failure's class,
// each time an entry fails to decode (besides the hook of
// WithDecryptFailureHook, if any). fn runs on the caller's goroutine and must
// be safe for concurrent use; it is never given the value or the token.
func WithFailureHook(fn func(ctx context.Context, key string, class codec.FailureClass)) Option {
	return func(s *EncryptingStore) error {
		s.onFailClass = fn
		return nil
	}
}

// DecryptFailuresByClass returns how many entries have failed to decode so
// far, by class (every class of codec.FailureClasses is present). The sum is
// DecryptFailures.
func (s *EncryptingStore) DecryptFailuresByClass() map[codec.FailureClass]uint64 {
	m := make(map[codec.FailureClass]uint64, len(codec.FailureClasses))
	for _, c := range codec.FailureClasses {
		m[c] = s.byClass[int(c)%len(s.byClass)].Load()
	}
	return m
}

// failed counts a decode failure of key, classified by the codec's error
// (codec.ClassOf), calls the hooks, and returns the DecryptError.
func (s *EncryptingStore) failed(ctx context.Context, key string, err error) error {
	class := codec.ClassOf(err)
	s.failures.Add(1)
	s.byClass[int(class)%len(s.byClass)].Add(1)
	if s.onFail != nil {
		s.onFail(ctx, key)
	}
	if s.onFailClass != nil {
		s.onFailClass(ctx, key, class)
	}
	return &DecryptError{Key: key, Class: class, err: err}
}
