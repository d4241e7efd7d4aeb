package secureredis_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis"
	"github.com/secureredis/secureredis/internal/redistest"
)

// djangoSentinelCaches is django-redis's Sentinel form, as its README shows
// it, with django-redis-secure's serializer; %s is the SENTINELS list and
// %s the SENTINEL_KWARGS.
const djangoSentinelCaches = `{"CACHES": {"default": {
  "BACKEND": "django_redis.cache.RedisCache",
  "LOCATION": "redis://mymaster/2",
  "KEY_PREFIX": "app1:secure",
  "OPTIONS": {
    "CLIENT_CLASS": "django_redis.client.SentinelClient",
    "CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory",
    "CONNECTION_POOL_CLASS": "redis.sentinel.SentinelConnectionPool",
    "SENTINELS": %s,
    "SENTINEL_KWARGS": %s,
    "SERIALIZER": "secure_redis.serializer.pickle.PickleSerializer",
    "REDIS_SECRET_KEY": "${REDIS_SECRET_KEY}"}}}}`

func TestSentinelLocationForms(t *testing.T) {
	lookup := env(map[string]string{"REDIS_SECRET_KEY": cfgKey1})
	native := func(backend, location string) string {
		return fmt.Sprintf(`
caches:
  default: {backend: %s, location: %s, key_prefix: app1:secure, options: {secret_keys: ["${REDIS_SECRET_KEY}"]}}
`, backend, location)
	}
	valid := []struct{ name, text string }{
		{"go-redis failover URL", native("redissentinel", `"redis://h1:26379/2?master_name=mymaster&addr=h2:26379"`)},
		{"go-redis failover URL under backend redis", native("redis", `"redis://sen:pw@h1:26379?master_name=m&password=hunter2&dial_timeout=2s"`)},
		{"go-redis failover URL over TLS", native("redissentinel", `"rediss://h1:26379/0?master_name=m"`)},
		{"go-redis cluster URL", native("redis", `"redis://h1:7000?addr=h2:7001&addr=h3:7002"`)},
		{"Django SentinelClient", fmt.Sprintf(djangoSentinelCaches, `[["h1", 26379], ["::1", "26380"]]`, `{"password": "hunter2", "username": "sen"}`)},
		{"Django factory alone, no kwargs", strings.Replace(fmt.Sprintf(djangoSentinelCaches, `[["h1", 26379]]`, `{}`),
			`"CLIENT_CLASS": "django_redis.client.SentinelClient",`, "", 1)},
	}
	for _, tt := range valid {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := secureredis.ParseConfig([]byte(tt.text), lookup)
			if err != nil {
				t.Fatalf("ParseConfig: %v", err)
			}
			for _, out := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg)} {
				if strings.Contains(out, "hunter2") {
					t.Errorf("config prints a password: %s", out)
				}
			}
		})
	}
	invalid := []struct{ name, text, field, want string }{
		{"go-redis failover URL, two locations", native("redissentinel", `["redis://h1/0?master_name=m", "redis://h2/0?master_name=m"]`), "caches.default.location", "addr="},
		{"go-redis failover URL, cluster backend", native("rediscluster", `"redis://h1?master_name=m"`), "caches.default.location[0]", "not rediscluster"},
		{"go-redis failover URL, bad option", native("redissentinel", `"redis://u:hunter2@h1?master_name=m&pool_size=many"`), "caches.default.location[0]", "pool_size"},
		{"Django SentinelClient without SENTINELS", strings.Replace(fmt.Sprintf(djangoSentinelCaches, `[]`, `{}`), `"SENTINELS": [],`, "", 1),
			"CACHES.default.OPTIONS.SENTINELS", "required by CACHES.default.OPTIONS."},
		{"Django empty SENTINELS", fmt.Sprintf(djangoSentinelCaches, `[]`, `{}`), "CACHES.default.OPTIONS.SENTINELS", "non-empty list"},
		{"Django SENTINELS string", fmt.Sprintf(djangoSentinelCaches, `["h1:26379"]`, `{}`), "CACHES.default.OPTIONS.SENTINELS[0]", "[host, port] pair"},
		{"Django bad port", fmt.Sprintf(djangoSentinelCaches, `[["h1", 99999]]`, `{}`), "CACHES.default.OPTIONS.SENTINELS[0][1]", "port"},
		{"Django bad host", fmt.Sprintf(djangoSentinelCaches, `[["hunter2@h1", 26379]]`, `{}`), "CACHES.default.OPTIONS.SENTINELS[0][0]", "host name"},
		{"Django unknown kwarg", fmt.Sprintf(djangoSentinelCaches, `[["h1", 26379]]`, `{"db": 1}`), "CACHES.default.OPTIONS.SENTINEL_KWARGS.db", "unknown field"},
		{"Django query in LOCATION", strings.Replace(fmt.Sprintf(djangoSentinelCaches, `[["h1", 26379]]`, `{"password": "hunter2"}`), "mymaster/2", "mymaster/2?password=hunter2", 1),
			"CACHES.default.LOCATION", "no query options"},
		{"Django two LOCATIONs", strings.Replace(fmt.Sprintf(djangoSentinelCaches, `[["h1", 26379]]`, `{}`), "redis://mymaster/2", "redis://m/2,redis://n/2", 1),
			"CACHES.default.LOCATION", "one redis://mastername/db URL"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			_, err := secureredis.ParseConfig([]byte(tt.text), lookup)
			var ce *secureredis.ConfigError
			if !errors.As(err, &ce) || ce.Field != tt.field || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseConfig = %v, want a ConfigError at %s about %q", err, tt.field, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

// TestOpenSentinelLocationForms opens go-redis's Sentinel URL form and
// django-redis's Sentinel form on real sentinels, and has the real Django
// read and write the same CACHES dict.
func TestOpenSentinelLocationForms(t *testing.T) {
	checkDjango(t)
	st := redistest.StartSentinel(t)
	addrs := st.Addrs()
	ctx := t.Context()
	lookup := env(map[string]string{"REDIS_SECRET_KEY": djangoKey})

	// go-redis's form: one sentinel in the host, the others in addr=.
	loc := "redis://" + addrs[0] + "/3?master_name=" + redistest.MasterName
	for _, a := range addrs[1:] {
		loc += "&addr=" + a
	}
	c := openCaches(t, fmt.Sprintf(`
caches:
  default: {backend: redissentinel, location: %q, key_prefix: app1:secure, options: {secret_keys: ["${REDIS_SECRET_KEY}"]}}
`, loc))
	s := storeOf(t, c, "default")
	if client, ok := s.Client().(*redis.Client); !ok || client.Options().Addr != "FailoverClient" {
		t.Fatalf("client is %T, want a Sentinel failover client", s.Client())
	}
	if err := s.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if tok := st.Master(t).Client(t, 3).Get(ctx, "app1:secure:1:k").Val(); !strings.HasPrefix(tok, "gAAAAA") {
		t.Fatalf("master db 3 holds %q, want a token", tok)
	}

	// django-redis's form, in Go and in Django.
	var pairs []string
	for _, a := range addrs {
		host, port, err := net.SplitHostPort(a)
		if err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, fmt.Sprintf("[%q, %s]", host, port))
	}
	text := fmt.Sprintf(djangoSentinelCaches, "["+strings.Join(pairs, ", ")+"]", "{}")
	path := filepath.Join(t.TempDir(), "caches.json")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := secureredis.LoadConfig(path, lookup)
	if err != nil {
		t.Fatal(err)
	}
	if cc := cfg.Caches["default"]; cc.Backend != secureredis.BackendRedisSentinel {
		t.Fatalf("backend %q, want %q", cc.Backend, secureredis.BackendRedisSentinel)
	}
	dc, err := secureredis.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dc.Close() })
	ds := storeOf(t, dc, "default")
	if err := ds.Set(ctx, "from-go", "written by Go"); err != nil {
		t.Fatal(err)
	}
	if tok := st.Master(t).Client(t, 2).Get(ctx, "app1:secure:1:from-go").Val(); !strings.HasPrefix(tok, "gAAAAA") {
		t.Fatalf("master db 2 holds %q, want a token", tok)
	}
	sentinelctl := func(args ...string) map[string]any {
		t.Helper()
		cmd := exec.Command(djangoPython, append([]string{filepath.Join("testdata", "django", "sentinelctl.py"), path}, args...)...)
		cmd.Env = append(cmd.Environ(), "PYTHONDONTWRITEBYTECODE=1", "REDIS_SECRET_KEY="+djangoKey)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("sentinelctl %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		var out map[string]any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("sentinelctl: %v: %s", err, b)
		}
		return out
	}
	if got := sentinelctl("get", "from-go")["value"]; got != "written by Go" {
		t.Errorf("Django reads %v, want Go's value", got)
	}
	sentinelctl("set", "from-django", "written by Django")
	if v, err := ds.Get(ctx, "from-django"); err != nil || v != "written by Django" {
		t.Errorf("Go reads %v, %v; want Django's value", v, err)
	}
}
