package store

import (
	"math"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/redis/go-redis/v9"
)

// Expiry, the same for both constructors:
//
//   - a write's expiration is gocache's store.WithExpiration when the call
//     gives one (NoExpiration: persistent), else the store's default;
//   - the store's default is WithDefaultExpiration's when given; otherwise,
//     with NewRedis, no expiry, and with New, the inner store's own default
//     (for gocache's Redis store, the store.WithExpiration given to
//     redis.NewRedis), which the store leaves to the inner store by passing
//     it no expiration;
//   - GetWithTTL returns NoExpiration (0) for a persistent entry, never a
//     negative duration.

// NoExpiration passed to WithDefaultExpiration or gocache's
// store.WithExpiration makes an entry persistent (Django's TIMEOUT=None).
// With New, it is passed to the inner store as store.WithExpiration(0),
// which gocache's Redis store reads as persistent (gocache's in-memory
// stores read 0 as their own default).
const NoExpiration time.Duration = 0

// unsetExpiration marks an expiration nobody chose: neither the call nor
// WithDefaultExpiration. It is negative, so it can never be a valid one.
const unsetExpiration time.Duration = math.MinInt64

// WithDefaultExpiration sets the expiration of entries written without
// gocache's store.WithExpiration, like Django's TIMEOUT. Without it, entries
// of a NewRedis store never expire and entries of a New store get the inner
// store's default. A per-call store.WithExpiration(NoExpiration) makes that
// entry persistent whatever the default. A negative d is
// ErrInvalidExpiration.
func WithDefaultExpiration(d time.Duration) Option {
	return func(s *EncryptingStore) error {
		if d < 0 {
			return ErrInvalidExpiration
		}
		s.defaults.Expiration = d
		return nil
	}
}

// applyOptions applies gocache's write options over the store's defaults.
// The Expiration it returns is unsetExpiration when neither the call nor the
// store chose one (see redisTTL and innerOptions); a negative one chosen is
// ErrInvalidExpiration.
func (s *EncryptingStore) applyOptions(options []gocachestore.Option) (*gocachestore.Options, error) {
	o := gocachestore.ApplyOptionsWithDefault(&s.defaults, options...)
	if o.Expiration < 0 && o.Expiration != unsetExpiration {
		return nil, ErrInvalidExpiration
	}
	return o, nil
}

// redisTTL is the expiration NewRedis writes with: unset is no expiry.
func redisTTL(o *gocachestore.Options) time.Duration {
	if o.Expiration == unsetExpiration {
		return NoExpiration
	}
	return o.Expiration
}

// innerOptions are the options New passes to the inner store's Set: the
// caller's, and the expiration when the call or the store chose one, so
// that the inner store's own default applies otherwise.
func (s *EncryptingStore) innerOptions(options []gocachestore.Option, o *gocachestore.Options) []gocachestore.Option {
	options = options[:len(options):len(options)] // never append to the caller's array
	if o.Expiration == unsetExpiration {
		return options
	}
	return append(options, gocachestore.WithExpiration(o.Expiration))
}

// innerTTL turns what an inner store's GetWithTTL says into the store's
// semantics: go-redis's -1 (no expiry, as gocache's Redis store passes it
// on) is NoExpiration, and -2 (the key expired between GET and TTL) a miss.
func innerTTL(ttl time.Duration) (time.Duration, error) {
	switch {
	case ttl == -2:
		return 0, gocachestore.NotFoundWithCause(redis.Nil)
	case ttl < 0:
		return NoExpiration, nil
	}
	return ttl, nil
}
