package reliability_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/store"
)

// TestLoad runs 64 goroutines of mixed Get, Set, Delete, GetMany, SetMany and
// DeleteMany on one store and one client for a bounded time (the race
// detector watches). Every value written names its key, writer and sequence
// number; every value read must be one that was written for that key, and
// nothing may fail or fail to decrypt.
func TestLoad(t *testing.T) {
	const (
		workers  = 64
		keySpace = 256
		duration = 3 * time.Second
	)
	srv := redistest.Start(t)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: workers})
	t.Cleanup(func() { _ = client.Close() })
	s := newStore(t, client, newCodec(t), "app1:secure")
	ctx, cancel := context.WithTimeout(t.Context(), duration)
	defer cancel()

	var written [workers]atomic.Int64 // highest sequence number each worker wrote
	var ops, reads, hits atomic.Int64
	check := func(key string, v any) error {
		str, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s: read %T", key, v)
		}
		parts := strings.Split(str, "|")
		if len(parts) != 3 || parts[0] != key {
			return fmt.Errorf("%s: read %q, written for another key", key, str)
		}
		w, err1 := strconv.Atoi(parts[1])
		seq, err2 := strconv.ParseInt(parts[2], 10, 64)
		if err1 != nil || err2 != nil || w < 0 || w >= workers || seq > written[w].Load() {
			return fmt.Errorf("%s: read %q, never written", key, str)
		}
		return nil
	}
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			key := func() string { return fmt.Sprintf("k%03d", rng.IntN(keySpace)) }
			var seq int64
			next := func(k string) string {
				seq++
				written[w].Store(seq) // before the write: a reader may see it at once
				return fmt.Sprintf("%s|%d|%d", k, w, seq)
			}
			for ctx.Err() == nil {
				var err error
				switch op := rng.IntN(10); {
				case op < 4:
					k := key()
					var v any
					if v, err = s.Get(ctx, k); err == nil {
						hits.Add(1)
						err = check(k, v)
					} else if isMiss(err) {
						err = nil
					}
					reads.Add(1)
				case op < 6:
					k := key()
					err = s.Set(ctx, k, next(k), storeTTL(rng))
				case op < 7:
					err = s.Delete(ctx, key())
				case op < 8:
					keys := make([]string, 1+rng.IntN(40))
					for i := range keys {
						keys[i] = key()
					}
					var res []store.Result
					res, err = s.GetMany(ctx, keys)
					for i, r := range res {
						reads.Add(1)
						switch {
						case r.Found():
							hits.Add(1)
							if cerr := check(keys[i], r.Value); cerr != nil && err == nil {
								err = cerr
							}
						case !isMiss(r.Err) && err == nil:
							err = r.Err
						}
					}
				case op < 9:
					entries := make([]store.Entry, 1+rng.IntN(40))
					for i := range entries {
						k := key()
						entries[i] = store.Entry{Key: k, Value: next(k), TTL: time.Duration(rng.IntN(2)) * time.Minute}
					}
					err = s.SetMany(ctx, entries)
				default:
					keys := make([]string, 1+rng.IntN(10))
					for i := range keys {
						keys[i] = key()
					}
					err = s.DeleteMany(ctx, keys)
				}
				if err != nil && ctx.Err() == nil {
					errs <- err
					return
				}
				ops.Add(1)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if f := s.DecryptFailures(); f != 0 {
		t.Errorf("%d decrypt failures", f)
	}
	if hits.Load() == 0 {
		t.Error("no read hit: the test checked nothing")
	}
	t.Logf("%d operations, %d keys read, %d hits in %v", ops.Load(), reads.Load(), hits.Load(), duration)
}
