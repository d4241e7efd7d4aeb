package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/redis/go-redis/v9"
)

// Fallback supplies values for keys the store does not hold yet, during an
// online migration from an old (plaintext) alias. recovery.NewFallback is the
// implementation for a Redis alias.
type Fallback interface {
	// Fetch returns the value of the logical key in the old alias and its
	// remaining time to live (NoExpiration for a persistent entry); found is
	// false when the old alias has no such entry.
	Fetch(ctx context.Context, key string) (value any, ttl time.Duration, found bool, err error)
}

// ErrFallbackDeadline is returned by WithFallback for the zero until: the
// fallback must end at an explicit deadline (or, knowingly, never:
// WithFallbackForever).
var ErrFallbackDeadline = errors.New("store: the fallback needs a deadline (until); WithFallbackForever keeps it on with none")

// WithFallback turns on read-through migration (NewRedis stores only): on a
// miss, Get, GetWithTTL and GetMany ask fb, store its value encrypted with
// the old entry's remaining TTL, never over a value written meanwhile, and
// return it. The fallback is inert from until on; the zero time is
// ErrFallbackDeadline. Keep it short: while it is on, whoever can write the
// old alias can inject values the store serves as genuine (see Read-through
// migration in the package documentation). A nil fb is an error, and so is a
// store built with New (gocache's store.ErrNotSupported).
func WithFallback(fb Fallback, until time.Time) Option {
	return func(s *EncryptingStore) error {
		if until.IsZero() {
			return ErrFallbackDeadline
		}
		return s.setFallback(fb, until, false)
	}
}

// WithFallbackForever is WithFallback with no deadline: the fallback stays on
// until the option is removed from the code. Prefer WithFallback with a
// deadline: a forgotten fallback keeps the downgrade open for good.
func WithFallbackForever(fb Fallback) Option {
	return func(s *EncryptingStore) error {
		return s.setFallback(fb, time.Time{}, true)
	}
}

func (s *EncryptingStore) setFallback(fb Fallback, until time.Time, forever bool) error {
	if fb == nil {
		return errors.New("store: nil fallback")
	}
	if s.client == nil {
		return fmt.Errorf("%w: fallback needs a store built with NewRedis", gocachestore.ErrNotSupported)
	}
	s.fallback, s.until, s.fallbackForever = fb, until, forever
	return nil
}

func (s *EncryptingStore) fallbackActive() bool {
	return s.fallback != nil && (s.fallbackForever || s.now().Before(s.until))
}

// fetchFallback serves a miss from the fallback and promotes the value.
// With into (GetInto), the value is decoded into it from the token written.
func (s *EncryptingStore) fetchFallback(ctx context.Context, key, storageKey string, into any) (any, time.Duration, error) {
	v, ttl, found, err := s.fallback.Fetch(ctx, key)
	if err != nil {
		return nil, 0, fmt.Errorf("store: fallback: %w", err)
	}
	if !found || v == nil {
		return nil, 0, gocachestore.NotFoundWithCause(redis.Nil)
	}
	if ttl < 0 {
		ttl = NoExpiration
	}
	s.reads.fallback.Add(1)
	tok, err := s.codec.Encode(s.bound(key, storageKey), v)
	if err != nil {
		return nil, 0, fmt.Errorf("store: fallback: %w", err)
	}
	written, err := s.client.SetNX(ctx, storageKey, tok, ttl).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("store: fallback: %w", err)
	}
	if !written {
		// The application wrote the key meanwhile: its value wins.
		tok, err := s.client.Get(ctx, storageKey).Bytes()
		if err != nil {
			if errors.Is(err, redis.Nil) {
				return nil, 0, gocachestore.NotFoundWithCause(err)
			}
			return nil, 0, err
		}
		v, err := s.decode(ctx, key, s.bound(key, storageKey), tok, into)
		return v, 0, err
	}
	if into != nil {
		_, err := s.decode(ctx, key, s.bound(key, storageKey), tok, into)
		return nil, ttl, err
	}
	return v, ttl, nil
}
