package parallel

import (
	"crypto/sha256"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/secureredis/secureredis/internal/cputime"
)

// splitContiguous is Split as it was before pieces were claimed: one
// contiguous range per goroutine, and the caller waits for every goroutine,
// started or not. It is BenchmarkSplit's baseline.
func splitContiguous(n, workers int, fn func(lo, hi int)) {
	if workers <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	step := (n + workers - 1) / workers
	for lo := step; lo < n; lo += step {
		wg.Go(func() { fn(lo, min(lo+step, n)) })
	}
	fn(0, step)
	wg.Wait()
}

// BenchmarkSplit runs a batch of n items of about the cost of decoding a
// 1 KiB token (an HMAC-SHA256's worth of SHA-256 over 1 KiB) through For
// (split=claimed) and through the contiguous split it replaced, with the
// same number of goroutines. Over -cpu 1,2,4 it is the scaling curve of
// batch work alone; on a machine whose idle processors are slow to wake it
// shows what waiting for a late goroutine costs. It loops on b.N, not
// b.Loop, and reports procs, the GOMAXPROCS it ran at: with b.Loop, go test
// runs the first value of a -cpu list at the GOMAXPROCS of its last
// (golang/go#49980).
//
//	go test -run '^$' -bench Split -cpu 1,2,4 -count 8 ./internal/parallel
func BenchmarkSplit(b *testing.B) {
	var item [1 << 10]byte
	for _, n := range []int{100, 1000} {
		out := make([][32]byte, n)
		fn := func(lo, hi int) {
			for i := lo; i < hi; i++ {
				out[i] = sha256.Sum256(item[:])
			}
		}
		for _, sp := range []struct {
			name  string
			split func(n, workers int, fn func(lo, hi int))
		}{{"contiguous", splitContiguous}, {"claimed", Split}} {
			b.Run(fmt.Sprintf("n=%d/split=%s", n, sp.name), func(b *testing.B) {
				b.ReportAllocs()
				m := cputime.Start()
				for range b.N {
					sp.split(n, workersForWork(runtime.GOMAXPROCS(0), n, n, MinPerWorker), fn)
				}
				b.ReportMetric(m.Per(b.N), "cpu-ns/op")
				b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
			})
		}
	}
}
