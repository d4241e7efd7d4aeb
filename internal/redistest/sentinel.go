package redistest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// MasterName is the name the sentinels of StartSentinel monitor.
const MasterName = "mymaster"

// Sentinel is a running Sentinel setup: one master, one replica and three
// sentinels (quorum 2), all on loopback ports.
type Sentinel struct {
	// Nodes are the data nodes: the initial master, then the replica. Roles
	// change on failover; ask Master.
	Nodes     []*Server
	Sentinels []*Server
}

// StartSentinel starts a master, a replica of it and three sentinels that
// monitor it as MasterName with quorum 2, down-after-milliseconds 1000 and
// failover-timeout 10000, and waits until the replica is in sync and
// acknowledges writes, and every sentinel knows the replica and the two other
// sentinels. Replication is asynchronous: a test that fails over must WAIT
// for its own writes first, or lose them as Redis would. Nothing persists;
// everything is stopped in tb.Cleanup.
func StartSentinel(tb testing.TB) *Sentinel {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatalf("redistest: redis-server not found on PATH (install Debian's redis-server): %v", err)
	}
	// No 5 s wait before a full sync: replicas (re)sync at once.
	master := Start(tb, "--repl-diskless-sync-delay", "0")
	replica := Start(tb, "--repl-diskless-sync-delay", "0", "--replicaof", "127.0.0.1", strconv.Itoa(master.Port))
	st := &Sentinel{Nodes: []*Server{master, replica}}
	waitSynced(tb, replica)
	// Each sentinel is told its peers and the replica up front (what it
	// would otherwise learn in hello messages and INFO, over seconds).
	ports := make([]int, 3)
	for i := range ports {
		if ports[i], err = freePort(); err != nil {
			tb.Fatal(err)
		}
	}
	for i := range ports {
		known := []string{fmt.Sprintf("sentinel known-replica %s 127.0.0.1 %d", MasterName, replica.Port)}
		for j, p := range ports {
			if j != i {
				known = append(known, fmt.Sprintf("sentinel known-sentinel %s 127.0.0.1 %d %s", MasterName, p, sentinelID(p)))
			}
		}
		st.Sentinels = append(st.Sentinels, startSentinel(tb, bin, ports[i], master.Port, known))
	}
	deadline := time.Now().Add(clusterTimeout)
	for {
		bad := ""
		for _, s := range st.Sentinels {
			m, err := sentinelMaster(s)
			switch {
			case err != nil:
				bad = err.Error()
			case m["num-slaves"] != "1" || m["num-other-sentinels"] != "2":
				bad = fmt.Sprintf("sentinel %s sees %s replicas and %s other sentinels", s.Addr, m["num-slaves"], m["num-other-sentinels"])
			}
			if bad != "" {
				break
			}
		}
		if bad == "" {
			waitReplicated(tb, master)
			return st
		}
		if time.Now().After(deadline) {
			tb.Fatalf("redistest: sentinels not ready within %v: %s", clusterTimeout, bad)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sentinelID is the run ID of the sentinel on port: 40 hex digits.
func sentinelID(port int) string { return fmt.Sprintf("%040x", port) }

func startSentinel(tb testing.TB, bin string, port, masterPort int, known []string) *Server {
	tb.Helper()
	dir := tb.TempDir()
	var lastErr error
	for attempt := range 5 {
		if attempt > 0 { // the port was taken meanwhile: another one
			var err error
			if port, err = freePort(); err != nil {
				lastErr = err
				continue
			}
		}
		conf := filepath.Join(dir, "sentinel.conf")
		text := strings.Join([]string{
			"port " + strconv.Itoa(port),
			"bind 127.0.0.1",
			"daemonize no",
			"dir " + dir,
			"logfile " + filepath.Join(dir, "redis-"+strconv.Itoa(port)+".log"),
			"loglevel warning",
			fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 2", MasterName, masterPort),
			"sentinel down-after-milliseconds " + MasterName + " 1000",
			"sentinel failover-timeout " + MasterName + " 10000",
			"sentinel parallel-syncs " + MasterName + " 1",
			"sentinel myid " + sentinelID(port),
		}, "\n") + "\n" + strings.Join(known, "\n") + "\n"
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			tb.Fatal(err)
		}
		s := &Server{Addr: "127.0.0.1:" + strconv.Itoa(port), Port: port, Dir: dir, args: []string{conf, "--sentinel"}}
		if lastErr = s.start(bin); lastErr == nil {
			tb.Cleanup(s.Stop)
			return s
		}
	}
	tb.Fatalf("redistest: could not start a sentinel: %v", lastErr)
	return nil
}

// sentinelMaster returns SENTINEL MASTER MasterName as a map.
func sentinelMaster(s *Server) (map[string]string, error) {
	c := redis.NewSentinelClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return c.Master(ctx, MasterName).Result()
}

// waitSynced waits until the replica's link to its master is up.
func waitSynced(tb testing.TB, replica *Server) {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: replica.Addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(clusterTimeout)
	for {
		info, err := c.Info(context.Background(), "replication").Result()
		if err == nil && strings.Contains(info, "master_link_status:up") {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("redistest: replica %s not in sync within %v", replica.Addr, clusterTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Addrs returns the addresses of the running sentinels.
func (st *Sentinel) Addrs() []string {
	var out []string
	for _, s := range st.Sentinels {
		if s.Running() {
			out = append(out, s.Addr)
		}
	}
	return out
}

// Client returns a go-redis failover client for database db, which asks the
// sentinels for the master and follows failovers; it is closed at the end of
// the test.
func (st *Sentinel) Client(tb testing.TB, db int) *redis.Client {
	tb.Helper()
	c := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: MasterName, SentinelAddrs: st.Addrs(), DB: db})
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// Master returns the data node the sentinels currently name as master.
func (st *Sentinel) Master(tb testing.TB) *Server {
	tb.Helper()
	addr := st.agreedMaster()
	for _, n := range st.Nodes {
		if n.Addr == addr {
			return n
		}
	}
	tb.Fatalf("redistest: sentinels name no known master (%q)", addr)
	return nil
}

// agreedMaster returns the master address every running sentinel reports,
// or "" when they disagree.
func (st *Sentinel) agreedMaster() string {
	agreed := ""
	for _, s := range st.Sentinels {
		if !s.Running() {
			continue
		}
		c := redis.NewSentinelClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		hp, err := c.GetMasterAddrByName(ctx, MasterName).Result()
		cancel()
		_ = c.Close()
		if err != nil || len(hp) != 2 {
			return ""
		}
		addr := hp[0] + ":" + hp[1]
		if agreed != "" && agreed != addr {
			return ""
		}
		agreed = addr
	}
	return agreed
}

// Failover asks a sentinel for a failover (SENTINEL FAILOVER: the replica is
// promoted and the old master becomes its replica) and waits until it is
// complete: every sentinel names the new master, which answers as a master,
// and the old master is in sync as its replica. It returns the new master.
func (st *Sentinel) Failover(tb testing.TB) *Server {
	tb.Helper()
	old := st.Master(tb)
	c := redis.NewSentinelClient(&redis.Options{Addr: st.Addrs()[0]})
	defer c.Close()
	deadline := time.Now().Add(clusterTimeout)
	for {
		// INPROG or NOGOODSLAVE right after a previous failover: retry.
		err := c.Failover(context.Background(), MasterName).Err()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("redistest: SENTINEL FAILOVER: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	m := st.WaitNewMaster(tb, old)
	// The sentinels turn the old master into a replica of the new one
	// within about ten seconds (their INFO period); do it now.
	c2 := redis.NewClient(&redis.Options{Addr: old.Addr})
	defer c2.Close()
	if err := c2.ReplicaOf(context.Background(), "127.0.0.1", strconv.Itoa(m.Port)).Err(); err != nil {
		tb.Fatalf("redistest: REPLICAOF: %v", err)
	}
	waitSynced(tb, old)
	return m
}

// KillMaster kills the current master (SIGKILL, as a crash) and waits until
// the sentinels have promoted the replica and it answers as a master. It
// returns the new master; the killed node stays down (Restart brings it back,
// empty, and the sentinels make it a replica).
func (st *Sentinel) KillMaster(tb testing.TB) *Server {
	tb.Helper()
	old := st.Master(tb)
	old.Stop()
	return st.WaitNewMaster(tb, old)
}

// WaitNewMaster waits until every running sentinel names a master other than
// old and that node answers as a master, and returns it. Use it after
// stopping the master from inside an operation under test.
func (st *Sentinel) WaitNewMaster(tb testing.TB, old *Server) *Server {
	tb.Helper()
	deadline := time.Now().Add(clusterTimeout)
	for {
		if addr := st.agreedMaster(); addr != "" && addr != old.Addr {
			for _, n := range st.Nodes {
				if n.Addr == addr && roleOf(n) == "master" {
					return n
				}
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("redistest: no new master within %v", clusterTimeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func roleOf(s *Server) string {
	cl := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	v, err := cl.Do(ctx, "ROLE").Slice()
	if err != nil || len(v) == 0 {
		return ""
	}
	role, _ := v[0].(string)
	return role
}

// Rejoin restarts the stopped data node s (empty: there is no persistence)
// and makes it a replica of the current master, as the sentinels would
// within about ten seconds, then waits until it is in sync.
func (st *Sentinel) Rejoin(tb testing.TB, s *Server) {
	tb.Helper()
	m := st.Master(tb)
	s.Restart(tb)
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	defer c.Close()
	if err := c.ReplicaOf(context.Background(), "127.0.0.1", strconv.Itoa(m.Port)).Err(); err != nil {
		tb.Fatalf("redistest: REPLICAOF: %v", err)
	}
	waitSynced(tb, s)
}

// waitReplicated waits until the replicas of master acknowledge its writes
// (WAIT): the first write after a sync can take hundreds of milliseconds to
// reach a replica, and a failover meanwhile would lose it.
func waitReplicated(tb testing.TB, master *Server) {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: master.Addr})
	defer c.Close()
	ctx := context.Background()
	if err := c.Set(ctx, "redistest:probe", "1", 0).Err(); err != nil {
		tb.Fatalf("redistest: probe: %v", err)
	}
	c.Del(ctx, "redistest:probe")
	if n, err := c.Wait(ctx, 1, clusterTimeout).Result(); err != nil || n < 1 {
		tb.Fatalf("redistest: replica did not acknowledge within %v: %d, %v", clusterTimeout, n, err)
	}
}
