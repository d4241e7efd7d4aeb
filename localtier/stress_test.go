package localtier_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/secureredis/secureredis/internal/redistest"
)

// Concurrent readers of A against a writer B: whatever the interleaving of
// fills, hits and invalidations, a read that follows a Sync that followed
// B's acknowledged write of version n returns version n or later (versions
// only grow). This exercises the placeholder protocol: a fill whose key was
// invalidated while it was in flight must not keep its token.
func TestConcurrentReadersAfterSync(t *testing.T) {
	srv := redistest.Start(t)
	a := newInstance(t, srv.Client(t, 0))
	b := newInstance(t, srv.Client(t, 0))
	a.waitTracking(t)
	ctx := t.Context()
	const keys, writes, readers = 8, 3000, 4
	var acked [keys]atomic.Int64
	for k := range keys {
		if err := b.st.Set(ctx, fmt.Sprint("k", k), fmt.Sprintf("v%06d", 0)); err != nil {
			t.Fatal(err)
		}
	}
	var done atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, readers+1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer done.Store(true)
		for i := 1; i <= writes; i++ {
			k := i % keys
			if err := b.st.Set(ctx, fmt.Sprint("k", k), fmt.Sprintf("v%06d", i)); err != nil {
				errs <- err
				return
			}
			acked[k].Store(int64(i))
		}
	}()
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !done.Load(); i++ {
				k := (i + r) % keys
				want := acked[k].Load()
				// Half the reads sync first and must be fresh; the others
				// only fill and hit, racing the invalidations.
				strict := i%2 == 0
				if strict {
					if err := a.tier.Sync(ctx); err != nil {
						errs <- err
						return
					}
				}
				v, err := a.get(ctx, fmt.Sprint("k", k))
				if err != nil {
					errs <- err
					return
				}
				var got int64
				if _, err := fmt.Sscanf(v, "v%d", &got); err != nil {
					errs <- fmt.Errorf("read %q", v)
					return
				}
				if strict && got < want {
					errs <- fmt.Errorf("key %d: read version %d after Sync, B had acknowledged %d", k, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Once B stops, A converges: every key reads B's last version.
	if err := a.tier.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for k := range keys {
		v, _ := a.get(ctx, fmt.Sprint("k", k))
		if want := fmt.Sprintf("v%06d", acked[k].Load()); v != want {
			t.Fatalf("key %d: %q, want %q", k, v, want)
		}
	}
	s := a.tier.Stats()
	if s.Hits == 0 {
		t.Fatalf("no hits: %+v", s)
	}
	t.Logf("A: %+v", s)
}
