package store

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	// casScript replaces the value of KEYS[1] by ARGV[2] only if it is still
	// exactly the token ARGV[1], keeping its TTL; 1 when it did.
	casScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
  return 1
end
return 0`)
	// cadScript deletes KEYS[1] only if its value is exactly ARGV[1]; 1 when
	// it did.
	cadScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`)
)

// Incr adds delta to the integer stored under key and returns the new value,
// atomically although the value is encrypted: it reads the token, decrypts
// it, adds, encrypts the sum and writes it back with a compare-and-set (a Lua
// script: SET KEEPTTL only if the key still holds the exact token read), and
// starts over when another writer got there first, with a jittered backoff,
// at most WithMaxRetries times (then ErrConflict) and never past ctx. The TTL
// is kept. Concurrent Incr calls, from any number of goroutines or
// processes, lose no increment.
//
// It reads what Django stores: encrypted pickled ints in Django mode
// (codec.NewDjango) and the plaintext ints django-redis writes; the result is
// always written encrypted. A missing key is an error whose cause is
// ErrKeyMissing (Django's ValueError) unless CreateMissing is given, then
// the key is created with value delta (SET NX) and the store's default
// expiration. A value that is not an integer is ErrNotInteger; a result that
// does not fit in an int64 is ErrOverflow (Python would grow the int); an
// entry that does not decrypt is a gocache NotFound whose cause matches
// codec.ErrInvalidToken. In all these cases nothing is written. Options:
// AtVersion, CreateMissing. Safe for concurrent use; on a store built with
// New it returns ErrNotSupported.
func (s *EncryptingStore) Incr(ctx context.Context, key string, delta int64, opts ...CallOption) (int64, error) {
	o := applyCallOptions(opts)
	sk, err := s.redisKey(key, o)
	if err != nil {
		return 0, err
	}
	for attempt := 0; ; attempt++ {
		done, n, err := s.incrOnce(ctx, key, sk, delta, o.create)
		if err != nil || done {
			return n, err
		}
		if err := s.retry(ctx, attempt); err != nil {
			return 0, fmt.Errorf("store: incr: %w", err)
		}
	}
}

// Decr subtracts delta from the integer stored under key, as Incr adds.
func (s *EncryptingStore) Decr(ctx context.Context, key string, delta int64, opts ...CallOption) (int64, error) {
	if delta == math.MinInt64 {
		return 0, ErrOverflow
	}
	return s.Incr(ctx, key, -delta, opts...)
}

// incrOnce makes one compare-and-set attempt; done is false when it lost.
func (s *EncryptingStore) incrOnce(ctx context.Context, key, sk string, delta int64, create bool) (done bool, n int64, err error) {
	tok, err := s.client.Get(ctx, sk).Bytes()
	if isNil(err) {
		if !create {
			return false, 0, missing()
		}
		newTok, err := s.codec.Encode(sk, delta)
		if err != nil {
			return false, 0, err
		}
		s.api.casOps.Add(1)
		ok, err := s.client.SetNX(ctx, sk, newTok, s.defaults.Expiration).Result()
		return ok, delta, err
	}
	if err != nil {
		return false, 0, err
	}
	v, err := s.decode(ctx, key, sk, tok)
	if err != nil {
		return false, 0, err
	}
	cur, err := toInt64(v)
	if err != nil {
		return false, 0, err
	}
	sum, ok := addInt64(cur, delta)
	if !ok {
		return false, 0, fmt.Errorf("%w: %d + %d", ErrOverflow, cur, delta)
	}
	newTok, err := s.codec.Encode(sk, sum)
	if err != nil {
		return false, 0, err
	}
	s.api.casOps.Add(1)
	swapped, err := scriptBool(s.runScript(ctx, casScript, []string{sk}, tok, newTok))
	return swapped, sum, err
}

// retry counts a lost compare-and-set and sleeps before the next attempt, or
// returns ErrConflict after the last one, or ctx's error.
func (s *EncryptingStore) retry(ctx context.Context, attempt int) error {
	s.api.retries.Add(1)
	maxTry := s.api.maxTry
	if maxTry == 0 {
		maxTry = defaultMaxRetries
	}
	if attempt+1 >= maxTry {
		return ErrConflict
	}
	// Full jitter over an exponential window: 50µs, 100µs, ... capped at 5ms.
	window := 50 * time.Microsecond << min(attempt, 7)
	t := time.NewTimer(rand.N(window) + time.Microsecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// toInt64 returns the integer a decoded value holds.
func toInt64(v any) (int64, error) {
	switch n := v.(type) {
	case int64:
		return n, nil
	case int:
		return int64(n), nil
	case int32:
		return int64(n), nil
	case int16:
		return int64(n), nil
	case int8:
		return int64(n), nil
	case uint8:
		return int64(n), nil
	case uint16:
		return int64(n), nil
	case uint32:
		return int64(n), nil
	case uint64:
		if n > math.MaxInt64 {
			return 0, fmt.Errorf("%w: stored value exceeds int64", ErrOverflow)
		}
		return int64(n), nil
	case uint:
		if uint64(n) > math.MaxInt64 {
			return 0, fmt.Errorf("%w: stored value exceeds int64", ErrOverflow)
		}
		return int64(n), nil
	case *big.Int:
		if n == nil {
			break
		}
		if !n.IsInt64() {
			return 0, fmt.Errorf("%w: stored value exceeds int64", ErrOverflow)
		}
		return n.Int64(), nil
	}
	return 0, fmt.Errorf("%w: got %T", ErrNotInteger, v)
}

// addInt64 returns a+b and whether it did not overflow.
func addInt64(a, b int64) (int64, bool) {
	c := a + b
	if (c > a) != (b > 0) {
		return 0, false
	}
	return c, true
}
