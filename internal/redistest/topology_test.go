package redistest

import (
	"context"
	"testing"
	"time"
)

func TestStartSentinel(t *testing.T) {
	st := StartSentinel(t)
	ctx := t.Context()
	c := st.Client(t, 0)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Wait(ctx, 1, 10*time.Second).Result(); n != 1 || err != nil {
		t.Fatalf("WAIT = %d, %v", n, err)
	}
	first := st.Master(t)
	second := st.Failover(t)
	if second == first || st.Master(t) != second {
		t.Fatalf("SENTINEL FAILOVER: master %s, then %s", first.Addr, second.Addr)
	}
	third := st.KillMaster(t)
	if third != first || !first.Running() {
		t.Fatalf("after killing %s the master is %s", second.Addr, third.Addr)
	}
	if v := c.Get(ctx, "k").Val(); v != "v" {
		t.Errorf("after two failovers k = %q", v)
	}
}

func TestStartCluster(t *testing.T) {
	cl := StartCluster(t)
	if len(cl.Nodes) != 6 {
		t.Fatalf("%d nodes", len(cl.Nodes))
	}
	masters := cl.Masters(t)
	if len(masters) != 3 {
		t.Fatalf("%d masters", len(masters))
	}
	cc := cl.Client(t)
	ctx := context.Background()
	slot := 0
	victim := cl.MasterFor(t, slot)
	promoted := cl.Failover(t, victim)
	if victim.Running() || promoted == victim || cl.MasterFor(t, slot) != promoted {
		t.Fatalf("failover of %s: slot %d served by %s", victim.Addr, slot, cl.MasterFor(t, slot).Addr)
	}
	if len(cl.Masters(t)) != 3 {
		t.Errorf("%d masters after failover", len(cl.Masters(t)))
	}
	cc.ReloadState(ctx)
	if err := cc.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Error(err)
	}
}
