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
	// exactly the token ARGV[1], keeping its TTL, and returns 1; otherwise it
	// returns the current value (nil when the key is gone), so that a retry
	// needs no extra GET.
	casScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
  return 1
end
return cur`)
	// cadScript deletes KEYS[1] only if its value is exactly ARGV[1]; 1 when
	// it did.
	cadScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`)
)

// Incr atomically adds delta to the integer stored under key, although it is
// encrypted, and returns the sum: concurrent Incr calls from any process lose
// no increment, the TTL is kept and the sum is written encrypted (Django's
// plaintext ints are read too). Options: AtVersion, CreateMissing (a missing
// key is created as delta with the default expiration). Errors, with nothing
// written: ErrKeyMissing, ErrNotInteger, ErrOverflow (past int64), a NotFound
// matching codec.ErrInvalidToken, ErrConflict (WithMaxRetries) or ctx's
// error; a store built with New returns ErrNotSupported.
func (s *EncryptingStore) Incr(ctx context.Context, key string, delta int64, opts ...CallOption) (int64, error) {
	o := applyCallOptions(opts)
	sk, err := s.redisKey(key, o)
	if err != nil {
		return 0, err
	}
	tok, err := s.client.Get(ctx, sk).Bytes()
	for attempt := 0; ; attempt++ {
		if isNil(err) {
			tok, err = nil, nil
		}
		if err != nil {
			return 0, err
		}
		var done bool
		var n int64
		done, n, tok, err = s.incrOnce(ctx, key, sk, tok, delta, o.create)
		if err != nil || done {
			return n, err
		}
		// The first retries go at once with the token the script returned,
		// which is fresh; later ones back off, and then read it again.
		if attempt < immediateRetries {
			s.api.retries.Add(1)
			continue
		}
		if err := s.retry(ctx, attempt); err != nil {
			return 0, fmt.Errorf("store: incr: %w", err)
		}
		tok, err = s.client.Get(ctx, sk).Bytes()
	}
}

// immediateRetries is how many lost compare-and-sets Incr retries at once,
// with the token the script returned, before it backs off.
const immediateRetries = 3

// Decr subtracts delta from the integer stored under key, as Incr adds.
func (s *EncryptingStore) Decr(ctx context.Context, key string, delta int64, opts ...CallOption) (int64, error) {
	if delta == math.MinInt64 {
		return 0, ErrOverflow
	}
	return s.Incr(ctx, key, -delta, opts...)
}

// incrOnce makes one compare-and-set attempt on tok, the token read (nil: the
// key is missing). done is false when it lost; then next is the token now
// stored (nil when the key is gone).
func (s *EncryptingStore) incrOnce(ctx context.Context, key, sk string, tok []byte, delta int64, create bool) (done bool, n int64, next []byte, err error) {
	if tok == nil {
		if !create {
			return false, 0, nil, missing()
		}
		newTok, err := s.codec.Encode(s.bound(key, sk), delta)
		if err != nil {
			return false, 0, nil, err
		}
		s.api.casOps.Add(1)
		ok, err := s.client.SetNX(ctx, sk, newTok, ttlOf(&s.defaults)).Result()
		if err != nil || ok {
			return ok, delta, nil, err
		}
		next, err = s.client.Get(ctx, sk).Bytes()
		if isNil(err) {
			err = nil
		}
		return false, 0, next, err
	}
	v, err := s.decode(ctx, key, s.bound(key, sk), tok, nil)
	if err != nil {
		return false, 0, nil, err
	}
	cur, err := toInt64(v)
	if err != nil {
		return false, 0, nil, err
	}
	sum, ok := addInt64(cur, delta)
	if !ok {
		return false, 0, nil, fmt.Errorf("%w: %d + %d", ErrOverflow, cur, delta)
	}
	newTok, err := s.codec.Encode(s.bound(key, sk), sum)
	if err != nil {
		return false, 0, nil, err
	}
	s.api.casOps.Add(1)
	res, err := s.runScript(ctx, casScript, []string{sk}, tok, newTok).Result()
	switch r := res.(type) {
	case int64:
		if err == nil && r == 1 {
			return true, sum, nil, nil
		}
	case string:
		return false, 0, []byte(r), nil
	}
	if isNil(err) {
		return false, 0, nil, nil // deleted meanwhile
	}
	if err == nil {
		err = fmt.Errorf("store: incr: unexpected script reply %T", res)
	}
	return false, 0, nil, err
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
	// Full jitter over an exponential window: 50µs, 100µs, ... capped at
	// about 50ms.
	window := 50 * time.Microsecond << min(attempt, 10)
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
