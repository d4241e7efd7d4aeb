package typed

import (
	"context"
	"errors"
	"time"

	"github.com/eko/gocache/lib/v4/cache"
	gocachecodec "github.com/eko/gocache/lib/v4/codec"
	gocachestore "github.com/eko/gocache/lib/v4/store"

	"github.com/secureredis/secureredis/store"
)

// Type is what Cache.GetType returns.
const Type = "secure-typed"

// Cache is a typed cache of values of type T in an EncryptingStore. Keys are
// strings, or gocache's CacheKeyGenerator. It is safe for concurrent use.
type Cache[T any] struct {
	store *store.EncryptingStore
	stats *statsCodec
}

var (
	_ cache.CacheInterface[int]       = (*Cache[int])(nil)
	_ cache.SetterCacheInterface[int] = (*Cache[int])(nil)
)

// New returns a typed cache over s. It fails on a nil store or one whose
// codec cannot decode into a Go type (store.ErrNotTyped; a *codec.Codec
// can).
func New[T any](s *store.EncryptingStore) (*Cache[T], error) {
	if s == nil {
		return nil, errors.New("typed: nil store")
	}
	if _, ok := s.Codec().(store.TypedCodec); !ok {
		return nil, store.ErrNotTyped
	}
	return &Cache[T]{store: s, stats: &statsCodec{s: s}}, nil
}

// Store returns the cache's store.
func (c *Cache[T]) Store() *store.EncryptingStore { return c.store }

func cacheKey(key any) any {
	if g, ok := key.(cache.CacheKeyGenerator); ok {
		return g.GetCacheKey()
	}
	return key
}

// Get returns the value of key as a T. A missing key, an entry that does not
// decrypt and one whose value does not fit T are all gocache's NotFound (the
// latter two a *store.DecryptError saying so); a key that is not a string is
// store.ErrInvalidKey.
func (c *Cache[T]) Get(ctx context.Context, key any) (T, error) {
	var v T
	err := c.store.GetInto(ctx, cacheKey(key), &v)
	c.stats.count(err)
	if err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}

// GetWithTTL is Get that also returns the entry's remaining time to live
// (0 for none), which gocache's chain passes on to the upper tiers.
func (c *Cache[T]) GetWithTTL(ctx context.Context, key any) (T, time.Duration, error) {
	var v T
	ttl, err := c.store.GetWithTTLInto(ctx, cacheKey(key), &v)
	c.stats.count(err)
	if err != nil {
		var zero T
		return zero, 0, err
	}
	return v, ttl, nil
}

// Set stores object under key, encrypted, with gocache's options
// (expiration, tags). A nil object (nil pointer, slice, map or interface) is
// store.ErrNilValue; a value the serializer cannot carry wraps
// codec.ErrUnsupportedValue.
func (c *Cache[T]) Set(ctx context.Context, key any, object T, options ...gocachestore.Option) error {
	var v any = object
	if isNil(v) {
		return store.ErrNilValue
	}
	err := c.store.Set(ctx, cacheKey(key), store.Typed{Value: v}, options...)
	c.stats.countSet(err)
	return err
}

// SetIfNotExists stores object under key only if the key does not exist yet
// (SET NX on Redis), and reports whether it did.
func (c *Cache[T]) SetIfNotExists(ctx context.Context, key any, object T, options ...gocachestore.Option) (bool, error) {
	var v any = object
	if isNil(v) {
		return false, store.ErrNilValue
	}
	return c.store.SetIfNotExists(ctx, cacheKey(key), store.Typed{Value: v}, options...)
}

// Delete removes key.
func (c *Cache[T]) Delete(ctx context.Context, key any) error {
	err := c.store.Delete(ctx, cacheKey(key))
	c.stats.countDelete(err)
	return err
}

// Invalidate removes the entries of the given tags (store's Invalidate).
func (c *Cache[T]) Invalidate(ctx context.Context, options ...gocachestore.InvalidateOption) error {
	err := c.store.Invalidate(ctx, options...)
	c.stats.countInvalidate(err)
	return err
}

// Clear removes every entry of the store's prefix (store's Clear), and
// nothing else.
func (c *Cache[T]) Clear(ctx context.Context) error {
	err := c.store.Clear(ctx)
	c.stats.countClear(err)
	return err
}

// GetType returns Type.
func (c *Cache[T]) GetType() string { return Type }

// GetCodec returns a gocache codec over the store whose statistics count this
// cache's operations (hits, misses, sets, ...), which gocache's MetricCache
// and its Prometheus metrics read.
func (c *Cache[T]) GetCodec() gocachecodec.CodecInterface { return c.stats }
