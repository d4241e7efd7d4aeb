package reliability_test

import (
	"context"
	"maps"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/recovery"
	"github.com/secureredis/secureredis/store"
)

// TestClusterRecoveryEveryMaster migrates, rotates, audits and clears on a
// three-master cluster with replicas, and checks that every master held
// entries and that other applications' keys are untouched.
func TestClusterRecoveryEveryMaster(t *testing.T) {
	const n = 3000
	cl := redistest.StartCluster(t)
	cc := cl.Client(t)
	ctx := t.Context()
	seed(t, cc, n)
	before := others(t, cc)
	a := newAliases(t, cc)

	rep, err := recovery.Migrate(ctx, a.old, a.secure, recovery.WithClearOld(), recovery.WithBatchSize(200))
	if err != nil || rep.Migrated != n || rep.Deleted != n || rep.Failed != 0 {
		t.Fatalf("Migrate = %v, %v", rep, err)
	}
	verify(t, a.secure, n)
	var mu sync.Mutex
	perMaster := map[string]int{}
	err = cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		s := newStore(t, m, a.secure.Codec(), "app1:secure")
		k := count(t, s)
		mu.Lock()
		defer mu.Unlock()
		perMaster[m.Options().Addr] = k
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for addr, k := range perMaster {
		if k < n/10 {
			t.Errorf("master %s holds %d secure entries: not spread", addr, k)
		}
	}
	if len(perMaster) != 3 {
		t.Errorf("masters: %v", perMaster)
	}

	rotated := newStore(t, cc, newCodec(t, otherKey, testKey), "app1:secure")
	rot, err := recovery.Rotate(ctx, rotated, recovery.WithBatchSize(200))
	if err != nil || rot.Rotated != n || rot.Failed != 0 {
		t.Fatalf("Rotate = %v, %v", rot, err)
	}
	audit, err := recovery.Audit(ctx, rotated)
	if err != nil || !audit.Clean() || audit.Current != n || audit.ByKeyIndex[0] != n {
		t.Fatalf("Audit = %v, %v", audit, err)
	}
	if err := rotated.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if k := count(t, rotated); k != 0 {
		t.Errorf("Clear left %d keys", k)
	}
	if after := others(t, cc); !maps.Equal(before, after) {
		t.Errorf("other applications' keys changed")
	}
}

// TestClusterFailoverDuringMigration kills a master in the middle of a
// migration that clears old entries: the run reports the failure, and once a
// replica has taken over, re-runs finish the job with every entry present
// exactly once and nothing else touched.
func TestClusterFailoverDuringMigration(t *testing.T) {
	const n = 3000
	cl := redistest.StartCluster(t)
	cc := cl.Client(t)
	seed(t, cc, n)
	waitReplicas(t, cc)
	before := others(t, cc)
	a := newAliases(t, cc)
	if got := count(t, a.old); got != n {
		t.Fatalf("seeded %d old entries, want %d", got, n)
	}

	victim := cl.Masters(t)[0]
	var once sync.Once
	rep, err := recovery.Migrate(t.Context(), a.old, a.secure, recovery.WithClearOld(), recovery.WithBatchSize(100),
		recovery.WithProgress(func(p recovery.Progress) {
			if p.Scanned >= 600 {
				once.Do(victim.Stop)
			}
		}))
	if victim.Running() {
		t.Fatal("the migration ended before the master was killed")
	}
	if err == nil && rep.Failed == 0 && rep.DeleteFailed == 0 {
		t.Fatalf("a master died mid-migration and Migrate reported nothing: %v", rep)
	}
	t.Logf("interrupted run: %v, %v", rep, err)
	cl.WaitPromoted(t, victim)
	cc.ReloadState(t.Context())
	runs := migrateUntilClean(t, a, recovery.WithClearOld(), recovery.WithBatchSize(100))
	t.Logf("converged after %d re-run(s)", runs)

	verify(t, a.secure, n)
	if left := count(t, a.old); left != 0 {
		t.Errorf("%d old entries left", left)
	}
	if after := others(t, cc); !maps.Equal(before, after) {
		t.Errorf("other applications' keys changed")
	}
	// Batches work on the healed cluster.
	res, err := a.secure.GetMany(t.Context(), []string{lkey(0), lkey(1), "absent"})
	if err != nil || !res[0].Found() || !res[1].Found() || res[2].Found() {
		t.Errorf("GetMany after failover = %v, %v", res, err)
	}
	if err := a.secure.SetMany(t.Context(), []store.Entry{{Key: "after", Value: "failover"}}); err != nil {
		t.Error(err)
	}
}
