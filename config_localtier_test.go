package secureredis_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/secureredis/secureredis"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
)

// options.local_tier (native) and OPTIONS.LOCAL_TIER (Django) parse, and
// Open reads the alias through a coherent local tier.
func TestConfigLocalTier(t *testing.T) {
	native := parse(t, fmt.Sprintf(`
caches:
  default:
    backend: redis
    location: redis://127.0.0.1:1/0
    options: {secret_keys: ["%s"], local_tier: {max_entries: 100, max_bytes: 4096, max_staleness: 30s}}
`, cfgKey1))
	lt := native.Caches["default"].Options.LocalTier
	if lt == nil || lt.MaxEntries != 100 || lt.MaxBytes != 4096 || lt.MaxStaleness != 30*time.Second {
		t.Fatalf("native: %+v", lt)
	}
	django := parse(t, fmt.Sprintf(`
CACHES:
  default:
    BACKEND: django_redis.cache.RedisCache
    LOCATION: redis://127.0.0.1:1/0
    OPTIONS: {REDIS_SECRET_KEY: "%s", SERIALIZER: secure_redis.serializer.pickle.PickleSerializer, LOCAL_TIER: {MAX_STALENESS: 5}}
`, cfgKey1))
	if lt := django.Caches["default"].Options.LocalTier; lt == nil || lt.MaxStaleness != 5*time.Second {
		t.Fatalf("django: %+v", lt)
	}
	empty := parse(t, fmt.Sprintf(`
caches:
  default: {backend: redis, location: "redis://127.0.0.1:1/0", options: {secret_keys: ["%s"], local_tier: {}}}
`, cfgKey1))
	if empty.Caches["default"].Options.LocalTier == nil {
		t.Fatal("an empty local_tier did not turn the tier on")
	}
}

func TestConfigLocalTierRefused(t *testing.T) {
	for _, tt := range []struct{ name, text, field string }{
		{"cluster", `
caches:
  default: {backend: rediscluster, location: ["redis://127.0.0.1:1", "redis://127.0.0.1:2"], options: {secret_keys: ["%s"], local_tier: {}}}
`, "caches.default.options.local_tier: not supported on Redis Cluster"},
		{"memory", `
caches:
  default: {backend: memory, options: {secret_keys: ["%s"], local_tier: {}}}
`, "caches.default.options.local_tier: only for Redis"},
		{"negative", `
caches:
  default: {backend: redis, location: "redis://127.0.0.1:1/0", options: {secret_keys: ["%s"], local_tier: {max_entries: -1}}}
`, "caches.default.options.local_tier.max_entries"},
		{"unknown field", `
caches:
  default: {backend: redis, location: "redis://127.0.0.1:1/0", options: {secret_keys: ["%s"], local_tier: {size: 1}}}
`, "local_tier.size: unknown field"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := secureredis.ParseConfig([]byte(fmt.Sprintf(tt.text, cfgKey1)))
			if !errors.Is(err, secureredis.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("err = %v, want one naming %q", err, tt.field)
			}
		})
	}
}

func TestOpenLocalTier(t *testing.T) {
	srv := redistest.Start(t)
	cfg := parse(t, fmt.Sprintf(`
caches:
  default: {backend: redis, location: "redis://%s/0", key_prefix: app, options: {secret_keys: ["%s"], local_tier: {max_entries: 10}}}
  plain: {backend: redis, location: "redis://%s/0", key_prefix: other, options: {secret_keys: ["%s"]}}
`, srv.Addr, cfgKey1, srv.Addr, cfgKey1))
	c, err := secureredis.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tier, err := c.Tier("default")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Tier("plain"); !errors.Is(err, secureredis.ErrUnknownAlias) {
		t.Fatalf("Tier(plain) = %v, want ErrUnknownAlias", err)
	}
	st, err := c.Store("default")
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	testkit.Eventually(t, func() bool { return tier.Stats().Tracking }, "never tracking")
	if err := st.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	_ = tier.Sync(ctx)
	for range 3 {
		if v, err := st.Get(ctx, "k"); err != nil || v != "v" {
			t.Fatalf("get = %v, %v", v, err)
		}
	}
	if s := tier.Stats(); s.Hits != 2 {
		t.Fatalf("stats = %+v, want 2 hits", s)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if tier.Stats().Tracking {
		t.Fatal("Close left the tier tracking")
	}
}
