package redistest

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a running Redis Cluster of redis-server processes on loopback
// ports: three masters sharing the 16384 hash slots, each with its replicas.
type Cluster struct {
	// Nodes are every node, in start order: the first three were created
	// masters, the rest replicas. Roles change on failover; ask Masters.
	Nodes []*Server

	masters map[*Server]bool // as of the start or the last promotion
}

type clusterOptions struct {
	replicas int
}

// ClusterOption configures StartCluster.
type ClusterOption func(*clusterOptions) error

// WithReplicas sets the number of replicas per master. The default is 1
// (three masters, three replicas); 0 makes a cluster of three masters alone,
// which cannot fail over. A negative n is an error (StartCluster fails).
func WithReplicas(n int) ClusterOption {
	return func(o *clusterOptions) error {
		if n < 0 {
			return fmt.Errorf("redistest: negative replica count %d", n)
		}
		o.replicas = n
		return nil
	}
}

// clusterTimeout bounds the start of a cluster and each wait on it.
const clusterTimeout = 30 * time.Second

// StartCluster starts a Redis Cluster of three masters (and one replica per
// master unless WithReplicas says otherwise), joined with redis-cli --cluster
// create, and waits until every node reports cluster_state:ok and every
// replica is in sync. Nodes run with cluster-node-timeout 1000 ms (a dead
// master is replaced within a few seconds), cluster-require-full-coverage no
// (the other masters keep serving meanwhile) and no persistence. Everything
// is stopped in tb.Cleanup. redis-cli (Debian's redis-tools) must be on PATH.
func StartCluster(tb testing.TB, opts ...ClusterOption) *Cluster {
	tb.Helper()
	o := clusterOptions{replicas: 1}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			tb.Fatal(err)
		}
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		tb.Fatalf("redistest: redis-cli not found on PATH (install Debian's redis-tools): %v", err)
	}
	c := &Cluster{}
	args := []string{"--cluster", "create"}
	for range 3 * (1 + o.replicas) {
		bus, err := freePort()
		if err != nil {
			tb.Fatal(err)
		}
		s := Start(tb,
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "1000",
			"--cluster-port", strconv.Itoa(bus),
			"--cluster-require-full-coverage", "no",
			"--cluster-replica-validity-factor", "0",
			"--repl-diskless-sync-delay", "0", // replicas sync at once
		)
		c.Nodes = append(c.Nodes, s)
		args = append(args, s.Addr)
	}
	args = append(args, "--cluster-replicas", strconv.Itoa(o.replicas), "--cluster-yes")
	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		tb.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	c.WaitOK(tb)
	c.masters = map[*Server]bool{}
	for _, s := range c.Masters(tb) {
		c.masters[s] = true
	}
	if len(c.masters) != 3 {
		tb.Fatalf("redistest: cluster has %d masters, want 3", len(c.masters))
	}
	return c
}

// Running reports whether the server process is up (not stopped or killed).
func (s *Server) Running() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// Addrs returns the addresses of the nodes that are running.
func (c *Cluster) Addrs() []string {
	var out []string
	for _, s := range c.Nodes {
		if s.Running() {
			out = append(out, s.Addr)
		}
	}
	return out
}

// Client returns a cluster client seeded with every running node, with
// go-redis's default options, closed at the end of the test.
func (c *Cluster) Client(tb testing.TB) *redis.ClusterClient {
	tb.Helper()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	tb.Cleanup(func() { _ = cc.Close() })
	return cc
}

// Masters returns the running nodes that are masters serving slots now.
func (c *Cluster) Masters(tb testing.TB) []*Server {
	tb.Helper()
	var out []*Server
	for _, s := range c.Nodes {
		if s.Running() && roleOf(s) == "master" {
			out = append(out, s)
		}
	}
	return out
}

// MasterFor returns the running node that serves the hash slot now, as the
// first running node that answers CLUSTER SLOTS sees it.
func (c *Cluster) MasterFor(tb testing.TB, slot int) *Server {
	tb.Helper()
	ctx := context.Background()
	for _, s := range c.Nodes {
		if !s.Running() {
			continue
		}
		cl := redis.NewClient(&redis.Options{Addr: s.Addr})
		slots, err := cl.ClusterSlots(ctx).Result()
		_ = cl.Close()
		if err != nil {
			continue
		}
		for _, r := range slots {
			if slot >= int(r.Start) && slot <= int(r.End) && len(r.Nodes) > 0 {
				for _, n := range c.Nodes {
					if n.Addr == r.Nodes[0].Addr && n.Running() {
						return n
					}
				}
			}
		}
	}
	tb.Fatalf("redistest: no running master for slot %d", slot)
	return nil
}

// Failover kills master (SIGKILL, as a crash) and waits for its replica to
// take over (WaitPromoted). It returns the new master.
func (c *Cluster) Failover(tb testing.TB, master *Server) *Server {
	tb.Helper()
	if !c.masters[master] {
		tb.Fatalf("redistest: %s is not a master", master.Addr)
	}
	master.Stop()
	return c.WaitPromoted(tb, master)
}

// WaitPromoted waits, after the master killed was stopped (Server.Stop, or
// killed mid-operation by a test), until one of its replicas has been
// promoted and every running node reports cluster_state:ok again, and
// returns the new master. The killed node stays down; Server.Restart brings
// it back, empty, as a replica of the new master.
func (c *Cluster) WaitPromoted(tb testing.TB, killed *Server) *Server {
	tb.Helper()
	if killed.Running() {
		tb.Fatalf("redistest: %s is still running", killed.Addr)
	}
	ctx := context.Background()
	deadline := time.Now().Add(clusterTimeout)
	for {
		for _, s := range c.Masters(tb) {
			if c.masters[s] {
				continue
			}
			// A promoted replica serves slots once the cluster agrees.
			cl := redis.NewClient(&redis.Options{Addr: s.Addr})
			info, err := cl.ClusterInfo(ctx).Result()
			_ = cl.Close()
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				c.WaitOK(tb)
				delete(c.masters, killed)
				c.masters[s] = true
				return s
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("redistest: no replica of %s was promoted within %v", killed.Addr, clusterTimeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// WaitOK waits until every running node reports cluster_state:ok, knows every
// running node, and every running replica's link to its master is up.
func (c *Cluster) WaitOK(tb testing.TB) {
	tb.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(clusterTimeout)
	running := len(c.Addrs())
	for {
		var bad string
		for _, s := range c.Nodes {
			if !s.Running() {
				continue
			}
			cl := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
			info, err := cl.ClusterInfo(ctx).Result()
			repl := ""
			if err == nil {
				repl, err = cl.Info(ctx, "replication").Result()
			}
			_ = cl.Close()
			switch {
			case err != nil:
				bad = fmt.Sprintf("%s: %v", s.Addr, err)
			case !strings.Contains(info, "cluster_state:ok"):
				bad = s.Addr + ": cluster_state not ok"
			case knownNodes(info) < running:
				bad = fmt.Sprintf("%s: knows %d nodes, want %d", s.Addr, knownNodes(info), running)
			case strings.Contains(repl, "role:slave") && !strings.Contains(repl, "master_link_status:up"):
				bad = s.Addr + ": replica not in sync"
			}
			if bad != "" {
				break
			}
		}
		if bad == "" {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("redistest: cluster not ready within %v: %s", clusterTimeout, bad)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// knownNodes reads cluster_known_nodes from CLUSTER INFO, counting failed
// nodes that are not yet forgotten.
func knownNodes(info string) int {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "cluster_known_nodes:"); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}
