package secureredis_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secureredis/secureredis"
	"github.com/secureredis/secureredis/internal/redistest"
)

// overlapCases are configurations whose key spaces overlap on one database:
// each names the field reported and the aliases the error must name.
var overlapCases = []struct {
	name, text string
	field      string
	aliases    []string
}{
	{"a third alias inside the old prefix", `
caches:
  default: {backend: redis, location: "redis://%[1]s/1", key_prefix: "app1:secure", options: {secret_keys: [%[2]s], data_recovery: {old_cache_name: insecure, old_key_prefix: app1}}}
  insecure: {backend: redis, location: "redis://%[1]s/1", key_prefix: app1, options: {serializer: raw}}
  billing: {backend: redis, location: "redis://%[1]s/1", key_prefix: "app1:7", options: {serializer: raw}}`,
		"caches.insecure.key_prefix", []string{"insecure", "billing"}},
	{"the old prefix of a migration from another database", `
caches:
  default: {backend: redis, location: "redis://%[1]s/2", key_prefix: "app1:secure", options: {secret_keys: [%[2]s], data_recovery: {old_cache_name: insecure, old_key_prefix: app1}}}
  insecure: {backend: redis, location: "redis://%[1]s/1", key_prefix: legacy, options: {serializer: raw}}
  billing: {backend: redis, location: "redis://%[1]s/1", key_prefix: "app1:7", options: {serializer: raw}}`,
		"caches.default.options.data_recovery.old_key_prefix", []string{"default", "billing"}},
	{"another alias's tag sets", `
caches:
  default: {backend: redis, location: "redis://%[1]s/1", key_prefix: app1, options: {secret_keys: [%[2]s]}}
  tags: {backend: redis, location: "redis://%[1]s/1", key_prefix: "app1:gocache_tag", options: {serializer: raw}}`,
		"caches.tags.key_prefix", []string{"default", "tags"}},
	{"one server written two ways", `
caches:
  default: {backend: redis, location: "redis://%[1]s/1", key_prefix: app1, options: {secret_keys: [%[2]s]}}
  other: {backend: redis, location: "redis://%[1]s?db=1", key_prefix: "app1:2", options: {serializer: raw}}`,
		"caches.other.key_prefix", []string{"default", "other"}},
	{"two migrations of the same old entries", `
caches:
  default: {backend: redis, location: "redis://%[1]s/1", key_prefix: "s1", options: {secret_keys: [%[2]s], data_recovery: {old_cache_name: old, old_key_prefix: app1}}}
  second: {backend: redis, location: "redis://%[1]s/1", key_prefix: "s2", options: {secret_keys: [%[2]s], data_recovery: {old_cache_name: old, old_key_prefix: app1}}}
  old: {backend: redis, location: "redis://%[1]s/1", key_prefix: app1, options: {serializer: raw}}`,
		"caches.second.options.data_recovery.old_key_prefix", []string{"default", "second"}},
	{"the empty prefix holds :5", `
caches:
  default: {backend: redis, location: "redis://%[1]s/1", key_prefix: "", options: {secret_keys: [%[2]s]}}
  other: {backend: redis, location: "redis://%[1]s/1", key_prefix: ":5", options: {serializer: raw}}`,
		"caches.other.key_prefix", []string{"default", "other"}},
	{"old entries inside the secure alias's own keys", `
caches:
  default: {backend: redis, location: "redis://%[1]s/1", key_prefix: "app1", options: {secret_keys: [%[2]s], data_recovery: {old_cache_name: old, old_key_prefix: "app1:3"}}}
  old: {backend: redis, location: "redis://%[1]s/2", key_prefix: legacy, options: {serializer: raw}}
  same: {backend: redis, location: "redis://%[1]s/2", key_prefix: unrelated, options: {serializer: raw}}`,
		"", nil}, // different databases: allowed
}

func TestValidateRefusesOverlappingKeySpaces(t *testing.T) {
	for _, tt := range overlapCases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := secureredis.ParseConfig([]byte(fmt.Sprintf(tt.text, "h:6379", cfgKey1)))
			if tt.field == "" {
				if err != nil {
					t.Fatalf("ParseConfig: %v", err)
				}
				return
			}
			checkOverlapErr(t, err, tt.field, tt.aliases)
		})
	}
}

func checkOverlapErr(t *testing.T, err error, field string, aliases []string) {
	t.Helper()
	if !errors.Is(err, secureredis.ErrInvalidConfig) {
		t.Fatalf("err = %v, want ErrInvalidConfig", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "secureredis: config: "+field+": ") {
		t.Errorf("error %q does not name %s", msg, field)
	}
	for _, a := range aliases {
		if !strings.Contains(msg, fmt.Sprintf("alias %q", a)) {
			t.Errorf("error %q does not name alias %s", msg, a)
		}
	}
}

// Open refuses the same configurations, before touching Redis.
func TestOpenRefusesOverlappingKeySpaces(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t, 1)
	if err := rdb.Set(t.Context(), "app1:7:1:invoice", "billing's", 0).Err(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range overlapCases[:2] {
		text := fmt.Sprintf(tt.text, srv.Addr, cfgKey1)
		var lines []string
		for l := range strings.Lines(text) {
			if !strings.Contains(l, "billing:") {
				lines = append(lines, l)
			}
		}
		cfg, err := secureredis.ParseConfig([]byte(strings.Join(lines, "")))
		if err != nil {
			t.Fatalf("%s without billing: %v", tt.name, err)
		}
		// Add billing by hand: Open validates what it is given.
		cfg.Caches["billing"] = secureredis.CacheConfig{Backend: secureredis.BackendRedis,
			Location: secureredis.Locations{"redis://" + srv.Addr + "/1"}, KeyPrefix: "app1:7"}
		c, err := secureredis.Open(t.Context(), cfg)
		if c != nil {
			_ = c.Close()
		}
		checkOverlapErr(t, err, tt.field, tt.aliases)
	}
	if v := rdb.Get(t.Context(), "app1:7:1:invoice").Val(); v != "billing's" {
		t.Errorf("billing's entry = %q", v)
	}
}

func TestNonOverlappingKeySpaces(t *testing.T) {
	for _, text := range []string{`
caches:
  default: {backend: redis, location: "redis://h/1", key_prefix: "app1:secure", options: {secret_keys: [` + cfgKey1 + `], data_recovery: {old_cache_name: insecure, old_key_prefix: app1}}}
  insecure: {backend: redis, location: "redis://h/1", key_prefix: app1, options: {serializer: raw}}
  neighbour: {backend: redis, location: "redis://h/1", key_prefix: app10, options: {serializer: raw}}
  versions: {backend: redis, location: "redis://h/1", key_prefix: "app1:x7", options: {serializer: raw}}`, `
caches:
  default: {backend: redis, location: "redis://h/1", key_prefix: "", options: {secret_keys: [` + cfgKey1 + `], data_recovery: {old_cache_name: insecure, old_key_prefix: app1}}}
  insecure: {backend: redis, location: "redis://h/1", key_prefix: app1, options: {serializer: raw}}
  colon: {backend: redis, location: "redis://h/1", key_prefix: ":x", options: {serializer: raw}}`, `
caches:
  default: {backend: redis, location: "redis://h/1", key_prefix: "secure", options: {secret_keys: [` + cfgKey1 + `], data_recovery: {old_cache_name: insecure, old_key_prefix: ""}}}
  insecure: {backend: redis, location: "redis://h/1", key_prefix: "", options: {serializer: raw}}`,
	} {
		if _, err := secureredis.ParseConfig([]byte(text)); err != nil {
			t.Errorf("ParseConfig: %v", err)
		}
	}
}

// Bare old keys selected by patterns (gocache and go-redis/cache data), in
// both forms of the file.
func TestOldKeyPatterns(t *testing.T) {
	native := parse(t, `
caches:
  default:
    backend: redis
    location: redis://h/1
    key_prefix: "app:secure"
    options:
      secret_keys: [`+cfgKey1+`]
      data_recovery: {old_cache_name: gocache, old_key_patterns: ["user:*", "session:*"], old_format: gocache, clear_old_entries: true}
  gocache: {backend: redis, location: redis://h/1, options: {serializer: raw}}`)
	django := parse(t, `{"CACHES": {
  "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h/1", "KEY_PREFIX": "app:secure",
    "OPTIONS": {"REDIS_SECRET_KEY": "`+cfgKey1+`", "CLIENT_CLASS": "secure_redis.client.SecureDjangoRedisClient",
      "DATA_RECOVERY": {"OLD_CACHE_NAME": "gocache", "OLD_KEY_PATTERNS": ["user:*", "session:*"], "OLD_FORMAT": "gocache", "CLEAR_OLD_ENTRIES": true}}},
  "gocache": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h/1"}}}`)
	want := &secureredis.DataRecovery{OldCacheName: "gocache", OldKeyPatterns: []string{"user:*", "session:*"},
		OldFormat: secureredis.OldFormatGocache, ClearOldEntries: true}
	for name, cfg := range map[string]*secureredis.Config{"native": native, "django": django} {
		if d := cmp.Diff(want, cfg.Caches["default"].Options.DataRecovery); d != "" {
			t.Errorf("%s (-want +got):\n%s", name, d)
		}
	}
	one := parse(t, `
caches:
  default: {backend: redis, location: redis://h/1, key_prefix: s, options: {secret_keys: [`+cfgKey1+`], data_recovery: {old_cache_name: old, old_key_patterns: "user:*", old_format: go-redis-cache}}}
  old: {backend: redis, location: redis://h/2, options: {serializer: raw}}`)
	if got := one.Caches["default"].Options.DataRecovery.OldKeyPatterns; !slices.Equal(got, []string{"user:*"}) {
		t.Errorf("one pattern: %q", got)
	}
}

func TestOldKeyPatternErrors(t *testing.T) {
	const head = `
caches:
  default: {backend: redis, location: "redis://h/1", key_prefix: "app1:secure", options: {secret_keys: [` + cfgKey1 + `], data_recovery: {old_cache_name: old, `
	const old = `}}}
  old: {backend: redis, location: "redis://h/1", key_prefix: "app1", options: {serializer: raw}}`
	for _, tt := range []struct{ name, dr, field string }{
		{"prefix and patterns", `old_key_prefix: app1, old_key_patterns: ["user:*"]`, "caches.default.options.data_recovery.old_key_prefix"},
		{"empty pattern", `old_key_patterns: ["user:*", ""]`, "caches.default.options.data_recovery.old_key_patterns[1]"},
		{"no pattern", `old_key_patterns: []`, "caches.default.options.data_recovery.old_key_patterns"},
		{"unknown format", `old_key_patterns: ["user:*"], old_format: NOTAKEYsecretvalue`, "caches.default.options.data_recovery.old_format"},
		{"format without patterns", `old_key_prefix: app1, old_format: gocache`, "caches.default.options.data_recovery.old_format"},
		{"pattern reaching the secure alias", `old_key_patterns: ["app1:s*"]`, "caches.default.options.data_recovery.old_key_patterns[0]"},
		{"everything", `old_key_patterns: ["*"]`, "caches.default.options.data_recovery.old_key_patterns[0]"},
		{"a literal key of the secure alias", `old_key_patterns: ["app1:secure:1:k"]`, "caches.default.options.data_recovery.old_key_patterns[0]"},
		{"the secure alias's tag sets", `old_key_patterns: ["app1:secure:gocache_tag:*"]`, "caches.default.options.data_recovery.old_key_patterns[0]"},
		{"a version of the secure alias", `old_key_patterns: ["app1:secure:2*"]`, "caches.default.options.data_recovery.old_key_patterns[0]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := secureredis.ParseConfig([]byte(head + tt.dr + old))
			if err == nil || !strings.Contains(err.Error(), "secureredis: config: "+tt.field+": ") {
				t.Errorf("err = %v, want it to name %s", err, tt.field)
			}
			if err != nil && strings.Contains(err.Error(), "NOTAKEYsecretvalue") {
				t.Errorf("err %q quotes the value", err)
			}
		})
	}
	// Another alias on the database.
	_, err := secureredis.ParseConfig([]byte(`
caches:
  default: {backend: redis, location: "redis://h/2", key_prefix: s, options: {secret_keys: [` + cfgKey1 + `], data_recovery: {old_cache_name: old, old_key_patterns: ["bill*"]}}}
  old: {backend: redis, location: "redis://h/1", options: {serializer: raw}}
  billing: {backend: redis, location: "redis://h/1", key_prefix: billing, options: {serializer: raw}}`))
	checkOverlapErr(t, err, "caches.default.options.data_recovery.old_key_patterns[0]", []string{"default", "billing"})
	// A memory old alias has no keys to match.
	_, err = secureredis.ParseConfig([]byte(`
caches:
  default: {backend: redis, location: "redis://h/2", key_prefix: s, options: {secret_keys: [` + cfgKey1 + `], data_recovery: {old_cache_name: old, old_key_patterns: ["u*"]}}}
  old: {backend: memory}`))
	if err == nil || !strings.Contains(err.Error(), "caches.default.options.data_recovery.old_key_patterns: ") {
		t.Errorf("memory old alias: %v", err)
	}
	// Patterns that stay clear of every other alias, including the old
	// alias's own keys (they are its entries) and keys that only look alike.
	for _, pats := range []string{`["user:*", "session:*"]`, `["app1:1:*"]`, `["app1:secure"]`, `["app1:securex*"]`, `["app1:secure:x*"]`, `["app1:secure:1"]`} {
		if _, err := secureredis.ParseConfig([]byte(head + `old_key_patterns: ` + pats + old)); err != nil {
			t.Errorf("%s: %v", pats, err)
		}
	}
}
