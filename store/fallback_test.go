package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	gocachego "github.com/eko/gocache/store/go_cache/v4"
	gocache "github.com/patrickmn/go-cache"

	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/store"
)

// mapFallback is an old alias held in memory.
type mapFallback struct {
	values map[string]string
	ttl    time.Duration
	err    error
	calls  int
}

func (m *mapFallback) Fetch(_ context.Context, key string) (any, time.Duration, bool, error) {
	m.calls++
	if m.err != nil {
		return nil, 0, false, m.err
	}
	v, ok := m.values[key]
	return v, m.ttl, ok, nil
}

func TestFallbackPromotesOnMiss(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	old := &mapFallback{values: map[string]string{"session:1": "alice", "session:2": "bob"}, ttl: time.Hour}
	s, err := store.NewRedis(client, newCodec(t), newKeys(t, "app1:secure"), store.WithFallback(old, time.Now().Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	promoted := testkit.StartStopwatch()
	v, ttl, err := s.GetWithTTL(ctx, "session:1")
	if err != nil || v != "alice" || ttl != time.Hour {
		t.Fatalf("GetWithTTL = %v, %v, %v", v, ttl, err)
	}
	if pttl := client.PTTL(ctx, "app1:secure:1:session:1").Val(); !promoted.Remains(pttl, time.Hour) {
		t.Errorf("promoted entry TTL = %v, want the old one", pttl)
	}
	if v, err := s.Get(ctx, "session:1"); err != nil || v != "alice" || old.calls != 1 {
		t.Errorf("second Get = %v, %v (fallback calls %d, want 1)", v, err, old.calls)
	}
	// The app wrote a newer value meanwhile: the fallback never overwrites it.
	if err := s.Set(ctx, "session:2", "bob, newer"); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Get(ctx, "session:2"); v != "bob, newer" {
		t.Errorf("Get = %v, the app's value must win", v)
	}
	if _, err := s.Get(ctx, "absent"); !errors.Is(err, gocachestore.NotFound{}) {
		t.Errorf("miss in both = %v", err)
	}
	old.err = errors.New("old alias down")
	if _, err := s.Get(ctx, "other"); err == nil || errors.Is(err, gocachestore.NotFound{}) {
		t.Errorf("fallback error = %v, want it surfaced", err)
	}
}

func TestFallbackTimeBox(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	old := &mapFallback{values: map[string]string{"k": "v"}}
	s, err := store.NewRedis(client, newCodec(t), newKeys(t, "app1:secure"), store.WithFallback(old, time.Now().Add(-time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(t.Context(), "k"); !errors.Is(err, gocachestore.NotFound{}) || old.calls != 0 {
		t.Errorf("expired fallback: %v, calls %d", err, old.calls)
	}
	inner := gocachego.NewGoCache(gocache.New(time.Minute, time.Minute))
	for _, opt := range []store.Option{store.WithFallback(old, time.Now().Add(time.Hour)), store.WithFallbackForever(old)} {
		if _, err := store.New(inner, newCodec(t), newKeys(t, "p"), opt); !errors.Is(err, gocachestore.ErrNotSupported) {
			t.Errorf("fallback accepted without a Redis client: %v", err)
		}
	}
}

// TestFallbackDeadlineRequired: the zero until is a constructor error, not
// "forever"; forever is its own option, and works.
func TestFallbackDeadlineRequired(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	old := &mapFallback{values: map[string]string{"k": "v"}}
	if _, err := store.NewRedis(client, newCodec(t), newKeys(t, "app1:secure"), store.WithFallback(old, time.Time{})); !errors.Is(err, store.ErrFallbackDeadline) {
		t.Errorf("zero until: %v, want ErrFallbackDeadline", err)
	}
	for _, opt := range []store.Option{store.WithFallback(nil, time.Now().Add(time.Hour)), store.WithFallbackForever(nil)} {
		if _, err := store.NewRedis(client, newCodec(t), newKeys(t, "app1:secure"), opt); err == nil {
			t.Error("nil fallback accepted")
		}
	}
	s, err := store.NewRedis(client, newCodec(t), newKeys(t, "app1:secure"), store.WithFallbackForever(old))
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get(t.Context(), "k"); err != nil || v != "v" || old.calls != 1 {
		t.Errorf("forever fallback: %v, %v, calls %d", v, err, old.calls)
	}
}
