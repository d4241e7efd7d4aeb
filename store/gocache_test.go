package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eko/gocache/lib/v4/cache"
	"github.com/eko/gocache/lib/v4/marshaler"
	"github.com/eko/gocache/lib/v4/metrics"
	gocachestore "github.com/eko/gocache/lib/v4/store"
	gocachego "github.com/eko/gocache/store/go_cache/v4"
	gocache "github.com/patrickmn/go-cache"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/store"
)

// The store works with gocache the way gocache users use it.

func TestGocacheTypedCaches(t *testing.T) {
	s, _ := newRedisStore(t)
	ctx := t.Context()

	strs := cache.New[string](s)
	if err := strs.Set(ctx, "s", "hello"); err != nil {
		t.Fatal(err)
	}
	if v, err := strs.Get(ctx, "s"); err != nil || v != "hello" {
		t.Errorf("cache.New[string] Get = %q, %v", v, err)
	}

	bytes := cache.New[[]byte](s)
	if err := bytes.Set(ctx, "b", []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if v, err := bytes.Get(ctx, "b"); err != nil || string(v) != "\x01\x02\x03" {
		t.Errorf("cache.New[[]byte] Get = %v, %v", v, err)
	}
	if ok, err := bytes.SetIfNotExists(ctx, "b", []byte{9}); ok || err != nil {
		t.Errorf("cache SetIfNotExists on existing key = %v, %v", ok, err)
	}

	type user struct {
		ID    int64
		Email string
		Roles []string
	}
	m := marshaler.New(cache.New[any](s))
	want := user{ID: 42, Email: "ada@example.com", Roles: []string{"admin"}}
	if err := m.Set(ctx, "user:42", want, gocachestore.WithExpiration(time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, err := m.Get(ctx, "user:42", new(user))
	if err != nil {
		t.Fatal(err)
	}
	if g := *got.(*user); g.ID != want.ID || g.Email != want.Email || len(g.Roles) != 1 {
		t.Errorf("marshaler Get = %+v", g)
	}

	// Non-string keys are hashed by gocache's cache before they reach the store.
	if err := strs.Set(ctx, struct{ ID int }{7}, "by struct"); err != nil {
		t.Fatal(err)
	}
	if v, err := strs.Get(ctx, struct{ ID int }{7}); err != nil || v != "by struct" {
		t.Errorf("struct key Get = %q, %v", v, err)
	}
}

func TestGocacheChainLeavesOnlyCiphertextInRedis(t *testing.T) {
	s, client := newRedisStore(t)
	ctx := t.Context()
	mem := gocache.New(5*time.Minute, time.Minute)
	memory := cache.New[string](gocachego.NewGoCache(mem))
	chain := cache.NewChain[string](memory, cache.New[string](s))
	t.Cleanup(func() { _ = chain.Close() })

	if err := chain.Set(ctx, "token", "top secret", gocachestore.WithExpiration(time.Minute)); err != nil {
		t.Fatal(err)
	}
	raw := client.Get(ctx, "app1:secure:1:token").Val()
	if !strings.HasPrefix(raw, "gAAAAA") || strings.Contains(raw, "top secret") {
		t.Fatalf("Redis holds %q, want a Fernet token", raw)
	}
	// Memory tier empty: the chain reads Redis and fills memory back with the TTL.
	mem.Flush()
	if v, err := chain.Get(ctx, "token"); err != nil || v != "top secret" {
		t.Fatalf("chain Get = %q, %v", v, err)
	}
	deadline := time.Now().Add(testkit.Patience)
	for {
		if _, exp, ok := mem.GetWithExpiration("token"); ok {
			if exp.IsZero() || time.Until(exp) > time.Minute {
				t.Errorf("memory tier expiry = %v, want within the Redis TTL", exp)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("chain did not fill the memory tier back")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Every key in Redis is under the prefix and encrypted.
	for _, k := range redistest.Keys(t, client) {
		if !strings.HasPrefix(k, "app1:secure:") {
			t.Errorf("key outside the prefix: %q", k)
		}
		if v := client.Get(ctx, k).Val(); !strings.HasPrefix(v, "gAAAAA") {
			t.Errorf("%s holds non-token %q", k, v)
		}
	}
}

func TestGocacheLoadableAndMetric(t *testing.T) {
	s, client := newRedisStore(t)
	ctx := t.Context()
	loads := 0
	load := func(_ context.Context, key any) (string, []gocachestore.Option, error) {
		loads++
		return "loaded:" + key.(string), []gocachestore.Option{gocachestore.WithExpiration(time.Minute)}, nil
	}
	reg := prometheus.NewRegistry()
	loadable := cache.NewLoadable[string](load, cache.New[string](s))
	t.Cleanup(func() { _ = loadable.Close() })
	c := cache.NewMetric[string](metrics.NewPrometheus("test", metrics.WithRegisterer(reg)), loadable)
	if v, err := c.Get(ctx, "k"); err != nil || v != "loaded:k" {
		t.Fatalf("first Get = %q, %v", v, err)
	}
	// The loader's value is written back asynchronously.
	deadline := time.Now().Add(testkit.Patience)
	for client.Exists(ctx, "app1:secure:1:k").Val() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("loadable cache did not write the loaded value")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if v, err := c.Get(ctx, "k"); err != nil || v != "loaded:k" || loads != 1 {
		t.Errorf("second Get = %q, %v (loads %d)", v, err, loads)
	}
	if _, err := reg.Gather(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(client.Get(ctx, "app1:secure:1:k").Val(), "gAAAAA") {
		t.Error("loaded value not encrypted")
	}
}

func TestInMemoryInnerStore(t *testing.T) {
	mem := gocache.New(time.Minute, time.Minute)
	s, err := store.New(gocachego.NewGoCache(mem), newCodec(t), newKeys(t, "app1:secure"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := s.Set(ctx, "k", "v", gocachestore.WithTags([]string{"t"})); err != nil {
		t.Fatal(err)
	}
	raw, ok := mem.Get("app1:secure:1:k")
	if !ok || !strings.HasPrefix(string(raw.([]byte)), "gAAAAA") {
		t.Fatalf("memory holds %v", raw)
	}
	if v, ttl, err := s.GetWithTTL(ctx, "k"); err != nil || v != "v" || ttl <= 0 {
		t.Errorf("GetWithTTL = %v, %v, %v", v, ttl, err)
	}
	if err := s.Invalidate(ctx, gocachestore.WithInvalidateTags([]string{"t"})); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, gocachestore.NotFound{}) {
		t.Errorf("after Invalidate Get = %v", err)
	}
	if err := s.Set(ctx, "k2", "v"); err != nil {
		t.Fatal(err)
	}
	if err := s.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if mem.ItemCount() != 0 {
		t.Errorf("in-memory Clear left %d items", mem.ItemCount())
	}
	if s.GetType() != "secure-go-cache" {
		t.Errorf("GetType = %q", s.GetType())
	}
}
