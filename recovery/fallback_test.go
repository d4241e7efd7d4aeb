package recovery_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/recovery"
	"github.com/secureredis/secureredis/store"
)

// TestFallback switches a service to the secure alias before migrating: a
// miss reads the old plaintext entry, which is written encrypted with its TTL,
// and a value the application wrote is never overwritten.
func TestFallback(t *testing.T) {
	a := newAliases(t)
	ctx := t.Context()
	c := newCodec(t)
	secure := newStore(t, a.client, c, "app1:secure", store.WithFallback(recovery.NewFallback(a.old), time.Now().Add(time.Hour)))

	planted := testkit.StartStopwatch()
	a.client.Set(ctx, "app1:1:session:1", "alice", time.Hour)
	a.client.Set(ctx, "app1:1:session:2", "bob", 0)
	a.client.Set(ctx, "app1:1:session:3", "carol (stale)", time.Hour)
	a.client.Set(ctx, "app1:2:session:4", "dave (other version)", time.Hour)

	v, ttl, err := secure.GetWithTTL(ctx, "session:1")
	if err != nil || v != "alice" || !planted.Remains(ttl, time.Hour) {
		t.Fatalf("GetWithTTL(session:1) = %v, %v, %v", v, ttl, err)
	}
	if got := decrypt(t, a.client, c, "app1:secure:1:session:1"); got != "alice" {
		t.Errorf("promoted entry = %v", got)
	}
	if pttl := a.client.PTTL(ctx, "app1:secure:1:session:1").Val(); !planted.Remains(pttl, time.Hour) {
		t.Errorf("promoted entry TTL = %v, want the old one", pttl)
	}
	if v, err := secure.Get(ctx, "session:2"); err != nil || v != "bob" {
		t.Fatalf("Get(session:2) = %v, %v", v, err)
	}
	if pttl := a.client.PTTL(ctx, "app1:secure:1:session:2").Val(); pttl != -1 {
		t.Errorf("persistent entry promoted with TTL %v", pttl)
	}
	// The application's newer value wins over the old alias.
	if err := secure.Set(ctx, "session:3", "carol (new)"); err != nil {
		t.Fatal(err)
	}
	if v, _ := secure.Get(ctx, "session:3"); v != "carol (new)" {
		t.Errorf("Get(session:3) = %v, the app's value must win", v)
	}
	// Only the old alias's own version is read.
	if _, err := secure.Get(ctx, "session:4"); !errors.Is(err, gocachestore.NotFound{}) {
		t.Errorf("Get(session:4) = %v, want NotFound", err)
	}
	if _, err := secure.Get(ctx, "absent"); !errors.Is(err, gocachestore.NotFound{}) {
		t.Errorf("Get(absent) = %v, want NotFound", err)
	}
	// The old entries are left for Migrate to clear.
	if n := a.client.Exists(ctx, "app1:1:session:1", "app1:1:session:2").Val(); n != 2 {
		t.Errorf("fallback deleted old entries")
	}
	// The keys the fallback promoted are skipped by the batch migration.
	rep, err := recovery.Migrate(ctx, a.old, secure, recovery.WithClearOld())
	if err != nil {
		t.Fatal(err)
	}
	// session:3's old value is stale and differs from the application's: a
	// conflict, kept.
	if rep.Migrated != 1 || rep.SkippedBy[recovery.SkipExists] != 3 || rep.Deleted != 3 || rep.Conflicts != 1 {
		t.Errorf("Migrate after fallback = %v, want session:4 migrated, 3 existing, session:3 a conflict", rep)
	}
}

// TestFallbackRace has many readers miss on the same keys while the
// application writes them: the application's value is never overwritten.
func TestFallbackRace(t *testing.T) {
	a := newAliases(t)
	ctx := t.Context()
	secure := newStore(t, a.client, newCodec(t), "app1:secure", store.WithFallback(recovery.NewFallback(a.old), time.Now().Add(time.Hour)))
	const n = 200
	pipe(t, a.client, n, func(p redis.Pipeliner, i int) {
		p.Set(ctx, a.old.Keys().Key(lkey(i)), "old", time.Hour)
	})
	var wg sync.WaitGroup
	for r := range 4 {
		wg.Go(func() {
			for i := range n {
				v, err := secure.Get(ctx, lkey((i+r*50)%n))
				if err != nil || (v != "old" && v != "new") {
					t.Errorf("Get = %v, %v", v, err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := range n {
			if err := secure.Set(ctx, lkey(i), "new"); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Wait()
	for i := range n {
		if v, err := secure.Get(ctx, lkey(i)); err != nil || v != "new" {
			t.Fatalf("Get(%s) = %v, %v: the app's value was overwritten", lkey(i), v, err)
		}
	}
}

func TestFallbackFetch(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	old := newStore(t, client, newCodec(t, otherKey), "legacy")
	planted := testkit.StartStopwatch()
	if err := old.Set(ctx, "n", int64(7), gocachestore.WithExpiration(time.Minute)); err != nil {
		t.Fatal(err)
	}
	client.Set(ctx, "legacy:1:bad", "SECRET-NOT-A-TOKEN", 0)
	fb := recovery.NewFallback(old)
	v, ttl, found, err := fb.Fetch(ctx, "n")
	if err != nil || !found || v != int64(7) || !planted.Remains(ttl, time.Minute) {
		t.Errorf("Fetch(n) = %v, %v, %v, %v", v, ttl, found, err)
	}
	if _, _, found, err := fb.Fetch(ctx, "absent"); found || err != nil {
		t.Errorf("Fetch(absent) = %v, %v", found, err)
	}
	_, _, found, err = fb.Fetch(ctx, "bad")
	if found || !errors.Is(err, recovery.ErrDecode) || !errors.Is(err, codec.ErrInvalidToken) || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("Fetch(bad) = %v, %v", found, err)
	}
	if _, _, _, err := recovery.NewFallback(nil).Fetch(ctx, "n"); !errors.Is(err, recovery.ErrNilStore) {
		t.Errorf("Fetch on nil store = %v", err)
	}
	downClient := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1})
	t.Cleanup(func() { _ = downClient.Close() })
	down := newStore(t, downClient, codec.Raw{}, "legacy")
	srv.Stop()
	if _, _, _, err := recovery.NewFallback(down).Fetch(context.Background(), "n"); err == nil {
		t.Error("Fetch with Redis down: no error")
	}
}
