package secureredis_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secureredis/secureredis"
	"github.com/secureredis/secureredis/codec"
)

// Fernet keys used only by the config tests.
const (
	cfgKey1 = "QIrw1vM0cxAlC0eeukvzUraCVuPvvzi7pYNh4rDXiDs="
	cfgKey2 = "7lHZ8idxCtdlBZcBZPXOXNeTyXupFZoC21SaLGGj9Z4="
)

// env returns a lookup function over vars, for WithLookupEnv.
func env(vars map[string]string) secureredis.LoadOption {
	return secureredis.WithLookupEnv(func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	})
}

func parse(t *testing.T, text string, opts ...secureredis.LoadOption) *secureredis.Config {
	t.Helper()
	cfg, err := secureredis.ParseConfig([]byte(text), opts...)
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	return cfg
}

func intPtr(i int) *int { return &i }

// The sample settings of django-redis-secure's README, dumped from Django to
// JSON and written in the native YAML form, are the same configuration.
func TestSampleSettingsDjangoAndNativeLoadAlike(t *testing.T) {
	opt := env(map[string]string{"REDIS_SECRET_KEY": cfgKey1})
	django, err := secureredis.LoadConfig(filepath.Join("testdata", "config", "django_settings.json"), opt)
	if err != nil {
		t.Fatal(err)
	}
	native, err := secureredis.LoadConfig(filepath.Join("testdata", "config", "native.yaml"), opt)
	if err != nil {
		t.Fatal(err)
	}
	want := &secureredis.Config{
		SecureCache: "default",
		Caches: map[string]secureredis.CacheConfig{
			"default": {
				Backend:   secureredis.BackendRedis,
				Location:  secureredis.Locations{"redis://127.0.0.1:6379"},
				KeyPrefix: "app1:secure",
				Version:   1,
				Timeout:   secureredis.Timeout{Duration: 24 * time.Hour},
				Options: secureredis.CacheOptions{
					SecretKeys: secureredis.SecretKeys{cfgKey1},
					Serializer: secureredis.SerializerPickle,
					DB:         intPtr(1),
					DataRecovery: &secureredis.DataRecovery{
						OldCacheName: "insecure",
						OldKeyPrefix: "app1",
					},
				},
			},
			"insecure": {
				Backend:   secureredis.BackendRedis,
				Location:  secureredis.Locations{"redis://127.0.0.1:6379"},
				KeyPrefix: "app1",
				Version:   1,
				Timeout:   secureredis.Timeout{Duration: 24 * time.Hour},
				Options:   secureredis.CacheOptions{Serializer: secureredis.SerializerPickle, DB: intPtr(1)},
			},
			"staticfiles": {
				Backend:  secureredis.BackendExternal,
				Location: secureredis.Locations{"/var/tmp/django_cache/staticfiles"},
				Version:  1,
				Timeout:  secureredis.Timeout{Never: true},
			},
		},
	}
	if diff := cmp.Diff(want, native); diff != "" {
		t.Errorf("native.yaml (-want +got):\n%s", diff)
	}
	wantBackends := map[string]string{
		"default":     "django_redis.cache.RedisCache",
		"insecure":    "django_redis.cache.RedisCache",
		"staticfiles": "django.core.cache.backends.filebased.FileBasedCache",
	}
	for name, cc := range django.Caches {
		if cc.DjangoBackend != wantBackends[name] {
			t.Errorf("%s: DjangoBackend = %q, want %q", name, cc.DjangoBackend, wantBackends[name])
		}
		cc.DjangoBackend = ""
		django.Caches[name] = cc
	}
	if diff := cmp.Diff(native, django); diff != "" {
		t.Errorf("django_settings.json differs from native.yaml (-native +django):\n%s", diff)
	}
}

// djangoSecureAlias is a django-redis-secure "default" alias, for Django
// documents whose other aliases a test looks at.
const djangoSecureAlias = `"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h/1", "KEY_PREFIX": "s",
	"OPTIONS": {"REDIS_SECRET_KEY": "` + cfgKey1 + `", "CLIENT_CLASS": "secure_redis.client.SecureDjangoRedisClient"}}`

func TestDjangoForms(t *testing.T) {
	tests := []struct {
		name, text string
		alias      string // the alias compared; "default" when empty
		want       secureredis.CacheConfig
	}{
		{
			name: "bare CACHES dict",
			text: `{"default": {"BACKEND": "django_redis.cache.RedisCache",
				"LOCATION": "redis://h:6379", "KEY_PREFIX": "p", "VERSION": 3, "TIMEOUT": 1.5,
				"OPTIONS": {"REDIS_SECRET_KEY": ["` + cfgKey1 + `", "` + cfgKey2 + `"], "db": 4,
				"SERIALIZER": "secure_redis.serializer.pickle.PickleSerializer"}}}`,
			want: secureredis.CacheConfig{
				Backend: secureredis.BackendRedis, DjangoBackend: "django_redis.cache.RedisCache",
				Location: secureredis.Locations{"redis://h:6379"}, KeyPrefix: "p", Version: 3,
				Timeout: secureredis.Timeout{Duration: 1500 * time.Millisecond},
				Options: secureredis.CacheOptions{
					SecretKeys: secureredis.SecretKeys{cfgKey1, cfgKey2},
					Serializer: secureredis.SerializerPickle, DB: intPtr(4),
				},
			},
		},
		{
			name: "secure client class, comma-separated locations",
			text: `{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache",
				"LOCATION": "redis://a:7000,redis://b:7001", "KEY_PREFIX": "p",
				"OPTIONS": {"REDIS_SECRET_KEY": "` + cfgKey1 + `", "CLIENT_CLASS": "secure_redis.client.SecureDjangoRedisClient",
				"SOCKET_TIMEOUT": 5, "COMPRESSOR": "django_redis.compressors.identity.IdentityCompressor"}}}}`,
			want: secureredis.CacheConfig{
				Backend: secureredis.BackendRedis, DjangoBackend: "django_redis.cache.RedisCache",
				Location: secureredis.Locations{"redis://a:7000", "redis://b:7001"}, KeyPrefix: "p", Version: 1,
				Options: secureredis.CacheOptions{
					SecretKeys: secureredis.SecretKeys{cfgKey1}, Serializer: secureredis.SerializerPickle,
					ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second, // SOCKET_TIMEOUT
				},
			},
		},
		{
			name:  "Django's defaults: no KEY_PREFIX, no OPTIONS, read as django-redis's pickle",
			alias: "old",
			text:  `{"CACHES": {` + djangoSecureAlias + `, "old": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h/1"}}}`,
			want: secureredis.CacheConfig{
				Backend: secureredis.BackendRedis, DjangoBackend: "django_redis.cache.RedisCache",
				Location: secureredis.Locations{"redis://h/1"}, Version: 1,
				Options: secureredis.CacheOptions{Serializer: secureredis.SerializerPickle},
			},
		},
		{
			name:  "django-redis's JSON serializer",
			alias: "old",
			text: `{"CACHES": {` + djangoSecureAlias + `, "old": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h/1",
				"OPTIONS": {"SERIALIZER": "django_redis.serializers.json.JSONSerializer", "CLIENT_CLASS": "django_redis.client.DefaultClient"}}}}`,
			want: secureredis.CacheConfig{
				Backend: secureredis.BackendRedis, DjangoBackend: "django_redis.cache.RedisCache",
				Location: secureredis.Locations{"redis://h/1"}, Version: 1,
				Options: secureredis.CacheOptions{Serializer: secureredis.SerializerDjangoJSON},
			},
		},
		{
			name:  "django-redis's msgpack serializer, compressed",
			alias: "old",
			text: `{"CACHES": {` + djangoSecureAlias + `, "old": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h/1",
				"OPTIONS": {"SERIALIZER": "django_redis.serializers.msgpack.MSGPackSerializer", "COMPRESSOR": "django_redis.compressors.zlib.ZlibCompressor"}}}}`,
			want: secureredis.CacheConfig{
				Backend: secureredis.BackendRedis, DjangoBackend: "django_redis.cache.RedisCache",
				Location: secureredis.Locations{"redis://h/1"}, Version: 1,
				Options: secureredis.CacheOptions{Serializer: secureredis.SerializerDjangoMsgpack, Compressor: "django_redis.compressors.zlib.ZlibCompressor"},
			},
		},
		{
			name:  "Django's own RedisCache pickles",
			alias: "old",
			text: `{"CACHES": {` + djangoSecureAlias + `, "old": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://h/2",
				"KEY_PREFIX": "o", "OPTIONS": {"db": 2}}}}`,
			want: secureredis.CacheConfig{
				Backend: secureredis.BackendRedis, DjangoBackend: "django.core.cache.backends.redis.RedisCache",
				Location: secureredis.Locations{"redis://h/2"}, KeyPrefix: "o", Version: 1,
				Options: secureredis.CacheOptions{Serializer: secureredis.SerializerPickle, DB: intPtr(2)},
			},
		},
		{
			name: "locmem is memory with the default serializer",
			text: `{"CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
				"LOCATION": "unique-snowflake", "OPTIONS": {"REDIS_SECRET_KEY": "` + cfgKey1 + `", "MAX_ENTRIES": 10}}}}`,
			want: secureredis.CacheConfig{
				Backend: secureredis.BackendMemory, DjangoBackend: "django.core.cache.backends.locmem.LocMemCache",
				Location: secureredis.Locations{"unique-snowflake"}, Version: 1,
				KeyPrefix: "default", // a memory alias's default prefix is its name
				Options:   secureredis.CacheOptions{SecretKeys: secureredis.SecretKeys{cfgKey1}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := parse(t, tt.text)
			if tt.alias == "" {
				tt.alias = "default"
			}
			if diff := cmp.Diff(tt.want, cfg.Caches[tt.alias]); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// secrets that must never appear in an error message.
var secrets = []string{cfgKey1, cfgKey2, "s3cretpw", "NOTAKEYsecretvalue"}

func TestConfigErrors(t *testing.T) {
	const k = cfgKey1
	tests := []struct {
		name, text string
		field      string // the field the error names
	}{
		{"empty document", ``, "caches"},
		{"no caches", `caches: {}`, "caches"},
		{"secure alias not found", `
secure_cache: main
caches: {default: {backend: redis, location: "redis://h", key_prefix: p, options: {secret_keys: [` + k + `]}}}`, "secure_cache"},
		{"secure alias external", `
caches: {default: {backend: external}}`, "secure_cache"},
		{"missing secret key on the secure alias", `
caches: {default: {backend: redis, location: "redis://h", key_prefix: p}}`, "caches.default.options.secret_keys"},
		{"bad secret key", `
caches: {default: {backend: redis, location: "redis://h", key_prefix: p, options: {secret_keys: [` + k + `, NOTAKEYsecretvalue]}}}`, "caches.default.options.secret_keys[1]"},
		{"short secret key", `
caches: {default: {backend: redis, location: "redis://h", key_prefix: p, options: {secret_keys: ["c2hvcnQ="]}}}`, "caches.default.options.secret_keys[0]"},
		{"unknown backend", `
caches: {default: {backend: memcached, options: {secret_keys: [` + k + `]}}}`, "caches.default.backend"},
		{"missing backend", `
caches: {default: {location: "redis://h", key_prefix: p, options: {secret_keys: [` + k + `]}}}`, "caches.default.backend"},
		{"missing location", `
caches: {default: {backend: redis, key_prefix: p, options: {secret_keys: [` + k + `]}}}`, "caches.default.location"},
		{"empty location", `
caches: {default: {backend: redis, location: [""], key_prefix: p, options: {secret_keys: [` + k + `]}}}`, "caches.default.location[0]"},
		{"bad URL scheme", `
caches: {default: {backend: redis, location: "http://u:s3cretpw@h", key_prefix: p, options: {secret_keys: [` + k + `]}}}`, "caches.default.location[0]"},
		{"bad database with a password", `
caches: {default: {backend: redis, location: "redis://u:s3cretpw@h:6379/x", key_prefix: p, options: {secret_keys: [` + k + `]}}}`, "caches.default.location[0]"},
		{"unparseable URL with a password", `
caches: {default: {backend: redis, location: "redis://u:s3cretpw@h:port", key_prefix: p, options: {secret_keys: [` + k + `]}}}`, "caches.default.location[0]"},
		{"unknown URL option", `
caches: {default: {backend: redis, location: "redis://u:s3cretpw@h?frobnicate=1", key_prefix: p, options: {secret_keys: [` + k + `]}}}`, "caches.default.location[0]"},
		{"bad second cluster URL", `
caches: {default: {backend: redis, location: ["redis://h:1", "ftp://h:2"], key_prefix: p, options: {secret_keys: [` + k + `]}}}`, "caches.default.location[1]"},
		{"database on a cluster", `
caches: {default: {backend: rediscluster, location: "redis://h:1", key_prefix: p, options: {db: 2, secret_keys: [` + k + `]}}}`, "caches.default.options.db"},
		{"database path on a cluster", `
caches: {default: {backend: rediscluster, location: "redis://h:1/3", key_prefix: p, options: {secret_keys: [` + k + `]}}}`, "caches.default.location[0]"},
		{"database in both the location and options", `
caches: {default: {backend: redis, location: "redis://h/1", key_prefix: p, options: {db: 2, secret_keys: [` + k + `]}}}`, "caches.default.options.db"},
		{"negative database", `
caches: {default: {backend: redis, location: "redis://h", key_prefix: p, options: {db: -1, secret_keys: [` + k + `]}}}`, "caches.default.options.db"},
		{"database on memory", `
caches: {default: {backend: memory, options: {db: 1, secret_keys: [` + k + `]}}}`, "caches.default.options.db"},
		{"overlapping key prefixes on one database", `
caches:
  default: {backend: redis, location: "redis://h/1", key_prefix: app1, options: {secret_keys: [` + k + `]}}
  other: {backend: redis, location: "redis://h/1", key_prefix: "app1:2", options: {serializer: raw}}`, "caches.other.key_prefix"},
		{"two empty key prefixes on one database", `
caches:
  default: {backend: redis, location: "redis://h/1", key_prefix: "", options: {secret_keys: [` + k + `]}}
  other: {backend: redis, location: "redis://h/1", options: {serializer: raw}}`, "caches.other.key_prefix"},
		{"a prefix inside the empty prefix's keys", `
caches:
  default: {backend: redis, location: "redis://h/1", key_prefix: "", options: {secret_keys: [` + k + `]}}
  other: {backend: redis, location: "redis://h/1", key_prefix: ":3", options: {serializer: raw}}`, "caches.other.key_prefix"},
		{"negative version", `
caches: {default: {backend: redis, location: "redis://h", key_prefix: p, version: -1, options: {secret_keys: [` + k + `]}}}`, "caches.default.version"},
		{"version zero", `
caches: {default: {backend: redis, location: "redis://h", key_prefix: p, version: 0, options: {secret_keys: [` + k + `]}}}`, "caches.default.version"},
		{"timeout zero", `
caches: {default: {backend: redis, location: "redis://h", key_prefix: p, timeout: 0, options: {secret_keys: [` + k + `]}}}`, "caches.default.timeout"},
		{"timeout negative", `
caches: {default: {backend: redis, location: "redis://h", key_prefix: p, timeout: -5s, options: {secret_keys: [` + k + `]}}}`, "caches.default.timeout"},
		{"timeout garbage", `
caches: {default: {backend: redis, location: "redis://h", key_prefix: p, timeout: soon, options: {secret_keys: [` + k + `]}}}`, "caches.default.timeout"},
		{"unknown serializer", `
caches: {default: {backend: redis, location: "redis://h", key_prefix: p, options: {serializer: yaml, secret_keys: [` + k + `]}}}`, "caches.default.options.serializer"},
		{"raw with secret keys", `
caches: {default: {backend: redis, location: "redis://h", key_prefix: p, options: {serializer: raw, secret_keys: [` + k + `]}}}`, "caches.default.options.serializer"},
		{"native without secret keys", `
caches:
  default: {backend: redis, location: "redis://h", key_prefix: p, options: {secret_keys: [` + k + `]}}
  other: {backend: redis, location: "redis://h", key_prefix: o, options: {serializer: native}}`, "caches.other.options.serializer"},
		{"json without secret keys", `
caches:
  default: {backend: redis, location: "redis://h", key_prefix: p, options: {secret_keys: [` + k + `]}}
  other: {backend: memory, options: {serializer: json}}`, "caches.other.options.serializer"},
		{"old cache name unknown", `
caches:
  default: {backend: redis, location: "redis://h", key_prefix: p, options: {secret_keys: [` + k + `], data_recovery: {old_cache_name: nope, old_key_prefix: o}}}`,
			"caches.default.options.data_recovery.old_cache_name"},
		{"old cache name missing", `
caches:
  default: {backend: redis, location: "redis://h", key_prefix: p, options: {secret_keys: [` + k + `], data_recovery: {old_key_prefix: o}}}`,
			"caches.default.options.data_recovery.old_cache_name"},
		{"old cache external", `
caches:
  default: {backend: redis, location: "redis://h", key_prefix: p, options: {secret_keys: [` + k + `], data_recovery: {old_cache_name: files, old_key_prefix: o}}}
  files: {backend: external}`, "caches.default.options.data_recovery.old_cache_name"},
		{"old key prefix missing", `
caches:
  default: {backend: redis, location: "redis://h", key_prefix: p, options: {secret_keys: [` + k + `], data_recovery: {old_cache_name: old}}}
  old: {backend: redis, location: "redis://h", key_prefix: o}`, "caches.default.options.data_recovery.old_key_prefix"},
		{"django old key prefix missing", `
{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h", "OPTIONS": {"REDIS_SECRET_KEY": "` + k + `",
  "DATA_RECOVERY": {"OLD_CACHE_NAME": "old"}}}, "old": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h", "KEY_PREFIX": "o"}}}`,
			"CACHES.default.OPTIONS.DATA_RECOVERY.OLD_KEY_PREFIX"},
		{"empty old key prefix equals the empty prefix", `
caches:
  default: {backend: redis, location: "redis://h", key_prefix: "", options: {secret_keys: [` + k + `], data_recovery: {old_cache_name: old, old_key_prefix: ""}}}
  old: {backend: redis, location: "redis://h/2", key_prefix: o}`, "caches.default.options.data_recovery.old_key_prefix"},
		{"old key prefix equals the new one", `
caches:
  default: {backend: redis, location: "redis://h", key_prefix: app1, options: {secret_keys: [` + k + `], data_recovery: {old_cache_name: old, old_key_prefix: app1}}}
  old: {backend: redis, location: "redis://h", key_prefix: app1}`, "caches.default.options.data_recovery.old_key_prefix"},
		{"data recovery without secret keys", `
caches:
  default: {backend: redis, location: "redis://h", key_prefix: p, options: {secret_keys: [` + k + `]}}
  other: {backend: redis, location: "redis://h", key_prefix: q, options: {data_recovery: {old_cache_name: default, old_key_prefix: o}}}`,
			"caches.other.options.data_recovery"},
		{"unknown top-level field", `
cache: {}`, "cache"},
		{"unknown alias field", `
caches: {default: {backend: redis, location: "redis://h", key_prefix: p, ttl: 5, options: {secret_keys: [` + k + `]}}}`, "caches.default.ttl"},
		{"unknown option", `
caches: {default: {backend: redis, location: "redis://h", key_prefix: p, options: {secret_key: ` + k + `}}}`, "caches.default.options.secret_key"},
		{"unknown data recovery field", `
caches: {default: {backend: redis, location: "redis://h", key_prefix: p, options: {secret_keys: [` + k + `], data_recovery: {old_prefix: o}}}}`,
			"caches.default.options.data_recovery.old_prefix"},
		{"duplicate field", `
caches: {default: {backend: redis, backend: memory}}`, "caches.default.backend"},
		{"wrong type", `
caches: {default: {backend: [redis]}}`, "caches.default.backend"},
		{"bad boolean", `
caches: {default: {backend: redis, location: "redis://h", key_prefix: p, options: {secret_keys: [` + k + `], data_recovery: {clear_old_entries: maybe}}}}`,
			"caches.default.options.data_recovery.clear_old_entries"},
		{"django unknown option", `
{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "OPTIONS": {"REDIS_SECRET": "` + k + `"}}}}`, "CACHES.default.OPTIONS.REDIS_SECRET"},
		{"django password option", `
{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "OPTIONS": {"PASSWORD": "s3cretpw"}}}}`, "CACHES.default.OPTIONS.PASSWORD"},
		{"django key function", `
{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "KEY_FUNCTION": "app.make_key"}}}`, "CACHES.default.KEY_FUNCTION"},
		{"django unknown redis backend", `
{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCash"}}}`, "CACHES.default.BACKEND"},
		{"django unknown serializer", `
{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "OPTIONS": {"SERIALIZER": "myapp.serializers.YAMLSerializer"}}}}`,
			"CACHES.default.OPTIONS.SERIALIZER"},
		{"django unknown client class", `
{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "OPTIONS": {"CLIENT_CLASS": "django_redis.client.HerdClient"}}}}`,
			"CACHES.default.OPTIONS.CLIENT_CLASS"},
		{"django unknown compressor", `
{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "OPTIONS": {"COMPRESSOR": "myapp.Brotli"}}}}`,
			"CACHES.default.OPTIONS.COMPRESSOR"},
		{"django secure serializer without a key", `
{"CACHES": {` + djangoSecureAlias + `, "b": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h", "KEY_PREFIX": "b",
  "OPTIONS": {"SERIALIZER": "secure_redis.serializer.pickle.PickleSerializer"}}}}`, "CACHES.b.OPTIONS.REDIS_SECRET_KEY"},
		{"django secure client without a key", `
{"CACHES": {` + djangoSecureAlias + `, "b": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h", "KEY_PREFIX": "b",
  "OPTIONS": {"CLIENT_CLASS": "secure_redis.client.SecureDjangoRedisClient"}}}}`, "CACHES.b.OPTIONS.REDIS_SECRET_KEY"},
		{"django key with django-redis's default pickle", `
{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h", "OPTIONS": {"REDIS_SECRET_KEY": "` + k + `"}}}}`,
			"CACHES.default.OPTIONS.REDIS_SECRET_KEY"},
		{"django key with the json serializer", `
{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h",
  "OPTIONS": {"REDIS_SECRET_KEY": "` + k + `", "SERIALIZER": "django_redis.serializers.json.JSONSerializer"}}}}`,
			"CACHES.default.OPTIONS.REDIS_SECRET_KEY"},
		{"django's own RedisCache with a key", `
{"CACHES": {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://h", "OPTIONS": {"REDIS_SECRET_KEY": "` + k + `"}}}}`,
			"CACHES.default.OPTIONS.REDIS_SECRET_KEY"},
		{"django-json with secret keys", `
caches: {default: {backend: redis, location: "redis://h", key_prefix: p, options: {serializer: django-json, secret_keys: [` + k + `]}}}`,
			"caches.default.options.serializer"},
		{"compressor with native", `
caches: {default: {backend: redis, location: "redis://h", key_prefix: p, options: {compressor: zlib, secret_keys: [` + k + `]}}}`,
			"caches.default.options.compressor"},
		{"django unknown top-level", `
{"CACHES": {}, "DEBUG": true}`, "DEBUG"},
		{"django validation names Django's fields", `
{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h", "KEY_PREFIX": "p"}}}`,
			"CACHES.default.OPTIONS.REDIS_SECRET_KEY"},
		{"not YAML", "caches: [\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := secureredis.ParseConfig([]byte(tt.text), env(nil))
			if err == nil {
				t.Fatal("ParseConfig succeeded")
			}
			if !errors.Is(err, secureredis.ErrInvalidConfig) {
				t.Errorf("error %q does not match ErrInvalidConfig", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "secureredis: config: ") {
				t.Errorf("error %q lacks the package prefix", msg)
			}
			if want := "secureredis: config: " + tt.field + ": "; tt.field != "" && !strings.Contains(msg, want) {
				t.Errorf("error %q does not name %s", msg, tt.field)
			}
			var ce *secureredis.ConfigError
			if !errors.As(err, &ce) {
				t.Errorf("error %q is not a *ConfigError", msg)
			}
			for _, s := range secrets {
				if strings.Contains(msg, s) || strings.Contains(fmt.Sprintf("%+v", err), s) {
					t.Errorf("error %q contains the secret %q", msg, s)
				}
			}
		})
	}
}

func TestBadSecretKeyMatchesCodecError(t *testing.T) {
	_, err := secureredis.ParseConfig([]byte(`
caches: {default: {backend: memory, options: {secret_keys: ["NOTAKEYsecretvalue"]}}}`))
	if !errors.Is(err, codec.ErrInvalidKey) || !errors.Is(err, secureredis.ErrInvalidConfig) {
		t.Fatalf("error %v matches neither codec.ErrInvalidKey nor ErrInvalidConfig", err)
	}
	var ke *codec.KeyError
	if !errors.As(err, &ke) || ke.Index != 0 {
		t.Errorf("error %v does not carry *codec.KeyError at index 0", err)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	cfg := &secureredis.Config{Caches: map[string]secureredis.CacheConfig{
		"default": {Backend: secureredis.BackendRedis, Location: secureredis.Locations{"redis://h"}, Version: -1},
		"other":   {Backend: "bogus"},
	}}
	err := cfg.Validate()
	for _, field := range []string{"caches.default.version", "caches.default.options.secret_keys", "caches.other.backend"} {
		if err == nil || !strings.Contains(err.Error(), field+":") {
			t.Errorf("Validate() = %v, want it to name %s", err, field)
		}
	}
	var nilCfg *secureredis.Config
	if err := nilCfg.Validate(); !errors.Is(err, secureredis.ErrInvalidConfig) {
		t.Errorf("nil Config: Validate() = %v", err)
	}
}

func TestEnvExpansion(t *testing.T) {
	vars := map[string]string{
		"REDIS_SECRET_KEY": cfgKey1,
		"OLD_KEY":          cfgKey2,
		"REDIS_HOST":       "cache.internal",
		"REDIS_PASSWORD":   "s3cretpw",
		"APP":              "app1",
	}
	cfg := parse(t, `
caches:
  default:
    backend: redis
    location: "redis://:${REDIS_PASSWORD}@${REDIS_HOST}:6379/0"
    key_prefix: ${APP}:secure
    options:
      secret_keys: ["${REDIS_SECRET_KEY}", "${OLD_KEY}"]
      data_recovery: {old_cache_name: old, old_key_prefix: "${APP}", clear_old_entries: "true"}
  old:
    backend: redis
    location: "redis://${REDIS_HOST}"
    key_prefix: "$${APP}"
`, env(vars))
	got := cfg.Caches["default"]
	want := secureredis.CacheConfig{
		Backend:   secureredis.BackendRedis,
		Location:  secureredis.Locations{"redis://:s3cretpw@cache.internal:6379/0"},
		KeyPrefix: "app1:secure",
		Version:   1,
		Options: secureredis.CacheOptions{
			SecretKeys:   secureredis.SecretKeys{cfgKey1, cfgKey2},
			DataRecovery: &secureredis.DataRecovery{OldCacheName: "old", OldKeyPrefix: "app1", ClearOldEntries: true},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("default (-want +got):\n%s", diff)
	}
	if p := cfg.Caches["old"].KeyPrefix; p != "${APP}" {
		t.Errorf("$${APP} expanded to %q, want the literal ${APP}", p)
	}

	t.Run("os environment by default", func(t *testing.T) {
		t.Setenv("SECUREREDIS_TEST_KEY", cfgKey2)
		cfg := parse(t, `caches: {default: {backend: memory, options: {secret_keys: ["${SECUREREDIS_TEST_KEY}"]}}}`)
		if got := cfg.Caches["default"].Options.SecretKeys; len(got) != 1 || got[0] != cfgKey2 {
			t.Errorf("secret keys not read from the environment")
		}
	})

	errTests := []struct {
		name, text, want string
	}{
		{"missing variable", `caches: {default: {backend: memory, options: {secret_keys: ["${NOT_SET}"]}}}`,
			"caches.default.options.secret_keys[0]: environment variable NOT_SET is not set"},
		{"missing in a Django file", `{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://${NOT_SET}"}}}`,
			"CACHES.default.LOCATION: environment variable NOT_SET is not set"},
		{"unterminated", `caches: {default: {backend: memory, key_prefix: "a${APP", options: {secret_keys: ["` + cfgKey1 + `"]}}}`,
			"caches.default.key_prefix: unterminated"},
		{"bad name", `caches: {default: {backend: memory, key_prefix: "${s3cretpw-x}", options: {secret_keys: ["` + cfgKey1 + `"]}}}`,
			"caches.default.key_prefix: invalid environment variable name"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := secureredis.ParseConfig([]byte(tt.text), env(vars))
			if !errors.Is(err, secureredis.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseConfig error = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cretpw") {
				t.Errorf("error %q echoes the value", err)
			}
		})
	}
}

func TestTimeoutForms(t *testing.T) {
	tests := []struct {
		in      string
		want    secureredis.Timeout
		wantExp time.Duration
		wantErr bool
	}{
		{in: "null", want: secureredis.Timeout{Never: true}, wantExp: 0},
		{in: "~", want: secureredis.Timeout{Never: true}, wantExp: 0},
		{in: "86400", want: secureredis.Timeout{Duration: 24 * time.Hour}, wantExp: 24 * time.Hour},
		{in: "0.25", want: secureredis.Timeout{Duration: 250 * time.Millisecond}, wantExp: 250 * time.Millisecond},
		{in: "1e3", want: secureredis.Timeout{Duration: 1000 * time.Second}, wantExp: 1000 * time.Second},
		{in: `"24h"`, want: secureredis.Timeout{Duration: 24 * time.Hour}, wantExp: 24 * time.Hour},
		{in: "90s", want: secureredis.Timeout{Duration: 90 * time.Second}, wantExp: 90 * time.Second},
		{in: `"${TTL}"`, want: secureredis.Timeout{Duration: 2 * time.Minute}, wantExp: 2 * time.Minute},
		{in: "0", wantErr: true},
		{in: "-1", wantErr: true},
		{in: `"-1h"`, wantErr: true},
		{in: `"0s"`, wantErr: true},
		{in: "24", want: secureredis.Timeout{Duration: 24 * time.Second}, wantExp: 24 * time.Second},
		{in: `"24"`, wantErr: true}, // a string is a Go duration: the unit is required
		{in: "1e300", wantErr: true},
		{in: ".nan", wantErr: true},
		{in: "true", wantErr: true},
		{in: "[1]", wantErr: true},
		{in: `"forever"`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			text := `caches: {default: {backend: memory, timeout: ` + tt.in + `, options: {secret_keys: ["` + cfgKey1 + `"]}}}`
			cfg, err := secureredis.ParseConfig([]byte(text), env(map[string]string{"TTL": "2m"}))
			if tt.wantErr {
				if !errors.Is(err, secureredis.ErrInvalidConfig) || !strings.Contains(err.Error(), "caches.default.timeout: ") {
					t.Fatalf("ParseConfig error = %v, want a timeout error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := cfg.Caches["default"].Timeout
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if exp := got.Expiration(); exp != tt.wantExp {
				t.Errorf("Expiration() = %v, want %v", exp, tt.wantExp)
			}
		})
	}
	if exp := (secureredis.Timeout{}).Expiration(); exp != secureredis.DefaultTimeout {
		t.Errorf("zero Timeout: Expiration() = %v, want %v", exp, secureredis.DefaultTimeout)
	}
	cfg := parse(t, `caches: {default: {backend: memory, options: {secret_keys: ["`+cfgKey1+`"]}}}`)
	if exp := cfg.Caches["default"].Timeout.Expiration(); exp != 300*time.Second {
		t.Errorf("unset timeout: Expiration() = %v, want Django's 300s", exp)
	}
}

func TestTimeoutUnmarshalJSON(t *testing.T) {
	tests := []struct {
		in      string
		want    secureredis.Timeout
		wantErr bool
	}{
		{in: `null`, want: secureredis.Timeout{Never: true}},
		{in: `300`, want: secureredis.Timeout{Duration: 5 * time.Minute}},
		{in: `0.5`, want: secureredis.Timeout{Duration: 500 * time.Millisecond}},
		{in: `"1h30m"`, want: secureredis.Timeout{Duration: 90 * time.Minute}},
		{in: `"soon"`, wantErr: true},
		{in: `true`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var v struct{ Timeout secureredis.Timeout }
			err := json.Unmarshal([]byte(`{"Timeout": `+tt.in+`}`), &v)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Unmarshal error = %v, wantErr %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, v.Timeout); !tt.wantErr && diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfigPrintsRedacted(t *testing.T) {
	cfg := parse(t, `
caches:
  default:
    backend: redis
    location: redis://user:s3cretpw@127.0.0.1:6379/1
    key_prefix: app1:secure
    options: {secret_keys: ["`+cfgKey1+`", "`+cfgKey2+`"]}
`)
	cc := cfg.Caches["default"]
	values := map[string]any{
		"*Config":      cfg,
		"Config":       *cfg,
		"CacheConfig":  cc,
		"CacheOptions": cc.Options,
		"SecretKeys":   cc.Options.SecretKeys,
		"Locations":    cc.Location,
	}
	for name, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
			out := fmt.Sprintf(verb, v)
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("Sprintf(%q, %s) = %s: contains a secret", verb, name, out)
				}
			}
		}
	}
	if got := fmt.Sprint(cc.Options.SecretKeys); got != "[2 secret keys redacted]" {
		t.Errorf("SecretKeys print as %q", got)
	}
	if got := fmt.Sprintf("%#v", cc.Options.SecretKeys); got != "secureredis.SecretKeys{/* 2 redacted */}" {
		t.Errorf("SecretKeys %%#v = %q", got)
	}
	if got, want := fmt.Sprint(cc.Location), "[redis://user:xxxxx@127.0.0.1:6379/1]"; got != want {
		t.Errorf("Location prints as %q, want %q", got, want)
	}
	if out := fmt.Sprintf("%+v", cfg); !strings.Contains(out, "KeyPrefix:app1:secure") {
		t.Errorf("%%+v lost the non-secret fields: %s", out)
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	_, err := secureredis.LoadConfig(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadConfig error = %v, want os.ErrNotExist", err)
	}
}

// Prefixes that merely share their first characters, or share a database
// without overlapping (Django's own "app1" and "app1:secure"), are fine, and
// so are overlapping prefixes on different databases.
func TestNonOverlappingPrefixes(t *testing.T) {
	for _, text := range []string{`
caches:
  default: {backend: redis, location: "redis://h/1", key_prefix: "app1:secure", options: {secret_keys: [` + cfgKey1 + `]}}
  insecure: {backend: redis, location: "redis://h/1", key_prefix: app1, options: {serializer: raw}}
  neighbour: {backend: redis, location: "redis://h/1", key_prefix: app10, options: {serializer: raw}}`, `
caches:
  default: {backend: redis, location: "redis://h/1", key_prefix: app1, options: {secret_keys: [` + cfgKey1 + `]}}
  other: {backend: redis, location: "redis://h/2", key_prefix: "app1:2", options: {serializer: raw}}`,
	} {
		if _, err := secureredis.ParseConfig([]byte(text)); err != nil {
			t.Errorf("ParseConfig: %v", err)
		}
	}
}
