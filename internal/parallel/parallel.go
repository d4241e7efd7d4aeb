// Package parallel runs a loop over index ranges on several goroutines, for
// the CPU-bound encryption and decryption of batches (store's GetMany and
// SetMany, recovery's Migrate, Rotate and Audit).
package parallel

import (
	"runtime"
	"sync"
)

// MinPerWorker is the number of items per goroutine below which For stays on
// the calling goroutine. A goroutine costs about a microsecond to start and
// join; decoding a 1 KiB token costs about two (AVX2 base64, pooled CBC modes),
// so 32 items keep the hand-off under 2% of a worker's time, and a GetMany
// of 100 keys is split over up to three processors. When the other
// processors are busy, the goroutines For starts wait in a run queue, at
// worst until the caller blocks in Wait and its processor runs them: the cost
// over one goroutine is then the hand-off. With GOMAXPROCS=1 For never starts
// one.
// (It was 64 when decoding cost twice as much: BenchmarkDecodeMany.)
const MinPerWorker = 32

// For calls fn over [0, n) split into contiguous ranges, one per processor
// and none smaller than MinPerWorker, and waits for them. Small n runs on the
// calling goroutine only.
func For(n int, fn func(lo, hi int)) {
	ForEach(n, MinPerWorker, fn)
}

// ForEach is For for work of another size: no goroutine gets fewer than
// minPerWorker items.
func ForEach(n, minPerWorker int, fn func(lo, hi int)) {
	Split(n, min(runtime.GOMAXPROCS(0), n/max(1, minPerWorker)), fn)
}

// Split calls fn over [0, n) in workers contiguous ranges, the first on the
// calling goroutine, and waits for them.
func Split(n, workers int, fn func(lo, hi int)) {
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
