package store_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/store"
)

// roundTrips counts what a go-redis client sends: single commands and
// pipelines, each one round trip.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmd)
	}
}

func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmds)
	}
}

// TestSetWritesTagsInOneRoundTrip: Set with tags sends the value and its tag
// sets in one pipeline, as SetMany does, and the tags work.
func TestSetWritesTagsInOneRoundTrip(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	rt := &roundTrips{}
	client.AddHook(rt)
	ctx := t.Context()
	s, err := store.NewRedis(client, newCodec(t), newKeys(t, "app1:secure"))
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Ping(ctx).Err(); err != nil { // the connection's handshake, not counted
		t.Fatal(err)
	}
	before := rt.n.Load()
	if err := s.Set(ctx, "k", "v", gocachestore.WithTags([]string{"a", "b"}), gocachestore.WithTagsTTL(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := rt.n.Load() - before; n != 1 {
		t.Errorf("Set with two tags took %d round trips, want 1", n)
	}
	for _, tag := range []string{"a", "b"} {
		tk := "app1:secure:gocache_tag:" + tag
		if !client.SIsMember(ctx, tk, "app1:secure:1:k").Val() {
			t.Errorf("%s does not list the key", tk)
		}
		if ttl := client.PTTL(ctx, tk).Val(); ttl <= 0 || ttl > time.Hour {
			t.Errorf("%s PTTL = %v, want the tags TTL", tk, ttl)
		}
	}
	if err := s.Invalidate(ctx, gocachestore.WithInvalidateTags([]string{"b"})); err != nil {
		t.Fatal(err)
	}
	if client.Exists(ctx, "app1:secure:1:k").Val() != 0 {
		t.Error("Invalidate left the tagged entry")
	}
	// Without tags, one plain SET.
	before = rt.n.Load()
	if err := s.Set(ctx, "plain", "v"); err != nil {
		t.Fatal(err)
	}
	if n := rt.n.Load() - before; n != 1 {
		t.Errorf("Set without tags took %d round trips, want 1", n)
	}
}
