package recovery_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/recovery"
)

// writer rewrites random entries of one alias until stopped, remembering
// every value it wrote per index.
type writer struct {
	stop   atomic.Bool
	wg     sync.WaitGroup
	mu     sync.Mutex
	wrote  map[int][]string
	writes atomic.Int64
}

func startWriter(t *testing.T, n int, seed uint64, set func(ctx context.Context, i int, v string) error) *writer {
	t.Helper()
	w := &writer{wrote: map[int][]string{}}
	ctx := context.WithoutCancel(t.Context())
	w.wg.Go(func() {
		r := rand.New(rand.NewPCG(seed, seed))
		for seq := 0; !w.stop.Load(); seq++ {
			i := r.IntN(n)
			v := fmt.Sprintf("w%d-%d-%d", seed, i, seq)
			if err := set(ctx, i, v); err != nil {
				t.Error(err)
				return
			}
			w.mu.Lock()
			w.wrote[i] = append(w.wrote[i], v)
			w.mu.Unlock()
			w.writes.Add(1)
			if seq%16 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	})
	return w
}

func (w *writer) halt() map[int][]string {
	w.stop.Store(true)
	w.wg.Wait()
	return w.wrote
}

// TestMigrateRerunKeepsUpdates reproduces issue 9 item 5: writers keep
// updating the old alias (and the application the secure one) while
// migrate --clear-old runs, then migrate --clear-old runs again. No value is
// ever lost: an old entry is deleted only while its secure copy holds the
// same value; the others are conflicts, kept and reported by key, and the
// report is not clean. WithPrefer then resolves them explicitly.
func TestMigrateRerunKeepsUpdates(t *testing.T) {
	const n = 20_000
	a := newAliases(t)
	ctx := t.Context()
	lk := func(i int) string { return fmt.Sprintf("k%05d", i) }
	oldKey := func(i int) string { return a.old.Keys().Key(lk(i)) }
	ttl := func(i int) time.Duration { return time.Duration(i%2) * (time.Hour + time.Duration(i)*time.Millisecond) }
	pipe(t, a.client, n, func(p redis.Pipeliner, i int) {
		p.Set(ctx, oldKey(i), value(i, 32), ttl(i))
	})
	oldW := startWriter(t, n, 1, func(ctx context.Context, i int, v string) error {
		return a.client.Set(ctx, oldKey(i), v, redis.KeepTTL).Err()
	})
	secW := startWriter(t, n, 2, func(ctx context.Context, i int, v string) error {
		return a.secure.Set(ctx, lk(i), v)
	})
	// Let the writers get going, then run twice while they write.
	for oldW.writes.Load() < 200 || secW.writes.Load() < 200 {
		time.Sleep(5 * time.Millisecond)
	}
	var reps []*recovery.MigrateReport
	for run := range 2 {
		rep, err := recovery.Migrate(ctx, a.old, a.secure, recovery.WithClearOld(), recovery.WithBatchSize(500))
		if err != nil {
			t.Fatal(err)
		}
		checkSums(t, fmt.Sprintf("run %d", run+1), rep)
		t.Logf("run %d: %v", run+1, rep)
		reps = append(reps, rep)
	}
	oldWrote, secWrote := oldW.halt(), secW.halt()
	t.Logf("writes: old alias %d, secure alias %d", oldW.writes.Load(), secW.writes.Load())
	if len(oldWrote) == 0 || len(secWrote) == 0 {
		t.Fatal("the writers wrote nothing")
	}
	for _, rep := range reps {
		if rep.Failed != 0 || rep.DeleteFailed != 0 {
			t.Fatalf("failures: %v", rep.Failures)
		}
	}
	if reps[1].Conflicts == 0 || reps[1].Clean() || len(reps[1].ConflictKeys) == 0 {
		t.Errorf("run 2 = %v, want conflicts reported, not clean", reps[1])
	}

	// Run 3, writers stopped: everything left is a conflict, nothing is
	// deleted.
	rep3, err := recovery.Migrate(ctx, a.old, a.secure, recovery.WithClearOld())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("run 3: %v", rep3)

	c := a.secure.Codec().(*codec.Codec)
	last := func(i int) string { // the newest value of the old alias
		if ws := oldWrote[i]; len(ws) > 0 {
			return ws[len(ws)-1]
		}
		return value(i, 32)
	}
	secureValue := func(i int) (string, bool) {
		tok, err := a.client.Get(ctx, a.secure.Keys().Key(lk(i))).Bytes()
		if err == redis.Nil {
			return "", false
		}
		if err != nil {
			t.Fatal(err)
		}
		v, err := c.Decode(a.secure.Keys().Key(lk(i)), tok)
		if err != nil {
			t.Fatal(err)
		}
		return v.(string), true
	}
	var conflicts []int
	for i := range n {
		sv, ok := secureValue(i)
		ov, err := a.client.Get(ctx, oldKey(i)).Result()
		switch {
		case err == redis.Nil:
			// Deleted: its newest value is in the secure alias, unless
			// the application wrote that afterwards.
			if !ok || (sv != last(i) && !strings.HasPrefix(sv, "w2-")) {
				t.Fatalf("entry %d: old deleted, secure holds %q (present %v), newest old value %q: lost", i, sv, ok, last(i))
			}
		case err != nil:
			t.Fatal(err)
		default:
			if ov != last(i) {
				t.Fatalf("entry %d: old holds %q, want %q", i, ov, last(i))
			}
			if !ok || sv == ov {
				t.Fatalf("entry %d left in the old alias although secure holds the same value (present %v)", i, ok)
			}
			conflicts = append(conflicts, i)
		}
	}
	// (Run 3 may still migrate and delete entries the old writer recreated
	// after run 2 had deleted them.)
	if rep3.Conflicts != len(conflicts) || rep3.Kept != 0 || rep3.Clean() {
		t.Fatalf("run 3 = %v, want %d conflicts and none kept", rep3, len(conflicts))
	}
	if len(rep3.ConflictKeys) != min(len(conflicts), recovery.DefaultSamples) {
		t.Errorf("run 3 conflict keys = %q", rep3.ConflictKeys)
	}
	if !strings.Contains(rep3.String(), "conflicts") || !strings.Contains(rep3.String(), rep3.ConflictKeys[0]) {
		t.Errorf("run 3 summary does not name the conflicts: %s", rep3)
	}

	// A dry run with PreferOld says what it would resolve and writes nothing.
	dry, err := recovery.Migrate(ctx, a.old, a.secure, recovery.WithClearOld(), recovery.WithPrefer(recovery.PreferOld), recovery.WithDryRun())
	if err != nil {
		t.Fatal(err)
	}
	if dry.Resolved != len(conflicts) || dry.Conflicts != 0 || dry.Deleted != 0 {
		t.Errorf("dry run = %v, want %d resolvable", dry, len(conflicts))
	}

	// PreferOld: the old values replace the secure copies, with the old TTLs,
	// and the old entries go.
	expireAt := map[int]int64{}
	for _, i := range conflicts {
		expireAt[i] = a.client.PExpireTime(ctx, oldKey(i)).Val().Milliseconds()
	}
	rep4, err := recovery.Migrate(ctx, a.old, a.secure, recovery.WithClearOld(), recovery.WithPrefer(recovery.PreferOld))
	if err != nil {
		t.Fatal(err)
	}
	if rep4.Resolved != len(conflicts) || rep4.Deleted != len(conflicts) || !rep4.Clean() {
		t.Errorf("run 4 = %v, want %d resolved", rep4, len(conflicts))
	}
	for _, i := range conflicts {
		if sv, _ := secureValue(i); sv != last(i) {
			t.Errorf("entry %d: secure %q after PreferOld, want %q", i, sv, last(i))
		}
		if got := a.client.PExpireTime(ctx, a.secure.Keys().Key(lk(i))).Val().Milliseconds(); got != expireAt[i] {
			t.Errorf("entry %d: secure expires at %d, old did at %d", i, got, expireAt[i])
		}
		if a.client.Exists(ctx, oldKey(i)).Val() != 0 {
			t.Errorf("entry %d: old entry left after PreferOld", i)
		}
	}
}

// TestMigratePreferRaces writes to both aliases between the comparison and
// the writes of WithPrefer: a value either alias received after it was read
// is never replaced or deleted.
func TestMigratePreferRaces(t *testing.T) {
	for _, prefer := range []recovery.Prefer{recovery.PreferOld, recovery.PreferSecure} {
		t.Run(prefer.String(), func(t *testing.T) {
			a := newAliases(t)
			ctx := t.Context()
			for _, k := range []string{"a", "b", "c"} {
				a.client.Set(ctx, a.old.Keys().Key(k), "old-"+k, time.Hour)
				if err := a.secure.Set(ctx, k, "secure-"+k); err != nil {
					t.Fatal(err)
				}
			}
			hook := func(ctx context.Context, _ []string) {
				if err := a.secure.Set(ctx, "a", "app-newer"); err != nil { // the application, on the secure alias
					t.Error(err)
				}
				a.client.Set(ctx, a.old.Keys().Key("b"), "old-newer", redis.KeepTTL) // a writer, on the old alias
			}
			rep, err := recovery.Migrate(ctx, a.old, a.secure, recovery.WithClearOld(), recovery.WithPrefer(prefer), recovery.WithClearHook(hook))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%v", rep)
			get := func(k string) any {
				v, err := a.secure.Get(ctx, k)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			old := func(k string) string { return a.client.Get(ctx, a.old.Keys().Key(k)).Val() }
			if get("a") != "app-newer" {
				t.Errorf("secure a = %v: the application's newer value was overwritten", get("a"))
			}
			if old("b") != "old-newer" {
				t.Errorf("old b = %q: the writer's newer value was deleted", old("b"))
			}
			switch prefer {
			case recovery.PreferOld:
				// a: the compare-and-set met the newer secure value, so a
				// stays a conflict; b: replaced, then kept as changed; c:
				// replaced and deleted.
				if old("a") != "old-a" || get("b") != "old-b" || get("c") != "old-c" || old("c") != "" {
					t.Errorf("a: old %q; b: secure %v; c: secure %v, old %q", old("a"), get("b"), get("c"), old("c"))
				}
				if rep.Conflicts != 1 || rep.Kept != 1 || rep.Resolved != 1 || rep.Clean() {
					t.Errorf("report = %v, want 1 conflict, 1 kept, 1 resolved", rep)
				}
			case recovery.PreferSecure:
				// a: the secure copy changed but the old one did not, so
				// it goes; b: changed, kept; c: deleted.
				if old("a") != "" || old("c") != "" || get("b") != "secure-b" || get("c") != "secure-c" {
					t.Errorf("a: old %q; b: secure %v; c: secure %v, old %q", old("a"), get("b"), get("c"), old("c"))
				}
				if rep.Conflicts != 0 || rep.Kept != 1 || rep.Resolved != 2 || rep.Clean() {
					t.Errorf("report = %v, want 1 kept, 2 resolved", rep)
				}
			}
		})
	}
	a := newAliases(t)
	if _, err := recovery.Migrate(t.Context(), a.old, a.secure, recovery.WithPrefer(recovery.PreferOld)); err == nil {
		t.Error("WithPrefer without WithClearOld accepted")
	}
	if _, err := recovery.ParsePrefer("newest"); err == nil {
		t.Error("ParsePrefer(newest) accepted")
	}
}
