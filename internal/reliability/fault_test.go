package reliability_test

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/recovery"
	"github.com/secureredis/secureredis/store"
)

// durable starts a redis-server that fsyncs every write to an append-only
// file before acknowledging it, so that Restart (a SIGKILL and a start) keeps
// every acknowledged write: what was lost in a crash is then a bug of ours.
func durable(t *testing.T) *redistest.Server {
	t.Helper()
	return redistest.Start(t, "--appendonly", "yes", "--appendfsync", "always")
}

// crashingClient returns a client whose nth command or pipeline first kills
// srv, as a crash in the middle of an operation.
func crashingClient(t *testing.T, srv *redistest.Server, n int64) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: 1})
	t.Cleanup(func() { _ = c.Close() })
	c.AddHook(&killer{n: n, kill: srv.Stop})
	return c
}

func TestRestartMidMigration(t *testing.T) {
	const n = 5000
	srv := durable(t)
	admin := srv.Client(t, 0)
	seed(t, admin, n)
	before := others(t, admin)
	a := newAliases(t, crashingClient(t, srv, 12))

	rep, err := recovery.Migrate(t.Context(), a.old, a.secure, recovery.WithClearOld(), recovery.WithBatchSize(250))
	if srv.Running() {
		t.Fatal("the server was not killed")
	}
	if err == nil && rep.Failed == 0 {
		t.Fatalf("Redis died mid-migration and Migrate reported nothing: %v", rep)
	}
	t.Logf("interrupted run: %v, %v", rep, err)
	srv.Restart(t)
	// Each entry is in the old alias, the secure one, or both (copied, not
	// yet deleted): never in neither.
	present(t, admin, n)
	runs := migrateUntilClean(t, a, recovery.WithClearOld(), recovery.WithBatchSize(250))
	t.Logf("converged after %d re-run(s)", runs)
	verify(t, a.secure, n)
	if left := count(t, a.old); left != 0 {
		t.Errorf("%d old entries left", left)
	}
	if after := others(t, admin); !maps.Equal(before, after) {
		t.Error("other applications' keys changed")
	}
}

func TestRestartMidRotation(t *testing.T) {
	const n = 5000
	srv := durable(t)
	admin := srv.Client(t, 0)
	seed(t, admin, 0)
	before := others(t, admin)
	old := newStore(t, admin, newCodec(t), "app1:secure")
	var entries []store.Entry
	for i := range n {
		entries = append(entries, store.Entry{Key: lkey(i), Value: value(i)})
	}
	if err := old.SetMany(t.Context(), entries); err != nil {
		t.Fatal(err)
	}
	rotating := newStore(t, crashingClient(t, srv, 10), newCodec(t, otherKey, testKey), "app1:secure")

	rep, err := recovery.Rotate(t.Context(), rotating, recovery.WithBatchSize(250))
	if srv.Running() {
		t.Fatal("the server was not killed")
	}
	if err == nil && rep.Failed == 0 {
		t.Fatalf("Redis died mid-rotation and Rotate reported nothing: %v", rep)
	}
	t.Logf("interrupted run: %v, %v", rep, err)
	srv.Restart(t)
	for run := 1; ; run++ {
		rep, err = recovery.Rotate(t.Context(), rotating, recovery.WithBatchSize(250))
		if err == nil && rep.Failed == 0 {
			break
		}
		if run == 5 {
			t.Fatalf("rotation does not converge: %v, %v", rep, err)
		}
	}
	audit, err := recovery.Audit(t.Context(), rotating)
	if err != nil || !audit.Clean() || audit.Current != n || audit.ByKeyIndex[0] != n {
		t.Fatalf("Audit = %v, %v", audit, err)
	}
	verify(t, rotating, n)
	if after := others(t, admin); !maps.Equal(before, after) {
		t.Error("other applications' keys changed")
	}
}

func TestRestartMidClear(t *testing.T) {
	const n = 5000
	srv := durable(t)
	admin := srv.Client(t, 0)
	seed(t, admin, n) // old alias "app1" entries: outside the secure prefix
	before := others(t, admin)
	s := newStore(t, admin, newCodec(t), "app1:secure")
	var entries []store.Entry
	for i := range n {
		entries = append(entries, store.Entry{Key: lkey(i), Value: value(i)})
	}
	if err := s.SetMany(t.Context(), entries); err != nil {
		t.Fatal(err)
	}
	clearing := newStore(t, crashingClient(t, srv, 8), s.Codec(), "app1:secure", store.WithScanCount(250))
	err := clearing.Clear(t.Context())
	if srv.Running() {
		t.Fatal("the server was not killed")
	}
	if err == nil {
		t.Fatal("Redis died mid-Clear and Clear returned nil")
	}
	t.Logf("interrupted Clear: %v", err)
	srv.Restart(t)
	left := count(t, s)
	if left == 0 || left == n {
		t.Errorf("after the crash %d of %d entries left: the crash was not mid-Clear", left, n)
	}
	if err := clearing.Clear(t.Context()); err != nil {
		t.Fatal(err)
	}
	if left := count(t, s); left != 0 {
		t.Errorf("re-run Clear left %d entries", left)
	}
	old := newAliases(t, admin).old
	if got := count(t, old); got != n {
		t.Errorf("the old alias has %d entries, want %d: Clear reached outside its prefix", got, n)
	}
	if after := others(t, admin); !maps.Equal(before, after) {
		t.Error("other applications' keys changed")
	}
}

// TestStalledServer pauses every client of Redis (CLIENT PAUSE ALL) and
// checks that each operation returns by its context deadline, and that no
// goroutine outlives the clients.
func TestStalledServer(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	srv := redistest.Start(t)
	admin := srv.Client(t, 0)
	// ContextTimeoutEnabled makes go-redis apply the ctx deadline to the
	// socket; without it the read waits for ReadTimeout whatever the context
	// says. Open sets it for configured aliases. No ReadTimeout here: an
	// operation that ignores its deadline blocks until the pause ends.
	client := redis.NewClient(&redis.Options{Addr: srv.Addr, ContextTimeoutEnabled: true, ReadTimeout: -1})
	s := newStore(t, client, newCodec(t), "app1:secure")
	old := newStore(t, client, newCodec(t), "app1")
	if err := s.Set(t.Context(), "k", "v"); err != nil {
		t.Fatal(err)
	}
	if err := old.Set(t.Context(), "k", "v"); err != nil {
		t.Fatal(err)
	}
	const pause = 15 * time.Second // long enough for every operation on a busy machine
	const deadline = 200 * time.Millisecond
	ops := []struct {
		name string
		op   func(ctx context.Context) error
	}{
		{"Get", func(ctx context.Context) error { _, err := s.Get(ctx, "k"); return err }},
		{"Set", func(ctx context.Context) error { return s.Set(ctx, "k", "v") }},
		{"GetMany", func(ctx context.Context) error { _, err := s.GetMany(ctx, []string{"k", "x"}); return err }},
		{"SetMany", func(ctx context.Context) error { return s.SetMany(ctx, []store.Entry{{Key: "k", Value: "v"}}) }},
		{"DeleteMany", func(ctx context.Context) error { return s.DeleteMany(ctx, []string{"x"}) }},
		{"Clear", func(ctx context.Context) error { return s.Clear(ctx) }},
		{"Migrate", func(ctx context.Context) error {
			rep, err := recovery.Migrate(ctx, old, s)
			if err == nil && rep.Failed > 0 {
				err = rep.Failures[0].Err
			}
			return err
		}},
		{"Audit", func(ctx context.Context) error { _, err := recovery.Audit(ctx, s); return err }},
	}
	if err := admin.Do(t.Context(), "CLIENT", "PAUSE", pause.Milliseconds(), "ALL").Err(); err != nil {
		t.Fatal(err)
	}
	paused := time.Now()
	for _, op := range ops {
		ctx, cancel := context.WithTimeout(t.Context(), deadline)
		start := time.Now()
		err := op.op(ctx)
		took := time.Since(start)
		cancel()
		if err == nil || errors.Is(err, gocachestore.NotFound{}) {
			t.Errorf("%s on a paused server: %v", op.name, err)
		}
		// Returned while the server was still paused: by its deadline, not
		// because Redis answered (a busy machine makes "by" loose).
		if time.Since(paused) >= pause {
			t.Fatalf("%s returned after %v with a %v deadline, when the %v pause had ended", op.name, took, deadline, pause)
		}
	}
	// Redis postpones UNPAUSE itself until the pause ends: sent through
	// client, which has no read timeout, it waits for that.
	if err := client.Do(t.Context(), "CLIENT", "UNPAUSE").Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get(t.Context(), "k"); err != nil || v != "v" {
		t.Errorf("Get after the pause = %v, %v", v, err)
	}
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	// The redis-server process is waited for until the test ends. goleak
	// retries for half a second only: give the goroutines Patience to exit.
	leakOpts := []goleak.Option{leaks, goleak.IgnoreAnyFunction("github.com/secureredis/secureredis/internal/redistest.(*Server).start.func1")}
	testkit.Poll(func() bool { return goleak.Find(leakOpts...) == nil })
	goleak.VerifyNone(t, leakOpts...)
}
