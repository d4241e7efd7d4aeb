package secureredis_test

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"strings"
	"testing"

	gocachestore "github.com/eko/gocache/lib/v4/store"

	"github.com/secureredis/secureredis"
	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/redistest"
)

// TestBindingContextFromConfig: two deployments that share a Redis database,
// key prefix and secret key but not binding_context never read each other's
// tokens; the same context reads them.
func TestBindingContextFromConfig(t *testing.T) {
	srv := redistest.Start(t)
	alias := func(ctx string) string {
		return fmt.Sprintf(`
caches:
  default:
    backend: redis
    location: redis://%s/0
    key_prefix: app1:secure
    options: {secret_keys: ["${REDIS_SECRET_KEY}"], binding_context: %q}`, srv.Addr, ctx)
	}
	staging := storeOf(t, openCaches(t, alias("staging")), "default")
	production := storeOf(t, openCaches(t, alias("production")), "default")
	again := storeOf(t, openCaches(t, alias("staging")), "default")
	ctx := t.Context()
	if err := staging.Set(ctx, "k", "from staging"); err != nil {
		t.Fatal(err)
	}
	_, err := production.Get(ctx, "k")
	if !errors.Is(err, gocachestore.NotFound{}) || !errors.Is(err, codec.ErrInvalidToken) {
		t.Fatalf("production read a staging token: %v", err)
	}
	if v, err := again.Get(ctx, "k"); err != nil || v != "from staging" {
		t.Fatalf("same context: %v, %v", v, err)
	}
}

func TestBindingContextErrors(t *testing.T) {
	for _, tt := range []struct{ name, text, field string }{
		{"raw alias", `caches: {default: {backend: redis, location: "redis://h/1", key_prefix: p, options: {serializer: raw, binding_context: prod}}}`,
			"caches.default.options.binding_context"},
		{"too long", `caches: {default: {backend: redis, location: "redis://h/1", key_prefix: p, options: {secret_keys: [` + cfgKey1 + `], binding_context: ` +
			strings.Repeat("x", codec.MaxBindingContextLen+1) + `}}}`, "caches.default.options.binding_context"},
		{"Django format", `{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h/1",
			"OPTIONS": {"REDIS_SECRET_KEY": "` + cfgKey1 + `", "SERIALIZER": "secure_redis.serializer.pickle.PickleSerializer", "BINDING_CONTEXT": "prod"}}}}`,
			"OPTIONS.BINDING_CONTEXT"},
		{"cap without compressor", `caches: {default: {backend: redis, location: "redis://h/1", key_prefix: p, options: {secret_keys: [` + cfgKey1 + `], max_decompressed_size: 1024}}}`,
			"caches.default.options.max_decompressed_size"},
		{"negative cap", `{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h/1", "KEY_PREFIX": "s",
			"OPTIONS": {"REDIS_SECRET_KEY": "` + cfgKey1 + `", "SERIALIZER": "secure_redis.serializer.pickle.PickleSerializer", "COMPRESSOR": "django_redis.compressors.zlib.ZlibCompressor", "MAX_DECOMPRESSED_SIZE": -1}}}}`,
			"MAX_DECOMPRESSED_SIZE"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := secureredis.ParseConfig([]byte(tt.text))
			if err == nil || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tt.field)) {
				t.Errorf("err = %v, want it to name %s", err, tt.field)
			}
		})
	}
}

// TestMaxDecompressedSizeFromConfig: a Django alias's MAX_DECOMPRESSED_SIZE
// caps what a planted zlib value may inflate to; a value under it reads.
func TestMaxDecompressedSizeFromConfig(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	c := openCaches(t, fmt.Sprintf(`{"CACHES": {
		"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://%[1]s/0", "KEY_PREFIX": "secure",
			"OPTIONS": {"REDIS_SECRET_KEY": "${REDIS_SECRET_KEY}", "SERIALIZER": "secure_redis.serializer.pickle.PickleSerializer"}},
		"plain": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://%[1]s/0", "KEY_PREFIX": "plain",
			"OPTIONS": {"COMPRESSOR": "django_redis.compressors.zlib.ZlibCompressor", "MAX_DECOMPRESSED_SIZE": 4096}}}}`, srv.Addr))
	s := storeOf(t, c, "plain")
	ctx := t.Context()
	if err := s.Set(ctx, "small", "fits"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get(ctx, "small"); err != nil || v != "fits" {
		t.Fatalf("small: %v, %v", v, err)
	}
	var bomb bytes.Buffer
	w := zlib.NewWriter(&bomb)
	_, _ = w.Write(make([]byte, 1<<20))
	_ = w.Close()
	client.Set(ctx, s.Keys().Key("bomb"), bomb.Bytes(), 0)
	if v, err := s.Get(ctx, "bomb"); err == nil {
		t.Fatalf("a 1 MiB inflation under a 4 KiB cap read as %T", v)
	}
}
