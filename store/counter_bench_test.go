package store_test

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/store"
)

// BenchmarkIncr compares, on one redis-server and in one run, the encrypted
// compare-and-set Incr (impl=secure) with Redis's own INCR on a plaintext
// key (impl=plain, the baseline), uncontended (one goroutine, one key) and
// contended (50 goroutines over 10 keys). impl=secure reports the retry rate
// (retries per compare-and-set attempt) from CASStats.
func BenchmarkIncr(b *testing.B) {
	srv := redistest.Start(b)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 2 * benchGoroutines})
	b.Cleanup(func() { _ = client.Close() })
	ctx := b.Context()
	for _, mode := range []struct {
		name    string
		keys    int
		workers int
	}{{"uncontended", 1, 1}, {"50goroutines-10keys", 10, benchGoroutines}} {
		for _, impl := range []string{"plain", "secure"} {
			b.Run(fmt.Sprintf("mode=%s/impl=%s", mode.name, impl), func(b *testing.B) {
				s, err := store.NewRedis(client, newCodec(b), newKeys(b, "bench:"+impl+":"+mode.name))
				if err != nil {
					b.Fatal(err)
				}
				keys := make([]string, mode.keys)
				for i := range keys {
					keys[i] = fmt.Sprintf("ctr%d", i)
					if err := s.Set(ctx, keys[i], int64(0)); err != nil {
						b.Fatal(err)
					}
				}
				incr := func(i int) error {
					k := keys[i%len(keys)]
					if impl == "plain" {
						return client.Incr(ctx, "plain:"+mode.name+":"+k).Err()
					}
					_, err := s.Incr(ctx, k, 1)
					return err
				}
				b.ReportAllocs()
				a0, r0 := s.CASStats()
				if mode.workers == 1 {
					i := 0
					for b.Loop() {
						if err := incr(i); err != nil {
							b.Fatal(err)
						}
						i++
					}
				} else {
					b.SetParallelism((mode.workers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
					var next atomic.Int64
					b.RunParallel(func(pb *testing.PB) {
						i := int(next.Add(1))
						for pb.Next() {
							if err := incr(i); err != nil {
								b.Error(err)
								return
							}
							i++
						}
					})
				}
				if impl == "secure" {
					a, r := s.CASStats()
					if a > a0 {
						b.ReportMetric(float64(r-r0)/float64(a-a0), "retries/attempt")
					}
				}
			})
		}
	}
}
