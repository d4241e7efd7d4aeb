// Package parallel runs a loop over index ranges on several goroutines, for
// the CPU-bound encryption and decryption of batches (store's GetMany and
// SetMany, recovery's Migrate, Rotate and Audit).
package parallel

import (
	"runtime"
	"sync/atomic"
)

// MinPerWorker is the number of items per goroutine below which For stays on
// the calling goroutine (ForWork counts work instead: store's GetMany and
// SetMany weigh each item by its length, and give a goroutine at least what
// MinPerWorker items of 1 KiB cost). A goroutine costs about a microsecond
// to start and join on a processor that is awake; decoding a 1 KiB token
// costs about two (AVX2 base64, pooled CBC modes), so 32 items keep the
// hand-off under 2% of a worker's time, and a GetMany of 100 keys of 1 KiB
// is split over up to three processors. With GOMAXPROCS=1 For never starts
// a goroutine. (It was 64 when decoding cost twice as much:
// BenchmarkDecodeMany.) Where an idle processor is slow to wake, as on this
// project's 2-vCPU virtual machine (40 to 130 us), splitting pays only from
// a few hundred items (BenchmarkSplit); claimed pieces keep it from costing
// the caller more than that wake-up.
const MinPerWorker = 32

// chunksPerWorker is how many pieces Split cuts each worker's share into:
// the goroutines claim pieces in turn, so one that starts late finds less to
// do, or nothing, and the others are not kept waiting for it.
const chunksPerWorker = 4

// For calls fn over [0, n) split into contiguous ranges, on up to one
// goroutine per processor and none with fewer than MinPerWorker items, and
// returns when every range is done. Small n runs on the calling goroutine
// only.
func For(n int, fn func(lo, hi int)) {
	ForEach(n, MinPerWorker, fn)
}

// ForEach is For for work of another size: no goroutine gets fewer than
// minPerWorker items (ForWork with one unit of work per item).
func ForEach(n, minPerWorker int, fn func(lo, hi int)) {
	ForWork(n, n, minPerWorker, fn)
}

// ForWork is For for items whose costs differ, as decoding tokens of
// different lengths does: work is the batch's total cost and minWork the
// least a goroutine gets, in one unit of the caller's choosing (bytes of
// token for GetMany). A batch of many cheap items stays on the caller, one
// of a few costly ones is split over every processor, up to one goroutine
// per item.
func ForWork(n, work, minWork int, fn func(lo, hi int)) {
	Split(n, workersForWork(runtime.GOMAXPROCS(0), n, work, minWork), fn)
}

// workersForWork is the number of goroutines ForWork uses with procs
// processors.
func workersForWork(procs, n, work, minWork int) int {
	return max(1, min(procs, n, work/max(1, minWork)))
}

// startWorker starts a goroutine of Split (a variable for the tests, which
// hold some back to show that Split does not wait for them).
var startWorker = func(work func()) { go work() }

// Split calls fn over [0, n) on up to workers goroutines, the calling one
// among them, and returns when every index has been visited once. The range
// is cut into chunksPerWorker*workers contiguous pieces that the goroutines
// claim in turn (an atomic counter), so the caller never waits for a
// goroutine that has not started: when the other processors are busy, or
// slow to wake (40 to 130 us for an idle vCPU of this project's 2-vCPU
// test machine, as long as decoding 20 to 60 tokens), the caller does their
// share itself and waits at most for the pieces already claimed. A goroutine
// that starts after the work is done returns at once; fn is never called
// after Split returns.
func Split(n, workers int, fn func(lo, hi int)) {
	if workers <= 1 || n <= 1 {
		fn(0, n)
		return
	}
	workers = min(workers, n)
	s := &split{n: n, chunk: max(1, n/(chunksPerWorker*workers)), fn: fn, done: make(chan struct{})}
	for range workers - 1 {
		startWorker(s.work)
	}
	s.work()
	<-s.done
}

// split is one call of Split: the next index to claim, how many are done.
type split struct {
	next, completed atomic.Int64
	n, chunk        int
	fn              func(lo, hi int)
	done            chan struct{} // closed by whoever completes the last index
}

// work claims pieces and runs fn over them until none is left.
func (s *split) work() {
	for {
		lo := int(s.next.Add(int64(s.chunk))) - s.chunk
		if lo >= s.n {
			return
		}
		hi := min(lo+s.chunk, s.n)
		s.fn(lo, hi)
		if s.completed.Add(int64(hi-lo)) == int64(s.n) {
			close(s.done)
		}
	}
}
