package secureredis_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/secureredis/secureredis"
)

// Native connect_timeout, read_timeout and write_timeout, and Django's
// SOCKET_CONNECT_TIMEOUT and SOCKET_TIMEOUT (read and write), read as
// seconds or Go durations.
func TestConfigNetworkTimeouts(t *testing.T) {
	native := parse(t, fmt.Sprintf(`
caches:
  default:
    backend: redis
    location: redis://127.0.0.1:1/0
    options: {secret_keys: ["%s"], connect_timeout: 2, read_timeout: 1.5, write_timeout: 250ms}
`, cfgKey1))
	o := native.Caches["default"].Options
	if o.ConnectTimeout != 2*time.Second || o.ReadTimeout != 1500*time.Millisecond || o.WriteTimeout != 250*time.Millisecond {
		t.Errorf("native: got connect %v read %v write %v", o.ConnectTimeout, o.ReadTimeout, o.WriteTimeout)
	}
	django := parse(t, fmt.Sprintf(`
CACHES:
  default:
    BACKEND: django_redis.cache.RedisCache
    LOCATION: redis://127.0.0.1:1/0
    OPTIONS: {REDIS_SECRET_KEY: "%s", SERIALIZER: secure_redis.serializer.pickle.PickleSerializer, SOCKET_CONNECT_TIMEOUT: 5, SOCKET_TIMEOUT: 0.5}
`, cfgKey1))
	o = django.Caches["default"].Options
	if o.ConnectTimeout != 5*time.Second || o.ReadTimeout != 500*time.Millisecond || o.WriteTimeout != 500*time.Millisecond {
		t.Errorf("django: got connect %v read %v write %v", o.ConnectTimeout, o.ReadTimeout, o.WriteTimeout)
	}
	unset := parse(t, fmt.Sprintf(`
caches:
  default: {backend: redis, location: redis://127.0.0.1:1/0, options: {secret_keys: ["%s"]}}
`, cfgKey1))
	if o := unset.Caches["default"].Options; o.ConnectTimeout != 0 || o.ReadTimeout != 0 || o.WriteTimeout != 0 {
		t.Errorf("unset: got connect %v read %v write %v, want zero (defaults)", o.ConnectTimeout, o.ReadTimeout, o.WriteTimeout)
	}
}

// Bad timeouts are refused, naming the field and never quoting the value.
func TestConfigNetworkTimeoutsRefused(t *testing.T) {
	for _, c := range []struct{ opt, field string }{
		{"connect_timeout: 0", "connect_timeout"},
		{"read_timeout: -1", "read_timeout"},
		{"write_timeout: 4711zz", "write_timeout"},
		{"connect_timeout: 4711h", "connect_timeout"},
		{"read_timeout: null", "read_timeout"},
	} {
		text := fmt.Sprintf(`
caches:
  default: {backend: redis, location: redis://127.0.0.1:1/0, options: {secret_keys: ["%s"], %s}}
`, cfgKey1, c.opt)
		cfg, err := secureredis.ParseConfig([]byte(text))
		if err == nil {
			err = cfg.Validate()
		}
		if !errors.Is(err, secureredis.ErrInvalidConfig) {
			t.Errorf("%s: got %v, want an invalid config error", c.opt, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, c.field) || strings.Contains(msg, "4711") {
			t.Errorf("%s: error %q does not name the field, or quotes the value", c.opt, msg)
		}
	}
	// A hand-built config: negative and too large.
	cfg := &secureredis.Config{Caches: map[string]secureredis.CacheConfig{"default": {
		Backend: secureredis.BackendRedis, Location: secureredis.Locations{"redis://127.0.0.1:1/0"},
		Options: secureredis.CacheOptions{
			SecretKeys:     secureredis.SecretKeys{cfgKey1},
			ConnectTimeout: -time.Second, ReadTimeout: secureredis.MaxNetworkTimeout + 1, WriteTimeout: time.Second,
		},
	}}}
	err := cfg.Validate()
	msg := fmt.Sprint(err)
	if !errors.Is(err, secureredis.ErrInvalidConfig) || !strings.Contains(msg, "options.connect_timeout") ||
		!strings.Contains(msg, "options.read_timeout") || strings.Contains(msg, "options.write_timeout") {
		t.Errorf("hand-built: got %v, want connect_timeout and read_timeout refused", err)
	}
}
