package store_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	gocacheredis "github.com/eko/gocache/store/redis/v4"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/internal/cputime"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/store"
)

// Targets (issue 6), each a ratio from one run: 50 goroutines of 1 KiB Get or
// Set at ≥ 0.85× gocache's plain Redis store; GetMany of 100 × 1 KiB at ≥
// 150,000 keys/s; batched writes on a 3-master cluster at ≥ the single node.
//
//	go test -run '^$' -bench 'Parallel50|GetMany|BatchedWrites' -count 5 ./store | tee bench.txt
//	benchstat -col /store bench.txt

// benchParallel runs op from about benchGoroutines goroutines.
func benchParallel(b *testing.B, op func(ctx context.Context, i int) error) {
	ctx := b.Context()
	var next atomic.Int64 // spreads the goroutines over the keys
	b.SetParallelism(max(1, benchGoroutines/runtime.GOMAXPROCS(0)))
	m := cputime.Start()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(benchKeys / benchGoroutines))
		for pb.Next() {
			if err := op(ctx, i%benchKeys); err != nil {
				b.Error(err) // not Fatal: this is not the benchmark's goroutine
				return
			}
			i++
		}
	})
	// The client's CPU time per operation (redis-server is another
	// process): what encryption adds shows here even when the machine's
	// load makes ns/op wander.
	b.ReportMetric(m.Per(b.N), "cpu-ns/op")
}

// BenchmarkGetParallel50 is 1 KiB Gets from 50 goroutines, plain gocache
// Redis store (baseline) then EncryptingStore, on one client. A third store,
// store=plain-tokensize, is the plain store holding values as long as the
// encrypted store's tokens (1,464 bytes for 1 KiB): its difference with
// store=plain is what the longer reply alone costs, so that the encrypted
// store's extra CPU splits into that, Decode and the rest.
func BenchmarkGetParallel50(b *testing.B) {
	bs := newBenchStores(b)
	const size = 1 << 10
	value := benchValue(b, size)
	for _, st := range bs.stores {
		populate(b, b.Context(), st, value)
	}
	tok, err := newCodec(b).Encode("bench:enc:1:key-0000", value)
	if err != nil {
		b.Fatal(err)
	}
	tokKeys := make([]any, benchKeys)
	for i := range tokKeys {
		tokKeys[i] = fmt.Sprintf("bench:tok:1:key-%04d", i)
	}
	tokStore := benchStore{"plain-tokensize", gocacheredis.NewRedis(bs.client), tokKeys}
	populate(b, b.Context(), tokStore, benchValue(b, len(tok)))
	for _, st := range append(bs.stores, tokStore) {
		want := size
		if st.name == tokStore.name {
			want = len(tok)
		}
		b.Run("size=1KiB/store="+st.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(size)
			benchParallel(b, func(ctx context.Context, i int) error {
				v, err := st.s.Get(ctx, st.keys[i])
				if err == nil && valueLen(v) != want {
					err = fmt.Errorf("Get returned %T of length %d", v, valueLen(v))
				}
				return err
			})
		})
	}
}

// BenchmarkSetParallel50 is 1 KiB Sets from 50 goroutines.
func BenchmarkSetParallel50(b *testing.B) {
	bs := newBenchStores(b)
	const size = 1 << 10
	value := benchValue(b, size)
	for _, st := range bs.stores {
		b.Run("size=1KiB/store="+st.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(size)
			benchParallel(b, func(ctx context.Context, i int) error {
				return st.s.Set(ctx, st.keys[i], value)
			})
		})
	}
}

const benchBatch = 100

// batchKeys returns the batch of keys number i out of keys.
func batchKeys(keys []string, i int) []string {
	lo := (i * benchBatch) % len(keys)
	out := make([]string, benchBatch)
	for j := range out {
		out[j] = keys[(lo+j)%len(keys)]
	}
	return out
}

// BenchmarkGetMany reads batches of 100 × 1 KiB from one goroutine: plain
// MGET of the same client (baseline) against GetMany. keys/s is the metric
// of the target.
func BenchmarkGetMany(b *testing.B) {
	bs := newBenchStores(b)
	const size = 1 << 10
	value := benchValue(b, size)
	ctx := b.Context()
	plainKeys := make([]string, benchKeys)
	encKeys := make([]string, benchKeys)
	for i := range benchKeys {
		plainKeys[i] = bs.stores[0].keys[i].(string)
		encKeys[i] = bs.stores[1].keys[i].(string)
	}
	for _, st := range bs.stores {
		populate(b, ctx, st, value)
	}
	enc := bs.stores[1].s.(*store.EncryptingStore)
	for _, tc := range []struct {
		name string
		get  func(i int) error
	}{
		{"plain-mget", func(i int) error {
			vals, err := bs.client.MGet(ctx, batchKeys(plainKeys, i)...).Result()
			if err == nil && len(vals[0].(string)) != size {
				err = fmt.Errorf("MGET returned %d bytes", len(vals[0].(string)))
			}
			return err
		}},
		{"encrypted", func(i int) error {
			res, err := enc.GetMany(ctx, batchKeys(encKeys, i))
			if err == nil && valueLen(res[0].Value) != size {
				err = fmt.Errorf("GetMany returned %v", res[0].Err)
			}
			return err
		}},
	} {
		b.Run(fmt.Sprintf("batch=%d/size=1KiB/store=%s", benchBatch, tc.name), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(benchBatch * size)
			// b.N, not b.Loop: see procsMetric.
			m := cputime.Start()
			for i := range b.N {
				if err := tc.get(i); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(m.Per(b.N), "cpu-ns/op")
			b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "keys/s")
			procsMetric(b)
		})
	}
}

// procsMetric reports GOMAXPROCS, so that a curve over go test's -cpu list
// shows what each figure really ran at. The benchmarks read over such a list
// loop on b.N, not b.Loop: with b.Loop the whole measurement is go test's
// first probe run, which runs the list's first value at the GOMAXPROCS of
// its last (golang/go#49980: "-cpu 1,2,4" measured its "1" at 4).
func procsMetric(b *testing.B) {
	b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
}

// BenchmarkBatchedWrites writes batches of 100 × 1 KiB with SetMany from 16
// goroutines, on a single node and on a 3-master cluster (no replicas), each
// started for the benchmark; store=plain pipelines the same SETs unencrypted.
func BenchmarkBatchedWrites(b *testing.B) {
	const size = 1 << 10
	value := benchValue(b, size)
	srv := redistest.Start(b)
	single := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 32})
	b.Cleanup(func() { _ = single.Close() })
	cluster := redistest.StartCluster(b, redistest.WithReplicas(0))
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cluster.Addrs(), PoolSize: 32})
	b.Cleanup(func() { _ = cc.Close() })
	for _, tc := range []struct {
		name   string
		client store.Rediser
	}{{"single", single}, {"cluster3", cc}} {
		s, err := store.NewRedis(tc.client, newCodec(b), newKeys(b, "bench:enc"))
		if err != nil {
			b.Fatal(err)
		}
		// store=plain is the same pipeline of SETs without encryption: the
		// topology's own throughput, for comparison.
		for _, st := range []string{"plain", "encrypted"} {
			b.Run(fmt.Sprintf("batch=%d/size=1KiB/topology=%s/store=%s", benchBatch, tc.name, st), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(benchBatch * size)
				b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
				var next atomic.Int64
				b.RunParallel(func(pb *testing.PB) {
					entries := make([]store.Entry, benchBatch)
					for pb.Next() {
						lo := int(next.Add(benchBatch))
						for j := range entries {
							entries[j] = store.Entry{Key: fmt.Sprintf("key-%04d", (lo+j)%benchKeys), Value: value}
						}
						var err error
						if st == "plain" {
							_, err = tc.client.Pipelined(b.Context(), func(p redis.Pipeliner) error {
								for _, e := range entries {
									p.Set(b.Context(), "bench:plain:1:"+e.Key, e.Value, 0)
								}
								return nil
							})
						} else {
							err = s.SetMany(b.Context(), entries)
						}
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "keys/s")
			})
		}
	}
}

// BenchmarkClusterGetMany compares GetMany's strategies on a 3-master
// cluster: one MGET per hash slot (what it does) against one GET per key, for
// keys without hash tags (about one key per slot) and keys sharing ten tags.
func BenchmarkClusterGetMany(b *testing.B) {
	const size = 1 << 10
	value := benchValue(b, size)
	cluster := redistest.StartCluster(b, redistest.WithReplicas(0))
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cluster.Addrs()})
	b.Cleanup(func() { _ = cc.Close() })
	s, err := store.NewRedis(cc, newCodec(b), newKeys(b, "bench:enc"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	for _, tags := range []bool{false, true} {
		keys := make([]string, benchKeys)
		entries := make([]store.Entry, benchKeys)
		for i := range keys {
			keys[i] = fmt.Sprintf("key-%04d", i)
			if tags {
				keys[i] = fmt.Sprintf("{t%d}:key-%04d", i/benchBatch%10, i)
			}
			entries[i] = store.Entry{Key: keys[i], Value: value}
		}
		if err := s.SetMany(ctx, entries); err != nil {
			b.Fatal(err)
		}
		for _, st := range []struct {
			name string
			get  func(context.Context, []string) ([]store.Result, error)
		}{{"per-key", s.GetManyPerKey}, {"per-slot", s.GetManyPerSlot}} {
			b.Run(fmt.Sprintf("tags=%v/strategy=%s", tags, st.name), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(benchBatch * size)
				i := 0
				for b.Loop() {
					res, err := st.get(ctx, batchKeys(keys, i))
					if err != nil || !res[0].Found() {
						b.Fatal(err)
					}
					i++
				}
				b.ReportMetric(float64(i*benchBatch)/b.Elapsed().Seconds(), "keys/s")
			})
		}
	}
}
