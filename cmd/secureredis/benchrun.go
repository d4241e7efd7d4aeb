package main

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// measure is the outcome of running one operation many times.
type measure struct {
	ops     int
	elapsed time.Duration
	lat     []time.Duration // sorted
}

func (m *measure) rate() float64 {
	if m.elapsed <= 0 {
		return 0
	}
	return float64(m.ops) / m.elapsed.Seconds()
}

func (m *measure) quantile(q float64) time.Duration {
	if len(m.lat) == 0 {
		return 0
	}
	return m.lat[min(len(m.lat)-1, int(q*float64(len(m.lat))))]
}

// alternate runs n operations of each store in benchRounds rounds, plain and
// encrypted taking turns (and turns at going first).
func alternate(ctx context.Context, n, concurrency int, plain, secure func(context.Context, int) error) (*measure, *measure, error) {
	p, s := &measure{}, &measure{}
	rounds := min(benchRounds, n)
	done := 0
	for r := range rounds {
		k := (n - done) / (rounds - r)
		first, second := plain, secure
		fm, sm := p, s
		if r%2 == 1 {
			first, second, fm, sm = secure, plain, s, p
		}
		if err := run1(ctx, done, k, concurrency, first, fm); err != nil {
			return nil, nil, err
		}
		if err := run1(ctx, done, k, concurrency, second, sm); err != nil {
			return nil, nil, err
		}
		done += k
	}
	slices.Sort(p.lat)
	slices.Sort(s.lat)
	return p, s, nil
}

// run1 runs operations [from, from+n) on concurrency goroutines and adds the
// time and latencies to m. It stops at the first error.
func run1(ctx context.Context, from, n, concurrency int, op func(context.Context, int) error, m *measure) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for range min(concurrency, n) {
		wg.Go(func() {
			var lat []time.Duration
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					break
				}
				t0 := time.Now()
				if err := op(ctx, from+i); err != nil {
					cancel(err)
					break
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			m.lat = append(m.lat, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	m.elapsed += time.Since(start)
	m.ops += n
	return context.Cause(ctx)
}
