package recovery_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/recovery"
	"github.com/secureredis/secureredis/store"
)

// helperEnv names the environment variable that makes the test binary run
// migrateHelper (a child process the test can SIGKILL) instead of the tests.
const helperEnv = "SECUREREDIS_RECOVERY_HELPER"

// helperJob is what the child migrates: every source in turn, with clear-old.
type helperJob struct {
	Addr         string
	SecurePrefix string
	Batch        int
	Sources      []helperSource
	// NameSecret gives the secure alias hashed names; OldPrefix makes the
	// child Migrate that encrypted clear-names alias instead of Sources.
	NameSecret string `json:",omitempty"`
	OldPrefix  string `json:",omitempty"`
}

type helperSource struct {
	Patterns []string
	Format   recovery.Format
}

// helperLine is one line the child prints: running totals over all sources
// so far, then one report per source.
type helperLine struct {
	Scanned int                     `json:",omitempty"`
	Report  *recovery.MigrateReport `json:",omitempty"`
}

func TestMain(m *testing.M) {
	if job := os.Getenv(helperEnv); job != "" {
		os.Exit(migrateHelper(job))
	}
	os.Exit(m.Run())
}

// migrateHelper runs the job described by the JSON job, printing progress
// and reports as JSON lines on stdout.
func migrateHelper(job string) int {
	var j helperJob
	if err := json.Unmarshal([]byte(job), &j); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx := context.Background()
	client := redis.NewClient(&redis.Options{Addr: j.Addr})
	defer client.Close()
	ring, err := codec.NewKeyRing(testkit.Key)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	c, _ := codec.New(ring)
	var kopts []codec.KeySchemeOption
	if j.NameSecret != "" {
		nr, err := codec.NewNameRing(j.NameSecret)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		kopts = append(kopts, codec.WithHashedNames(nr))
	}
	keys, _ := codec.NewKeyScheme(j.SecurePrefix, kopts...)
	secure, err := store.NewRedis(client, c, keys)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	enc := json.NewEncoder(os.Stdout)
	if j.OldPrefix != "" {
		return migrateOldHelper(ctx, j, client, c, secure, enc)
	}
	done := 0
	for _, s := range j.Sources {
		rep, err := recovery.MigrateFrom(ctx, recovery.Source{Client: client, Patterns: s.Patterns, Format: s.Format}, secure,
			recovery.WithClearOld(), recovery.WithBatchSize(j.Batch),
			recovery.WithProgress(func(p recovery.Progress) { _ = enc.Encode(helperLine{Scanned: done + p.Scanned}) }))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		done += rep.Scanned
		rep.Failures = nil // errors do not marshal
		_ = enc.Encode(helperLine{Report: rep})
	}
	return 0
}

// runHelper starts the child on job; with killAt > 0 it SIGKILLs it once the
// child reports that many keys scanned. It returns the child's reports and
// whether it was killed.
func runHelper(t *testing.T, job helperJob, killAt int) (reps []*recovery.MigrateReport, killed bool) {
	t.Helper()
	b, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+string(b))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l helperLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("child said %q: %v", sc.Text(), err)
		}
		if l.Report != nil {
			reps = append(reps, l.Report)
		}
		if killAt > 0 && !killed && l.Scanned >= killAt {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	switch {
	case killed && errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL:
	case killed:
		t.Fatalf("child was to be killed, it ended with %v", err)
	case err != nil:
		t.Fatalf("child: %v", err)
	}
	return reps, killed
}

// TestMigrateFromKilled is issue 9's proof for gocache and go-redis/cache
// data: 100,000 entries written by the real libraries (mixed types, TTLs on
// about half of the gocache ones and on every go-redis/cache one, since it
// always sets one), migrated with clear-old by a child process while the
// application keeps writing the secure alias; the child is SIGKILLed partway
// and run again. Afterwards nothing is lost, no newer value is clobbered,
// every TTL is kept (to within the time measured around the runs) and only
// conflicts remain in the old alias.
func TestMigrateFromKilled(t *testing.T) {
	const (
		n     = 100_000
		batch = 500
	)
	a := newAliases(t) // secure alias "app1:secure" on a fresh server
	ctx := t.Context()
	type set struct {
		w     libraryWriter
		lo, n int
	}
	sets := []set{
		{libraryWriter{recovery.FormatRaw, func(i int) string { return fmt.Sprintf("gocache:%d", i) }}, 0, 34_000},
		{libraryWriter{recovery.FormatGocache, func(i int) string { return fmt.Sprintf("marshal:%d", i) }}, 34_000, 33_000},
		{libraryWriter{recovery.FormatGoRedisCache, func(i int) string { return fmt.Sprintf("grc:%d", i) }}, 67_000, 33_000},
	}
	var keys []string    // old key of entry i
	var wants []any      // its value as the secure alias must hold it
	var expireAt []int64 // when it expires, Unix ms; 0: persistent
	job := helperJob{Addr: a.srv.Addr, SecurePrefix: "app1:secure", Batch: batch}
	for _, s := range sets {
		for lo := s.lo; lo < s.lo+s.n; lo += 1000 {
			s.w.write(t, a.client, lo, min(lo+1000, s.lo+s.n))
		}
		for i := s.lo; i < s.lo+s.n; i++ {
			keys = append(keys, s.w.key(i))
			_, want := libraryValue(s.w.format, i)
			wants = append(wants, want)
		}
		prefix := s.w.key(0)[:len(s.w.key(0))-1]
		job.Sources = append(job.Sources, helperSource{Patterns: []string{prefix + "*"}, Format: s.w.format})
	}
	if len(keys) != n {
		t.Fatalf("%d entries written", len(keys))
	}
	exp := make([]*redis.DurationCmd, n)
	pipe(t, a.client, n, func(p redis.Pipeliner, i int) { exp[i] = p.PExpireTime(ctx, keys[i]) })
	withTTL := 0
	for i := range n {
		expireAt = append(expireAt, exp[i].Val().Milliseconds())
		if expireAt[i] > 0 {
			withTTL++
		}
	}
	t.Logf("%d entries written by the libraries, %d with a TTL", n, withTTL)
	a.client.Set(ctx, "other:1", "not selected", 0)
	a.client.SAdd(ctx, "gocache_tag_x", "gocache:1")
	untouched := snapshot(t, a.client, "other:*")

	// The application writes the secure alias all along, every 40th entry
	// at random.
	var stop atomic.Bool
	var wg sync.WaitGroup
	var mu sync.Mutex
	appWrote := map[int]string{}
	wg.Go(func() {
		r := rand.New(rand.NewPCG(7, 7))
		for seq := 0; !stop.Load(); seq++ {
			i := r.IntN(n/40) * 40
			v := fmt.Sprintf("app-%d-%d", i, seq)
			if err := a.secure.Set(context.WithoutCancel(ctx), keys[i], v); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			appWrote[i] = v
			mu.Unlock()
			if seq%8 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	})

	start := time.Now()
	_, killed := runHelper(t, job, n/2)
	if !killed {
		t.Fatal("the child was not killed")
	}
	migrated := len(redisKeys(t, a.client, "app1:secure:*"))
	t.Logf("killed after %v with %d secure keys", time.Since(start), migrated)
	if migrated == 0 || migrated >= n {
		t.Fatalf("%d secure keys after the kill, want partway", migrated)
	}
	reps, _ := runHelper(t, job, 0)
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(start)
	if len(reps) != len(sets) {
		t.Fatalf("second run: %d reports", len(reps))
	}
	conflicts, recovered := 0, 0
	for i, rep := range reps {
		recovered += rep.Deleted - rep.Migrated
		t.Logf("run 2, %s: %v", sets[i].w.format, rep)
		if rep.Failed != 0 || rep.DeleteFailed != 0 || rep.Kept != 0 {
			t.Errorf("run 2, %s: %v", sets[i].w.format, rep)
		}
		conflicts += rep.Conflicts
	}

	// Copies the killed run wrote without deleting their old entries were
	// found equal and their old entries deleted.
	t.Logf("run 2 deleted %d old entries whose copies the killed run had written", recovered)

	// Count: every entry is in the secure alias with its value (or the
	// application's newest) and its TTL; only conflicts remain old.
	c := a.secure.Codec().(*codec.Codec)
	var lost, clobbered, badTTL, left int
	for lo := 0; lo < n; lo += 1000 {
		hi := min(lo+1000, n)
		toks := make([]*redis.StringCmd, hi-lo)
		ats := make([]*redis.DurationCmd, hi-lo)
		olds := make([]*redis.StringCmd, hi-lo)
		_, _ = a.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := lo; i < hi; i++ {
				sk := a.secure.Keys().Key(keys[i])
				toks[i-lo], ats[i-lo], olds[i-lo] = p.Get(ctx, sk), p.PExpireTime(ctx, sk), p.Get(ctx, keys[i])
			}
			return nil
		})
		for i := lo; i < hi; i++ {
			sk := a.secure.Keys().Key(keys[i])
			tok, err := toks[i-lo].Bytes()
			if err != nil {
				lost++
				t.Errorf("%s: no secure copy: %v", keys[i], err)
				continue
			}
			got, err := c.Decode(sk, tok)
			if err != nil {
				t.Fatal(err)
			}
			oldPresent := olds[i-lo].Err() == nil
			if oldPresent {
				left++
			}
			if app, ok := appWrote[i]; ok {
				if got != app {
					clobbered++
					t.Errorf("%s = %v, the application's newest value is %q", keys[i], got, app)
				}
				continue
			}
			if diff := cmp.Diff(wants[i], got); diff != "" {
				lost++
				t.Errorf("%s (-want +got):\n%s", keys[i], diff)
			}
			if oldPresent {
				t.Errorf("%s: old entry left although the secure copy holds its value", keys[i])
			}
			at := ats[i-lo].Val().Milliseconds()
			if d := time.Duration(at-expireAt[i]) * time.Millisecond; (expireAt[i] == 0) != (at == 0) || d > elapsed || d < -elapsed {
				badTTL++
				if badTTL < 10 {
					t.Errorf("%s expires at %d, the old entry did at %d (runs took %v)", keys[i], at, expireAt[i], elapsed)
				}
			}
		}
	}
	t.Logf("after: %d lost, %d newer values clobbered, %d TTLs off, %d old entries left (conflicts reported: %d), application wrote %d entries",
		lost, clobbered, badTTL, left, conflicts, len(appWrote))
	// (SCAN may return a key twice while the database grows, and a conflict
	// met twice is counted twice.)
	if lost != 0 || clobbered != 0 || badTTL != 0 || left > conflicts {
		t.Fatalf("%d lost, %d clobbered, %d TTLs off, %d left for %d conflicts", lost, clobbered, badTTL, left, conflicts)
	}
	if diff := cmp.Diff(untouched, snapshot(t, a.client, "other:*")); diff != "" || a.client.Type(ctx, "gocache_tag_x").Val() != "set" {
		t.Errorf("keys outside the patterns changed: %s", diff)
	}
	// The conflicts are resolved explicitly: the application's values win.
	for _, s := range job.Sources {
		rep, err := recovery.MigrateFrom(ctx, recovery.Source{Client: a.client, Patterns: s.Patterns, Format: s.Format}, a.secure,
			recovery.WithClearOld(), recovery.WithPrefer(recovery.PreferSecure))
		if err != nil || !rep.Clean() || rep.Migrated != 0 {
			t.Fatalf("resolve %s: %v, %v", s.Format, rep, err)
		}
	}
	if old := len(redisKeys(t, a.client, "gocache:*")) + len(redisKeys(t, a.client, "marshal:*")) + len(redisKeys(t, a.client, "grc:*")); old != 0 {
		t.Errorf("%d old entries left after PreferSecure", old)
	}
}

// redisKeys returns the keys matching match, with SCAN.
func redisKeys(tb testing.TB, c *redis.Client, match string) []string {
	tb.Helper()
	var out []string
	iter := c.Scan(context.Background(), 0, match, 1000).Iterator()
	for iter.Next(context.Background()) {
		out = append(out, iter.Val())
	}
	if err := iter.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}
