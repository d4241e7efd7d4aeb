// Package configfuzz fuzzes the aliases config loader in a test binary of its
// own: the root package's tests link Django, browser and cluster harnesses,
// which make coverage-guided fuzzing there crawl.
package configfuzz_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/secureredis/secureredis"
)

// FuzzParseConfig feeds arbitrary YAML and JSON to the loader: it never
// panics, a config it accepts prints and marshals, and no error or output
// carries a raw control character (an error quotes what it names).
func FuzzParseConfig(f *testing.F) {
	for _, name := range []string{"native.yaml", "django_settings.json"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "config", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`caches: {default: {backend: redis, location: "redis://h/1", key_prefix: "", options: {secret_keys: [` + cfgKey1 + `]}}}`))
	f.Add([]byte(`{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h:1/0"}}}`))
	f.Add([]byte("caches: {\"\\e[2K\": {backend: redis}}"))
	f.Add([]byte(`&a [*a, *a]`))
	f.Add([]byte("caches:\n  default:\n    Backend: redis\n    locaton: [\"redis://h\"]\n    options: {secret_key: x, version: -1}\n"))
	f.Add([]byte(`{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h", "KEY_PREFIX": "a",
		"OPTIONS": {"REDIS_SECRET_KEYS": "x", "DATA_RECOVERY": {"OLD_CACHE_NAME": "default", "OLD_KEY_PREFIX": "a"}}}}}`))
	f.Add([]byte(`caches: {default: {backend: redissentinel, location: "redis://s:pw@h:26379/1?master_name=m&addr=h2:26379&password=p", options: {secret_keys: [` + cfgKey1 + `]}}}`))
	f.Add([]byte(`{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://u:p@mymaster/0",
		"OPTIONS": {"CLIENT_CLASS": "django_redis.client.SentinelClient", "SENTINELS": [["h", 26379], ["::1", "1"]],
		"SENTINEL_KWARGS": {"password": "p"}, "REDIS_SECRET_KEY": "` + cfgKey1 + `",
		"SERIALIZER": "secure_redis.serializer.pickle.PickleSerializer"}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		lookup := secureredis.WithLookupEnv(func(string) (string, bool) { return cfgKey1, true })
		cfg, err := secureredis.ParseConfig(data, lookup)
		if err != nil {
			noControl(t, "error", err.Error())
			return
		}
		noControl(t, "String", cfg.String())
		noControl(t, "%+v", fmt.Sprintf("%+v", cfg))
		b, err := json.Marshal(cfg)
		if err != nil {
			t.Fatalf("json.Marshal of an accepted config: %v", err)
		}
		if strings.Contains(string(b), cfgKey1) {
			t.Fatalf("json.Marshal printed a secret key: %s", b)
		}
		var sb strings.Builder
		slog.New(slog.NewJSONHandler(&sb, nil)).Info("cfg", "cfg", cfg)
		if strings.Contains(sb.String(), cfgKey1) {
			t.Fatalf("slog printed a secret key: %s", sb.String())
		}
	})
}

// cfgKey1 is a Fernet key planted in every field the fuzzer reaches.
const cfgKey1 = "QIrw1vM0cxAlC0eeukvzUraCVuPvvzi7pYNh4rDXiDs="

func noControl(t *testing.T, what, s string) {
	t.Helper()
	for _, r := range s {
		if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r)) {
			t.Fatalf("%s holds a raw control character %U: %q", what, r, s)
		}
	}
}
