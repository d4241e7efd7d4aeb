package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"
)

// The Django cache API (expiry.go, keys.go, counter.go, version.go,
// getorset.go, lock.go) beyond gocache's interface: TTL, Touch, HasKey,
// SetXX, Keys, DeletePattern, Incr, versions, GetOrSet and Lock. Every one of
// these needs a store built with NewRedis (single node, cluster or Sentinel);
// on a store built with New they return ErrNotSupported, never a fallback
// that would silently lose atomicity.

// Errors of the Django cache API; match them with errors.Is.
var (
	// ErrNotSupported is returned by the Django cache API methods (TTL,
	// Touch, Incr, Keys, Lock, ...) on a store built with New: they need
	// Redis. It also matches gocache's store.ErrNotSupported.
	ErrNotSupported = fmt.Errorf("store: needs a store built with NewRedis: %w", gocachestore.ErrNotSupported)
	// ErrKeyMissing is the cause of the error returned for a key that does
	// not exist by TTL, Incr, Decr, IncrVersion and DecrVersion (Django's
	// ValueError). The error is also a gocache store.NotFound.
	ErrKeyMissing = errors.New("store: key not found")
	// ErrNotInteger is returned by Incr and Decr when the stored value is
	// not an integer.
	ErrNotInteger = errors.New("store: value is not an integer")
	// ErrOverflow is returned by Incr and Decr when the result does not fit
	// in an int64; the stored value is left as it was.
	ErrOverflow = errors.New("store: integer overflow")
	// ErrConflict is returned when a compare-and-set kept losing to
	// concurrent writers for all its retries (see WithMaxRetries); nothing
	// was written.
	ErrConflict = errors.New("store: too many concurrent writers, gave up")
	// ErrVersionExists is returned by IncrVersion and DecrVersion when the
	// key already exists at the target version: neither entry is changed.
	ErrVersionExists = errors.New("store: key already exists at the target version")
)

// missing returns the error of a key that does not exist.
func missing() error { return gocachestore.NotFoundWithCause(ErrKeyMissing) }

// apiState is the per-store state of the Django cache API. Its zero value is
// ready to use.
type apiState struct {
	flight  singleflight.Group // GetOrSet, per storage key
	retries atomic.Uint64      // compare-and-set conflicts retried
	casOps  atomic.Uint64      // compare-and-set attempts
	maxTry  int                // 0: defaultMaxRetries
}

// defaultMaxRetries bounds the compare-and-set attempts of one Incr.
const defaultMaxRetries = 200

// WithMaxRetries sets how many times Incr, Decr, IncrVersion and GetOrSet
// retry a compare-and-set that lost to a concurrent writer before returning
// ErrConflict. The default is 200; retries back off with jitter and stop when
// ctx is done.
func WithMaxRetries(n int) Option {
	return func(s *EncryptingStore) error {
		if n <= 0 {
			return fmt.Errorf("store: max retries must be positive, got %d", n)
		}
		s.api.maxTry = n
		return nil
	}
}

// CASStats reports the compare-and-set attempts made by Incr, Decr,
// IncrVersion and GetOrSet since the store was built, and how many of them
// lost to a concurrent writer and were retried. retries/attempts is the
// retry rate. Safe for concurrent use.
func (s *EncryptingStore) CASStats() (attempts, retries uint64) {
	return s.api.casOps.Load(), s.api.retries.Load()
}

// CallOption changes one call of the Django cache API. An option that
// returns an error makes the call return it; a nil option is ignored.
type CallOption func(*callOptions) error

type callOptions struct {
	version    int
	hasVersion bool
	create     bool
	err        error // the first option's error; redisKey and scanPattern return it
}

// AtVersion makes the call use version v of the key instead of the key
// scheme's default (Django's version= argument).
func AtVersion(v int) CallOption {
	return func(o *callOptions) error { o.version, o.hasVersion = v, true; return nil }
}

// CreateMissing makes Incr and Decr create a missing key with the delta as
// its value (django-redis's ignore_key_check=True), with the store's default
// expiration, instead of returning ErrKeyMissing.
func CreateMissing() CallOption { return func(o *callOptions) error { o.create = true; return nil } }

// applyCallOptions applies opts; the first error is kept in o.err.
func applyCallOptions(opts []CallOption) callOptions {
	var o callOptions
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			o.err = err
			break
		}
	}
	return o
}

// version returns the version a call uses.
func (s *EncryptingStore) version(o callOptions) int {
	if o.hasVersion {
		return o.version
	}
	return s.keys.Version()
}

// redisKey checks that the store has a client and returns the storage key of
// key at the call's version.
func (s *EncryptingStore) redisKey(key string, o callOptions) (string, error) {
	if s.client == nil {
		return "", ErrNotSupported
	}
	if o.err != nil {
		return "", o.err
	}
	return s.keys.KeyVersion(key, s.version(o)), nil
}

// writeOptions applies gocache's write options over the store's defaults,
// as Set does: a negative expiration chosen by the call is
// ErrInvalidExpiration; math.MinInt64 is the store's mark for an expiration
// nobody chose (no expiry on Redis).
func (s *EncryptingStore) writeOptions(options []gocachestore.Option) (*gocachestore.Options, error) {
	o := gocachestore.ApplyOptionsWithDefault(&s.defaults, options...)
	if o.Expiration < 0 && o.Expiration != math.MinInt64 {
		return nil, ErrInvalidExpiration
	}
	return o, nil
}

// ttlOf is the expiration to write to Redis for o: an unset (negative) one
// is no expiry.
func ttlOf(o *gocachestore.Options) time.Duration {
	if o.Expiration < 0 {
		return NoExpiration
	}
	return o.Expiration
}

// isNil reports whether err is a Redis nil reply.
func isNil(err error) bool { return errors.Is(err, redis.Nil) }

// runScript runs a Lua script on the node that holds its first key.
func (s *EncryptingStore) runScript(ctx context.Context, sc *redis.Script, keys []string, args ...any) *redis.Cmd {
	return sc.Run(ctx, s.client, keys, args...)
}
