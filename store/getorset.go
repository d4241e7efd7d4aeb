package store

import (
	"context"
	"errors"
	"fmt"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/redis/go-redis/v9"
)

// casSetScript replaces KEYS[1] by ARGV[2] with a TTL of ARGV[3] ms (0: no
// expiry) only if it still holds exactly the token ARGV[1]; 1 when it did.
var casSetScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[3] == '0' then
  redis.call('SET', KEYS[1], ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1`)

// GetOrSet returns the value of key or, when there is none, calls fn, stores
// its value and returns it (Django's get_or_set), race-free: every caller, in
// any process, gets the value that is stored, and a value written meanwhile
// is never overwritten. An entry that does not decrypt counts as missing.
// Within the process, concurrent calls for one key share one call of fn,
// whatever the joiners' ctx says: the first caller's options and result,
// error included, apply to all. options are Set's. fn's error is returned as
// it is, with nothing written. A store built with New returns ErrNotSupported.
func (s *EncryptingStore) GetOrSet(ctx context.Context, key string, fn func(ctx context.Context) (any, error), options ...gocachestore.Option) (any, error) {
	if s.client == nil {
		return nil, ErrNotSupported
	}
	if fn == nil {
		return nil, errors.New("store: GetOrSet: nil fn")
	}
	v, err := s.Get(ctx, key)
	if err == nil || !errors.Is(err, gocachestore.NotFound{}) {
		return v, err
	}
	v, err, _ = s.api.flight.Do(s.keys.Key(key), func() (any, error) {
		return s.getOrSet(ctx, key, fn, options)
	})
	return v, err
}

func (s *EncryptingStore) getOrSet(ctx context.Context, key string, fn func(context.Context) (any, error), options []gocachestore.Option) (any, error) {
	// Another call may have stored it since our Get.
	if v, err := s.Get(ctx, key); err == nil || !errors.Is(err, gocachestore.NotFound{}) {
		return v, err
	}
	value, err := fn(ctx)
	if err != nil {
		return nil, err
	}
	sk, tok, o, err := s.encode(nil, key, value, options)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		s.api.casOps.Add(1)
		ok, err := s.client.SetNX(ctx, sk, tok, ttlOf(o)).Result()
		if err != nil {
			return nil, err
		}
		if ok {
			return value, s.tag(ctx, sk, o)
		}
		cur, err := s.client.Get(ctx, sk).Bytes()
		switch {
		case isNil(err): // expired or deleted since: try again
		case err != nil:
			return nil, err
		default:
			v, derr := s.decode(ctx, key, s.bound(key, sk), cur, nil)
			if derr == nil {
				return v, nil
			}
			s.api.casOps.Add(1)
			swapped, err := scriptBool(s.runScript(ctx, casSetScript, []string{sk}, cur, tok, ms(ttlOf(o))))
			if err != nil {
				return nil, err
			}
			if swapped {
				return value, s.tag(ctx, sk, o)
			}
		}
		if err := s.retry(ctx, attempt); err != nil {
			return nil, fmt.Errorf("store: get or set: %w", err)
		}
	}
}
