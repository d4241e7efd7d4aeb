package secureredis_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/secureredis/secureredis"
	"github.com/secureredis/secureredis/internal/redistest"
)

const cfgNameSecret = "bmFtZS1zZWNyZXQtZm9yLXRlc3RzLW9ubHktMzItYnl0ZXMh"

// TestHashedNamesConfigRefused: Django configurations and Django formats
// cannot have hashed names; the error names the field.
func TestHashedNamesConfigRefused(t *testing.T) {
	for _, tt := range []struct{ name, text, field string }{
		{
			name: "Django CACHES",
			text: `{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h:6379",
				"OPTIONS": {"REDIS_SECRET_KEY": "` + cfgKey1 + `", "HASHED_NAMES": true}}}}`,
			field: "OPTIONS.HASHED_NAMES",
		},
		{
			name: "Django CACHES, name secrets",
			text: `{"CACHES": {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://h:6379",
				"OPTIONS": {"REDIS_SECRET_KEY": "` + cfgKey1 + `", "NAME_SECRETS": ["` + cfgNameSecret + `"]}}}}`,
			field: "OPTIONS.NAME_SECRETS",
		},
		{
			name:  "native pickle alias",
			text:  "caches:\n  default:\n    backend: redis\n    location: redis://h:6379\n    options:\n      secret_keys: [\"" + cfgKey1 + "\"]\n      serializer: pickle\n      hashed_names: true\n",
			field: "options.hashed_names",
		},
		{
			name:  "plaintext alias",
			text:  "caches:\n  default:\n    backend: redis\n    location: redis://h:6379\n    options:\n      secret_keys: [\"" + cfgKey1 + "\"]\n  old:\n    backend: redis\n    location: redis://h:6379\n    key_prefix: old\n    options:\n      name_secrets: [\"" + cfgNameSecret + "\"]\n",
			field: "options.name_secrets",
		},
		{
			name:  "short name secret",
			text:  "caches:\n  default:\n    backend: redis\n    location: redis://h:6379\n    options:\n      secret_keys: [\"" + cfgKey1 + "\"]\n      name_secrets: [\"c2hvcnQ=\"]\n",
			field: "options.name_secrets[0]",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := secureredis.ParseConfig([]byte(tt.text), env(nil))
			var ce *secureredis.ConfigError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("got %v, want a ConfigError naming %s", err, tt.field)
			}
			if strings.Contains(err.Error(), cfgKey1) || strings.Contains(err.Error(), cfgNameSecret) {
				t.Fatalf("error shows a secret: %v", err)
			}
		})
	}
}

// TestHashedNamesConfigOpen: an alias with hashed_names stores its entries
// under names that hide the key, and reads them back.
func TestHashedNamesConfigOpen(t *testing.T) {
	srv := redistest.Start(t)
	for _, opt := range []string{"hashed_names: true", "name_secrets: [\"" + cfgNameSecret + "\"]"} {
		c := openCaches(t, "caches:\n  default:\n    backend: redis\n    location: redis://"+srv.Addr+"/0\n    key_prefix: app\n    options:\n      secret_keys: [\"${REDIS_SECRET_KEY}\"]\n      "+opt+"\n")
		s := storeOf(t, c, "default")
		if err := s.Set(t.Context(), "user:alice@example.com", "v"); err != nil {
			t.Fatal(err)
		}
		if v, err := s.Get(t.Context(), "user:alice@example.com"); err != nil || v != "v" {
			t.Fatalf("%s: Get = %v, %v", opt, v, err)
		}
		for _, k := range redistest.Keys(t, srv.Client(t, 0)) {
			if strings.Contains(k, "alice") || !strings.HasPrefix(k, "app:1:") {
				t.Fatalf("%s: name %q", opt, k)
			}
		}
		if err := s.Clear(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHashedNamesConfigRedacted: name secrets never print.
func TestHashedNamesConfigRedacted(t *testing.T) {
	cfg, err := secureredis.ParseConfig([]byte("caches:\n  default:\n    backend: redis\n    location: redis://h:6379\n    options:\n      secret_keys: [\""+cfgKey1+"\"]\n      name_secrets: [\""+cfgNameSecret+"\"]\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(f, cfg); strings.Contains(out, cfgNameSecret) {
			t.Errorf("%s prints the name secret", f)
		}
	}
	if out := fmt.Sprintf("%+v", cfg.Caches["default"]); strings.Contains(out, cfgNameSecret) {
		t.Error("the alias prints the name secret")
	}
}
