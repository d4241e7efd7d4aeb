package store

import (
	"context"
	"fmt"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/redis/go-redis/v9"
)

// encode checks key, value and options and returns the storage key and the
// token, appended to dst when dst is not nil and the codec appends
// (tokenbuf.go).
func (s *EncryptingStore) encode(dst []byte, key any, value any, options []gocachestore.Option) (sk string, tok []byte, o *gocachestore.Options, err error) {
	k, err := keyString(key)
	if err != nil {
		return "", nil, nil, err
	}
	if value == nil {
		return "", nil, nil, ErrNilValue
	}
	if o, err = s.applyOptions(options); err != nil {
		return "", nil, nil, err
	}
	if len(o.Tags) > 0 && s.client == nil && isRedisType(s.inner.GetType()) {
		return "", nil, nil, ErrTagsUnsafe
	}
	sk, bound := s.keys.KeyBinding(k)
	tok, err = s.encodeValue(dst, bound, value) // typed.go
	if err != nil {
		return "", nil, nil, err
	}
	return sk, tok, o, nil
}

// Set encrypts value and stores it under key. The expiration is gocache's
// store.WithExpiration, else the store's default (see
// WithDefaultExpiration and, for New, the inner store's own default). Tags
// (store.WithTags) are kept in sets under the store's prefix, written in the
// same pipeline as the value. It returns ErrInvalidKey, ErrNilValue,
// ErrInvalidExpiration, an error wrapping codec.ErrUnsupportedValue, or the
// Redis error (the value's, else the tags' wrapped). With *codec.Codec and
// go-redis's own clients the token is built in a pooled buffer that is
// reused once Set returns (go-redis has written it by then): a go-redis hook
// that keeps a command's arguments past its return must copy them.
func (s *EncryptingStore) Set(ctx context.Context, key any, value any, options ...gocachestore.Option) error {
	bp := s.writeBuffer() // nil unless the token may be pooled
	var dst []byte
	if bp != nil {
		dst = *bp
	}
	sk, tok, o, err := s.encode(dst, key, value, options)
	defer releaseToken(bp, tok)
	if err != nil {
		return err
	}
	if s.client == nil {
		return s.inner.Set(ctx, sk, tok, s.innerOptions(options, o)...)
	}
	if len(o.Tags) == 0 {
		return s.client.Set(ctx, sk, tok, redisTTL(o)).Err()
	}
	// The value and its tags in one pipeline, one round trip.
	var set *redis.StatusCmd
	_, err = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		set = p.Set(ctx, sk, tok, redisTTL(o))
		s.queueTags(ctx, p, o, sk)
		return nil
	})
	if err := set.Err(); err != nil {
		return err
	}
	if err != nil {
		return fmt.Errorf("store: tag entry: %w", err)
	}
	return nil
}

// SetIfNotExists stores value under key only when the key does not exist yet
// (Django's cache.add), atomically with SET NX on Redis, and reports whether it
// was written. Without a client it delegates to the inner store when that
// implements gocache's SetIfNotExistsStore, and otherwise returns an error
// wrapping gocache's store.ErrNotSupported.
func (s *EncryptingStore) SetIfNotExists(ctx context.Context, key any, value any, options ...gocachestore.Option) (bool, error) {
	sk, tok, o, err := s.encode(nil, key, value, options)
	if err != nil {
		return false, err
	}
	if s.client == nil {
		nx, ok := s.inner.(gocachestore.SetIfNotExistsStore)
		if !ok {
			return false, fmt.Errorf("%w: %s", gocachestore.ErrNotSupported, s.inner.GetType())
		}
		return nx.SetIfNotExists(ctx, sk, tok, s.innerOptions(options, o)...)
	}
	ok, err := s.client.SetNX(ctx, sk, tok, redisTTL(o)).Result()
	if err != nil || !ok {
		return false, err
	}
	return true, s.tag(ctx, sk, o)
}

// Delete removes key. Deleting a missing key is not an error.
func (s *EncryptingStore) Delete(ctx context.Context, key any) error {
	k, err := keyString(key)
	if err != nil {
		return err
	}
	sk := s.keys.Key(k)
	if s.client == nil {
		return s.inner.Delete(ctx, sk)
	}
	return s.unlinkNames(ctx, s.allNames(k, sk)) // hashnames.go
}
