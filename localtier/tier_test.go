package localtier_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eko/gocache/lib/v4/cache"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/localtier"
)

func TestKeepsTokensAndCountsHits(t *testing.T) {
	srv := redistest.Start(t)
	in := newInstance(t, srv.Client(t, 0))
	in.waitTracking(t)
	ctx := t.Context()
	if err := in.st.Set(ctx, "k", "secret value"); err != nil {
		t.Fatal(err)
	}
	_ = in.tier.Sync(ctx) // the write's own invalidation would drop the fill
	for range 3 {
		if v, err := in.get(ctx, "k"); err != nil || v != "secret value" {
			t.Fatalf("get = %q, %v", v, err)
		}
	}
	s := in.tier.Stats()
	if s.Hits != 2 || s.Misses != 1 || s.Entries != 1 {
		t.Fatalf("stats = %+v, want 2 hits, 1 miss, 1 entry", s)
	}
	tok, ok := in.tier.CachedToken(in.st.Keys().Key("k"))
	if !ok || strings.Contains(tok, "secret") || !strings.HasPrefix(tok, "gAAAAA") {
		t.Fatalf("the tier keeps %q, want the Fernet token", tok)
	}
}

func TestOwnWritesAreReadAtOnce(t *testing.T) {
	srv := redistest.Start(t)
	in := newInstance(t, srv.Client(t, 0))
	in.waitTracking(t)
	ctx := t.Context()
	for i := range 200 {
		want := "v" + string(rune('a'+i%26))
		if err := in.st.Set(ctx, "k", want); err != nil {
			t.Fatal(err)
		}
		if v, err := in.get(ctx, "k"); err != nil || v != want {
			t.Fatalf("round %d: get = %q, %v, want %q", i, v, err, want)
		}
		if v, _ := in.get(ctx, "k"); v != want { // a hit
			t.Fatalf("round %d: second get = %q, want %q", i, v, want)
		}
		if i%5 == 0 {
			if err := in.st.Delete(ctx, "k"); err != nil {
				t.Fatal(err)
			}
			if v, _ := in.get(ctx, "k"); v != "" {
				t.Fatalf("round %d: get after delete = %q", i, v)
			}
		}
	}
	if s := in.tier.Stats(); s.Hits == 0 {
		t.Fatalf("no hits: %+v", s)
	}
}

func TestOtherWritersInvalidate(t *testing.T) {
	srv := redistest.Start(t)
	a := newInstance(t, srv.Client(t, 0))
	b := newInstance(t, srv.Client(t, 0))
	a.waitTracking(t)
	ctx := t.Context()
	if err := b.st.Set(ctx, "k", "one"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if v, _ := a.get(ctx, "k"); v != "one" {
			t.Fatalf("get = %q", v)
		}
	}
	// Without Sync the invalidation arrives asynchronously: poll for it.
	if err := b.st.Set(ctx, "k", "two"); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, func() bool { v, _ := a.get(ctx, "k"); return v == "two" }, "the overwrite never reached A")
	// With Sync, the very next read is fresh.
	if err := b.st.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if err := a.tier.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if v, _ := a.get(ctx, "k"); v != "" {
		t.Fatalf("get after delete and Sync = %q", v)
	}
	if s := a.tier.Stats(); s.Invalidations == 0 {
		t.Fatalf("no invalidations counted: %+v", s)
	}
	// A write outside the prefix reaches nobody's tier; a raw write inside
	// it (another program) does.
	raw := srv.Client(t, 0)
	_ = a.st.Set(ctx, "k", "three")
	_, _ = a.get(ctx, "k")
	if err := raw.Set(ctx, a.st.Keys().Key("k"), "planted", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := a.tier.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.tier.CachedToken(a.st.Keys().Key("k")); ok {
		t.Fatal("a raw write left the old token in the tier")
	}
}

func TestFlushDBFlushesTier(t *testing.T) {
	srv := redistest.Start(t)
	a := newInstance(t, srv.Client(t, 0))
	a.waitTracking(t)
	ctx := t.Context()
	_ = a.st.Set(ctx, "k", "one")
	_, _ = a.get(ctx, "k")
	before := a.tier.Stats().Flushes
	// A throwaway server: FLUSHDB sends a NULL invalidation (flush all).
	if err := srv.Client(t, 0).FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := a.tier.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if v, _ := a.get(ctx, "k"); v != "" {
		t.Fatalf("get after FLUSHDB = %q", v)
	}
	if a.tier.Stats().Flushes == before {
		t.Fatal("FLUSHDB did not flush the tier")
	}
	a.waitTracking(t)
}

func TestLocalExpiry(t *testing.T) {
	srv := redistest.Start(t)
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	a := newInstance(t, srv.Client(t, 0), localtier.WithClock(clock), localtier.WithMaxStaleness(time.Hour))
	a.waitTracking(t)
	ctx := t.Context()
	_ = a.st.Set(ctx, "ttl", "v", localtierExpiry(time.Minute))
	_ = a.st.Set(ctx, "forever", "v", localtierExpiry(0))
	_ = a.tier.Sync(ctx) // the writes' own invalidations would drop the fills
	for _, k := range []string{"ttl", "forever"} {
		_, _ = a.get(ctx, k)
		_, _ = a.get(ctx, k)
	}
	hits := a.tier.Stats().Hits
	if hits != 2 {
		t.Fatalf("hits = %d, want 2", hits)
	}
	advance(2 * time.Minute) // past the Redis TTL as read: read again
	_, _ = a.get(ctx, "ttl")
	_, _ = a.get(ctx, "forever")
	if got := a.tier.Stats().Hits; got != hits+1 {
		t.Fatalf("hits = %d, want %d: only the key without TTL is a hit", got, hits+1)
	}
	advance(2 * time.Hour) // past the max staleness
	_, _ = a.get(ctx, "forever")
	if got := a.tier.Stats().Hits; got != hits+1 {
		t.Fatalf("hits = %d, want %d after max staleness", got, hits+1)
	}
}

func TestSizeBound(t *testing.T) {
	srv := redistest.Start(t)
	a := newInstance(t, srv.Client(t, 0), localtier.WithMaxEntries(3))
	a.waitTracking(t)
	ctx := t.Context()
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		_ = a.st.Set(ctx, k, "v")
		_ = a.tier.Sync(ctx) // the write's own invalidation would drop the fill
		_, _ = a.get(ctx, k)
	}
	if s := a.tier.Stats(); s.Entries != 3 || s.Evictions != 2 {
		t.Fatalf("stats = %+v, want 3 entries, 2 evictions", s)
	}
}

func TestRefusedClients(t *testing.T) {
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})
	defer cc.Close()
	if _, err := localtier.New(cc, "p:"); !errors.Is(err, localtier.ErrCluster) {
		t.Fatalf("cluster: %v, want ErrCluster", err)
	}
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": "127.0.0.1:1"}})
	defer ring.Close()
	if _, err := localtier.New(ring, "p:"); !errors.Is(err, localtier.ErrUnsupportedClient) {
		t.Fatalf("ring: %v, want ErrUnsupportedClient", err)
	}
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	for _, opt := range []localtier.Option{localtier.WithMaxEntries(0), localtier.WithMaxBytes(-1),
		localtier.WithMaxStaleness(-time.Second), localtier.WithHealthInterval(0), localtier.WithMaxEntryBytes(0)} {
		if _, err := localtier.New(c, "p:", opt); err == nil {
			t.Fatal("a bad option was accepted")
		}
	}
	if _, err := localtier.New(c, ""); err == nil {
		t.Fatal("the empty prefix was accepted")
	}
	if _, err := localtier.New(nil, "p:"); err == nil {
		t.Fatal("a nil client was accepted")
	}
}

func TestChain(t *testing.T) {
	srv := redistest.Start(t)
	a := newInstance(t, srv.Client(t, 0))
	b := newInstance(t, srv.Client(t, 0))
	a.waitTracking(t)
	st, err := localtier.NewStore(a.st)
	if err != nil {
		t.Fatal(err)
	}
	chain := cache.NewChain[any](cache.New[any](st))
	ctx := t.Context()
	if err := chain.Set(ctx, "k", "one"); err != nil {
		t.Fatal(err)
	}
	_ = a.tier.Sync(ctx) // the write's own invalidation would drop the fill
	for range 3 {
		if v, err := chain.Get(ctx, "k"); err != nil || v != "one" {
			t.Fatalf("chain get = %v, %v", v, err)
		}
	}
	if s := a.tier.Stats(); s.Hits < 2 {
		t.Fatalf("the chain's reads were not served by the tier: %+v", s)
	}
	_ = b.st.Set(ctx, "k", "two")
	_ = a.tier.Sync(ctx)
	if v, _ := chain.Get(ctx, "k"); v != "two" {
		t.Fatalf("chain get after B's write = %v", v)
	}
}

// A user the server does not allow CLIENT TRACKING gets no tier: every read
// goes to Redis, and TrackingErr says why.
func TestTrackingRefused(t *testing.T) {
	srv := redistest.Start(t)
	ctx := t.Context()
	admin := srv.Client(t, 0)
	if err := admin.Do(ctx, "ACL", "SETUSER", "limited", "on", ">pw", "~*", "&*", "+@all", "-client").Err(); err != nil {
		t.Fatal(err)
	}
	limited := redis.NewClient(&redis.Options{Addr: srv.Addr, Username: "limited", Password: "pw"})
	t.Cleanup(func() { _ = limited.Close() })
	a := newInstance(t, limited)
	testkit.Eventually(t, func() bool { return a.tier.TrackingErr() != nil }, "no tracking error")
	_ = a.st.Set(ctx, "k", "v")
	for range 3 {
		if v, err := a.get(ctx, "k"); err != nil || v != "v" {
			t.Fatalf("get = %q, %v", v, err)
		}
	}
	if s := a.tier.Stats(); s.Hits != 0 || s.Tracking {
		t.Fatalf("stats = %+v: served from memory without tracking", s)
	}
}
