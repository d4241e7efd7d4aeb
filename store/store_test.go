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
	gocacheredis "github.com/eko/gocache/store/redis/v4"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/store"
)

func newRedisStore(t *testing.T, opts ...store.Option) (*store.EncryptingStore, *redis.Client) {
	t.Helper()
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	s, err := store.NewRedis(client, newCodec(t), newKeys(t, "app1:secure"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s, client
}

func TestRoundTripTypes(t *testing.T) {
	s, client := newRedisStore(t)
	ctx := t.Context()
	tests := []struct {
		name  string
		value any
		want  any
	}{
		{"string", "s3cret", "s3cret"},
		{"empty string", "", ""},
		{"bytes", []byte{0, 1, 2, 255}, []byte{0, 1, 2, 255}},
		{"empty bytes", []byte{}, []byte{}},
		{"int64", int64(42), int64(42)},
		{"float", 1.5, 1.5},
		{"bool", true, true},
		{"map", map[string]any{"a": int64(1), "b": []any{"x", 2.5}}, map[string]any{"a": int64(1), "b": []any{"x", 2.5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Set(ctx, tt.name, tt.value); err != nil {
				t.Fatal(err)
			}
			got, err := s.Get(ctx, tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Get (-want +got):\n%s", diff)
			}
			raw, err := client.Get(ctx, "app1:secure:1:"+tt.name).Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(raw[:6], []byte("gAAAAA")) {
				t.Errorf("stored value is not a Fernet token: %q", raw[:6])
			}
		})
	}
}

func TestMissAndDelete(t *testing.T) {
	s, _ := newRedisStore(t)
	ctx := t.Context()
	_, err := s.Get(ctx, "absent")
	if !errors.Is(err, gocachestore.NotFound{}) {
		t.Fatalf("Get(absent) = %v, want NotFound", err)
	}
	if err := s.Delete(ctx, "absent"); err != nil {
		t.Fatalf("Delete(absent) = %v", err)
	}
	if err := s.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, gocachestore.NotFound{}) {
		t.Fatalf("Get after Delete = %v, want NotFound", err)
	}
}

func TestExpiration(t *testing.T) {
	s, client := newRedisStore(t, store.WithDefaultExpiration(time.Hour))
	ctx := t.Context()
	written := testkit.StartStopwatch()
	if err := s.Set(ctx, "default", "v"); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "short", "v", gocachestore.WithExpiration(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "forever", "v", gocachestore.WithExpiration(store.NoExpiration)); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]time.Duration{"default": time.Hour, "short": 10 * time.Second, "forever": 0} {
		_, ttl, err := s.GetWithTTL(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if !written.Remains(ttl, want) {
			t.Errorf("GetWithTTL(%s) ttl = %v, want what is left of %v after %v", key, ttl, want, written.Elapsed())
		}
	}
	if got := client.PTTL(ctx, "app1:secure:1:forever").Val(); got != -1 {
		t.Errorf("persistent key PTTL = %v, want -1", got)
	}
	if _, _, err := s.GetWithTTL(ctx, "absent"); !errors.Is(err, gocachestore.NotFound{}) {
		t.Errorf("GetWithTTL(absent) = %v, want NotFound", err)
	}
	if err := s.Set(ctx, "neg", "v", gocachestore.WithExpiration(-time.Second)); !errors.Is(err, store.ErrInvalidExpiration) {
		t.Errorf("negative expiration: %v", err)
	}
	if _, err := store.NewRedis(client, newCodec(t), newKeys(t, "p"), store.WithDefaultExpiration(-1)); !errors.Is(err, store.ErrInvalidExpiration) {
		t.Errorf("negative default expiration: %v", err)
	}
	// An entry really expires.
	if err := s.Set(ctx, "gone", "v", gocachestore.WithExpiration(50*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(120 * time.Millisecond)
	if _, err := s.Get(ctx, "gone"); !errors.Is(err, gocachestore.NotFound{}) {
		t.Errorf("expired Get = %v, want NotFound", err)
	}
}

func TestSetIfNotExists(t *testing.T) {
	s, _ := newRedisStore(t)
	ctx := t.Context()
	ok, err := s.SetIfNotExists(ctx, "k", "first", gocachestore.WithExpiration(time.Minute))
	if err != nil || !ok {
		t.Fatalf("first SetIfNotExists = %v, %v", ok, err)
	}
	ok, err = s.SetIfNotExists(ctx, "k", "second")
	if err != nil || ok {
		t.Fatalf("second SetIfNotExists = %v, %v, want false", ok, err)
	}
	if v, _ := s.Get(ctx, "k"); v != "first" {
		t.Errorf("value = %v, want first", v)
	}
	_, ttl, _ := s.GetWithTTL(ctx, "k")
	if ttl <= 0 || ttl > time.Minute {
		t.Errorf("ttl = %v", ttl)
	}
	// Concurrent adds: exactly one wins.
	var wins sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range 20 {
		wins.Go(func() {
			ok, err := s.SetIfNotExists(ctx, "race", fmt.Sprint(i))
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				won++
				mu.Unlock()
			}
		})
	}
	wins.Wait()
	if won != 1 {
		t.Errorf("%d concurrent SetIfNotExists won, want 1", won)
	}
}

func TestBadInput(t *testing.T) {
	var failed []string
	var mu sync.Mutex
	s, client := newRedisStore(t, store.WithDecryptFailureHook(func(_ context.Context, key string) {
		mu.Lock()
		failed = append(failed, key)
		mu.Unlock()
	}))
	ctx := t.Context()
	if err := s.Set(ctx, 42, "v"); !errors.Is(err, store.ErrInvalidKey) {
		t.Errorf("Set(int key) = %v", err)
	}
	if _, err := s.Get(ctx, struct{}{}); !errors.Is(err, store.ErrInvalidKey) {
		t.Errorf("Get(struct key) = %v", err)
	}
	if _, _, err := s.GetWithTTL(ctx, 1.5); !errors.Is(err, store.ErrInvalidKey) {
		t.Errorf("GetWithTTL(float key) = %v", err)
	}
	if err := s.Delete(ctx, nil); !errors.Is(err, store.ErrInvalidKey) {
		t.Errorf("Delete(nil key) = %v", err)
	}
	if err := s.Set(ctx, "k", nil); !errors.Is(err, store.ErrNilValue) {
		t.Errorf("Set(nil value) = %v", err)
	}
	if err := s.Set(ctx, "k", make(chan int)); !errors.Is(err, codec.ErrUnsupportedValue) {
		t.Errorf("Set(chan) = %v", err)
	}

	// Entries that must read as misses caused by ErrInvalidToken.
	if err := s.Set(ctx, "victim", "alice's secret"); err != nil {
		t.Fatal(err)
	}
	tok := client.Get(ctx, "app1:secure:1:victim").Val()
	other, err := store.NewRedis(client, newCodec(t, otherKey), newKeys(t, "app1:secure"))
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Set(ctx, "wrongkey", "v"); err != nil {
		t.Fatal(err)
	}
	planted := map[string]string{
		"app1:secure:1:plain":     "hello in clear",
		"app1:secure:1:moved":     tok,
		"app1:secure:1:truncated": tok[:len(tok)-5],
		"app1:secure:1:tampered":  tok[:40] + flip(tok[40]) + tok[41:],
		"app1:secure:1:notbase64": "%%%not base64%%%",
		"app1:secure:1:empty":     "",
	}
	for k, v := range planted {
		client.Set(ctx, k, v, 0)
	}
	keys := []string{"wrongkey", "plain", "moved", "truncated", "tampered", "notbase64", "empty"}
	for _, k := range keys {
		_, err := s.Get(ctx, k)
		if !errors.Is(err, gocachestore.NotFound{}) || !errors.Is(err, codec.ErrInvalidToken) {
			t.Errorf("Get(%s) = %v, want NotFound caused by ErrInvalidToken", k, err)
		}
		if err != nil && (strings.Contains(err.Error(), "alice") || strings.Contains(err.Error(), "hello")) {
			t.Errorf("error leaks the value: %v", err)
		}
	}
	if got := s.DecryptFailures(); got != uint64(len(keys)) {
		t.Errorf("DecryptFailures = %d, want %d", got, len(keys))
	}
	slices.Sort(failed)
	want := slices.Clone(keys)
	slices.Sort(want)
	if !slices.Equal(failed, want) {
		t.Errorf("hook saw %v, want %v", failed, want)
	}
	// Nothing was touched: the planted entries are still there, unchanged.
	for k, v := range planted {
		if got := client.Get(ctx, k).Val(); got != v {
			t.Errorf("%s changed to %q", k, got)
		}
	}
	// The application recomputes and overwrites: the key works again.
	if err := s.Set(ctx, "plain", "fresh"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get(ctx, "plain"); err != nil || v != "fresh" {
		t.Errorf("after overwrite Get = %v, %v", v, err)
	}
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

func TestClearOnlyOwnPrefix(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	db1 := srv.Client(t, 1)
	ctx := t.Context()
	s, err := store.NewRedis(client, newCodec(t), newKeys(t, "app1"), store.WithScanCount(7))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 250 {
		if err := s.Set(ctx, fmt.Sprintf("k%d", i), "v", gocachestore.WithTags([]string{"t"})); err != nil {
			t.Fatal(err)
		}
	}
	client.Set(ctx, "app1:2:other-version", "x", 0) // same scheme, version 2: cleared
	survivors := []string{
		"app1:secure:1:k", // the secure alias sharing the first characters
		"app10:1:k",       // another app
		"app1",            // the bare prefix
		"app1:x:k",        // not a versioned key
		"gocache_tag_t",   // gocache's own tag keys are not ours
		"other",
	}
	for _, k := range survivors {
		client.Set(ctx, k, "keep", 0)
	}
	db1.Set(ctx, "app1:1:k0", "other db", 0)
	if err := s.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	got := redistest.Keys(t, client)
	slices.Sort(got)
	want := slices.Clone(survivors)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("after Clear keys = %v, want %v", got, want)
	}
	if db1.Get(ctx, "app1:1:k0").Val() != "other db" {
		t.Error("Clear touched another database")
	}
}

func TestClearGlobPrefix(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	s, err := store.NewRedis(client, newCodec(t), newKeys(t, `a*[b]?\c`))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	client.Set(ctx, `aXXbYc:1:k`, "keep", 0)
	client.Set(ctx, `ab?\c:1:k`, "keep", 0)
	if err := s.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(redistest.Keys(t, client)); n != 2 {
		t.Errorf("%d keys left, want the 2 look-alikes", n)
	}
}

func TestTagsInvalidate(t *testing.T) {
	s, client := newRedisStore(t)
	ctx := t.Context()
	for i := range 5 {
		tags := []string{"even"}
		if i%2 == 1 {
			tags = []string{"odd"}
		}
		if err := s.Set(ctx, fmt.Sprint(i), "v", gocachestore.WithTags(tags)); err != nil {
			t.Fatal(err)
		}
	}
	// A foreign key planted in our tag set must not be deleted.
	client.SAdd(ctx, "app1:secure:gocache_tag:even", "foreign")
	client.Set(ctx, "foreign", "keep", 0)
	if err := s.Invalidate(ctx, gocachestore.WithInvalidateTags([]string{"even"})); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		_, err := s.Get(ctx, fmt.Sprint(i))
		if gone := errors.Is(err, gocachestore.NotFound{}); gone != (i%2 == 0) {
			t.Errorf("key %d: err = %v", i, err)
		}
	}
	if client.Get(ctx, "foreign").Val() != "keep" {
		t.Error("Invalidate deleted a key outside the prefix")
	}
	if client.Exists(ctx, "app1:secure:gocache_tag:even").Val() != 0 {
		t.Error("tag set not removed")
	}
}

// A tag set is read a page at a time (SSCAN with the scan count), so a set
// many pages long, planted members mixed in, is invalidated whole, and only
// the store's own entries go.
func TestTagsInvalidateLargeSet(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	s, err := store.NewRedis(client, newCodec(t), newKeys(t, "app1:secure"), store.WithScanCount(3))
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	for i := range n {
		if err := s.Set(ctx, fmt.Sprint(i), "v", gocachestore.WithTags([]string{"big"})); err != nil {
			t.Fatal(err)
		}
		client.SAdd(ctx, "app1:secure:gocache_tag:big", fmt.Sprintf("foreign-%d", i))
	}
	client.Set(ctx, "foreign-7", "keep", 0)
	pages := 0
	if err := s.TagSetMembers(ctx, "app1:secure:gocache_tag:big", func(m []string) error { pages++; return nil }); err != nil {
		t.Fatal(err)
	}
	if pages < 10 {
		t.Fatalf("%d pages for %d members at scan count 3", pages, 2*n)
	}
	if err := s.Invalidate(ctx, gocachestore.WithInvalidateTags([]string{"big"})); err != nil {
		t.Fatal(err)
	}
	if left := redistest.Keys(t, client); len(left) != 1 || left[0] != "foreign-7" {
		t.Fatalf("after Invalidate: %d keys left, want the foreign one", len(left))
	}
}

func TestDecoratedGocacheRedisStoreRefusesFlushAll(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	client.Set(ctx, "neighbour", "keep", 0)
	s, err := store.New(gocacheredis.NewRedis(client), newCodec(t), newKeys(t, "app1:secure"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "k", "v", gocachestore.WithExpiration(time.Minute)); err != nil {
		t.Fatal(err)
	}
	v, ttl, err := s.GetWithTTL(ctx, "k")
	if err != nil || v != "v" || ttl <= 0 {
		t.Fatalf("GetWithTTL = %v, %v, %v", v, ttl, err)
	}
	if err := s.Clear(ctx); !errors.Is(err, store.ErrClearUnsafe) {
		t.Errorf("Clear = %v, want ErrClearUnsafe", err)
	}
	if err := s.Set(ctx, "k", "v", gocachestore.WithTags([]string{"t"})); !errors.Is(err, store.ErrTagsUnsafe) {
		t.Errorf("Set with tags = %v, want ErrTagsUnsafe", err)
	}
	if client.Get(ctx, "neighbour").Val() != "keep" {
		t.Error("neighbour lost")
	}
	if got := s.GetType(); got != "secure-redis" {
		t.Errorf("GetType = %q", got)
	}
	if _, err := s.SetIfNotExists(ctx, "x", "v"); !errors.Is(err, gocachestore.ErrNotSupported) {
		t.Errorf("SetIfNotExists on a plain inner store = %v, want ErrNotSupported", err)
	}
}

func TestConstructorsValidate(t *testing.T) {
	c, k := newCodec(t), newKeys(t, "p")
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer client.Close()
	tests := []struct {
		name string
		err  error
	}{
		{"nil client", func() error { _, err := store.NewRedis(nil, c, k); return err }()},
		{"nil codec", func() error { _, err := store.NewRedis(client, nil, k); return err }()},
		{"nil keys", func() error { _, err := store.NewRedis(client, c, nil); return err }()},
		{"nil inner", func() error { _, err := store.New(nil, c, k); return err }()},
		{"bad scan count", func() error { _, err := store.NewRedis(client, c, k, store.WithScanCount(0)); return err }()},
	}
	for _, tt := range tests {
		if tt.err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	s, _ := newRedisStore(t)
	ctx := t.Context()
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 50 {
				key := fmt.Sprintf("g%d-%d", g%4, i%10)
				want := fmt.Sprintf("%s-value", key)
				if err := s.Set(ctx, key, want); err != nil {
					t.Error(err)
					return
				}
				v, err := s.Get(ctx, key)
				if err != nil && !errors.Is(err, gocachestore.NotFound{}) {
					t.Error(err)
					return
				}
				if err == nil && v != want {
					t.Errorf("Get(%s) = %v", key, v)
				}
				if i%7 == 0 {
					_ = s.Delete(ctx, key)
				}
			}
		})
	}
	wg.Wait()
	if n := s.DecryptFailures(); n != 0 {
		t.Errorf("%d decrypt failures under concurrency", n)
	}
}
