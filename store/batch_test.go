package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	gocachego "github.com/eko/gocache/store/go_cache/v4"
	"github.com/google/go-cmp/cmp"
	gocache "github.com/patrickmn/go-cache"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/store"
)

// outcome is a Result reduced to what tests compare.
type outcome struct {
	Value   any
	Found   bool
	Miss    bool // NotFound
	Invalid bool // NotFound caused by codec.ErrInvalidToken
}

func outcomes(res []store.Result) []outcome {
	out := make([]outcome, len(res))
	for i, r := range res {
		out[i] = outcome{
			Value:   r.Value,
			Found:   r.Found(),
			Miss:    errors.Is(r.Err, gocachestore.NotFound{}),
			Invalid: errors.Is(r.Err, codec.ErrInvalidToken),
		}
	}
	return out
}

// getManyVariants are the batch strategies: the one the client picks and the
// forced ones, which must all agree on a single node.
var getManyVariants = []struct {
	name string
	get  func(s *store.EncryptingStore, ctx context.Context, keys []string) ([]store.Result, error)
}{
	{"auto", (*store.EncryptingStore).GetMany},
	{"per-key", (*store.EncryptingStore).GetManyPerKey},
	{"per-slot", (*store.EncryptingStore).GetManyPerSlot},
}

func TestGetMany(t *testing.T) {
	var mu sync.Mutex
	var failed []string
	s, client := newRedisStore(t, store.WithDecryptFailureHook(func(_ context.Context, key string) {
		mu.Lock()
		failed = append(failed, key)
		mu.Unlock()
	}))
	ctx := t.Context()
	for _, k := range []string{"a", "b", "c"} {
		if err := s.Set(ctx, k, "value-"+k); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Set(ctx, "n", int64(42)); err != nil {
		t.Fatal(err)
	}
	// Undecryptable: plaintext planted under the prefix, and a's token copied
	// under another key.
	client.Set(ctx, "app1:secure:1:planted", "plain text", 0)
	client.Set(ctx, "app1:secure:1:moved", client.Get(ctx, "app1:secure:1:a").Val(), 0)
	keys := []string{"c", "absent", "a", "planted", "b", "a", "moved", "n"}
	want := []outcome{
		{Value: "value-c", Found: true},
		{Miss: true},
		{Value: "value-a", Found: true},
		{Miss: true, Invalid: true},
		{Value: "value-b", Found: true},
		{Value: "value-a", Found: true},
		{Miss: true, Invalid: true},
		{Value: int64(42), Found: true},
	}
	for i, v := range getManyVariants {
		t.Run(v.name, func(t *testing.T) {
			res, err := v.get(s, ctx, keys)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, outcomes(res)); diff != "" {
				t.Errorf("GetMany (-want +got):\n%s", diff)
			}
			if got := s.DecryptFailures(); got != uint64(2*(i+1)) {
				t.Errorf("DecryptFailures = %d, want %d", got, 2*(i+1))
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if want := slices.Repeat([]string{"planted", "moved"}, 3); !slices.Equal(failed, want) {
		t.Errorf("hook got %v, want %v", failed, want)
	}
	if res, err := s.GetMany(ctx, nil); err != nil || len(res) != 0 {
		t.Errorf("GetMany(nil) = %v, %v", res, err)
	}
}

// TestGetManyLarge crosses the parallel-decode threshold and the per-command
// key limit.
func TestGetManyLarge(t *testing.T) {
	s, _ := newRedisStore(t)
	ctx := t.Context()
	const n = 1500
	entries := make([]store.Entry, n)
	keys := make([]string, n+1)
	for i := range n {
		entries[i] = store.Entry{Key: fmt.Sprintf("k%04d", i), Value: fmt.Sprintf("v%04d", i)}
		keys[i] = entries[i].Key
	}
	keys[n] = "absent"
	if err := s.SetMany(ctx, entries); err != nil {
		t.Fatal(err)
	}
	for _, v := range getManyVariants {
		t.Run(v.name, func(t *testing.T) {
			res, err := v.get(s, ctx, keys)
			if err != nil {
				t.Fatal(err)
			}
			for i := range n {
				if res[i].Value != entries[i].Value || res[i].Err != nil {
					t.Fatalf("key %s: %v, %v", keys[i], res[i].Value, res[i].Err)
				}
			}
			if res[n].Found() || !errors.Is(res[n].Err, gocachestore.NotFound{}) {
				t.Errorf("absent: %v", res[n].Err)
			}
		})
	}
}

func TestSetManyExpiration(t *testing.T) {
	s, client := newRedisStore(t, store.WithDefaultExpiration(time.Hour))
	ctx := t.Context()
	entries := []store.Entry{
		{Key: "default", Value: "x"},
		{Key: "own", Value: []byte("y"), TTL: time.Minute},
		{Key: "map", Value: map[string]any{"a": int64(1)}},
	}
	written := testkit.StartStopwatch()
	if err := s.SetMany(ctx, entries); err != nil {
		t.Fatal(err)
	}
	ttl := func(k string) time.Duration { return client.PTTL(ctx, "app1:secure:1:"+k).Val() }
	if d := ttl("default"); !written.Remains(d, time.Hour) {
		t.Errorf("default TTL = %v, want the store's 1h", d)
	}
	if d := ttl("own"); !written.Remains(d, time.Minute) {
		t.Errorf("own TTL = %v, want 1m", d)
	}
	// A shared expiration: NoExpiration for the batch, a TTL for one entry.
	written = testkit.StartStopwatch()
	if err := s.SetMany(ctx, entries, gocachestore.WithExpiration(store.NoExpiration)); err != nil {
		t.Fatal(err)
	}
	if d := ttl("default"); d != -1 {
		t.Errorf("batch NoExpiration: TTL = %v, want persistent", d)
	}
	if d := ttl("own"); !written.Remains(d, time.Minute) {
		t.Errorf("own TTL in a persistent batch = %v, want 1m", d)
	}
	res, err := s.GetMany(ctx, []string{"default", "own", "map"})
	if err != nil {
		t.Fatal(err)
	}
	want := []outcome{{Value: "x", Found: true}, {Value: []byte("y"), Found: true}, {Value: map[string]any{"a": int64(1)}, Found: true}}
	if diff := cmp.Diff(want, outcomes(res)); diff != "" {
		t.Errorf("GetMany (-want +got):\n%s", diff)
	}
}

func TestSetManyRejectsBadEntriesWritingNothing(t *testing.T) {
	s, client := newRedisStore(t)
	ctx := t.Context()
	tests := []struct {
		name    string
		entries []store.Entry
		opts    []gocachestore.Option
		want    error
	}{
		{"nil value", []store.Entry{{Key: "ok", Value: "v"}, {Key: "nil"}}, nil, store.ErrNilValue},
		{"negative TTL", []store.Entry{{Key: "ok", Value: "v"}, {Key: "neg", Value: "v", TTL: -time.Second}}, nil, store.ErrInvalidExpiration},
		{"negative batch expiration", []store.Entry{{Key: "ok", Value: "v"}}, []gocachestore.Option{gocachestore.WithExpiration(-time.Second)}, store.ErrInvalidExpiration},
		{"unsupported value", []store.Entry{{Key: "ok", Value: "v"}, {Key: "chan", Value: make(chan int)}}, nil, codec.ErrUnsupportedValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.SetMany(ctx, tt.entries, tt.opts...); !errors.Is(err, tt.want) {
				t.Errorf("SetMany = %v, want %v", err, tt.want)
			}
			if keys := redistest.Keys(t, client); len(keys) != 0 {
				t.Errorf("a rejected batch wrote %v", keys)
			}
		})
	}
	if err := s.SetMany(ctx, nil); err != nil {
		t.Errorf("SetMany(nil) = %v", err)
	}
}

func TestSetManyTagsAndDeleteMany(t *testing.T) {
	s, client := newRedisStore(t)
	ctx := t.Context()
	client.Set(ctx, "app10:1:a", "other app", 0)
	entries := []store.Entry{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}, {Key: "c", Value: "3"}}
	if err := s.SetMany(ctx, entries, gocachestore.WithTags([]string{"t"})); err != nil {
		t.Fatal(err)
	}
	if err := s.Invalidate(ctx, gocachestore.WithInvalidateTags([]string{"t"})); err != nil {
		t.Fatal(err)
	}
	if n := client.Exists(ctx, "app1:secure:1:a", "app1:secure:1:b", "app1:secure:1:c").Val(); n != 0 {
		t.Errorf("Invalidate left %d tagged entries", n)
	}
	if err := s.SetMany(ctx, entries); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteMany(ctx, []string{"a", "c", "absent", "a"}); err != nil {
		t.Fatal(err)
	}
	got := redistest.Keys(t, client)
	slices.Sort(got)
	if want := []string{"app10:1:a", "app1:secure:1:b"}; !slices.Equal(got, want) {
		t.Errorf("after DeleteMany: %v, want %v", got, want)
	}
	if err := s.DeleteMany(ctx, nil); err != nil {
		t.Errorf("DeleteMany(nil) = %v", err)
	}
}

func TestBatchesRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1})
	t.Cleanup(func() { _ = client.Close() })
	s, err := store.NewRedis(client, newCodec(t), newKeys(t, "app1:secure"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	srv.Stop()
	res, err := s.GetMany(ctx, []string{"a", "b"})
	if err == nil || errors.Is(err, gocachestore.NotFound{}) {
		t.Errorf("GetMany on a stopped server: err = %v", err)
	}
	for i, r := range res {
		if r.Found() || r.Err == nil || errors.Is(r.Err, gocachestore.NotFound{}) {
			t.Errorf("result %d = %v, %v; want the Redis error", i, r.Value, r.Err)
		}
	}
	if err := s.SetMany(ctx, []store.Entry{{Key: "a", Value: "v"}}); err == nil {
		t.Error("SetMany on a stopped server succeeded")
	}
	if err := s.DeleteMany(ctx, []string{"a"}); err == nil {
		t.Error("DeleteMany on a stopped server succeeded")
	}
}

func TestGetManyFallback(t *testing.T) {
	fb := &mapFallback{values: map[string]string{"old": "from old alias"}}
	s, client := newRedisStore(t)
	s2, err := store.NewRedis(client, s.Codec(), s.Keys(), store.WithFallback(fb, time.Now().Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := s2.Set(ctx, "new", "v"); err != nil {
		t.Fatal(err)
	}
	res, err := s2.GetMany(ctx, []string{"new", "old", "absent"})
	if err != nil {
		t.Fatal(err)
	}
	want := []outcome{{Value: "v", Found: true}, {Value: "from old alias", Found: true}, {Miss: true}}
	if diff := cmp.Diff(want, outcomes(res)); diff != "" {
		t.Errorf("GetMany (-want +got):\n%s", diff)
	}
	if v, err := s.Get(ctx, "old"); err != nil || v != "from old alias" {
		t.Errorf("fallback value not promoted: %v, %v", v, err)
	}
}

func TestBatchesInMemory(t *testing.T) {
	mem := gocache.New(time.Minute, time.Minute)
	s, err := store.New(gocachego.NewGoCache(mem), newCodec(t), newKeys(t, "app1:secure"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	written := testkit.StartStopwatch()
	err = s.SetMany(ctx, []store.Entry{{Key: "a", Value: "1"}, {Key: "b", Value: "2", TTL: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	if _, exp, ok := mem.GetWithExpiration("app1:secure:1:b"); !ok || !written.Remains(time.Until(exp), time.Hour) {
		t.Errorf("b expires at %v", exp)
	}
	mem.Set("app1:secure:1:bad", []byte("not a token"), 0)
	res, err := s.GetMany(ctx, []string{"b", "x", "a", "bad"})
	if err != nil {
		t.Fatal(err)
	}
	want := []outcome{{Value: "2", Found: true}, {Miss: true}, {Value: "1", Found: true}, {Miss: true, Invalid: true}}
	if diff := cmp.Diff(want, outcomes(res)); diff != "" {
		t.Errorf("GetMany (-want +got):\n%s", diff)
	}
	if err := s.DeleteMany(ctx, []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	if mem.ItemCount() != 1 {
		t.Errorf("DeleteMany left %d items, want 1", mem.ItemCount())
	}
}

func TestHashSlot(t *testing.T) {
	// Values from the Redis Cluster specification and CLUSTER KEYSLOT.
	for key, want := range map[string]uint16{
		"123456789":            12739,
		"foo":                  12182,
		"bar":                  5061,
		"{user1000}.following": store.HashSlot("user1000"),
		"{user1000}.followers": store.HashSlot("user1000"),
		"foo{}{bar}":           store.HashSlot("foo{}{bar}"),
		"foo{{bar}}zap":        store.HashSlot("{bar"),
		"foo{bar}{zap}":        store.HashSlot("bar"),
	} {
		if got := store.HashSlot(key); got != want {
			t.Errorf("HashSlot(%q) = %d, want %d", key, got, want)
		}
	}
	if store.HashSlot("foo{}{bar}") == store.HashSlot("bar") {
		t.Error("an empty hash tag must hash the whole key")
	}
}

// checkWrongTypeAgrees reads keys with Get and with every GetMany variant:
// for each key, the Result's error is the one Get returns (WRONGTYPE for a
// key of another Redis type, which MGET alone reads as absent), and
// GetMany's own error is the first of them.
func checkWrongTypeAgrees(t *testing.T, s *store.EncryptingStore, keys []string, wrong map[string]bool) {
	t.Helper()
	ctx := t.Context()
	want := make([]error, len(keys))
	for i, k := range keys {
		_, want[i] = s.Get(ctx, k)
		if wrong[k] && (want[i] == nil || !strings.HasPrefix(want[i].Error(), "WRONGTYPE")) {
			t.Fatalf("Get(%s) = %v, want WRONGTYPE", k, want[i])
		}
	}
	failures := s.DecryptFailures()
	for _, v := range getManyVariants {
		res, err := v.get(s, ctx, keys)
		first := error(nil)
		for i, r := range res {
			if fmt.Sprint(r.Err) != fmt.Sprint(want[i]) || errors.Is(r.Err, gocachestore.NotFound{}) != errors.Is(want[i], gocachestore.NotFound{}) {
				t.Errorf("%s: GetMany[%s].Err = %v, Get = %v", v.name, keys[i], r.Err, want[i])
			}
			if first == nil && wrong[keys[i]] {
				first = r.Err
			}
		}
		if err == nil || err != first {
			t.Errorf("%s: GetMany error = %v, want the first WRONGTYPE %v", v.name, err, first)
		}
	}
	if got := s.DecryptFailures(); got != failures {
		t.Errorf("DecryptFailures went from %d to %d: a WRONGTYPE key is not a decrypt failure", failures, got)
	}
}

// TestGetManyWrongType: a key holding a list or a hash under the prefix is
// the WRONGTYPE error from GetMany as from Get, not a miss.
func TestGetManyWrongType(t *testing.T) {
	s, client := newRedisStore(t)
	ctx := t.Context()
	if err := s.Set(ctx, "a", "value-a"); err != nil {
		t.Fatal(err)
	}
	client.LPush(ctx, "app1:secure:1:list", "x")
	client.HSet(ctx, "app1:secure:1:hash", "f", "v")
	checkWrongTypeAgrees(t, s, []string{"a", "list", "absent", "hash", "a", "list"}, map[string]bool{"list": true, "hash": true})
}
