package recovery

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/store"
)

// NewFallback returns the store.Fallback that reads an old alias, for online
// migration:
//
//	secure, err := store.NewRedis(client, fernetCodec, secureKeys,
//		store.WithFallback(recovery.NewFallback(old), time.Now().Add(7*24*time.Hour)))
//
// On a miss, the secure store asks the fallback, which reads GET and PTTL of
// old.Keys().Key(key) in one pipeline and decodes the value with old's codec;
// the store then writes it encrypted with SET NX and the remaining TTL, so a
// value the application wrote meanwhile is never overwritten. The old entry
// is left in place (Migrate with WithClearOld removes it). An entry that is
// missing, expired or about to expire is not found.
//
// Fetch returns ErrNilStore or ErrNoClient when old is unusable, the Redis
// error, or an error matching ErrDecode; none contains the value. The fallback
// is safe for concurrent use. See the package documentation for the downgrade
// risk: time-box it (store.WithFallback requires a deadline).
func NewFallback(old *store.EncryptingStore) store.Fallback { return &fallback{old: old} }

type fallback struct{ old *store.EncryptingStore }

// Fetch implements store.Fallback.
func (f *fallback) Fetch(ctx context.Context, key string) (any, time.Duration, bool, error) {
	if err := checkStore(f.old, "old alias"); err != nil {
		return nil, 0, false, err
	}
	sk := f.old.Keys().Key(key)
	var get *redis.StringCmd
	var pttl *redis.DurationCmd
	_, _ = f.old.Client().Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, sk)
		pttl = p.PTTL(ctx, sk)
		return nil
	})
	data, err := get.Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, fmt.Errorf("recovery: fallback read: %w", err)
	}
	ttl, err := pttl.Result()
	switch {
	case err != nil:
		return nil, 0, false, fmt.Errorf("recovery: fallback read ttl: %w", err)
	case ttl == -2 || (ttl >= 0 && ttl < time.Millisecond):
		return nil, 0, false, nil
	case ttl < 0:
		ttl = store.NoExpiration
	}
	v, err := f.old.Codec().Decode(f.old.Keys().BindingKey(sk, key), data)
	if err != nil {
		return nil, 0, false, &valueError{ErrDecode, err}
	}
	if v == nil {
		return nil, 0, false, nil
	}
	return v, ttl, true, nil
}
