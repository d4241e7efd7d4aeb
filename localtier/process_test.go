package localtier_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eko/gocache/lib/v4/cache"
	gocachego "github.com/eko/gocache/store/go_cache/v4"
	gocache "github.com/patrickmn/go-cache"

	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/store"
)

// The guarantee under test, for two processes A and B sharing one Redis: once
// B's write (a set or a delete) is acknowledged and A has called Sync, A's
// next read returns B's value or a miss, never the value A had cached. Without
// Sync, the invalidation reaches A asynchronously: A may read the old value
// until it arrives, and reads the new one after (TestTwoProcessesEventual).

// round runs one round: A caches key (two reads, the second a hit), B
// overwrites or deletes it and acknowledges over its pipe, A syncs and reads.
func round(t *testing.T, ctx context.Context, a *instance, b *child, key string, i int) {
	t.Helper()
	old := fmt.Sprintf("old-%d", i)
	if ans := b.do(t, "set "+key+" "+old); ans != "ok" {
		t.Fatalf("round %d: B set: %s", i, ans)
	}
	if err := a.tier.Sync(ctx); err != nil { // B's own-write invalidation
		t.Fatal(err)
	}
	for range 2 {
		if v, err := a.get(ctx, key); err != nil || v != old {
			t.Fatalf("round %d: A caches %q, %v; want %q", i, v, err, old)
		}
	}
	want, cmd := fmt.Sprintf("new-%d", i), ""
	if i%3 == 2 {
		want, cmd = "", "del "+key
	} else {
		cmd = "set " + key + " " + want
	}
	if ans := b.do(t, cmd); ans != "ok" {
		t.Fatalf("round %d: B %s: %s", i, cmd, ans)
	}
	if err := a.tier.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if v, err := a.get(ctx, key); err != nil || v != want {
		t.Fatalf("round %d: A reads %q, %v after B's acknowledged %q; want %q", i, v, err, cmd, want)
	}
}

func TestTwoProcesses(t *testing.T) {
	srv := redistest.Start(t)
	a := newInstance(t, srv.Client(t, 0))
	b := startChild(t, envAddr+"="+srv.Addr)
	a.waitTracking(t)
	ctx := t.Context()
	const rounds = 10_000
	for i := range rounds {
		round(t, ctx, a, b, fmt.Sprintf("k%d", i%7), i)
	}
	s := a.tier.Stats()
	if s.Hits < rounds {
		t.Fatalf("A's tier served %d hits in %d rounds: it did not cache", s.Hits, rounds)
	}
	t.Logf("A: %+v", s)
}

// Without Sync: every read returns the old value or B's, and B's from some
// read on; how many rounds saw the old value first is logged.
func TestTwoProcessesEventual(t *testing.T) {
	srv := redistest.Start(t)
	a := newInstance(t, srv.Client(t, 0))
	b := startChild(t, envAddr+"="+srv.Addr)
	a.waitTracking(t)
	ctx := t.Context()
	stale := 0
	const rounds = 1000
	for i := range rounds {
		old, want := fmt.Sprintf("old-%d", i), fmt.Sprintf("new-%d", i)
		b.do(t, "set k "+old)
		testkit.Eventually(t, func() bool { v, _ := a.get(ctx, "k"); return v == old }, "A never read %q", old)
		b.do(t, "set k "+want)
		first := true
		testkit.Eventually(t, func() bool {
			v, err := a.get(ctx, "k")
			if err != nil || (v != old && v != want) {
				t.Fatalf("round %d: A reads %q, %v", i, v, err)
			}
			if v == old && first {
				stale++
			}
			first = false
			return v == want
		}, "round %d: B's write never reached A", i)
	}
	t.Logf("%d of %d first reads after B's acknowledged write returned the old value (no Sync)", stale, rounds)
}

// Killing and restarting redis-server (empty) between rounds: A's tracking
// connection drops, A flushes and serves nothing from memory until tracking
// is back, so the guarantee holds across the restart.
func TestTwoProcessesRedisRestart(t *testing.T) {
	srv := redistest.Start(t)
	a := newInstance(t, srv.Client(t, 0))
	b := startChild(t, envAddr+"="+srv.Addr)
	a.waitTracking(t)
	ctx := t.Context()
	flushes := a.tier.Stats().Flushes
	const restarts, rounds = 10, 20
	for r := range restarts {
		for i := range rounds {
			round(t, ctx, a, b, "k", r*rounds+i)
		}
		// A caches a value, then the server dies and comes back empty.
		b.do(t, "set k before-restart")
		_ = a.tier.Sync(ctx)
		_, _ = a.get(ctx, "k")
		srv.Restart(t)
		testkit.Eventually(t, func() bool { return b.try(t, "set k after-restart") == "ok" }, "B never wrote after the restart")
		if err := a.tier.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if v, err := a.get(ctx, "k"); err != nil && !isConnErr(err) || err == nil && v != "after-restart" {
			t.Fatalf("restart %d: A reads %q, %v; want after-restart", r, v, err)
		}
		a.waitTracking(t)
	}
	if got := a.tier.Stats().Flushes; got < flushes+restarts {
		t.Fatalf("flushes = %d, want at least %d", got, flushes+restarts)
	}
}

// isConnErr reports an error of A's own client reconnecting to the restarted
// server: a failed read, never a stale one.
func isConnErr(err error) bool {
	return strings.Contains(err.Error(), "connection") || strings.Contains(err.Error(), "EOF") ||
		strings.Contains(err.Error(), "broken pipe")
}

// On a Sentinel failover (SENTINEL FAILOVER: the old master stays up and
// becomes a replica) A's tier flushes and tracks the new master.
func TestTwoProcessesSentinelFailover(t *testing.T) {
	st := redistest.StartSentinel(t)
	a := newInstance(t, st.Client(t, 0))
	b := startChild(t, envSentinels+"="+strings.Join(st.Addrs(), ","))
	a.waitTracking(t)
	ctx := t.Context()
	const failovers, rounds = 2, 30
	for f := range failovers {
		for i := range rounds {
			round(t, ctx, a, b, "k", f*rounds+i)
		}
		b.do(t, "set k before-failover")
		_ = a.tier.Sync(ctx)
		_, _ = a.get(ctx, "k")
		_, _ = a.get(ctx, "k")
		flushes := a.tier.Stats().Flushes
		master := st.Failover(t)
		// Both clients follow the switch asynchronously; wait until B's
		// writes land on the new master, as without a local tier.
		testkit.Eventually(t, func() bool {
			return b.try(t, "set k after-failover") == "ok" && st.Master(t) == master
		}, "B never wrote to the new master")
		testkit.Eventually(t, func() bool {
			v, err := a.get(ctx, "k")
			return err == nil && v == "after-failover"
		}, "A never read the new master's value")
		// The tracking connection on the old master is killed by the
		// sentinels or, if it survives, replaced at the next health check
		// (or Sync) that sees the data connections on another server.
		testkit.Eventually(t, func() bool { return a.tier.Stats().Flushes > flushes }, "the failover never flushed A's tier")
		a.waitTracking(t)
	}
	for i := range rounds {
		round(t, ctx, a, b, "k", failovers*rounds+i)
	}
}

// A session revoked by one instance is refused by every other instance on its
// next request (after Sync, or once the invalidation has arrived).
func TestRevocation(t *testing.T) {
	srv := redistest.Start(t)
	a := newInstance(t, srv.Client(t, 0))
	b := startChild(t, envAddr+"="+srv.Addr)
	c := startChild(t, envAddr+"="+srv.Addr)
	a.waitTracking(t)
	ctx := t.Context()
	for i := range 300 {
		tok := fmt.Sprintf("session-token-%04d", i)
		if err := a.sessions.CommitCtx(ctx, tok, []byte("user42"), timeNowPlusHour()); err != nil {
			t.Fatal(err)
		}
		// Every instance loads the session (and caches it).
		_ = a.tier.Sync(ctx)
		b.do(t, "sync")
		c.do(t, "sync")
		for range 2 {
			if data, ok, err := a.sessions.FindCtx(ctx, tok); err != nil || !ok || string(data) != "user42" {
				t.Fatalf("A finds %q, %v, %v", data, ok, err)
			}
			for _, x := range []*child{b, c} {
				if ans := x.do(t, "find "+tok); ans != "found user42" {
					t.Fatalf("child finds %s", ans)
				}
			}
		}
		// Logout on one instance, alternately A and B.
		if i%2 == 0 {
			if err := a.sessions.DeleteCtx(ctx, tok); err != nil {
				t.Fatal(err)
			}
		} else if ans := b.do(t, "revoke "+tok); ans != "ok" {
			t.Fatal(ans)
		}
		_ = a.tier.Sync(ctx)
		if _, ok, err := a.sessions.FindCtx(ctx, tok); err != nil || ok {
			t.Fatalf("round %d: A still accepts the revoked session (%v)", i, err)
		}
		for _, x := range []*child{b, c} {
			x.do(t, "sync")
			if ans := x.do(t, "find "+tok); ans != "refused" {
				t.Fatalf("round %d: a child still accepts the revoked session: %s", i, ans)
			}
		}
	}
	if s := a.tier.Stats(); s.Hits == 0 {
		t.Fatalf("A never served a session from memory: %+v", s)
	}
}

// The problem the tier solves, as a control for the rounds above: gocache's
// chain of a plain in-memory store over the encrypting store keeps serving
// A's old value after B's acknowledged write, which round would report.
func TestIncoherentChainIsStale(t *testing.T) {
	srv := redistest.Start(t)
	b := startChild(t, envAddr+"="+srv.Addr)
	remote, err := store.NewRedis(srv.Client(t, 0), testkit.Codec(t), testkit.Keys(t, prefix))
	if err != nil {
		t.Fatal(err)
	}
	mem := gocachego.NewGoCache(gocache.New(time.Hour, time.Hour))
	chain := cache.NewChain[any](cache.New[any](mem), cache.New[any](remote))
	ctx := t.Context()
	b.do(t, "set k old")
	if v, err := chain.Get(ctx, "k"); err != nil || v != "old" {
		t.Fatalf("chain get = %v, %v", v, err)
	}
	// The chain fills the memory store asynchronously.
	testkit.Eventually(t, func() bool { _, err := mem.Get(ctx, "k"); return err == nil }, "the chain never filled its memory store")
	b.do(t, "set k new")
	if v, _ := chain.Get(ctx, "k"); v != "old" {
		t.Fatalf("chain get = %v: the incoherent chain was expected to serve the old value", v)
	}
}
