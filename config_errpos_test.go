package secureredis_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/secureredis/secureredis"
)

// TestConfigErrorPositions checks that errors name the field the way the
// file does, with its line and column, and suggest a known field for a
// mistyped one, in YAML and in JSON.
func TestConfigErrorPositions(t *testing.T) {
	const k = cfgKey1
	tests := []struct {
		name, text   string
		field        string
		line, column int
		reason       string // a part of the reason
	}{
		{"native unknown field", `
caches:
  default:
    backend: redis
    locaton: "redis://h"`, "caches.default.locaton", 5, 5, "unknown field (did you mean location?)"},
		{"native unknown option", `
caches:
  default: {backend: redis, location: "redis://h", options: {secret_key: [` + k + `]}}`,
			"caches.default.options.secret_key", 3, 62, "did you mean secret_keys?"},
		{"native wrong case", `
caches: {default: {Backend: redis}}`, "caches.default.Backend", 2, 20, "did you mean backend?"},
		{"no suggestion for a far name", `
caches: {default: {backend: redis, frobnicate: 1}}`, "caches.default.frobnicate", 2, 36, "unknown field"},
		{"native validation error", `
caches:
  default:
    backend: redis
    location: "redis://h"
    key_prefix: p
    version: -1
    options: {secret_keys: [` + k + `]}`, "caches.default.version", 7, 5, "must not be negative"},
		{"native list element", `
caches:
  default:
    backend: redis
    key_prefix: p
    location:
      - "redis://h:1"
      - "ftp://h:2"
    options: {secret_keys: [` + k + `]}`, "caches.default.location[1]", 8, 9, "scheme"},
		{"JSON unknown Django field", `{"CACHES": {
  "default": {
    "BACKEND": "django_redis.cache.RedisCache",
    "LOCATON": "redis://h"}}}`, "CACHES.default.LOCATON", 4, 5, "did you mean LOCATION?"},
		{"JSON Django option in lower case", `{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h",
  "OPTIONS": {"redis_secret_key": "` + k + `"}}}}`, "CACHES.default.OPTIONS.redis_secret_key", 2, 15, "did you mean REDIS_SECRET_KEY?"},
		{"JSON Django validation error", `{"CACHES": {"default": {
  "BACKEND": "django_redis.cache.RedisCache",
  "LOCATION": "redis://h", "KEY_PREFIX": "app1",
  "OPTIONS": {"REDIS_SECRET_KEY": "` + k + `", "SERIALIZER": "secure_redis.serializer.pickle.PickleSerializer",
    "DATA_RECOVERY": {"OLD_CACHE_NAME": "old", "OLD_KEY_PREFIX": "app1"}}},
  "old": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h", "KEY_PREFIX": "app1"}}}`,
			"CACHES.default.OPTIONS.DATA_RECOVERY.OLD_KEY_PREFIX", 5, 48, "equals the alias's own KEY_PREFIX"},
		{"Django secure alias without key", `
CACHES:
  default:
    BACKEND: django_redis.cache.RedisCache
    LOCATION: redis://h
    OPTIONS: {SERIALIZER: secure_redis.serializer.pickle.PickleSerializer}`, "CACHES.default.OPTIONS.REDIS_SECRET_KEY", 6, 5, "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := secureredis.ParseConfig([]byte(tt.text), env(nil))
			var ce *secureredis.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("ParseConfig = %v, want a *ConfigError", err)
			}
			if ce.Field != tt.field || ce.Line != tt.line || ce.Column != tt.column || !strings.Contains(ce.Reason, tt.reason) {
				t.Errorf("error %q: field %q at %d:%d, reason %q; want %q at %d:%d, a reason with %q",
					err, ce.Field, ce.Line, ce.Column, ce.Reason, tt.field, tt.line, tt.column, tt.reason)
			}
			if !strings.Contains(err.Error(), "(line ") {
				t.Errorf("error %q does not show the line", err)
			}
			if strings.Contains(err.Error(), k) {
				t.Errorf("error %q shows the secret key", err)
			}
		})
	}
}

// A Config built in Go has no file: Validate names native fields and no
// position.
func TestValidateHasNoPosition(t *testing.T) {
	cfg := &secureredis.Config{Caches: map[string]secureredis.CacheConfig{"default": {Backend: "redis", Location: secureredis.Locations{"redis://h"}}}}
	var ce *secureredis.ConfigError
	if err := cfg.Validate(); !errors.As(err, &ce) || ce.Field != "caches.default.options.secret_keys" || ce.Line != 0 {
		t.Errorf("Validate = %v (%+v)", err, ce)
	}
}

func TestBackendAndSerializerValid(t *testing.T) {
	for _, b := range []secureredis.Backend{secureredis.BackendRedis, secureredis.BackendRedisCluster,
		secureredis.BackendRedisSentinel, secureredis.BackendMemory, secureredis.BackendExternal} {
		if !b.Valid() {
			t.Errorf("%q.Valid() = false", b)
		}
	}
	for _, b := range []secureredis.Backend{"", "Redis", "memcached"} {
		if b.Valid() {
			t.Errorf("%q.Valid() = true", b)
		}
	}
	for _, s := range []secureredis.Serializer{secureredis.SerializerNative, secureredis.SerializerJSON, secureredis.SerializerRaw,
		secureredis.SerializerPickle, secureredis.SerializerDjangoJSON, secureredis.SerializerDjangoMsgpack} {
		if !s.Valid() {
			t.Errorf("%q.Valid() = false", s)
		}
	}
	for _, s := range []secureredis.Serializer{"", "secure", "yaml"} {
		if s.Valid() {
			t.Errorf("%q.Valid() = true", s)
		}
	}
}

// Validate (and so Open) names Django's fields for aliases loaded from a
// Django CACHES dict, without a position: the file is gone by then.
func TestValidateNamesDjangoFields(t *testing.T) {
	cfg := parse(t, `{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h",
  "OPTIONS": {"REDIS_SECRET_KEY": "`+cfgKey1+`", "SERIALIZER": "secure_redis.serializer.pickle.PickleSerializer"}}}}`)
	cc := cfg.Caches["default"]
	cc.Version = -1
	cc.Options.SecretKeys = nil
	cfg.Caches["default"] = cc
	err := cfg.Validate()
	for _, want := range []string{"CACHES.default.VERSION: ", "CACHES.default.OPTIONS.REDIS_SECRET_KEY: "} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want an error naming %s", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "(line ") {
		t.Errorf("Validate = %v, want no position", err)
	}
}
