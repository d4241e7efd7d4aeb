package store_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	gocacheredis "github.com/eko/gocache/store/redis/v4"

	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/store"
)

// TestExpirySameForBothConstructors writes through NewRedis and through New
// around gocache's Redis store, with and without defaults, and checks each
// key's PTTL in Redis and what GetWithTTL reports: the same semantics for
// both, and New keeps the inner store's default expiration.
func TestExpirySameForBothConstructors(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	const innerDefault = 10 * time.Minute

	build := map[string]func(t *testing.T, prefix string, opts ...store.Option) *store.EncryptingStore{
		"NewRedis": func(t *testing.T, prefix string, opts ...store.Option) *store.EncryptingStore {
			s, err := store.NewRedis(client, newCodec(t), newKeys(t, prefix), opts...)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		"New(gocache redis)": func(t *testing.T, prefix string, opts ...store.Option) *store.EncryptingStore {
			inner := gocacheredis.NewRedis(client, gocachestore.WithExpiration(innerDefault))
			s, err := store.New(inner, newCodec(t), newKeys(t, prefix), opts...)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
	// want: the key's TTL; 0 is persistent.
	tests := []struct {
		name     string
		opts     []store.Option
		call     []gocachestore.Option
		wantNew  time.Duration // with New around the inner store
		wantBare time.Duration // with NewRedis
	}{
		{"no default", nil, nil, innerDefault, 0},
		{"store default", []store.Option{store.WithDefaultExpiration(time.Hour)}, nil, time.Hour, time.Hour},
		{"store default none", []store.Option{store.WithDefaultExpiration(store.NoExpiration)}, nil, 0, 0},
		{"per call", nil, []gocachestore.Option{gocachestore.WithExpiration(time.Minute)}, time.Minute, time.Minute},
		{"per call none", []store.Option{store.WithDefaultExpiration(time.Hour)}, []gocachestore.Option{gocachestore.WithExpiration(store.NoExpiration)}, 0, 0},
	}
	for ctorName, ctor := range build {
		for i, tt := range tests {
			t.Run(ctorName+"/"+tt.name, func(t *testing.T) {
				want := tt.wantBare
				if ctorName != "NewRedis" {
					want = tt.wantNew
				}
				prefix := fmt.Sprintf("ttl:%s:%d", ctorName, i)
				s := ctor(t, prefix, tt.opts...)
				check := func(key string) {
					t.Helper()
					pttl := client.PTTL(ctx, s.Keys().Key(key)).Val()
					_, ttl, err := s.GetWithTTL(ctx, key)
					if err != nil {
						t.Fatal(err)
					}
					if want == 0 {
						if pttl != -1 || ttl != store.NoExpiration {
							t.Errorf("%s: PTTL %v, GetWithTTL %v; want persistent (-1) and exactly 0", key, pttl, ttl)
						}
						return
					}
					// Generous lower bounds: assert the semantics, not timing.
					if pttl > want || pttl < want/2 || ttl > want || ttl < want/2 {
						t.Errorf("%s: PTTL %v, GetWithTTL %v; want about %v", key, pttl, ttl, want)
					}
				}
				if err := s.Set(ctx, "set", "v", tt.call...); err != nil {
					t.Fatal(err)
				}
				check("set")
				if ok, err := s.SetIfNotExists(ctx, "nx", "v", tt.call...); err != nil && !errors.Is(err, gocachestore.ErrNotSupported) {
					t.Fatal(err)
				} else if ok {
					check("nx")
				}
				if err := s.SetMany(ctx, []store.Entry{{Key: "many", Value: "v"}}, tt.call...); err != nil {
					t.Fatal(err)
				}
				check("many")
			})
		}
	}
}
