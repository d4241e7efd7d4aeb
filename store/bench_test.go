package store_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	gocacheredis "github.com/eko/gocache/store/redis/v4"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/internal/cputime"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/store"
)

// The benchmarks compare, on one redis-server and in one run, gocache's plain
// Redis store (the baseline) with EncryptingStore built by NewRedis, so that
// benchstat ratios between store=plain and store=encrypted come from the same
// conditions. Both stores share one go-redis client, get the same boxed key
// and value (a []byte) and write keys of the same length.

const (
	benchKeys = 1000 // keys cycled through, so every Get hits
	// benchGoroutines is the total number of goroutines of the parallel
	// benchmarks, whatever GOMAXPROCS is (approximately: a multiple of it).
	benchGoroutines = 50
)

var benchSizes = []struct {
	name string
	n    int
}{
	{"100B", 100},
	{"1KiB", 1 << 10},
	{"10KiB", 10 << 10},
}

// benchStores is one redis-server, one client and the two stores under test.
type benchStores struct {
	client *redis.Client
	stores []benchStore
}

type benchStore struct {
	name string
	s    gocachestore.StoreInterface
	keys []any // boxed once, so the loop measures the store, not the boxing
}

func newBenchStores(b *testing.B) *benchStores {
	b.Helper()
	srv := redistest.Start(b)
	client := redis.NewClient(&redis.Options{
		Addr:     srv.Addr,
		PoolSize: 2 * benchGoroutines, // never wait for a connection
	})
	b.Cleanup(func() { _ = client.Close() })
	if err := client.Ping(b.Context()).Err(); err != nil {
		b.Fatal(err)
	}
	enc, err := store.NewRedis(client, newCodec(b), newKeys(b, "bench:enc"))
	if err != nil {
		b.Fatal(err)
	}
	// The plain store gets the storage keys EncryptingStore would write
	// ("bench:plain:1:key-0042" vs "bench:enc:1:key-0042"): same length on the
	// wire, no collision.
	plainKeys := make([]any, benchKeys)
	encKeys := make([]any, benchKeys)
	for i := range benchKeys {
		k := fmt.Sprintf("key-%04d", i)
		plainKeys[i] = "bench:plain:1:" + k
		encKeys[i] = k
	}
	return &benchStores{
		client: client,
		stores: []benchStore{
			{"plain", gocacheredis.NewRedis(client), plainKeys},
			{"encrypted", enc, encKeys},
		},
	}
}

func benchValue(b *testing.B, n int) any {
	b.Helper()
	v := make([]byte, n)
	if _, err := rand.Read(v); err != nil {
		b.Fatal(err)
	}
	return v // boxed once
}

// valueLen returns the length of a value read back: plain gocache returns a
// string, EncryptingStore the []byte it was given.
func valueLen(v any) int {
	switch v := v.(type) {
	case string:
		return len(v)
	case []byte:
		return len(v)
	}
	return -1
}

func populate(b *testing.B, ctx context.Context, st benchStore, value any) {
	b.Helper()
	for _, k := range st.keys {
		if err := st.s.Set(ctx, k, value); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSet(b *testing.B) {
	bs := newBenchStores(b)
	for _, size := range benchSizes {
		value := benchValue(b, size.n)
		for _, st := range bs.stores {
			b.Run("size="+size.name+"/store="+st.name, func(b *testing.B) {
				ctx := b.Context()
				b.ReportAllocs()
				b.SetBytes(int64(size.n))
				i := 0
				for b.Loop() {
					if err := st.s.Set(ctx, st.keys[i%benchKeys], value); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}

func BenchmarkGet(b *testing.B) {
	bs := newBenchStores(b)
	for _, size := range benchSizes {
		value := benchValue(b, size.n)
		for _, st := range bs.stores {
			b.Run("size="+size.name+"/store="+st.name, func(b *testing.B) {
				ctx := b.Context()
				populate(b, ctx, st, value)
				b.ReportAllocs()
				b.SetBytes(int64(size.n))
				i := 0
				for b.Loop() {
					v, err := st.s.Get(ctx, st.keys[i%benchKeys])
					if err != nil {
						b.Fatal(err)
					}
					if n := valueLen(v); n != size.n {
						b.Fatalf("Get returned %T of length %d, want %d", v, n, size.n)
					}
					i++
				}
			})
		}
	}
}

// BenchmarkSetGet measures one Set then one Get of the same key per
// iteration; the reported MB/s count the value once.
func BenchmarkSetGet(b *testing.B) {
	bs := newBenchStores(b)
	for _, size := range benchSizes {
		value := benchValue(b, size.n)
		for _, st := range bs.stores {
			b.Run("size="+size.name+"/store="+st.name, func(b *testing.B) {
				ctx := b.Context()
				b.ReportAllocs()
				b.SetBytes(int64(size.n))
				i := 0
				m := cputime.Start()
				for b.Loop() {
					k := st.keys[i%benchKeys]
					if err := st.s.Set(ctx, k, value); err != nil {
						b.Fatal(err)
					}
					v, err := st.s.Get(ctx, k)
					if err != nil {
						b.Fatal(err)
					}
					if n := valueLen(v); n != size.n {
						b.Fatalf("Get returned %T of length %d, want %d", v, n, size.n)
					}
					i++
				}
				b.ReportMetric(m.Per(b.N), "cpu-ns/op")
			})
		}
	}
}

// BenchmarkSetGetParallel is BenchmarkSetGet at 1 KiB from about
// benchGoroutines goroutines sharing the client's connection pool.
func BenchmarkSetGetParallel(b *testing.B) {
	bs := newBenchStores(b)
	const size = 1 << 10
	value := benchValue(b, size)
	for _, st := range bs.stores {
		b.Run("size=1KiB/store="+st.name, func(b *testing.B) {
			ctx := b.Context()
			var next atomic.Int64 // spreads the goroutines over the keys
			b.ReportAllocs()
			b.SetBytes(size)
			b.SetParallelism(max(1, benchGoroutines/runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				i := int(next.Add(benchKeys / benchGoroutines))
				for pb.Next() {
					k := st.keys[i%benchKeys]
					i++
					// b.Fatal must not be called outside the benchmark's
					// goroutine: report and stop this goroutine instead.
					if err := st.s.Set(ctx, k, value); err != nil {
						b.Error(err)
						return
					}
					v, err := st.s.Get(ctx, k)
					if err != nil {
						b.Error(err)
						return
					}
					if n := valueLen(v); n != size {
						b.Errorf("Get returned %T of length %d, want %d", v, n, size)
						return
					}
				}
			})
		})
	}
}
