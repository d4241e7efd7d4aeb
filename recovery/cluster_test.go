package recovery_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/recovery"
)

// startCluster starts a Redis Cluster of three masters and returns a client.
func startCluster(t *testing.T) *redis.ClusterClient {
	t.Helper()
	ctx := t.Context()
	ranges := [][2]int{{0, 5460}, {5461, 10922}, {10923, 16383}}
	var nodes []*redis.Client
	var addrs []string
	var buses []int
	for _, r := range ranges {
		bus := freeBusPort(t)
		buses = append(buses, bus)
		srv := redistest.Start(t, "--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(bus))
		c := srv.Client(t, 0)
		if err := c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", r[0], r[1]).Err(); err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, c)
		addrs = append(addrs, srv.Addr)
	}
	for i, addr := range addrs[1:] {
		host, port, _ := net.SplitHostPort(addr)
		if err := nodes[0].Do(ctx, "CLUSTER", "MEET", host, port, buses[i+1]).Err(); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, n := range nodes {
		for !strings.Contains(n.ClusterInfo(ctx).Val(), "cluster_state:ok") {
			if time.Now().After(deadline) {
				t.Fatalf("cluster not ok: %s", n.ClusterInfo(ctx).Val())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	t.Cleanup(func() { _ = cc.Close() })
	for cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return c.Ping(ctx).Err() }) != nil || len(cc.ClusterShards(ctx).Val()) < 3 {
		if time.Now().After(deadline) {
			t.Fatal("cluster client does not see three masters")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cc
}

func freeBusPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestCluster migrates, rotates and audits on a three-master Redis Cluster.
func TestCluster(t *testing.T) {
	const n = 3000
	cc := startCluster(t)
	ctx := t.Context()
	old := newStore(t, cc, codec.Raw{}, "app1")
	secure := newStore(t, cc, newCodec(t, otherKey), "app1:secure")
	seeded := time.Now()
	pipe(t, cc, n, func(p redis.Pipeliner, i int) {
		p.Set(ctx, old.Keys().Key(lkey(i)), value(i, 32), time.Duration(i%2)*time.Hour)
	})
	cc.Set(ctx, "app10:1:k", "other app", 0)

	var calls, inside atomic.Int32
	rep, err := recovery.Migrate(ctx, old, secure, recovery.WithClearOld(), recovery.WithBatchSize(200),
		recovery.WithProgress(func(recovery.Progress) {
			if inside.Add(1) != 1 {
				t.Error("progress calls overlap")
			}
			calls.Add(1)
			inside.Add(-1)
		}))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Migrated != n || rep.Deleted != n || rep.Failed != 0 || calls.Load() == 0 {
		t.Fatalf("migrate = %v", rep)
	}
	for i := range n {
		v, ttl, err := secure.GetWithTTL(ctx, lkey(i))
		if err != nil || v != value(i, 32) {
			t.Fatalf("Get(%s) = %v, %v", lkey(i), v, err)
		}
		// The TTL left is the one set, less the time since, less the
		// round trips of one read and one write (across a cluster's nodes
		// the remaining TTL is carried over, not the expiry): less than
		// twice the time since, in all.
		want := time.Duration(i%2) * time.Hour
		if ttl > want || (want > 0 && ttl < want-2*time.Since(seeded)) {
			t.Fatalf("%s TTL %v, want %v less at most %v", lkey(i), ttl, want, time.Since(seeded))
		}
	}
	if cc.Exists(ctx, "app10:1:k").Val() != 1 {
		t.Error("another app's key was touched")
	}

	rotated := newStore(t, cc, newCodec(t, testKey, otherKey), "app1:secure")
	rot, err := recovery.Rotate(ctx, rotated, recovery.WithBatchSize(200))
	if err != nil || rot.Rotated != n {
		t.Fatalf("rotate = %v, %v", rot, err)
	}
	audit, err := recovery.Audit(ctx, rotated)
	if err != nil || !audit.Clean() || audit.Current != n {
		t.Fatalf("audit = %v, %v", audit, err)
	}
	if s := fmt.Sprint(audit); strings.Contains(s, "value-") {
		t.Errorf("audit shows values: %s", s)
	}

	// Bare keys written by gocache's Redis store, on every master.
	w := libraryWriter{format: recovery.FormatRaw, key: func(i int) string { return fmt.Sprintf("bare:%d", i) }}
	for i := range 500 {
		w.write(t, cc, i, i+1) // one key per pipeline: they live on all masters
	}
	from, err := recovery.MigrateFrom(ctx, recovery.Source{Client: cc, Patterns: []string{"bare:*"}}, rotated, recovery.WithClearOld(), recovery.WithBatchSize(100))
	if err != nil || from.Migrated != 500 || from.Deleted != 500 || !from.Clean() {
		t.Fatalf("MigrateFrom = %v, %v", from, err)
	}
	for i := range 500 {
		_, want := libraryValue(recovery.FormatRaw, i)
		if v, err := rotated.Get(ctx, w.key(i)); err != nil || v != want {
			t.Fatalf("Get(%s) = %v, %v, want %v", w.key(i), v, err, want)
		}
	}
}
