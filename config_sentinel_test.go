package secureredis_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis"
	"github.com/secureredis/secureredis/internal/redistest"
)

func TestSentinelLocations(t *testing.T) {
	lookup := env(map[string]string{"REDIS_SECRET_KEY": cfgKey1})
	alias := func(backend, location string) string {
		return fmt.Sprintf(`
caches:
  default: {backend: %s, location: %s, key_prefix: app1:secure, options: {secret_keys: ["${REDIS_SECRET_KEY}"]}}
`, backend, location)
	}
	valid := []struct{ name, backend, location string }{
		{"one sentinel", "redissentinel", `"redis+sentinel://127.0.0.1:26379/mymaster"`},
		{"several, db, default port", "redissentinel", `"redis+sentinel://h1:26380,h2,[::1]:26381/mymaster/2"`},
		{"credentials and options", "redissentinel", `"redis+sentinel://app:pw@h1:26379/mymaster/0?dial_timeout=2s&pool_size=5"`},
		{"list of locations", "redissentinel", `["redis+sentinel://h1:26379/m/1", "redis+sentinel://h2:26379/m/1"]`},
		{"backend redis selects sentinel by scheme", "redis", `"redis+sentinel://h1:26379/mymaster"`},
		{"TLS", "redissentinel", `"rediss+sentinel://h1:26379,h2:26379/mymaster/1"`},
		{"sentinel credentials", "redissentinel", `"redis+sentinel://h1/m?sentinel_username=sen&sentinel_password=s3nt1nel&dial_timeout=1s"`},
	}
	for _, tt := range valid {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := secureredis.ParseConfig([]byte(alias(tt.backend, tt.location)), lookup); err != nil {
				t.Errorf("ParseConfig: %v", err)
			}
		})
	}
	invalid := []struct{ name, backend, location, want string }{
		{"no master name", "redissentinel", `"redis+sentinel://h1:26379"`, "master name"},
		{"no master name, slash", "redissentinel", `"redis+sentinel://h1:26379/"`, "master name"},
		{"bad port", "redissentinel", `"redis+sentinel://h1:99999/m"`, "invalid sentinel address"},
		{"empty address", "redissentinel", `"redis+sentinel://h1:26379,,h2/m"`, "empty sentinel address"},
		{"bad db", "redissentinel", `"redis+sentinel://h1/m/x"`, "invalid database"},
		{"too many segments", "redissentinel", `"redis+sentinel://h1/m/1/2"`, "too many path segments"},
		{"plain URL under redissentinel", "redissentinel", `"redis://h1:6379/0"`, "redis+sentinel:// locations only"},
		{"cluster backend", "rediscluster", `"redis+sentinel://h1/m"`, "not rediscluster"},
		{"different masters", "redissentinel", `["redis+sentinel://h1/m1", "redis+sentinel://h2/m2"]`, "another master"},
		{"bad option", "redissentinel", `"redis+sentinel://u:hunter2@h1/m?dial_timeout=soon"`, "dial_timeout"},
		{"bad option with a sentinel password", "redissentinel", `"redis+sentinel://h1/m?sentinel_password=hunter2&pool_size=many"`, "pool_size"},
		{"TLS on one location only", "redissentinel", `["rediss+sentinel://h1/m", "redis+sentinel://h2/m"]`, "another master"},
		{"different sentinel passwords", "redissentinel", `["redis+sentinel://h1/m?sentinel_password=hunter2", "redis+sentinel://h2/m?sentinel_password=other"]`, "another master"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			_, err := secureredis.ParseConfig([]byte(alias(tt.backend, tt.location)), lookup)
			if !errors.Is(err, secureredis.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseConfig = %v, want an ErrInvalidConfig about %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), "caches.default.location") {
				t.Errorf("error does not name the field: %v", err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

// TestOpenSentinel opens a Sentinel alias on a real Sentinel setup: the store
// writes to the master's database named in the URL and keeps working after a
// failover.
func TestOpenSentinel(t *testing.T) {
	st := redistest.StartSentinel(t)
	c := openCaches(t, fmt.Sprintf(`
caches:
  default: {backend: redissentinel, location: "redis+sentinel://%s/%s/3", key_prefix: app1:secure, options: {secret_keys: ["${REDIS_SECRET_KEY}"]}}
`, strings.Join(st.Addrs(), ","), redistest.MasterName))
	s := storeOf(t, c, "default")
	client, ok := s.Client().(*redis.Client)
	if !ok || client.Options().Addr != "FailoverClient" {
		t.Fatalf("client is %T, want a Sentinel failover client", s.Client())
	}
	ctx := t.Context()
	if err := s.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if tok := st.Master(t).Client(t, 3).Get(ctx, "app1:secure:1:k").Val(); !strings.HasPrefix(tok, "gAAAAA") {
		t.Fatalf("master db 3 holds %q, want a token", tok)
	}
	st.Failover(t)
	if err := s.Set(ctx, "k2", "v2"); err != nil {
		t.Fatalf("Set after failover: %v", err)
	}
	for _, k := range []string{"k", "k2"} {
		if v, err := s.Get(ctx, k); err != nil {
			t.Errorf("Get(%s) after failover: %v, %v", k, v, err)
		}
	}
}

// A database in the URL and a different options.db are refused, as for a
// single node; options.db alone selects the database.
func TestSentinelDatabaseConflict(t *testing.T) {
	lookup := env(map[string]string{"REDIS_SECRET_KEY": cfgKey1})
	text := `
caches:
  default: {backend: redissentinel, location: "redis+sentinel://h1/m/1", key_prefix: p, options: {db: 2, secret_keys: ["${REDIS_SECRET_KEY}"]}}`
	if _, err := secureredis.ParseConfig([]byte(text), lookup); !errors.Is(err, secureredis.ErrInvalidConfig) || !strings.Contains(err.Error(), "caches.default.options.db") {
		t.Errorf("conflicting databases: %v", err)
	}
	text = strings.Replace(text, "/m/1", "/m", 1)
	if _, err := secureredis.ParseConfig([]byte(text), lookup); err != nil {
		t.Errorf("options.db alone: %v", err)
	}
}

// TestOpenSentinelAuth opens an alias on sentinels that require a password,
// given in the sentinel_password query option, which never prints.
func TestOpenSentinelAuth(t *testing.T) {
	st := redistest.StartSentinel(t)
	ctx := t.Context()
	const pw = "s3nt1nel-pw"
	for _, s := range st.Sentinels {
		c := redis.NewClient(&redis.Options{Addr: s.Addr})
		if err := c.Do(ctx, "ACL", "SETUSER", "default", "on", ">"+pw, "allcommands", "allkeys").Err(); err != nil {
			t.Fatal(err)
		}
		_ = c.Close()
	}
	alias := func(query string) string {
		return fmt.Sprintf(`
caches:
  default: {backend: redissentinel, location: "redis+sentinel://%s/%s/2%s", key_prefix: app1:secure, options: {secret_keys: ["${REDIS_SECRET_KEY}"]}}
`, strings.Join(st.Addrs(), ","), redistest.MasterName, query)
	}
	lookup := env(map[string]string{"REDIS_SECRET_KEY": cfgKey1})

	cfg, err := secureredis.ParseConfig([]byte(alias("")), lookup)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := secureredis.Open(ctx, cfg); err == nil {
		_ = c.Close()
		t.Fatal("Open succeeded on sentinels that require a password, without one")
	}

	cfg, err = secureredis.ParseConfig([]byte(alias("?sentinel_password="+pw)), lookup)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg)} {
		if strings.Contains(out, pw) {
			t.Fatalf("config prints the sentinel password: %s", out)
		}
	}
	c, err := secureredis.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	s := storeOf(t, c, "default")
	if err := s.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	// The master holds it (the sentinels, now password-protected, are not
	// asked which node that is).
	var found bool
	for _, n := range st.Nodes {
		if tok := n.Client(t, 2).Get(ctx, "app1:secure:1:k").Val(); strings.HasPrefix(tok, "gAAAAA") {
			found = true
		}
	}
	if !found {
		t.Fatal("no data node holds the token in database 2")
	}
}
