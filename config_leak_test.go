package secureredis_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/secureredis/secureredis"
)

// Passwords with the characters that break URL parsing, in every place a
// location carries one.
const (
	leakPassword   = "Sup3rS3cr/et#Pa?ss@word"
	leakSentinelPw = "S3ntinelPw0rd,semi;x"
)

// leakSecrets are the secrets and the pieces a malformed URL splits them
// into: none may appear in any output.
var leakSecrets = []string{
	cfgKey1, cfgKey2, leakPassword, leakSentinelPw,
	"Sup3rS3cr", "et#Pa", "Pa?ss", "ss@word", "S3ntinelPw0rd", "semi;x",
	strings.TrimSuffix(cfgKey1, "="), cfgKey1[:20], cfgKey2[:20],
}

func checkNoSecret(t *testing.T, what, out string) {
	t.Helper()
	for _, s := range leakSecrets {
		if strings.Contains(out, s) {
			t.Errorf("%s contains the secret %q:\n%s", what, s, out)
		}
	}
}

// plantedConfig holds secret keys and passwords in every field made for
// them, in every form a location takes.
func plantedConfig() *secureredis.Config {
	return &secureredis.Config{Caches: map[string]secureredis.CacheConfig{
		"default": {
			Backend:   secureredis.BackendRedis,
			Location:  secureredis.Locations{"redis://user:" + leakPassword + "@127.0.0.1:6379/1"},
			KeyPrefix: "app1:secure",
			Options:   secureredis.CacheOptions{SecretKeys: secureredis.SecretKeys{cfgKey1, cfgKey2}},
		},
		"cluster": {
			Backend:   secureredis.BackendRedisCluster,
			Location:  secureredis.Locations{"redis://h1:7000?password=" + leakPassword, "redis://:" + leakPassword + "@h2:7001"},
			KeyPrefix: "c",
		},
		"sentinel": {
			Backend:   secureredis.BackendRedisSentinel,
			Location:  secureredis.Locations{"redis+sentinel://u:" + leakPassword + "@s1:26379,s2/master/2?sentinel_password=" + leakSentinelPw},
			KeyPrefix: "s",
			Options:   secureredis.CacheOptions{SecretKeys: secureredis.SecretKeys{cfgKey2}},
		},
	}}
}

// Every way Go code prints or marshals a Config redacts its secrets.
func TestConfigNeverPrintsSecrets(t *testing.T) {
	cfg := plantedConfig()
	cc := cfg.Caches["default"]
	values := map[string]any{
		"*Config": cfg, "Config": *cfg, "CacheConfig": cc, "CacheOptions": cc.Options,
		"SecretKeys": cc.Options.SecretKeys, "Locations": cc.Location,
		"sentinel Locations": cfg.Caches["sentinel"].Location, "cluster CacheConfig": cfg.Caches["cluster"],
	}
	for name, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %v"} {
			checkNoSecret(t, fmt.Sprintf("Sprintf(%q, %s)", verb, name), fmt.Sprintf(verb, v))
		}
		checkNoSecret(t, "Sprint "+name, fmt.Sprint(v))
		checkNoSecret(t, "Sprintln "+name, fmt.Sprintln(v))
		b, err := json.Marshal(v)
		if err != nil {
			t.Errorf("json.Marshal(%s): %v", name, err)
		}
		checkNoSecret(t, "json.Marshal "+name, string(b))
		b, err = json.MarshalIndent(v, "", " ")
		if err != nil {
			t.Errorf("json.MarshalIndent(%s): %v", name, err)
		}
		checkNoSecret(t, "json.MarshalIndent "+name, string(b))
		y, err := yaml.Marshal(v)
		if err != nil {
			t.Errorf("yaml.Marshal(%s): %v", name, err)
		}
		checkNoSecret(t, "yaml.Marshal "+name, string(y))
		var buf bytes.Buffer
		for hname, h := range map[string]slog.Handler{
			"text": slog.NewTextHandler(&buf, nil),
			"json": slog.NewJSONHandler(&buf, nil),
		} {
			buf.Reset()
			l := slog.New(h)
			l.Info("config", "cfg", v)
			l.Info("config", slog.Any("cfg", v), slog.Group("g", "v", v))
			l.With("cfg", v).Info("with")
			checkNoSecret(t, "slog "+hname+" "+name, buf.String())
			if !strings.Contains(buf.String(), "config") {
				t.Errorf("slog %s wrote nothing: %q", hname, buf.String())
			}
		}
	}
	// What is not secret still prints.
	b, _ := json.Marshal(cfg)
	for _, want := range []string{`"KeyPrefix":"app1:secure"`, `"SecretKeys":["xxxxx","xxxxx"]`, "redis://user:xxxxx@127.0.0.1:6379/1"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("json.Marshal(cfg) lacks %s: %s", want, b)
		}
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "cfg", cfg)
	if !strings.Contains(buf.String(), `"key_prefix":"app1:secure"`) || !strings.Contains(buf.String(), "[2 secret keys redacted]") {
		t.Errorf("slog JSON of *Config: %s", buf.String())
	}
	// Validation errors, joined, as Validate returns them: a cluster
	// with a database, a Sentinel URL with a bad address.
	bad := plantedConfig()
	c := bad.Caches["cluster"]
	c.Options.DB = new(int)
	*c.Options.DB = 3
	bad.Caches["cluster"] = c
	bad.Caches["broken"] = secureredis.CacheConfig{Backend: secureredis.BackendRedis, KeyPrefix: "b",
		Location: secureredis.Locations{"redis://u:" + leakPassword + "@h:port/1", "redis://u:" + leakPassword + "@h:1/x"}}
	err := bad.Validate()
	if err == nil {
		t.Fatal("Validate accepted the broken aliases")
	}
	checkNoSecret(t, "Validate", err.Error())
	checkNoSecret(t, "Validate %+v", fmt.Sprintf("%+v", err))
	checkNoSecret(t, "errors.Join", errors.Join(err, errors.New("more")).Error())
}

// A secret put in the wrong field is never quoted by the error about it.
func TestSecretInWrongFieldNeverQuoted(t *testing.T) {
	const k = cfgKey1
	ok := `{backend: redis, location: "redis://h/1", key_prefix: p, options: {secret_keys: [` + cfgKey2 + `]}}`
	for _, tt := range []struct{ name, text string }{
		{"timeout", `caches: {default: {backend: redis, location: "redis://h", key_prefix: p, timeout: "` + k + `", options: {secret_keys: [` + cfgKey2 + `]}}}`},
		{"timeout number-like", `caches: {default: {backend: redis, location: "redis://h", key_prefix: p, timeout: "12` + k + `", options: {secret_keys: [` + cfgKey2 + `]}}}`},
		{"serializer", `caches: {default: {backend: redis, location: "redis://h", key_prefix: p, options: {serializer: "` + k + `", secret_keys: [` + cfgKey2 + `]}}}`},
		{"compressor", `caches: {default: {backend: redis, location: "redis://h", key_prefix: p, options: {serializer: pickle, compressor: "` + k + `", secret_keys: [` + cfgKey2 + `]}}}`},
		{"db", `caches: {default: {backend: redis, location: "redis://h", key_prefix: p, options: {db: "` + k + `", secret_keys: [` + cfgKey2 + `]}}}`},
		{"version", `caches: {default: {backend: redis, location: "redis://h", key_prefix: p, version: "` + k + `", options: {secret_keys: [` + cfgKey2 + `]}}}`},
		{"backend", `caches: {default: {backend: "` + k + `", location: "redis://h", key_prefix: p, options: {secret_keys: [` + cfgKey2 + `]}}}`},
		{"clear_old_entries", `caches: {default: {backend: redis, location: "redis://h", key_prefix: p, options: {secret_keys: [` + cfgKey2 + `], data_recovery: {old_cache_name: o, old_key_prefix: o, clear_old_entries: "` + k + `"}}}}`},
		{"old_format", `caches: {default: {backend: redis, location: "redis://h", key_prefix: p, options: {secret_keys: [` + cfgKey2 + `], data_recovery: {old_cache_name: o, old_key_prefix: o, old_format: "` + k + `"}}}, o: {backend: memory}}`},
		{"old_cache_name", `caches: {default: {backend: redis, location: "redis://h", key_prefix: p, options: {secret_keys: [` + cfgKey2 + `], data_recovery: {old_cache_name: "` + k + `", old_key_prefix: o}}}}`},
		{"secure_cache", `secure_cache: "` + k + `"
caches: {default: ` + ok + `}`},
		{"a field name", `caches: {default: {backend: redis, location: "redis://h", key_prefix: p, "` + k + `": 1, options: {secret_keys: [` + cfgKey2 + `]}}}`},
		{"an option name", `caches: {default: {backend: redis, location: "redis://h", key_prefix: p, options: {"` + k + `": x, secret_keys: [` + cfgKey2 + `]}}}`},
		{"an alias name", `caches: {default: ` + ok + `, "` + k + `": {backend: bogus}}`},
		{"a key prefix that overlaps", `caches: {default: {backend: redis, location: "redis://h/1", key_prefix: "", options: {secret_keys: [` + cfgKey2 + `]}}, o: {backend: redis, location: "redis://h/1", key_prefix: ":1:` + k + `"}}`},
		{"password with /", `caches: {default: {backend: redis, location: "redis://u:` + leakPassword + `@h:6379/1", key_prefix: p, options: {secret_keys: [` + cfgKey2 + `]}}}`},
		{"password with / on a cluster", `caches: {default: {backend: rediscluster, location: "redis://u:` + leakPassword + `@h:6379", key_prefix: p, options: {secret_keys: [` + cfgKey2 + `]}}}`},
		{"sentinel password with /", `caches: {default: {backend: redissentinel, location: "redis+sentinel://u:` + leakPassword + `@h:26379/m/1", key_prefix: p, options: {secret_keys: [` + cfgKey2 + `]}}}`},
		{"django LOCATION password with , and ;", `{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://u:` + leakSentinelPw + `@h:6379/1",
			"OPTIONS": {"REDIS_SECRET_KEY": "` + cfgKey2 + `", "CLIENT_CLASS": "secure_redis.client.SecureDjangoRedisClient"}}}}`},
		{"django SERIALIZER", `{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h", "OPTIONS": {"SERIALIZER": "` + k + `"}}}}`},
		{"django COMPRESSOR", `{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h", "OPTIONS": {"COMPRESSOR": "` + k + `"}}}}`},
		{"django CLIENT_CLASS", `{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h", "OPTIONS": {"CLIENT_CLASS": "` + k + `"}}}}`},
		{"django BACKEND", `{"CACHES": {"default": {"BACKEND": "redis.` + k + `", "LOCATION": "redis://h"}}}`},
		{"django TIMEOUT", `{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h", "TIMEOUT": "` + k + `"}}}`},
		{"django VERSION", `{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h", "VERSION": "` + k + `"}}}`},
		{"django DB", `{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h", "OPTIONS": {"DB": "` + k + `"}}}}`},
		{"django option name", `{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h", "OPTIONS": {"` + k + `": 1}}}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := secureredis.ParseConfig([]byte(tt.text))
			if err == nil {
				t.Fatal("ParseConfig accepted it")
			}
			if !errors.Is(err, secureredis.ErrInvalidConfig) {
				t.Errorf("err %v is not ErrInvalidConfig", err)
			}
			checkNoSecret(t, "error", err.Error())
			checkNoSecret(t, "error %+v", fmt.Sprintf("%+v %#v", err, err))
		})
	}
}
