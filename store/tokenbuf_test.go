package store_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
)

// Set reuses pooled token buffers and GetMany decodes the reply strings
// themselves: concurrent writers of values of different sizes (some larger
// than a pooled buffer, so it grows) and concurrent batch readers must each
// see exactly their own values.
func TestPooledTokensConcurrent(t *testing.T) {
	s, _ := newRedisStore(t)
	ctx := t.Context()
	const writers, keys = 8, 40
	value := func(w, i int) []byte {
		return bytes.Repeat([]byte{byte(w), byte(i)}, 1+(w*keys+i)%3000)
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range keys {
				if err := s.Set(ctx, fmt.Sprintf("w%d:k%d", w, i), value(w, i)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for w := range writers {
		wg.Go(func() {
			ks := make([]string, keys)
			for i := range ks {
				ks[i] = fmt.Sprintf("w%d:k%d", w, i)
			}
			for range 3 {
				res, err := s.GetMany(ctx, ks)
				if err != nil {
					t.Error(err)
					return
				}
				for i, r := range res {
					if got, _ := r.Value.([]byte); !bytes.Equal(got, value(w, i)) {
						t.Errorf("%s: got %d bytes (err %v), want %d", ks[i], len(got), r.Err, len(value(w, i)))
					}
				}
			}
		})
	}
	wg.Wait()
}
