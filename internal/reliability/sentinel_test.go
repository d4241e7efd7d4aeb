package reliability_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/recovery"
	"github.com/secureredis/secureredis/store"
)

// eventually retries fn every 100 ms for up to testkit.Patience, the time a
// failover client may need to learn the new master on a busy machine.
func eventually(t *testing.T, what string, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(testkit.Patience)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestSentinelStoreFollowsFailover writes through a Sentinel failover client,
// kills the master, brings it back as a replica, then asks for a failover:
// after each, the store reads everything written before and writes again.
func TestSentinelStoreFollowsFailover(t *testing.T) {
	st := redistest.StartSentinel(t)
	client := st.Client(t, 0)
	s := newStore(t, client, newCodec(t), "app1:secure")
	ctx := t.Context()
	written := 0
	write := func() {
		t.Helper()
		var entries []store.Entry
		for range 100 {
			entries = append(entries, store.Entry{Key: lkey(written), Value: value(written)})
			written++
		}
		eventually(t, "SetMany", func() error { return s.SetMany(ctx, entries) })
		waitReplicas(t, client)
	}
	check := func() {
		t.Helper()
		keys := make([]string, written)
		for i := range keys {
			keys[i] = lkey(i)
		}
		eventually(t, "GetMany", func() error {
			res, err := s.GetMany(ctx, keys)
			if err != nil {
				return err
			}
			for i, r := range res {
				if r.Value != value(i) {
					return fmt.Errorf("%s = %v, %v", keys[i], r.Value, r.Err)
				}
			}
			return nil
		})
	}
	write()
	first := st.Master(t)
	second := st.KillMaster(t)
	if second == first {
		t.Fatal("no new master")
	}
	check()
	st.Rejoin(t, first) // back, empty, as a replica
	write()
	check()
	if third := st.Failover(t); third != first {
		t.Fatal("SENTINEL FAILOVER did not promote the replica")
	}
	write()
	check()
}

// TestSentinelMigrationInterruptedByFailover kills the master mid-migration:
// the run reports it, and once the replica is promoted a re-run completes
// with every entry present once.
func TestSentinelMigrationInterruptedByFailover(t *testing.T) {
	const n = 3000
	st := redistest.StartSentinel(t)
	client := st.Client(t, 0)
	seed(t, client, n)
	waitReplicas(t, client)
	a := newAliases(t, client)
	before := others(t, client)

	master := st.Master(t)
	var once sync.Once
	rep, err := recovery.Migrate(context.Background(), a.old, a.secure, recovery.WithClearOld(), recovery.WithBatchSize(100),
		recovery.WithProgress(func(p recovery.Progress) {
			if p.Scanned >= 600 {
				once.Do(master.Stop)
			}
		}))
	if master.Running() {
		t.Fatal("the migration ended before the master was killed")
	}
	if err == nil && rep.Failed == 0 && rep.DeleteFailed == 0 {
		t.Fatalf("the master died mid-migration and Migrate reported nothing: %v", rep)
	}
	t.Logf("interrupted run: %v, %v", rep, err)
	st.WaitNewMaster(t, master)
	runs := migrateUntilClean(t, a, recovery.WithClearOld(), recovery.WithBatchSize(100))
	t.Logf("converged after %d re-run(s)", runs)
	verify(t, a.secure, n)
	if left := count(t, a.old); left != 0 {
		t.Errorf("%d old entries left", left)
	}
	after := others(t, client)
	for k, v := range before {
		if after[k] != v {
			t.Errorf("other application's key %s changed", k)
		}
	}
}
