package sessions

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	gocachego "github.com/eko/gocache/store/go_cache/v4"
	gocache "github.com/patrickmn/go-cache"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/store"
)

// Fixed test keys (never used outside tests).
const (
	testKey  = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
	otherKey = "9Hj2zXl0uPj1yqg5Dq6ajcgYSOGMQ1Eo2Vw1vtMJq8Y="
	prefix   = "app1:secure"
)

var hashSecret = []byte("0123456789abcdef0123456789abcdef-test-only")

// backend is an alias the session store runs over, with raw access to what
// it holds under a storage key, as an attacker with access to Redis (or the
// process memory) would have.
type backend struct {
	name     string
	iterable bool // ScanKeys works (a go-redis client)
	// newStore returns an EncryptingStore on the backend's data with the
	// given Fernet keys and key scheme options.
	newStore func(t *testing.T, keys []string, opts ...codec.KeySchemeOption) *store.EncryptingStore
	rawGet   func(t *testing.T, storageKey string) ([]byte, bool)
	rawSet   func(t *testing.T, storageKey string, value []byte)
	rawKeys  func(t *testing.T) []string // nil when the backend cannot list
}

func newEncrypting(t *testing.T, mk func(c store.Codec, ks *codec.KeyScheme) (*store.EncryptingStore, error), keys []string, opts ...codec.KeySchemeOption) *store.EncryptingStore {
	t.Helper()
	if len(keys) == 0 {
		keys = []string{testKey}
	}
	ring, err := codec.NewKeyRing(keys...)
	if err != nil {
		t.Fatal(err)
	}
	c, err := codec.New(ring)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := codec.NewKeyScheme(prefix, opts...)
	if err != nil {
		t.Fatal(err)
	}
	st, err := mk(c, ks)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func redisBackend(name string, client func(t *testing.T) *redis.Client) func(t *testing.T) backend {
	return func(t *testing.T) backend {
		t.Helper()
		rc := client(t)
		return backend{
			name:     name,
			iterable: true,
			newStore: func(t *testing.T, keys []string, opts ...codec.KeySchemeOption) *store.EncryptingStore {
				return newEncrypting(t, func(c store.Codec, ks *codec.KeyScheme) (*store.EncryptingStore, error) {
					return store.NewRedis(rc, c, ks)
				}, keys, opts...)
			},
			rawGet: func(t *testing.T, k string) ([]byte, bool) {
				t.Helper()
				b, err := rc.Get(context.Background(), k).Bytes()
				if err == redis.Nil {
					return nil, false
				}
				if err != nil {
					t.Fatal(err)
				}
				return b, true
			},
			rawSet: func(t *testing.T, k string, v []byte) {
				t.Helper()
				if err := rc.Set(context.Background(), k, v, time.Hour).Err(); err != nil {
					t.Fatal(err)
				}
			},
			rawKeys: func(t *testing.T) []string { return redistest.Keys(t, rc) },
		}
	}
}

// backends are the aliases every contract test runs over: a real
// redis-server, miniredis, and an in-memory gocache store.
var backends = []func(t *testing.T) backend{
	redisBackend("redis-server", func(t *testing.T) *redis.Client {
		return redistest.Start(t).Client(t, 0)
	}),
	redisBackend("miniredis", func(t *testing.T) *redis.Client {
		mr := miniredis.RunT(t)
		c := redis.NewClient(&redis.Options{Addr: mr.Addr()})
		t.Cleanup(func() { _ = c.Close() })
		return c
	}),
	func(t *testing.T) backend {
		mem := gocache.New(gocache.NoExpiration, time.Minute)
		inner := gocachego.NewGoCache(mem)
		return backend{
			name: "memory",
			newStore: func(t *testing.T, keys []string, opts ...codec.KeySchemeOption) *store.EncryptingStore {
				return newEncrypting(t, func(c store.Codec, ks *codec.KeyScheme) (*store.EncryptingStore, error) {
					return store.New(inner, c, ks)
				}, keys, opts...)
			},
			rawGet: func(_ *testing.T, k string) ([]byte, bool) {
				v, ok := mem.Get(k)
				if !ok {
					return nil, false
				}
				b, _ := v.([]byte)
				return append([]byte(nil), b...), true
			},
			rawSet: func(_ *testing.T, k string, v []byte) { mem.Set(k, v, time.Hour) },
		}
	},
}

// forEachBackend runs fn as a subtest per backend, in parallel.
func forEachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	t.Helper()
	for _, mk := range backends {
		b := mk(t)
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, b)
		})
	}
}

func newSessions(t *testing.T, st *store.EncryptingStore, opts ...Option) *Store {
	t.Helper()
	s, err := New(st, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustFind(t *testing.T, s *Store, token string) []byte {
	t.Helper()
	b, found, err := s.FindCtx(t.Context(), token)
	if err != nil || !found {
		t.Fatalf("Find(%q) = found %v, err %v; want found", token, found, err)
	}
	return b
}

func mustMiss(t *testing.T, s *Store, token string) {
	t.Helper()
	b, found, err := s.FindCtx(t.Context(), token)
	if err != nil || found || b != nil {
		t.Fatalf("Find(%q) = %q, found %v, err %v; want not found, nil error", token, b, found, err)
	}
}

func mustCommit(t *testing.T, s *Store, token string, data string, expiry time.Time) {
	t.Helper()
	if err := s.CommitCtx(t.Context(), token, []byte(data), expiry); err != nil {
		t.Fatalf("Commit(%q): %v", token, err)
	}
}
