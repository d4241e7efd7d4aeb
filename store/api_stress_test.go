package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/store"
)

// TestDjangoAPIConcurrent runs 64 goroutines mixing Incr, GetOrSet, Lock and
// DeletePattern (run it with -race) on a single node and on a 3-master
// cluster: every counter is exact, every GetOrSet caller of a key gets the
// same value, at most one goroutine holds the lock at any time (checked by
// the holders themselves), and nothing outside the prefix is touched.
func TestDjangoAPIConcurrent(t *testing.T) {
	for _, topo := range topologies[:2] {
		t.Run(topo.name, func(t *testing.T) {
			c := topo.client(t)
			s, err := store.NewRedis(c, newCodec(t), newKeys(t, "app1:secure"), store.WithScanCount(20))
			if err != nil {
				t.Fatal(err)
			}
			plantOutsiders(t, c)
			ctx := t.Context()
			const workers, rounds, counters = 64, 24, 4
			var incrs [counters]atomic.Int64
			var holders, maxHolders, locked atomic.Int32
			var gos sync.Map // key -> first value seen
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for r := range rounds {
						if err := stressOp(ctx, s, w, r, &incrs, &holders, &maxHolders, &locked, &gos); err != nil {
							errs <- fmt.Errorf("worker %d round %d: %w", w, r, err)
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			for i := range incrs {
				want := incrs[i].Load()
				got, err := s.Get(ctx, fmt.Sprintf("ctr:%d", i))
				if err != nil || got != want {
					t.Errorf("counter %d = %v, %v; want %d", i, got, err, want)
				}
			}
			if m := maxHolders.Load(); m != 1 || locked.Load() == 0 {
				t.Errorf("lock: at most %d holders at once over %d acquisitions; want 1", m, locked.Load())
			}
			attempts, retries := s.CASStats()
			t.Logf("compare-and-set: %d attempts, %d retries, %d lock acquisitions", attempts, retries, locked.Load())
			checkOutsiders(t, c)
		})
	}
}

func stressOp(ctx context.Context, s *store.EncryptingStore, w, r int, incrs *[4]atomic.Int64, holders, maxHolders, locked *atomic.Int32, gos *sync.Map) error {
	switch (w + r) % 4 {
	case 0:
		i := w % len(incrs)
		incrs[i].Add(3)
		_, err := s.Incr(ctx, fmt.Sprintf("ctr:%d", i), 3, store.CreateMissing())
		return err
	case 1:
		key := fmt.Sprintf("gos:%d", r%5)
		v, err := s.GetOrSet(ctx, key, func(context.Context) (any, error) {
			return fmt.Sprintf("from worker %d", w), nil
		})
		if err != nil {
			return err
		}
		if first, loaded := gos.LoadOrStore(key, v); loaded && first != v {
			return fmt.Errorf("GetOrSet(%s) = %v, another caller got %v", key, v, first)
		}
		return nil
	case 2:
		l, err := s.Lock(ctx, "stress", 10*time.Second, store.LockRetryInterval(2*time.Millisecond))
		if err != nil {
			return err
		}
		n := holders.Add(1)
		for {
			m := maxHolders.Load()
			if n <= m || maxHolders.CompareAndSwap(m, n) {
				break
			}
		}
		locked.Add(1)
		if held, err := l.Held(ctx); err != nil || !held {
			return fmt.Errorf("holder does not hold the lock: %v, %v", held, err)
		}
		holders.Add(-1)
		return l.Release(ctx)
	default:
		if err := s.Set(ctx, fmt.Sprintf("tmp:%d:%d", w, r), "x"); err != nil {
			return err
		}
		_, err := s.DeletePattern(ctx, fmt.Sprintf("tmp:%d:*", w))
		if err != nil {
			return err
		}
		if ok, err := s.HasKey(ctx, fmt.Sprintf("tmp:%d:%d", w, r)); err != nil || ok {
			return fmt.Errorf("DeletePattern left tmp:%d:%d (%v)", w, r, err)
		}
		return nil
	}
}

// incrProcAddr names, in a child process, the Redis that
// TestIncrTwoProcesses's children increment.
const incrProcAddr = "SECUREREDIS_TEST_INCR_ADDR"

// TestIncrTwoProcesses runs two processes, each with 16 goroutines, that
// Incr the same encrypted counter: no increment is lost.
func TestIncrTwoProcesses(t *testing.T) {
	srv := redistest.Start(t)
	c := srv.Client(t, 0)
	s, err := store.NewRedis(c, newCodec(t), newKeys(t, "app1:secure"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set(t.Context(), "procs", int64(1000)); err != nil {
		t.Fatal(err)
	}
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestIncrChildProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), incrProcAddr+"="+srv.Addr)
		out := new(bytes.Buffer)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("child: %v\n%s", err, outs[i])
		}
	}
	if v, err := s.Get(t.Context(), "procs"); err != nil || v != int64(1000+2*16*40) {
		t.Errorf("after two processes: %v, %v; want %d", v, err, 1000+2*16*40)
	}
}

// TestIncrChildProcess is TestIncrTwoProcesses's child; it does nothing
// when run on its own.
func TestIncrChildProcess(t *testing.T) {
	addr := os.Getenv(incrProcAddr)
	if addr == "" {
		return
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = c.Close() })
	s, err := store.NewRedis(c, newCodec(t), newKeys(t, "app1:secure"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 40 {
				if _, err := s.Incr(t.Context(), "procs", 1); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestIncrVersionUnderWrites moves a counter to version 2 while goroutines
// keep incrementing it at version 1, on a single node and on a cluster (where
// the two keys lie in different hash slots): every increment that succeeded
// is in the moved value, and the increments after the move find the key
// gone.
func TestIncrVersionUnderWrites(t *testing.T) {
	for _, topo := range topologies[:2] {
		t.Run(topo.name, func(t *testing.T) {
			c := topo.client(t)
			s, err := store.NewRedis(c, newCodec(t), newKeys(t, "app1:secure"))
			if err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			if err := s.Set(ctx, "mv", int64(0)); err != nil {
				t.Fatal(err)
			}
			var ok atomic.Int64
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					for {
						_, err := s.Incr(ctx, "mv", 1)
						if errors.Is(err, store.ErrKeyMissing) {
							return
						}
						if err != nil {
							t.Error(err)
							return
						}
						ok.Add(1)
						time.Sleep(time.Millisecond)
					}
				})
			}
			for ok.Load() < 20 {
				time.Sleep(time.Millisecond)
			}
			v, err := s.IncrVersion(ctx, "mv", 1)
			if err != nil || v != 2 {
				t.Fatalf("IncrVersion = %d, %v", v, err)
			}
			wg.Wait()
			got, err := s.GetVersion(ctx, "mv", 2)
			if err != nil || got != ok.Load() {
				t.Errorf("moved value = %v, %v; want the %d increments that succeeded", got, err, ok.Load())
			}
			if ok, _ := s.HasKey(ctx, "mv"); ok {
				t.Error("version 1 still there")
			}
			attempts, retries := s.CASStats()
			t.Logf("%d increments before the move; %d compare-and-set attempts, %d retries", got, attempts, retries)
		})
	}
}
