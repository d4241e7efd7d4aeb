package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"time"

	"github.com/redis/go-redis/v9"
)

// Errors of Lock; match them with errors.Is.
var (
	// ErrLockNotAcquired is returned by Lock when the lock was still held by
	// someone else when the wait (LockWait) ran out.
	ErrLockNotAcquired = errors.New("store: lock not acquired")
	// ErrLockNotHeld is returned by Release and Extend when the lock is no
	// longer ours: it expired, and maybe someone else holds it now.
	ErrLockNotHeld = errors.New("store: lock not held")
)

// pexpireIfScript sets the TTL of KEYS[1] to ARGV[2] ms only if it holds
// exactly ARGV[1]; 1 when it did.
var pexpireIfScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`)

// LockOption configures one Lock call. An option that returns an error makes
// Lock return it; a nil option is ignored.
type LockOption func(*lockOptions) error

type lockOptions struct {
	wait     time.Duration
	hasWait  bool
	interval time.Duration
}

// LockWait bounds how long Lock waits for a lock held by someone else
// (django-redis's blocking_timeout); 0 tries once. Without it Lock waits until
// ctx is done. A negative d is an error.
func LockWait(d time.Duration) LockOption {
	return func(o *lockOptions) error {
		if d < 0 {
			return fmt.Errorf("store: negative lock wait %v", d)
		}
		o.wait, o.hasWait = d, true
		return nil
	}
}

// LockRetryInterval sets the pause between two attempts of a waiting Lock
// (django-redis's sleep), jittered by up to half of it. The default is 50 ms;
// a d that is not positive is an error.
func LockRetryInterval(d time.Duration) LockOption {
	return func(o *lockOptions) error {
		if d <= 0 {
			return fmt.Errorf("store: lock retry interval must be positive, got %v", d)
		}
		o.interval = d
		return nil
	}
}

// Lock is a lock held in Redis, django-redis's cache.lock() equivalent. It is
// safe for concurrent use, but meant for one holder.
type Lock struct {
	s     *EncryptingStore
	key   string
	token string
}

// LockKey returns the Redis key of the lock called name:
// "prefix:lock:name". It is under the store's prefix but never a key of its
// scheme ("lock" is not a version), so a lock never collides with a cache
// entry, and Clear, KeysMatching and DeletePattern leave it alone. Unlike
// django-redis, whose lock(name) uses the cache key of name, a Go lock and a
// django-redis lock of the same name do not exclude each other.
func (s *EncryptingStore) LockKey(name string) string {
	if s.keys.Hashed() {
		return s.keys.Prefix() + ":lock:" + hashedSuffix(s.keys, "\x00lock\x00"+name, 0) // hashnames.go
	}
	return s.keys.Prefix() + ":lock:" + name
}

// Lock acquires the lock called name for ttl (positive: a holder that dies
// cannot keep it longer), waiting for a holder to release it until ctx is
// done or LockWait runs out (ErrLockNotAcquired). Release and Extend act only
// while the lock is still ours, so a holder whose lock expired cannot release
// someone else's. It is a single-Redis lock, not a consensus lock: a failover
// or a pause longer than ttl can let two holders run at once (see Locks in
// the package documentation), so fence writes where correctness depends on
// it. On a store built with New it returns ErrNotSupported.
func (s *EncryptingStore) Lock(ctx context.Context, name string, ttl time.Duration, opts ...LockOption) (*Lock, error) {
	if s.client == nil {
		return nil, ErrNotSupported
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("%w: a lock needs a positive ttl, got %v", ErrInvalidExpiration, ttl)
	}
	key := s.LockKey(name)
	if s.keys.Owns(key) {
		return nil, fmt.Errorf("store: lock key %q collides with the key scheme", key)
	}
	o := lockOptions{interval: 50 * time.Millisecond}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("store: lock token: %w", err)
	}
	l := &Lock{s: s, key: key, token: hex.EncodeToString(b[:])}
	var deadline time.Time
	if o.hasWait {
		deadline = time.Now().Add(o.wait)
	}
	for {
		ok, err := s.client.SetNX(ctx, key, l.token, ttl).Result()
		if err != nil {
			return nil, fmt.Errorf("store: lock: %w", err)
		}
		if ok {
			return l, nil
		}
		pause := o.interval/2 + mrand.N(o.interval/2+1)
		if o.hasWait {
			left := time.Until(deadline)
			if left <= 0 {
				return nil, ErrLockNotAcquired
			}
			pause = min(pause, left)
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("store: lock: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// Key returns the Redis key of the lock.
func (l *Lock) Key() string { return l.key }

// Release frees the lock if it is still ours (compare-and-delete), and
// otherwise returns ErrLockNotHeld.
func (l *Lock) Release(ctx context.Context) error {
	ok, err := scriptBool(l.s.runScript(ctx, cadScript, []string{l.key}, l.token))
	if err != nil {
		return fmt.Errorf("store: release lock: %w", err)
	}
	if !ok {
		return ErrLockNotHeld
	}
	return nil
}

// Extend sets the lock's remaining time to ttl from now if it is still ours
// (compare-and-pexpire), and otherwise returns ErrLockNotHeld. (redis-py's
// extend adds to the remaining time; Extend sets it.)
func (l *Lock) Extend(ctx context.Context, ttl time.Duration) error {
	if ttl <= 0 {
		return ErrInvalidExpiration
	}
	ok, err := scriptBool(l.s.runScript(ctx, pexpireIfScript, []string{l.key}, l.token, ms(ttl)))
	if err != nil {
		return fmt.Errorf("store: extend lock: %w", err)
	}
	if !ok {
		return ErrLockNotHeld
	}
	return nil
}

// Held reports whether the lock is still ours.
func (l *Lock) Held(ctx context.Context) (bool, error) {
	v, err := l.s.client.Get(ctx, l.key).Result()
	if isNil(err) {
		return false, nil
	}
	return v == l.token, err
}
