package store

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/cputime"
	"github.com/secureredis/secureredis/internal/parallel"
)

// BenchmarkDecodeMany measures decoding n 1 KiB tokens on the calling
// goroutine (workers=1) and split over two or three goroutines, to choose
// parallel.MinPerWorker: splitting pays once n/workers entries outweigh the
// hand-off. cpu-ns/op is the process's CPU time per batch. workers=auto is
// what GetMany does (parallel.For, up to GOMAXPROCS goroutines): its curve
// over -cpu 1,2,4 is how batch decoding scales with the processors, with no
// Redis sharing them (procs is the GOMAXPROCS it really ran at).
//
//	go test -run '^$' -bench 'DecodeMany/n=100/workers=auto' -cpu 1,2,4 -count 6 ./store
func BenchmarkDecodeMany(b *testing.B) {
	ring, err := codec.NewKeyRing("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=")
	if err != nil {
		b.Fatal(err)
	}
	c, err := codec.New(ring)
	if err != nil {
		b.Fatal(err)
	}
	value := make([]byte, 1024)
	for _, n := range []int{2, 4, 8, 16, 32, 64, 100, 128} {
		sks := make([]string, n)
		toks := make([][]byte, n)
		for i := range n {
			sks[i] = fmt.Sprintf("app1:secure:1:k%d", i)
			if toks[i], err = c.Encode(sks[i], value); err != nil {
				b.Fatal(err)
			}
		}
		out := make([]any, n)
		b.Run(fmt.Sprintf("n=%d/workers=auto", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n * len(value)))
			m := cputime.Start()
			for range b.N { // not b.Loop: see procsMetric
				parallel.For(n, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						out[i], _ = c.Decode(sks[i], toks[i])
					}
				})
			}
			b.ReportMetric(m.Per(b.N), "cpu-ns/op")
			b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
		})
		for _, workers := range []int{1, 2, 3} {
			b.Run(fmt.Sprintf("n=%d/workers=%d", n, workers), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(n * len(value)))
				m := cputime.Start()
				for range b.N {
					parallel.Split(n, workers, func(lo, hi int) {
						for i := lo; i < hi; i++ {
							out[i], _ = c.Decode(sks[i], toks[i])
						}
					})
				}
				b.ReportMetric(m.Per(b.N), "cpu-ns/op")
			})
		}
	}
}
