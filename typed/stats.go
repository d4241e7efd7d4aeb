package typed

import (
	"context"
	"errors"
	"sync"
	"time"

	gocachecodec "github.com/eko/gocache/lib/v4/codec"
	gocachestore "github.com/eko/gocache/lib/v4/store"

	"github.com/secureredis/secureredis/store"
)

// statsCodec is the gocache codec Cache.GetCodec returns: the store, with
// the Cache's counts.
type statsCodec struct {
	s     *store.EncryptingStore
	mu    sync.Mutex
	stats gocachecodec.Stats
}

func (s *statsCodec) add(f func(*gocachecodec.Stats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

func (s *statsCodec) count(err error) {
	switch {
	case err == nil:
		s.add(func(st *gocachecodec.Stats) { st.Hits++ })
	case errors.Is(err, gocachestore.NotFound{}):
		s.add(func(st *gocachecodec.Stats) { st.Miss++ })
	}
}

func (s *statsCodec) countSet(err error) {
	s.add(func(st *gocachecodec.Stats) {
		if err == nil {
			st.SetSuccess++
		} else {
			st.SetError++
		}
	})
}

func (s *statsCodec) countDelete(err error) {
	s.add(func(st *gocachecodec.Stats) {
		if err == nil {
			st.DeleteSuccess++
		} else {
			st.DeleteError++
		}
	})
}

func (s *statsCodec) countInvalidate(err error) {
	s.add(func(st *gocachecodec.Stats) {
		if err == nil {
			st.InvalidateSuccess++
		} else {
			st.InvalidateError++
		}
	})
}

func (s *statsCodec) countClear(err error) {
	s.add(func(st *gocachecodec.Stats) {
		if err == nil {
			st.ClearSuccess++
		} else {
			st.ClearError++
		}
	})
}

// The untyped operations go to the store as they are.

func (s *statsCodec) Get(ctx context.Context, key any) (any, error) { return s.s.Get(ctx, key) }

func (s *statsCodec) GetWithTTL(ctx context.Context, key any) (any, time.Duration, error) {
	return s.s.GetWithTTL(ctx, key)
}

func (s *statsCodec) Set(ctx context.Context, key any, value any, options ...gocachestore.Option) error {
	return s.s.Set(ctx, key, value, options...)
}

func (s *statsCodec) Delete(ctx context.Context, key any) error { return s.s.Delete(ctx, key) }

func (s *statsCodec) Invalidate(ctx context.Context, options ...gocachestore.InvalidateOption) error {
	return s.s.Invalidate(ctx, options...)
}

func (s *statsCodec) Clear(ctx context.Context) error { return s.s.Clear(ctx) }

func (s *statsCodec) GetStore() gocachestore.StoreInterface { return s.s }

// GetStats returns a snapshot of the counts.
func (s *statsCodec) GetStats() *gocachecodec.Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	return &st
}
