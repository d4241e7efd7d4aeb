package secureredis_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/secureredis/secureredis"
	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/redistest"
)

// max_age (native) and MAX_AGE (Django) reach the codec: a token older than
// it reads as a miss, a fresh one reads, as with codec.WithMaxAge.
func TestMaxAgeFromConfig(t *testing.T) {
	srv := redistest.Start(t)
	ctx := t.Context()
	rdb := srv.Client(t, 1)
	c := openCaches(t, fmt.Sprintf(`{"CACHES": {
  "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://%[1]s/1", "KEY_PREFIX": "dj",
    "OPTIONS": {"REDIS_SECRET_KEY": "${REDIS_SECRET_KEY}", "SERIALIZER": "secure_redis.serializer.pickle.PickleSerializer", "MAX_AGE": 3600}},
  "native": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}}`, srv.Addr))
	n := openCaches(t, fmt.Sprintf(`
caches:
  default: {backend: redis, location: "redis://%[1]s/1", key_prefix: nat, options: {secret_keys: ["${REDIS_SECRET_KEY}"], max_age: 1h}}`, srv.Addr))
	ring, err := codec.NewKeyRing(cfgKey1)
	if err != nil {
		t.Fatal(err)
	}
	twoHoursAgo := func() time.Time { return time.Now().Add(-2 * time.Hour) }
	oldNative, err := codec.New(ring, codec.WithClock(twoHoursAgo))
	if err != nil {
		t.Fatal(err)
	}
	oldDjango, err := codec.NewDjango(ring, codec.WithClock(twoHoursAgo))
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		caches *secureredis.Caches
		old    interface {
			Encode(string, any) ([]byte, error)
		}
	}{"django": {c, oldDjango}, "native": {n, oldNative}} {
		s := storeOf(t, tc.caches, "default")
		if err := s.Set(ctx, "fresh", "v"); err != nil {
			t.Fatal(err)
		}
		if v, err := s.Get(ctx, "fresh"); err != nil || v != "v" {
			t.Errorf("%s: fresh entry = %v, %v", name, v, err)
		}
		sk := s.Keys().Key("stale")
		tok, err := tc.old.Encode(sk, "replayed")
		if err != nil {
			t.Fatal(err)
		}
		if err := rdb.Set(ctx, sk, tok, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if v, err := s.Get(ctx, "stale"); !isInvalidToken(err) {
			t.Errorf("%s: a two-hour-old token with max age 1h = %v, %v; want a miss (ErrInvalidToken)", name, v, err)
		}
	}
}

func TestMaxAgeErrors(t *testing.T) {
	for _, tt := range []struct{ name, text, field string }{
		{"negative", `caches: {default: {backend: memory, options: {secret_keys: [` + cfgKey1 + `], max_age: -5}}}`, "caches.default.options.max_age"},
		{"zero", `caches: {default: {backend: memory, options: {secret_keys: [` + cfgKey1 + `], max_age: 0}}}`, "caches.default.options.max_age"},
		{"null", `caches: {default: {backend: memory, options: {secret_keys: [` + cfgKey1 + `], max_age: null}}}`, "caches.default.options.max_age"},
		{"garbage", `caches: {default: {backend: memory, options: {secret_keys: [` + cfgKey1 + `], max_age: soon}}}`, "caches.default.options.max_age"},
		{"plaintext", `caches:
  default: {backend: memory, options: {secret_keys: [` + cfgKey1 + `]}}
  plain: {backend: memory, options: {max_age: 1h}}`, "caches.plain.options.max_age"},
		{"django plaintext", `{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h", "OPTIONS": {"MAX_AGE": 60}}}}`, "CACHES.default.OPTIONS.MAX_AGE"},
		{"binding context in Django's fixed format", `{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h",
			"OPTIONS": {"REDIS_SECRET_KEY": "` + cfgKey1 + `", "CLIENT_CLASS": "secure_redis.client.SecureDjangoRedisClient", "BINDING_CONTEXT": "staging"}}}}`,
			"CACHES.default.OPTIONS.BINDING_CONTEXT"},
	} {
		_, err := secureredis.ParseConfig([]byte(tt.text))
		if err == nil || !strings.Contains(err.Error(), tt.field+": ") {
			t.Errorf("%s: %v, want an error naming %s", tt.name, err, tt.field)
		}
	}
	cfg := parse(t, `caches: {default: {backend: memory, options: {secret_keys: [`+cfgKey1+`], max_age: 90.5}}}`)
	if got := cfg.Caches["default"].Options.MaxAge; got != 90500*time.Millisecond {
		t.Errorf("max_age 90.5 = %v", got)
	}
}
