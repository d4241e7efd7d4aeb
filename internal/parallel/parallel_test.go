package parallel

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// checkVisitsOnce runs split over [0, n) and fails the test unless every
// index was visited exactly once.
func checkVisitsOnce(t *testing.T, name string, n int, split func(fn func(lo, hi int))) {
	t.Helper()
	seen := make([]int, n)
	var mu sync.Mutex
	split(func(lo, hi int) {
		mu.Lock()
		defer mu.Unlock()
		for i := lo; i < hi; i++ {
			seen[i]++
		}
	})
	for i, c := range seen {
		if c != 1 {
			t.Fatalf("%s: index %d visited %d times", name, i, c)
		}
	}
}

// Every index is visited exactly once, whatever n and the number of workers.
func TestSplitCoversEveryIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 63, 64, 127, 128, 1000} {
		for _, workers := range []int{0, 1, 2, 3, 8} {
			checkVisitsOnce(t, fmt.Sprintf("Split n=%d workers=%d", n, workers), n, func(fn func(lo, hi int)) { Split(n, workers, fn) })
		}
	}
	calls := 0
	For(MinPerWorker, func(lo, hi int) { calls++ })
	if calls != 1 {
		t.Errorf("For(%d) used %d goroutines, want the caller's only", MinPerWorker, calls)
	}
}

// ForEach splits only batches of at least two workers' minimum, and covers
// every index once whatever the minimum (0 included).
func TestForEach(t *testing.T) {
	for _, least := range []int{0, 1, 32, 256} {
		for _, n := range []int{0, 1, 255, 256, 511, 512, 1000} {
			var mu sync.Mutex
			calls := 0
			seen := make([]int, n)
			ForEach(n, least, func(lo, hi int) {
				mu.Lock()
				defer mu.Unlock()
				calls++
				for i := lo; i < hi; i++ {
					seen[i]++
				}
			})
			for i, c := range seen {
				if c != 1 {
					t.Fatalf("n=%d least=%d: index %d visited %d times", n, least, i, c)
				}
			}
			if least >= 1 && n < 2*least && calls > 1 {
				t.Errorf("n=%d least=%d: %d goroutines, want the caller's only", n, least, calls)
			}
		}
	}
}

// ForWork splits by cost, not by count: never more goroutines than
// processors or items, none with less than minWork, and at least the
// caller's.
func TestForWorkWorkers(t *testing.T) {
	for _, tt := range []struct{ procs, n, work, minWork, want int }{
		{procs: 1, n: 1000, work: 1 << 30, minWork: 1, want: 1},
		{procs: 16, n: 100, work: 100 * 2000, minWork: 64000, want: 3},   // 100 tokens of 1 KiB
		{procs: 16, n: 100, work: 100 * 700, minWork: 64000, want: 1},    // of 64 bytes
		{procs: 16, n: 100, work: 100 * 22000, minWork: 64000, want: 16}, // of 16 KiB
		{procs: 16, n: 4, work: 4 << 20, minWork: 64000, want: 4},        // one goroutine per item at most
		{procs: 4, n: 0, work: 0, minWork: 64000, want: 1},
		{procs: 4, n: 10, work: -5, minWork: 64000, want: 1}, // an overflowed sum is no reason to panic
		{procs: 4, n: 10, work: 100, minWork: 0, want: 4},
	} {
		if got := workersForWork(tt.procs, tt.n, tt.work, tt.minWork); got != tt.want {
			t.Errorf("workersForWork(%d, %d, %d, %d) = %d, want %d", tt.procs, tt.n, tt.work, tt.minWork, got, tt.want)
		}
	}
	for _, n := range []int{0, 1, 5, 100} {
		checkVisitsOnce(t, fmt.Sprintf("ForWork n=%d", n), n, func(fn func(lo, hi int)) { ForWork(n, n<<20, 1, fn) })
	}
}

// The caller does not wait for a goroutine that has not started: with every
// goroutine Split starts held back, it still visits every index once and
// returns, and the held-back goroutines, run afterwards, call fn no more.
func TestSplitDoesNotWaitForLateWorkers(t *testing.T) {
	var held []func()
	startWorker = func(work func()) { held = append(held, work) }
	defer func() { startWorker = func(work func()) { go work() } }()
	for _, n := range []int{2, 3, 100, 1000} {
		held = held[:0]
		seen := make([]int, n)
		calls := 0
		Split(n, 3, func(lo, hi int) {
			calls++
			for i := lo; i < hi; i++ {
				seen[i]++
			}
		})
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("n=%d: index %d visited %d times", n, i, c)
			}
		}
		if len(held) != min(3, n)-1 {
			t.Fatalf("n=%d: %d goroutines started, want %d", n, len(held), min(3, n)-1)
		}
		before := calls
		for _, work := range held {
			work()
		}
		if calls != before {
			t.Errorf("n=%d: a late goroutine called fn %d times after Split returned", n, calls-before)
		}
	}
}

// With more processors than two, ForWork starts a goroutine on each of them
// for a batch worth it, and none for a batch of cheap items, whatever their
// count.
func TestForWorkUsesEveryProcessor(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	var started atomic.Int32
	startWorker = func(work func()) { started.Add(1); go work() }
	defer func() { startWorker = func(work func()) { go work() } }()
	const minWork = MinPerWorker * (1464 + 512) // store's minDecodeWork
	for _, tt := range []struct {
		name          string
		n, work, want int
	}{
		{"100 x 16 KiB", 100, 100 * (22000 + 512), 7},
		{"1,000 x 1 KiB", 1000, 1000 * (1464 + 512), 7},
		{"100 x 1 KiB", 100, 100 * (1464 + 512), 2},
		{"100 x 64 B", 100, 100 * 722, 0},
	} {
		started.Store(0)
		checkVisitsOnce(t, tt.name, tt.n, func(fn func(lo, hi int)) { ForWork(tt.n, tt.work, minWork, fn) })
		if got := int(started.Load()); got != tt.want {
			t.Errorf("%s at GOMAXPROCS 8: %d goroutines started besides the caller, want %d", tt.name, got, tt.want)
		}
	}
}
