package store

import (
	"context"
	"fmt"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/redis/go-redis/v9"
)

// Persistent is what TTL returns for a key that exists and never expires
// (django-redis's ttl returns None). A missing key is an error instead (see
// TTL), so the two are never confused with an entry about to expire (0).
const Persistent time.Duration = -1

var (
	// pexpireScript sets a relative expiry; 1 when the key exists.
	pexpireScript = redis.NewScript(`return redis.call('PEXPIRE', KEYS[1], ARGV[1])`)
	// pexpireAtScript sets an absolute expiry; 1 when the key exists.
	pexpireAtScript = redis.NewScript(`return redis.call('PEXPIREAT', KEYS[1], ARGV[1])`)
	// persistScript removes the expiry; 1 when the key exists (PERSIST alone
	// says 0 for a key that exists without expiry).
	persistScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('PERSIST', KEYS[1])
return 1`)
)

// TTL returns the remaining time to live of key, read with PTTL without
// fetching or decrypting the value: a positive duration (millisecond
// precision; 0 for an entry expiring this very millisecond), Persistent (-1)
// for an entry without expiry, and for a missing key an error that is a
// gocache store.NotFound whose cause is ErrKeyMissing. django-redis's ttl
// says None for persistent and 0 for missing. An entry that does not decrypt
// still has a TTL. Options: AtVersion. Safe for concurrent use.
func (s *EncryptingStore) TTL(ctx context.Context, key string, opts ...CallOption) (time.Duration, error) {
	sk, err := s.redisKey(key, applyCallOptions(opts))
	if err != nil {
		return 0, err
	}
	d, err := s.client.PTTL(ctx, sk).Result()
	if err != nil {
		return 0, err
	}
	switch d {
	case -2:
		return 0, missing()
	case -1:
		return Persistent, nil
	}
	return d, nil
}

// Expire sets the time to live of key to d, keeping its value, and reports
// whether the key existed. d must be positive (ErrInvalidExpiration
// otherwise; use Persist to remove the expiry). Options: AtVersion.
func (s *EncryptingStore) Expire(ctx context.Context, key string, d time.Duration, opts ...CallOption) (bool, error) {
	if d <= 0 {
		return false, fmt.Errorf("%w: Expire needs a positive duration, got %v", ErrInvalidExpiration, d)
	}
	sk, err := s.redisKey(key, applyCallOptions(opts))
	if err != nil {
		return false, err
	}
	return scriptBool(s.runScript(ctx, pexpireScript, []string{sk}, ms(d)))
}

// ExpireAt makes key expire at t (PEXPIREAT), keeping its value, and reports
// whether the key existed. A t in the past deletes the key, as Redis does.
// Options: AtVersion.
func (s *EncryptingStore) ExpireAt(ctx context.Context, key string, t time.Time, opts ...CallOption) (bool, error) {
	sk, err := s.redisKey(key, applyCallOptions(opts))
	if err != nil {
		return false, err
	}
	return scriptBool(s.runScript(ctx, pexpireAtScript, []string{sk}, t.UnixMilli()))
}

// Persist removes the expiry of key and reports whether the key existed
// (true also for a key that had no expiry). Options: AtVersion.
func (s *EncryptingStore) Persist(ctx context.Context, key string, opts ...CallOption) (bool, error) {
	sk, err := s.redisKey(key, applyCallOptions(opts))
	if err != nil {
		return false, err
	}
	return scriptBool(s.runScript(ctx, persistScript, []string{sk}))
}

// Touch is Django's cache.touch: it gives key a new timeout without
// rewriting its value and reports whether the key existed. NoExpiration (0)
// makes it persistent (Django's timeout=None); a negative timeout is
// ErrInvalidExpiration. Unlike django-redis, whose touch(None) says False for
// a key that exists without expiry, Touch reports true for any existing key.
// Options: AtVersion.
func (s *EncryptingStore) Touch(ctx context.Context, key string, timeout time.Duration, opts ...CallOption) (bool, error) {
	switch {
	case timeout < 0:
		return false, ErrInvalidExpiration
	case timeout == NoExpiration:
		return s.Persist(ctx, key, opts...)
	}
	return s.Expire(ctx, key, timeout, opts...)
}

// HasKey reports whether key exists (EXISTS), without fetching or decrypting
// its value, like Django's has_key. An entry that does not decrypt exists.
// Options: AtVersion.
func (s *EncryptingStore) HasKey(ctx context.Context, key string, opts ...CallOption) (bool, error) {
	sk, err := s.redisKey(key, applyCallOptions(opts))
	if err != nil {
		return false, err
	}
	n, err := s.client.Exists(ctx, sk).Result()
	return n == 1, err
}

// SetXX encrypts value and stores it under key only if the key already
// exists (SET XX, django-redis's set(xx=True)), and reports whether it was
// written. Expiration and tags are as for Set. It returns ErrNotSupported on
// a store built with New, and otherwise the errors of Set.
func (s *EncryptingStore) SetXX(ctx context.Context, key string, value any, options ...gocachestore.Option) (bool, error) {
	if s.client == nil {
		return false, ErrNotSupported
	}
	sk, tok, o, err := s.encode(nil, key, value, options)
	if err != nil {
		return false, err
	}
	ok, err := s.client.SetXX(ctx, sk, tok, ttlOf(o)).Result()
	if err != nil || !ok {
		return false, err
	}
	return true, s.tag(ctx, sk, o)
}

// ms returns d in whole milliseconds, at least 1 for a positive d.
func ms(d time.Duration) int64 {
	m := d.Milliseconds()
	if m == 0 && d > 0 {
		m = 1
	}
	return m
}

// scriptBool reads a script's 0/1 reply.
func scriptBool(c *redis.Cmd) (bool, error) {
	n, err := c.Int64()
	if err != nil {
		return false, err
	}
	return n == 1, nil
}
