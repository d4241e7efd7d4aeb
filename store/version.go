package store

import (
	"context"
	"fmt"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/redis/go-redis/v9"
)

// Versions, as Django's VERSION and version= argument: the storage key of a
// logical key embeds a version (Django's "prefix:version:key"), so entries of
// different versions never see one another. The key scheme's version is the
// default; the methods below, and the AtVersion option of the other Django
// cache API methods, pick another one per call.

// GetVersion is Get at the given version (Django's get(key, version=v)). The
// read-through fallback (WithFallback) is not consulted. On a store built
// with New it returns ErrNotSupported.
func (s *EncryptingStore) GetVersion(ctx context.Context, key string, version int) (any, error) {
	sk, err := s.redisKey(key, callOptions{version: version, hasVersion: true})
	if err != nil {
		return nil, err
	}
	tok, err := s.client.Get(ctx, sk).Bytes()
	if isNil(err) {
		return nil, gocachestore.NotFoundWithCause(err)
	}
	if err != nil {
		return nil, err
	}
	return s.decode(ctx, key, s.bound(key, sk), tok, nil)
}

// SetVersion is Set at the given version (Django's set(key, value,
// version=v)), with the same options and errors.
func (s *EncryptingStore) SetVersion(ctx context.Context, key string, value any, version int, options ...gocachestore.Option) error {
	sk, err := s.redisKey(key, callOptions{version: version, hasVersion: true})
	if err != nil {
		return err
	}
	tok, o, err := s.encodeAt(s.bound(key, sk), value, options)
	if err != nil {
		return err
	}
	if err := s.client.Set(ctx, sk, tok, ttlOf(o)).Err(); err != nil {
		return err
	}
	return s.tag(ctx, sk, o)
}

// DeleteVersion is Delete at the given version (Django's delete(key,
// version=v)) and reports whether the key existed.
func (s *EncryptingStore) DeleteVersion(ctx context.Context, key string, version int) (bool, error) {
	sk, err := s.redisKey(key, callOptions{version: version, hasVersion: true})
	if err != nil {
		return false, err
	}
	n, err := s.client.Unlink(ctx, sk).Result()
	return n == 1, err
}

// encodeAt encrypts value for storage key sk (a binding key: BindingKey)
// with Set's options.
func (s *EncryptingStore) encodeAt(sk string, value any, options []gocachestore.Option) ([]byte, *gocachestore.Options, error) {
	if value == nil {
		return nil, nil, ErrNilValue
	}
	o, err := s.writeOptions(options)
	if err != nil {
		return nil, nil, err
	}
	tok, err := s.codec.Encode(sk, value)
	if err != nil {
		return nil, nil, err
	}
	return tok, o, nil
}

// IncrVersion moves the entry of key from its version (the default, or
// AtVersion) to that version plus delta, keeping its value and remaining TTL,
// and returns the new version (Django's incr_version). The move never loses
// the value: a reader may see it at both versions for a moment, never at
// neither. A target version that exists is ErrVersionExists, and nothing
// changes (Django would overwrite it); a missing key is ErrKeyMissing; an
// entry that does not decrypt is a NotFound matching codec.ErrInvalidToken
// and is not moved; lost races end in ErrConflict (WithMaxRetries).
func (s *EncryptingStore) IncrVersion(ctx context.Context, key string, delta int, opts ...CallOption) (int, error) {
	o := applyCallOptions(opts)
	oldSK, err := s.redisKey(key, o)
	if err != nil {
		return 0, err
	}
	from := s.version(o)
	to := from + delta
	if (delta > 0 && to < from) || (delta < 0 && to > from) {
		return 0, ErrOverflow
	}
	if delta == 0 {
		if _, err := s.TTL(ctx, key, opts...); err != nil {
			return 0, err
		}
		return from, nil
	}
	newSK := s.keys.KeyVersion(key, to)
	for attempt := 0; ; attempt++ {
		done, err := s.moveOnce(ctx, key, oldSK, newSK)
		if err != nil {
			return 0, fmt.Errorf("store: incr version: %w", err)
		}
		if done {
			return to, nil
		}
		if err := s.retry(ctx, attempt); err != nil {
			return 0, fmt.Errorf("store: incr version: %w", err)
		}
	}
}

// DecrVersion moves the entry of key to its version minus delta, as
// IncrVersion does.
func (s *EncryptingStore) DecrVersion(ctx context.Context, key string, delta int, opts ...CallOption) (int, error) {
	return s.IncrVersion(ctx, key, -delta, opts...)
}

// moveOnce makes one attempt at moving oldSK to newSK; done is false when a
// concurrent writer changed the old entry and the attempt was undone.
func (s *EncryptingStore) moveOnce(ctx context.Context, key, oldSK, newSK string) (bool, error) {
	var get *redis.StringCmd
	var pttl *redis.DurationCmd
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, oldSK)
		pttl = p.PTTL(ctx, oldSK)
		return nil
	})
	tok, gerr := get.Bytes()
	if isNil(gerr) {
		return false, missing()
	}
	if err != nil {
		return false, err
	}
	ttl := pttl.Val()
	switch {
	case ttl == -2:
		return false, missing()
	case ttl == -1:
		ttl = NoExpiration
	case ttl == 0:
		ttl = time.Millisecond // about to expire: keep it expiring
	}
	v, err := s.decode(ctx, key, s.bound(key, oldSK), tok, nil)
	if err != nil {
		return false, err
	}
	newTok, err := s.codec.Encode(s.bound(key, newSK), v)
	if err != nil {
		return false, err
	}
	s.api.casOps.Add(1)
	ok, err := s.client.SetNX(ctx, newSK, newTok, ttl).Result()
	if err != nil {
		return false, err
	}
	if !ok {
		return false, ErrVersionExists
	}
	deleted, err := scriptBool(s.runScript(ctx, cadScript, []string{oldSK}, tok))
	if err != nil || deleted {
		return deleted, err
	}
	// The old entry changed under us: undo the copy and start over.
	if _, err := s.runScript(ctx, cadScript, []string{newSK}, newTok).Result(); err != nil {
		return false, err
	}
	return false, nil
}
