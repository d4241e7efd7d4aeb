// Package parallel runs a loop over index ranges on several goroutines, for
// the CPU-bound encryption and decryption of batches (store's GetMany and
// SetMany, recovery's Migrate, Rotate and Audit).
package parallel

import (
	"runtime"
	"sync"
)

// MinPerWorker is the number of items per goroutine below which For stays on
// the calling goroutine. The store's BenchmarkDecodeMany (1 KiB values, two
// vCPUs shared with redis-server) shows a second goroutine losing up to 32
// entries each and breaking even at 64: the second vCPU is rarely idle under
// load, and a batch caller usually has company. So only batches of 128 items
// and more are split.
const MinPerWorker = 64

// For calls fn over [0, n) split into contiguous ranges, one per processor
// and none smaller than MinPerWorker, and waits for them. Small n runs on the
// calling goroutine only.
func For(n int, fn func(lo, hi int)) {
	Split(n, min(runtime.GOMAXPROCS(0), n/MinPerWorker), fn)
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
