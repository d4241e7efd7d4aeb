package parallel

import (
	"sync"
	"testing"
)

// Every index is visited exactly once, whatever n and the number of workers.
func TestSplitCoversEveryIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 63, 64, 127, 128, 1000} {
		for _, workers := range []int{0, 1, 2, 3, 8} {
			seen := make([]int, n)
			var mu sync.Mutex
			Split(n, workers, func(lo, hi int) {
				mu.Lock()
				defer mu.Unlock()
				for i := lo; i < hi; i++ {
					seen[i]++
				}
			})
			for i, c := range seen {
				if c != 1 {
					t.Fatalf("n=%d workers=%d: index %d visited %d times", n, workers, i, c)
				}
			}
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
