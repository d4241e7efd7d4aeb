package recovery_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/recovery"
)

// migrateOriginal is the original data-recovery algorithm, written in Go as
// the baseline: KEYS old_prefix*, then for each key GET, encrypt and SET, one
// round trip at a time, with no TTL handling (every copy is persistent) and
// no NX. It returns how many entries it copied.
func migrateOriginal(ctx context.Context, client *redis.Client, oldPrefix, securePrefix string, c *codec.Codec) (int, error) {
	keys, err := client.Keys(ctx, codec.GlobEscape(oldPrefix)+"*").Result()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		v, err := client.Get(ctx, k).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return n, err
		}
		newKey := securePrefix + strings.TrimPrefix(k, oldPrefix)
		tok, err := c.Encode(newKey, v)
		if err != nil {
			return n, err
		}
		if err := client.Set(ctx, newKey, tok, 0).Err(); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// heapPeak samples the bytes in live and not yet swept heap objects until
// stopped, and returns the highest value seen above the starting one.
func heapPeak() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	peak := base
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				peak = max(peak, read())
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return max(peak, read()) - base
	}
}

// redisCPU returns the CPU time redis-server has used (INFO cpu).
func redisCPU(b *testing.B, c *redis.Client) time.Duration {
	b.Helper()
	info, err := c.Info(context.Background(), "cpu").Result()
	if err != nil {
		b.Fatal(err)
	}
	var total float64
	for _, line := range strings.Split(info, "\r\n") {
		for _, field := range []string{"used_cpu_sys:", "used_cpu_user:"} {
			if v, ok := strings.CutPrefix(line, field); ok {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					b.Fatal(err)
				}
				total += f
			}
		}
	}
	return time.Duration(total * float64(time.Second))
}

// BenchmarkMigrate migrates 100,000 entries of 1 KiB (half with a TTL) from a
// plaintext alias to the encrypted one on a real redis-server, with the
// original algorithm and with Migrate (SCAN, pipelines, TTLs kept, SET NX),
// with the default batch size and a larger one.
// Each iteration starts from an empty secure alias; seeding and clearing are
// not timed. keys/s is the throughput; peak-heap-B/key is the highest heap
// growth during a run divided by the number of keys, which stays small when
// memory is flat in the number of keys; redis-cpu-s/op and go-cpu-s/op are
// the CPU time redis-server and this process spent on a run, which, unlike
// keys/s, do not depend on what else the machine is doing.
//
//	go test -run '^$' -bench BenchmarkMigrate -benchtime 1x -count 3 ./recovery
func BenchmarkMigrate(b *testing.B) {
	const (
		n    = 100_000
		size = 1024
	)
	srv := redistest.Start(b)
	client := srv.Client(b, 0)
	ctx := context.Background()
	c := newCodec(b)
	old := newStore(b, client, codec.Raw{}, "app1")
	secure := newStore(b, client, c, "app1:secure")
	pipe(b, client, n, func(p redis.Pipeliner, i int) {
		ttl := time.Duration(0)
		if i%2 == 0 {
			ttl = time.Hour + time.Duration(i)*time.Millisecond
		}
		p.Set(ctx, old.Keys().Key(lkey(i)), value(i, size), ttl)
	})

	impls := []struct {
		name string
		run  func() (int, error)
	}{
		{"original", func() (int, error) { return migrateOriginal(ctx, client, "app1", "app1:secure", c) }},
		{"secureredis", func() (int, error) {
			rep, err := recovery.Migrate(ctx, old, secure)
			return rep.Migrated, err
		}},
		{"secureredis,batch=5000", func() (int, error) {
			rep, err := recovery.Migrate(ctx, old, secure, recovery.WithBatchSize(5000))
			return rep.Migrated, err
		}},
	}
	for _, impl := range impls {
		b.Run("impl="+impl.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(n * size)
			var peak uint64
			var serverCPU, clientCPU time.Duration
			for b.Loop() {
				b.StopTimer()
				if err := secure.Clear(ctx); err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				cpu0, goCPU0 := redisCPU(b, client), processCPU()
				stop := heapPeak()
				b.StartTimer()
				migrated, err := impl.run()
				b.StopTimer()
				peak = max(peak, stop())
				serverCPU += redisCPU(b, client) - cpu0
				clientCPU += processCPU() - goCPU0
				if err != nil || migrated != n {
					b.Fatalf("migrated %d of %d: %v", migrated, n, err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "keys/s")
			b.ReportMetric(float64(peak)/n, "peak-heap-B/key")
			b.ReportMetric(serverCPU.Seconds()/float64(b.N), "redis-cpu-s/op")
			b.ReportMetric(clientCPU.Seconds()/float64(b.N), "go-cpu-s/op")
		})
	}
}

// BenchmarkMigrateMemory migrates 1 KiB entries at two key counts: the peak
// heap stays the same (it is bounded by the batch size, not by the number of
// keys), where the original's KEYS list grows with it.
func BenchmarkMigrateMemory(b *testing.B) {
	const size = 1024
	srv := redistest.Start(b)
	client := srv.Client(b, 0)
	ctx := context.Background()
	c := newCodec(b)
	for _, n := range []int{20_000, 100_000} {
		prefix := fmt.Sprintf("mem%d", n)
		old := newStore(b, client, codec.Raw{}, prefix)
		secure := newStore(b, client, c, prefix+":secure")
		pipe(b, client, n, func(p redis.Pipeliner, i int) {
			p.Set(ctx, old.Keys().Key(lkey(i)), value(i, size), 0)
		})
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var peak uint64
			for b.Loop() {
				b.StopTimer()
				if err := secure.Clear(ctx); err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				stop := heapPeak()
				b.StartTimer()
				rep, err := recovery.Migrate(ctx, old, secure)
				b.StopTimer()
				peak = max(peak, stop())
				if err != nil || rep.Migrated != n {
					b.Fatalf("migrated %d of %d: %v", rep.Migrated, n, err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}
