package secureredis_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis"
	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/store"
)

// openCaches parses text and opens it, closing the caches when the test ends.
func openCaches(t *testing.T, text string) *secureredis.Caches {
	t.Helper()
	cfg := parse(t, text, env(map[string]string{"REDIS_SECRET_KEY": cfgKey1}))
	c, err := secureredis.Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func storeOf(t *testing.T, c *secureredis.Caches, name string) *store.EncryptingStore {
	t.Helper()
	s, err := c.Store(name)
	if err != nil {
		t.Fatalf("Store(%q): %v", name, err)
	}
	return s
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// sampleConfig is the README's sample in native form, on a real server, with
// serializers this package opens: a secure alias that recovers from a
// plaintext one.
func sampleConfig(addr string) string {
	return fmt.Sprintf(`
secure_cache: default
caches:
  default:
    backend: redis
    location: redis://%[1]s/0
    key_prefix: app1:secure
    timeout: 24h
    options:
      secret_keys: ["${REDIS_SECRET_KEY}"]
      serializer: native
      data_recovery: {old_cache_name: insecure, old_key_prefix: app1, clear_old_entries: true}
  insecure:
    backend: redis
    location: redis://%[1]s/0
    key_prefix: legacy
    version: 2
    timeout: null
    options: {serializer: raw}
  staticfiles:
    backend: external
    location: /var/tmp/django_cache
`, addr)
}

func TestOpenSecureAndRawAliases(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t, 0)
	ctx := t.Context()
	c := openCaches(t, sampleConfig(srv.Addr))

	secure, err := c.Secure()
	if err != nil {
		t.Fatal(err)
	}
	if secure != storeOf(t, c, "default") {
		t.Error("Secure() is not Store(\"default\")")
	}
	written := testkit.StartStopwatch()
	if err := secure.Set(ctx, "user:42", "card=4111"); err != nil {
		t.Fatal(err)
	}
	tok, err := rdb.Get(ctx, "app1:secure:1:user:42").Result()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(tok, "4111") {
		t.Errorf("secure alias stored plaintext: %q", tok)
	}
	if ttl := rdb.PTTL(ctx, "app1:secure:1:user:42").Val(); !written.Remains(ttl, 24*time.Hour) {
		t.Errorf("secure entry TTL = %v, want the alias's 24h timeout", ttl)
	}
	if v, err := secure.Get(ctx, "user:42"); err != nil || v != "card=4111" {
		t.Errorf("secure Get = %v, %v", v, err)
	}
	if _, ok := secure.Codec().(*codec.Codec); !ok {
		t.Errorf("secure codec is %T, want *codec.Codec", secure.Codec())
	}

	insecure := storeOf(t, c, "insecure")
	if err := insecure.Set(ctx, "page", "hello"); err != nil {
		t.Fatal(err)
	}
	if v := rdb.Get(ctx, "legacy:2:page").Val(); v != "hello" {
		t.Errorf("raw alias stored %q, want the plaintext", v)
	}
	if ttl := rdb.PTTL(ctx, "legacy:2:page").Val(); ttl != -1 { // go-redis reports PTTL -1 as a -1 duration
		t.Errorf("raw entry PTTL = %v, want persistent (timeout null)", ttl)
	}
	if secure.Client() != insecure.Client() {
		t.Error("aliases on the same location do not share one client")
	}

	src, dr, err := c.RecoverySource("default")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(secureredis.DataRecovery{OldCacheName: "insecure", OldKeyPrefix: "app1", ClearOldEntries: true}, dr); diff != "" {
		t.Errorf("DataRecovery (-want +got):\n%s", diff)
	}
	if p, v := src.Keys().Prefix(), src.Keys().Version(); p != "app1" || v != 2 {
		t.Errorf("recovery source keys %s:%d, want the old prefix app1 at the old alias's version 2", p, v)
	}
	if src.Codec() != store.Codec(codec.Raw{}) {
		t.Errorf("recovery source codec is %T, want codec.Raw", src.Codec())
	}
	if src.Client() != insecure.Client() {
		t.Error("recovery source does not use the old alias's client")
	}
	rdb.Set(ctx, "app1:2:old-session", "plain value", 0)
	if v, err := src.Get(ctx, "old-session"); err != nil || v != "plain value" {
		t.Errorf("recovery source Get = %v, %v", v, err)
	}
	if _, _, err := c.RecoverySource("insecure"); !errors.Is(err, secureredis.ErrUnknownAlias) {
		t.Errorf("RecoverySource(insecure) error = %v, want ErrUnknownAlias", err)
	}
}

func TestStoreUnknownAndExternalAliases(t *testing.T) {
	srv := redistest.Start(t)
	c := openCaches(t, sampleConfig(srv.Addr))
	for _, name := range []string{"staticfiles", "nope", ""} {
		if s, err := c.Store(name); !errors.Is(err, secureredis.ErrUnknownAlias) || s != nil {
			t.Errorf("Store(%q) = %v, %v, want ErrUnknownAlias", name, s, err)
		}
		if _, _, err := c.RecoverySource(name); !errors.Is(err, secureredis.ErrUnknownAlias) {
			t.Errorf("RecoverySource(%q) error = %v, want ErrUnknownAlias", name, err)
		}
	}
}

func TestOpenSelectsDatabases(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "redis.sock")
	srv := redistest.Start(t, "--unixsocket", sock, "--unixsocketperm", "700")
	ctx := t.Context()
	c := openCaches(t, fmt.Sprintf(`
caches:
  default:   {backend: redis, location: "redis://%[1]s/3", key_prefix: default, options: {secret_keys: ["${REDIS_SECRET_KEY}"]}}
  override:  {backend: redis, location: "redis://%[1]s", key_prefix: override, options: {db: 5}}
  same:      {backend: redis, location: "redis://%[1]s/3", key_prefix: same, options: {db: 3}}
  db0:       {backend: redis, location: "redis://%[1]s", key_prefix: db0}
  socket:    {backend: redis, location: "unix://%[2]s?db=7", key_prefix: socket}
`, srv.Addr, sock))
	tests := []struct {
		alias string
		db    int
	}{{"default", 3}, {"override", 5}, {"same", 3}, {"db0", 0}, {"socket", 7}}
	for _, tt := range tests {
		if err := storeOf(t, c, tt.alias).Set(ctx, "k", "v"); err != nil {
			t.Fatalf("%s: Set: %v", tt.alias, err)
		}
	}
	for _, tt := range tests {
		for db := range 8 {
			n := srv.Client(t, db).Exists(ctx, tt.alias+":1:k").Val()
			if want := int64(0); db == tt.db {
				want = 1
				if n != want {
					t.Errorf("%s: entry not in database %d", tt.alias, db)
				}
			} else if n != want {
				t.Errorf("%s: entry in database %d, want only %d", tt.alias, db, tt.db)
			}
		}
	}
	if storeOf(t, c, "default").Client() != storeOf(t, c, "same").Client() {
		t.Error("/3 and options.db 3 on the same URL do not share a client")
	}
	if storeOf(t, c, "default").Client() == storeOf(t, c, "override").Client() {
		t.Error("options.db 5 shares the client of database 3")
	}
}

func TestOpenCluster(t *testing.T) {
	srv := redistest.Start(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
	ctx := t.Context()
	node := srv.Client(t, 0)
	if err := node.ClusterAddSlotsRange(ctx, 0, 16383).Err(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(testkit.Patience); !strings.Contains(node.ClusterInfo(ctx).Val(), "cluster_state:ok"); {
		if time.Now().After(deadline) {
			t.Fatal("cluster did not become ok")
		}
		time.Sleep(20 * time.Millisecond)
	}
	c := openCaches(t, fmt.Sprintf(`
caches:
  default: {backend: rediscluster, location: "redis://%s", key_prefix: app1:secure, options: {secret_keys: ["${REDIS_SECRET_KEY}"]}}
`, srv.Addr))
	s := storeOf(t, c, "default")
	if _, ok := s.Client().(*redis.ClusterClient); !ok {
		t.Fatalf("client is %T, want *redis.ClusterClient", s.Client())
	}
	if err := s.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get(ctx, "k"); err != nil || v != "v" {
		t.Errorf("Get = %v, %v", v, err)
	}
	if tok := node.Get(ctx, "app1:secure:1:k").Val(); tok == "" || tok == "v" {
		t.Errorf("cluster holds %q, want a token", tok)
	}
}

func TestOpenUnreachableFailsFastAndCleansUp(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t, 0)
	ctx := t.Context()
	countClients := func() int {
		t.Helper()
		list, err := rdb.ClientList(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		return strings.Count(list, "\n")
	}
	before := countClients()
	goroutines := runtime.NumGoroutine()

	// "a" opens (and pings) the live server before "b" fails.
	cfg := parse(t, fmt.Sprintf(`
caches:
  a:       {backend: redis, location: "redis://%s", key_prefix: a}
  default: {backend: redis, location: "redis://user:s3cretpw@%s", key_prefix: p, options: {secret_keys: ["%s"]}}
`, srv.Addr, closedAddr(t), cfgKey1))
	start := time.Now()
	c, err := secureredis.Open(ctx, cfg)
	if err == nil {
		_ = c.Close()
		t.Fatal("Open succeeded against a closed port")
	}
	// Fast: the refused connection is the error, not a timeout after it, and
	// Open does not hang (on a busy machine a few seconds prove nothing).
	if d := time.Since(start); !errors.Is(err, syscall.ECONNREFUSED) || d > testkit.Patience {
		t.Errorf("Open failed after %v with %v, want the refused connection at once", d, err)
	}
	if c != nil {
		t.Error("Open returned caches with its error")
	}
	msg := err.Error()
	if !strings.Contains(msg, "caches.default") || !strings.Contains(msg, "connect") {
		t.Errorf("error %q does not say which alias failed to connect", msg)
	}
	if strings.Contains(msg, "s3cretpw") {
		t.Errorf("error %q contains the password", msg)
	}
	for deadline := time.Now().Add(testkit.Patience); ; time.Sleep(20 * time.Millisecond) {
		clients, n := countClients(), runtime.NumGoroutine()
		if clients <= before && n <= goroutines {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the failed Open: %d server connections (was %d), %d goroutines (was %d)", clients, before, n, goroutines)
		}
	}
}

func TestOpenMemory(t *testing.T) {
	ctx := t.Context()
	c := openCaches(t, `
secure_cache: session
caches:
  session: {backend: memory, timeout: 1h, options: {secret_keys: ["${REDIS_SECRET_KEY}"], serializer: json}}
  scratch: {backend: memory, key_prefix: tmp}
`)
	session, err := c.Secure()
	if err != nil {
		t.Fatal(err)
	}
	if got := session.GetType(); got != "secure-go-cache" {
		t.Errorf("GetType() = %q", got)
	}
	if p := session.Keys().Prefix(); p != "session" {
		t.Errorf("memory alias without key_prefix uses prefix %q, want its name", p)
	}
	written := testkit.StartStopwatch()
	if err := session.Set(ctx, "cart", map[string]any{"items": 3}); err != nil {
		t.Fatal(err)
	}
	v, ttl, err := session.GetWithTTL(ctx, "cart")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"items": json.Number("3")}, v); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}
	if !written.Remains(ttl, time.Hour) {
		t.Errorf("TTL = %v, want what is left of 1h after %v", ttl, written.Elapsed())
	}
	scratch := storeOf(t, c, "scratch")
	if err := scratch.Set(ctx, "k", "plain"); err != nil {
		t.Fatal(err)
	}
	if v, err := scratch.Get(ctx, "k"); err != nil || v != "plain" {
		t.Errorf("scratch Get = %v, %v", v, err)
	}
	if err := scratch.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := session.Get(ctx, "cart"); err != nil {
		t.Errorf("clearing one memory alias emptied another: %v", err)
	}
}

// TestOpenPickleAliases: a Django CACHES dict opens in Django mode: the
// secure alias with django-redis-secure's format, the insecure one with
// django-redis's plaintext pickle, and compressors as configured.
func TestOpenPickleAliases(t *testing.T) {
	srv := redistest.Start(t)
	cfg, err := secureredis.LoadConfig(filepath.Join("testdata", "config", "django_settings.json"),
		env(map[string]string{"REDIS_SECRET_KEY": cfgKey1}))
	if err != nil {
		t.Fatal(err)
	}
	for name, cc := range cfg.Caches {
		if cc.Backend == secureredis.BackendRedis {
			cc.Location = secureredis.Locations{"redis://" + srv.Addr}
			cc.Options.Compressor = "zlib"
			cfg.Caches[name] = cc
		}
	}
	c, err := secureredis.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	secure, _ := c.Store("default")
	if fc, ok := secure.Codec().(*codec.Django); !ok || fc.Compressor() == nil || fc.Compressor().Name() != "zlib" {
		t.Errorf("default alias codec = %T, want *codec.Django with zlib", secure.Codec())
	}
	insecure, _ := c.Store("insecure")
	if pc, ok := insecure.Codec().(codec.PlainPickle); !ok || pc.Compressor == nil {
		t.Errorf("insecure alias codec = %#v, want codec.PlainPickle with zlib", insecure.Codec())
	}
	cfg.Caches["insecure"] = func(cc secureredis.CacheConfig) secureredis.CacheConfig {
		cc.Options.Compressor = "brotli"
		return cc
	}(cfg.Caches["insecure"])
	if err := cfg.Validate(); !errors.Is(err, secureredis.ErrInvalidConfig) || !strings.Contains(err.Error(), "CACHES.insecure.OPTIONS.COMPRESSOR") {
		t.Errorf("unknown compressor: %v", err)
	}
}

func TestOpenInvalidConfig(t *testing.T) {
	for name, cfg := range map[string]*secureredis.Config{
		"nil":   nil,
		"empty": {},
		"no secret key": {Caches: map[string]secureredis.CacheConfig{
			"default": {Backend: secureredis.BackendMemory},
		}},
	} {
		if c, err := secureredis.Open(t.Context(), cfg); !errors.Is(err, secureredis.ErrInvalidConfig) || c != nil {
			t.Errorf("%s: Open = %v, %v, want ErrInvalidConfig", name, c, err)
		}
	}
}

func TestOpenHandBuiltConfigDefaults(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t, 0)
	ctx := t.Context()
	cfg := &secureredis.Config{Caches: map[string]secureredis.CacheConfig{
		"default": {
			Backend:   secureredis.BackendRedis,
			Location:  []string{"redis://" + srv.Addr},
			KeyPrefix: "app",
			Options:   secureredis.CacheOptions{SecretKeys: []string{cfgKey2, cfgKey1}},
		},
	}}
	c, err := secureredis.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	cfg.Caches["default"] = secureredis.CacheConfig{} // Open copied cfg
	s, err := c.Secure()
	if err != nil {
		t.Fatal(err)
	}
	written := testkit.StartStopwatch()
	if err := s.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(ctx, "app:1:k").Val(); !written.Remains(ttl, 300*time.Second) {
		t.Errorf("TTL = %v, want Django's default 300s (version 1)", ttl)
	}
	got := c.Config()
	if got.Caches["default"].KeyPrefix != "app" {
		t.Errorf("Config() = %+v, want the configuration Open was given", got)
	}
	got.Caches["default"] = secureredis.CacheConfig{}
	if c.Config().Caches["default"].KeyPrefix != "app" {
		t.Error("Config() returns the caches' own copy")
	}
}

func TestCloseIsIdempotentAndConcurrencySafe(t *testing.T) {
	srv := redistest.Start(t)
	ctx := t.Context()
	c := openCaches(t, sampleConfig(srv.Addr))
	s := storeOf(t, c, "default")

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if _, err := c.Store("insecure"); err != nil && !errors.Is(err, secureredis.ErrClosed) {
					t.Errorf("Store: %v", err)
				}
				_, _ = c.Secure()
				_, _, _ = c.RecoverySource("default")
			}
		})
	}
	wg.Go(func() { _ = c.Close() })
	wg.Wait()

	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := c.Store("default"); !errors.Is(err, secureredis.ErrClosed) {
		t.Errorf("Store after Close: %v, want ErrClosed", err)
	}
	if err := s.Set(ctx, "k", "v"); err == nil {
		t.Error("a store of closed caches still writes")
	}
}

// Open honours its context while connecting.
func TestOpenCancelledContext(t *testing.T) {
	srv := redistest.Start(t)
	cfg := parse(t, sampleConfig(srv.Addr), env(map[string]string{"REDIS_SECRET_KEY": cfgKey1}))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if c, err := secureredis.Open(ctx, cfg); !errors.Is(err, context.Canceled) {
		if c != nil {
			_ = c.Close()
		}
		t.Errorf("Open with a cancelled context: %v, want context.Canceled", err)
	}
}
