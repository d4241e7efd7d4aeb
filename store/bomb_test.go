package store_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"

	gocachestore "github.com/eko/gocache/lib/v4/store"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/store"
)

// bombCap is the decompression cap of the Django aliases below.
const bombCap = 8 << 20

// TestDecompressionBombsThroughRedis plants, under a Django-mode alias with
// each django-redis COMPRESSOR, a value that inflates to four times the
// cap, and reads it with 4 concurrent Gets and with GetMany: each read is a
// miss caused by codec.ErrInvalidToken, counted and reported to the hook,
// and the reads together allocate no more than 4 × (cap + 1 MiB) plus 4 MiB
// for the client and the test (TotalAlloc: every byte, not just the peak).
func TestDecompressionBombsThroughRedis(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	ring, err := codec.NewKeyRing(testkit.Key)
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 4*bombCap)
	for _, name := range []string{"zlib", "gzip", "lzma", "lz4", "zstd"} {
		t.Run(name, func(t *testing.T) {
			comp, err := codec.NewCompressor(name, codec.WithMaxDecompressedSize(bombCap))
			if err != nil {
				t.Fatal(err)
			}
			c, err := codec.NewDjango(ring, codec.WithCompressor(comp))
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			hooked := 0
			s, err := store.NewRedis(client, c, newKeys(t, "bombs:"+name),
				store.WithDecryptFailureHook(func(_ context.Context, _ string) { mu.Lock(); hooked++; mu.Unlock() }))
			if err != nil {
				t.Fatal(err)
			}
			bomb, err := comp.Compress(zeros)
			if err != nil {
				t.Fatal(err)
			}
			if err := client.Set(ctx, s.Keys().Key("bomb"), bomb, 0).Err(); err != nil {
				t.Fatal(err)
			}
			// A genuine entry still reads.
			if err := s.Set(ctx, "fine", "value"); err != nil {
				t.Fatal(err)
			}
			if v, err := s.Get(ctx, "fine"); err != nil || v != "value" {
				t.Fatalf("Get(fine) = %v, %v", v, err)
			}
			isBombMiss := func(err error) bool {
				return errors.Is(err, gocachestore.NotFound{}) && errors.Is(err, codec.ErrInvalidToken)
			}
			const readers = 4
			bound := uint64(readers*(bombCap+1<<20) + 4<<20)

			errs := make([]error, readers)
			n := allocated(func() {
				var wg sync.WaitGroup
				for i := range readers {
					wg.Go(func() { _, errs[i] = s.Get(ctx, "bomb") })
				}
				wg.Wait()
			})
			for i, err := range errs {
				if !isBombMiss(err) {
					t.Errorf("Get %d: %v, want a miss caused by ErrInvalidToken", i, err)
				}
			}
			t.Logf("%d concurrent Gets of a %d-byte bomb: %d bytes allocated", readers, len(bomb), n)
			if n > bound {
				t.Errorf("%d concurrent Gets allocated %d bytes, want at most %d", readers, n, bound)
			}

			var res []store.Result
			n = allocated(func() { res, err = s.GetMany(ctx, []string{"bomb", "fine", "bomb", "bomb", "bomb"}) })
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range res {
				if i == 1 {
					if r.Value != "value" {
						t.Errorf("GetMany fine = %v, %v", r.Value, r.Err)
					}
					continue
				}
				if !isBombMiss(r.Err) {
					t.Errorf("GetMany %d: %v, want a miss caused by ErrInvalidToken", i, r.Err)
				}
			}
			t.Logf("GetMany of %d bombs: %d bytes allocated", readers, n)
			if n > bound {
				t.Errorf("GetMany allocated %d bytes, want at most %d", n, bound)
			}
			if got := s.DecryptFailures(); got != 2*readers {
				t.Errorf("DecryptFailures = %d, want %d", got, 2*readers)
			}
			mu.Lock()
			defer mu.Unlock()
			if hooked != 2*readers {
				t.Errorf("hook called %d times, want %d", hooked, 2*readers)
			}
		})
	}
}

// allocated returns the bytes f allocates on the heap (TotalAlloc delta).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
