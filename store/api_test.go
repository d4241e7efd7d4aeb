package store_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	gocachego "github.com/eko/gocache/store/go_cache/v4"
	"github.com/google/go-cmp/cmp"
	gocache "github.com/patrickmn/go-cache"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/store"
)

// rawClient is what the tests use to look at Redis behind the store's back.
type rawClient interface {
	store.Rediser
	Set(ctx context.Context, key string, value any, expiration time.Duration) *redis.StatusCmd
	PTTL(ctx context.Context, key string) *redis.DurationCmd
	Exists(ctx context.Context, keys ...string) *redis.IntCmd
}

// topologies are the deployments every Django cache API operation must work
// on.
var topologies = []struct {
	name   string
	client func(t *testing.T) rawClient
}{
	{"single", func(t *testing.T) rawClient { return redistest.Start(t).Client(t, 0) }},
	{"cluster", func(t *testing.T) rawClient {
		return redistest.StartCluster(t, redistest.WithReplicas(0)).Client(t)
	}},
	{"sentinel", func(t *testing.T) rawClient { return redistest.StartSentinel(t).Client(t, 0) }},
}

// outsiders are keys the store must never touch: another prefix, a prefix
// that only starts like ours, another version, a lock, and a key whose name
// is a glob.
var outsiders = []string{"other:1:n", "app1:securex:1:n", "app1:secure:2:n", "app1:secure:lock:n", "app1:secure:1:*", "n"}

func plantOutsiders(t *testing.T, c rawClient) {
	t.Helper()
	for _, k := range outsiders {
		if err := c.Set(t.Context(), k, "keep", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

func checkOutsiders(t *testing.T, c rawClient) {
	t.Helper()
	for _, k := range outsiders {
		if v, err := c.Get(context.Background(), k).Result(); err != nil || v != "keep" {
			t.Errorf("outsider %q = %q, %v; want it untouched", k, v, err)
		}
	}
}

func TestDjangoAPI(t *testing.T) {
	for _, topo := range topologies {
		t.Run(topo.name, func(t *testing.T) {
			c := topo.client(t)
			s, err := store.NewRedis(c, newCodec(t), newKeys(t, "app1:secure"), store.WithScanCount(7))
			if err != nil {
				t.Fatal(err)
			}
			plantOutsiders(t, c)
			t.Run("expiry", func(t *testing.T) { testExpiry(t, s, c) })
			t.Run("keys", func(t *testing.T) { testKeys(t, s) })
			t.Run("incr", func(t *testing.T) { testIncr(t, s, c) })
			t.Run("versions", func(t *testing.T) { testVersions(t, s, c) })
			t.Run("get or set", func(t *testing.T) { testGetOrSet(t, s, c) })
			t.Run("lock", func(t *testing.T) { testLock(t, s, c) })
			checkOutsiders(t, c)
		})
	}
}

func isMissing(err error) bool {
	return errors.Is(err, store.ErrKeyMissing) && errors.Is(err, gocachestore.NotFound{})
}

func testExpiry(t *testing.T, s *store.EncryptingStore, c rawClient) {
	ctx := t.Context()
	if _, err := s.TTL(ctx, "e:none"); !isMissing(err) {
		t.Errorf("TTL of a missing key: %v, want ErrKeyMissing and NotFound", err)
	}
	if err := s.Set(ctx, "e:persist", "v"); err != nil {
		t.Fatal(err)
	}
	if d, err := s.TTL(ctx, "e:persist"); err != nil || d != store.Persistent {
		t.Errorf("TTL of a persistent key = %v, %v; want Persistent", d, err)
	}
	if err := s.Set(ctx, "e:ttl", "v", gocachestore.WithExpiration(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if d, err := s.TTL(ctx, "e:ttl"); err != nil || d <= 59*time.Minute || d > time.Hour {
		t.Errorf("TTL = %v, %v; want about an hour", d, err)
	}
	for _, tt := range []struct {
		name string
		op   func(key string) (bool, error)
		want time.Duration // Persistent, or the minimum
	}{
		{"expire", func(k string) (bool, error) { return s.Expire(ctx, k, 2*time.Hour) }, 119 * time.Minute},
		{"expire at", func(k string) (bool, error) { return s.ExpireAt(ctx, k, time.Now().Add(3*time.Hour)) }, 179 * time.Minute},
		{"touch", func(k string) (bool, error) { return s.Touch(ctx, k, 4*time.Hour) }, 239 * time.Minute},
		{"touch none", func(k string) (bool, error) { return s.Touch(ctx, k, store.NoExpiration) }, store.Persistent},
		{"persist", func(k string) (bool, error) { return s.Persist(ctx, k) }, store.Persistent},
	} {
		if ok, err := tt.op("e:none"); err != nil || ok {
			t.Errorf("%s on a missing key = %v, %v; want false", tt.name, ok, err)
		}
		if ok, err := tt.op("e:ttl"); err != nil || !ok {
			t.Errorf("%s = %v, %v; want true", tt.name, ok, err)
		}
		d, err := s.TTL(ctx, "e:ttl")
		if err != nil || (tt.want == store.Persistent && d != store.Persistent) || (tt.want > 0 && d < tt.want) {
			t.Errorf("after %s TTL = %v, %v; want %v", tt.name, d, err, tt.want)
		}
		if v, err := s.Get(ctx, "e:ttl"); err != nil || v != "v" {
			t.Errorf("after %s Get = %v, %v", tt.name, v, err)
		}
	}
	if ok, err := s.Touch(ctx, "e:persist", store.NoExpiration); err != nil || !ok {
		t.Errorf("Touch(None) of a persistent key = %v, %v; want true", ok, err)
	}
	if _, err := s.Expire(ctx, "e:ttl", 0); !errors.Is(err, store.ErrInvalidExpiration) {
		t.Errorf("Expire(0) = %v", err)
	}
	if _, err := s.Touch(ctx, "e:ttl", -time.Second); !errors.Is(err, store.ErrInvalidExpiration) {
		t.Errorf("Touch(-1s) = %v", err)
	}
	if ok, err := s.ExpireAt(ctx, "e:persist", time.Now().Add(-time.Hour)); err != nil || !ok {
		t.Errorf("ExpireAt(past) = %v, %v", ok, err)
	}
	if ok, _ := s.HasKey(ctx, "e:persist"); ok {
		t.Error("ExpireAt in the past left the key")
	}
	if ok, err := s.HasKey(ctx, "e:ttl"); err != nil || !ok {
		t.Errorf("HasKey = %v, %v", ok, err)
	}
	// HasKey and TTL never decrypt: a token that does not decrypt exists.
	if err := c.Set(ctx, "app1:secure:1:e:junk", "not a token", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.HasKey(ctx, "e:junk"); err != nil || !ok {
		t.Errorf("HasKey(junk) = %v, %v", ok, err)
	}
	if d, err := s.TTL(ctx, "e:junk"); err != nil || d != store.Persistent {
		t.Errorf("TTL(junk) = %v, %v", d, err)
	}
	// Per-call version.
	if ok, _ := s.HasKey(ctx, "e:ttl", store.AtVersion(2)); ok {
		t.Error("HasKey at version 2 sees version 1")
	}

	// SetXX writes only over an existing key, with its own expiration.
	if ok, err := s.SetXX(ctx, "e:xx", "v"); err != nil || ok {
		t.Errorf("SetXX on a missing key = %v, %v", ok, err)
	}
	if ok, _ := s.HasKey(ctx, "e:xx"); ok {
		t.Error("SetXX created a key")
	}
	if ok, err := s.SetXX(ctx, "e:ttl", "w", gocachestore.WithExpiration(time.Minute)); err != nil || !ok {
		t.Errorf("SetXX = %v, %v", ok, err)
	}
	if v, _ := s.Get(ctx, "e:ttl"); v != "w" {
		t.Errorf("after SetXX Get = %v", v)
	}
	if d, _ := s.TTL(ctx, "e:ttl"); d <= 0 || d > time.Minute {
		t.Errorf("after SetXX TTL = %v", d)
	}
}

func testKeys(t *testing.T, s *store.EncryptingStore) {
	ctx := t.Context()
	var want []string
	for i := range 40 {
		k := fmt.Sprintf("k:user:%02d", i)
		if i%4 == 0 {
			k = fmt.Sprintf("k:{tag}:user:%02d", i)
		}
		if err := s.Set(ctx, k, int64(i)); err != nil {
			t.Fatal(err)
		}
		if i%4 != 0 {
			want = append(want, k)
		}
	}
	for _, k := range []string{"k:other", "k:user*", "k:[x]"} {
		if err := s.Set(ctx, k, int64(1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetVersion(ctx, "k:user:99", "v2", 2); err != nil {
		t.Fatal(err)
	}
	sorted := func(ks []string, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		ks = slices.Compact(slices.Sorted(slices.Values(ks)))
		return ks
	}
	got := sorted(s.KeysMatching(ctx, "k:user:*"))
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("KeysMatching(k:user:*) (-want +got):\n%s", d)
	}
	for _, tt := range []struct {
		pattern string
		want    []string
	}{
		{`k:user\*`, []string{"k:user*"}},
		{`k:\[x\]`, []string{"k:[x]"}},
		{"k:user:0[1-3]", []string{"k:user:01", "k:user:02", "k:user:03"}},
		{"k:user:1?", []string{"k:user:10", "k:user:11", "k:user:13", "k:user:14", "k:user:15", "k:user:17", "k:user:18", "k:user:19"}},
		{"k:user:[^0-2]5", []string{"k:user:35"}},
		{"nothing*", nil},
	} {
		if d := cmp.Diff(tt.want, sorted(s.KeysMatching(ctx, tt.pattern))); d != "" {
			t.Errorf("KeysMatching(%q) (-want +got):\n%s", tt.pattern, d)
		}
	}
	if got := sorted(s.KeysMatching(ctx, "k:user:*", store.AtVersion(2))); !slices.Equal(got, []string{"k:user:99"}) {
		t.Errorf("KeysMatching at version 2 = %q", got)
	}
	// The iterator stops when asked.
	n := 0
	for k, err := range s.IterKeys(ctx, "k:*") {
		if err != nil || k == "" {
			t.Fatal(k, err)
		}
		if n++; n == 3 {
			break
		}
	}

	dctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.DeletePattern(dctx, "k:*"); !errors.Is(err, context.Canceled) {
		t.Errorf("DeletePattern with a cancelled ctx = %v", err)
	}
	if n, err := s.DeletePattern(ctx, "k:user:*"); err != nil || n != int64(len(want)) {
		t.Errorf("DeletePattern = %d, %v; want %d", n, err, len(want))
	}
	if got := sorted(s.KeysMatching(ctx, "k:*")); len(got) != 3+10 {
		t.Errorf("left after DeletePattern: %q", got)
	}
	if n, err := s.DeletePattern(ctx, "k:*"); err != nil || n != 13 {
		t.Errorf("DeletePattern(k:*) = %d, %v", n, err)
	}
	if v, err := s.GetVersion(ctx, "k:user:99", 2); err != nil || v != "v2" {
		t.Errorf("version 2 after DeletePattern at version 1: %v, %v", v, err)
	}
	if ok, err := s.DeleteVersion(ctx, "k:user:99", 2); err != nil || !ok {
		t.Errorf("DeleteVersion = %v, %v", ok, err)
	}
}

func testIncr(t *testing.T, s *store.EncryptingStore, c rawClient) {
	ctx := t.Context()
	if _, err := s.Incr(ctx, "i:none", 1); !isMissing(err) {
		t.Errorf("Incr of a missing key: %v", err)
	}
	if ok, _ := s.HasKey(ctx, "i:none"); ok {
		t.Error("Incr created a missing key")
	}
	if n, err := s.Incr(ctx, "i:created", 5, store.CreateMissing()); err != nil || n != 5 {
		t.Errorf("Incr(CreateMissing) = %d, %v", n, err)
	}
	if err := s.Set(ctx, "i:n", int64(10), gocachestore.WithExpiration(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Incr(ctx, "i:n", 1); err != nil || n != 11 {
		t.Errorf("Incr = %d, %v", n, err)
	}
	if n, err := s.Decr(ctx, "i:n", 20); err != nil || n != -9 {
		t.Errorf("Decr = %d, %v", n, err)
	}
	if n, err := s.Incr(ctx, "i:n", 1<<40); err != nil || n != 1<<40-9 {
		t.Errorf("Incr(2^40) = %d, %v", n, err)
	}
	if v, err := s.Get(ctx, "i:n"); err != nil || v != int64(1<<40-9) {
		t.Errorf("Get after Incr = %v, %v", v, err)
	}
	if d, _ := s.TTL(ctx, "i:n"); d <= 59*time.Minute {
		t.Errorf("Incr lost the TTL: %v", d)
	}
	raw, _ := c.Get(ctx, "app1:secure:1:i:n").Result()
	if raw == "1099511627767" {
		t.Error("Incr wrote the value in clear")
	}

	if err := s.Set(ctx, "i:max", int64(math.MaxInt64-1)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Incr(ctx, "i:max", 2); !errors.Is(err, store.ErrOverflow) {
		t.Errorf("overflowing Incr = %v", err)
	}
	if v, _ := s.Get(ctx, "i:max"); v != int64(math.MaxInt64-1) {
		t.Errorf("overflowing Incr changed the value to %v", v)
	}
	if _, err := s.Decr(ctx, "i:max", math.MinInt64); !errors.Is(err, store.ErrOverflow) {
		t.Errorf("Decr(MinInt64) = %v", err)
	}
	if err := s.Set(ctx, "i:str", "12"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Incr(ctx, "i:str", 1); !errors.Is(err, store.ErrNotInteger) {
		t.Errorf("Incr of a string = %v", err)
	}
	if err := c.Set(ctx, "app1:secure:1:i:junk", "12", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Incr(ctx, "i:junk", 1); !errors.Is(err, codec.ErrInvalidToken) {
		t.Errorf("Incr of a plaintext value in native mode = %v", err)
	}
	if v, _ := c.Get(ctx, "app1:secure:1:i:junk").Result(); v != "12" {
		t.Errorf("Incr overwrote an entry it could not read: %q", v)
	}
	if n, err := s.Incr(ctx, "i:v2", 3, store.AtVersion(2), store.CreateMissing()); err != nil || n != 3 {
		t.Errorf("Incr at version 2 = %d, %v", n, err)
	}
	if ok, _ := s.HasKey(ctx, "i:v2"); ok {
		t.Error("Incr at version 2 wrote version 1")
	}
}

func testVersions(t *testing.T, s *store.EncryptingStore, c rawClient) {
	ctx := t.Context()
	if err := s.Set(ctx, "v:k", "one", gocachestore.WithExpiration(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if v, err := s.GetVersion(ctx, "v:k", 1); err != nil || v != "one" {
		t.Errorf("GetVersion(1) = %v, %v", v, err)
	}
	if _, err := s.GetVersion(ctx, "v:k", 2); !errors.Is(err, gocachestore.NotFound{}) {
		t.Errorf("GetVersion(2) = %v", err)
	}
	if v, err := s.IncrVersion(ctx, "v:k", 1); err != nil || v != 2 {
		t.Fatalf("IncrVersion = %d, %v", v, err)
	}
	if _, err := s.Get(ctx, "v:k"); !errors.Is(err, gocachestore.NotFound{}) {
		t.Errorf("version 1 still there after IncrVersion: %v", err)
	}
	if v, err := s.GetVersion(ctx, "v:k", 2); err != nil || v != "one" {
		t.Errorf("GetVersion(2) after the move = %v, %v", v, err)
	}
	if d, _ := s.TTL(ctx, "v:k", store.AtVersion(2)); d <= 59*time.Minute {
		t.Errorf("IncrVersion lost the TTL: %v", d)
	}
	// The token was re-bound: copied back by hand to version 1, it fails.
	tok, _ := c.Get(ctx, "app1:secure:2:v:k").Result()
	if err := c.Set(ctx, "app1:secure:1:v:k", tok, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "v:k"); !errors.Is(err, codec.ErrInvalidToken) {
		t.Errorf("a version-2 token read at version 1: %v", err)
	}
	// The target exists: nothing moves.
	if _, err := s.DecrVersion(ctx, "v:k", 1, store.AtVersion(2)); !errors.Is(err, store.ErrVersionExists) {
		t.Errorf("DecrVersion onto an existing key = %v", err)
	}
	if v, _ := s.GetVersion(ctx, "v:k", 2); v != "one" {
		t.Errorf("a refused move changed version 2: %v", v)
	}
	if _, err := s.DeleteVersion(ctx, "v:k", 1); err != nil {
		t.Fatal(err)
	}
	if v, err := s.DecrVersion(ctx, "v:k", 1, store.AtVersion(2)); err != nil || v != 1 {
		t.Errorf("DecrVersion = %d, %v", v, err)
	}
	if v, err := s.Get(ctx, "v:k"); err != nil || v != "one" {
		t.Errorf("after DecrVersion Get = %v, %v", v, err)
	}
	if _, err := s.IncrVersion(ctx, "v:none", 1); !isMissing(err) {
		t.Errorf("IncrVersion of a missing key = %v", err)
	}
	if err := s.SetVersion(ctx, "v:p", "p", 5); err != nil {
		t.Fatal(err)
	}
	if v, err := s.IncrVersion(ctx, "v:p", 3, store.AtVersion(5)); err != nil || v != 8 {
		t.Errorf("IncrVersion(5+3) = %d, %v", v, err)
	}
	if d, _ := s.TTL(ctx, "v:p", store.AtVersion(8)); d != store.Persistent {
		t.Errorf("a persistent entry moved with TTL %v", d)
	}
}

func testGetOrSet(t *testing.T, s *store.EncryptingStore, c rawClient) {
	ctx := t.Context()
	calls := 0
	fn := func(context.Context) (any, error) { calls++; return "computed", nil }
	if v, err := s.GetOrSet(ctx, "g:k", fn, gocachestore.WithExpiration(time.Hour)); err != nil || v != "computed" {
		t.Errorf("GetOrSet = %v, %v", v, err)
	}
	if v, err := s.GetOrSet(ctx, "g:k", fn); err != nil || v != "computed" || calls != 1 {
		t.Errorf("second GetOrSet = %v, %v, fn called %d times", v, err, calls)
	}
	if d, _ := s.TTL(ctx, "g:k"); d <= 59*time.Minute {
		t.Errorf("GetOrSet TTL = %v", d)
	}
	boom := errors.New("boom")
	if _, err := s.GetOrSet(ctx, "g:err", func(context.Context) (any, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("GetOrSet with a failing fn = %v", err)
	}
	if ok, _ := s.HasKey(ctx, "g:err"); ok {
		t.Error("a failing fn wrote something")
	}
	// An entry that does not decrypt is replaced, as Get reports a miss.
	if err := c.Set(ctx, "app1:secure:1:g:junk", "junk", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := s.GetOrSet(ctx, "g:junk", fn); err != nil || v != "computed" {
		t.Errorf("GetOrSet over junk = %v, %v", v, err)
	}
	if v, err := s.Get(ctx, "g:junk"); err != nil || v != "computed" {
		t.Errorf("after GetOrSet over junk Get = %v, %v", v, err)
	}
}

func testLock(t *testing.T, s *store.EncryptingStore, c rawClient) {
	ctx := t.Context()
	l, err := s.Lock(ctx, "job", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if l.Key() != "app1:secure:lock:job" {
		t.Errorf("lock key %q", l.Key())
	}
	if _, err := s.Lock(ctx, "job", time.Minute, store.LockWait(0)); !errors.Is(err, store.ErrLockNotAcquired) {
		t.Errorf("second Lock = %v", err)
	}
	if _, err := s.Lock(ctx, "job", time.Minute, store.LockWait(120*time.Millisecond), store.LockRetryInterval(20*time.Millisecond)); !errors.Is(err, store.ErrLockNotAcquired) {
		t.Errorf("waiting Lock = %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Lock(cctx, "job", time.Minute); !errors.Is(err, context.Canceled) {
		t.Errorf("Lock with a cancelled ctx = %v", err)
	}
	if err := l.Extend(ctx, 2*time.Minute); err != nil {
		t.Errorf("Extend = %v", err)
	}
	if d := c.PTTL(ctx, l.Key()).Val(); d <= time.Minute {
		t.Errorf("after Extend PTTL = %v", d)
	}
	// A waiter gets it once the holder releases.
	got := make(chan error, 1)
	go func() {
		l2, err := s.Lock(ctx, "job", time.Minute, store.LockRetryInterval(10*time.Millisecond))
		if err == nil {
			err = l2.Release(ctx)
		}
		got <- err
	}()
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Errorf("waiter: %v", err)
	}
	if err := l.Release(ctx); !errors.Is(err, store.ErrLockNotHeld) {
		t.Errorf("second Release = %v", err)
	}
	// A holder whose lock was taken over cannot release or extend it.
	l3, err := s.Lock(ctx, "job", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, l3.Key(), "someone else", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := l3.Release(ctx); !errors.Is(err, store.ErrLockNotHeld) {
		t.Errorf("Release of a lock taken over = %v", err)
	}
	if err := l3.Extend(ctx, time.Minute); !errors.Is(err, store.ErrLockNotHeld) {
		t.Errorf("Extend of a lock taken over = %v", err)
	}
	if v, _ := c.Get(ctx, l3.Key()).Result(); v != "someone else" {
		t.Errorf("the other holder's lock was changed: %q", v)
	}
	// Locks are not cache entries.
	if ks, _ := s.KeysMatching(ctx, "*job*"); len(ks) != 0 {
		t.Errorf("KeysMatching lists the lock: %q", ks)
	}
	if _, err := s.Lock(ctx, "x", 0); !errors.Is(err, store.ErrInvalidExpiration) {
		t.Errorf("Lock without ttl = %v", err)
	}
	if err := c.Unlink(ctx, l3.Key()).Err(); err != nil {
		t.Fatal(err)
	}
}

// TestDjangoAPINotSupported: a store built with New refuses every Redis-only
// operation with ErrNotSupported instead of a non-atomic emulation.
func TestDjangoAPINotSupported(t *testing.T) {
	s, err := store.New(gocachego.NewGoCache(gocache.New(time.Minute, time.Minute)), newCodec(t), newKeys(t, "app1"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	fn := func(context.Context) (any, error) { return 1, nil }
	errs := map[string]error{}
	_, errs["TTL"] = s.TTL(ctx, "k")
	_, errs["Expire"] = s.Expire(ctx, "k", time.Second)
	_, errs["ExpireAt"] = s.ExpireAt(ctx, "k", time.Now())
	_, errs["Persist"] = s.Persist(ctx, "k")
	_, errs["Touch"] = s.Touch(ctx, "k", time.Second)
	_, errs["HasKey"] = s.HasKey(ctx, "k")
	_, errs["SetXX"] = s.SetXX(ctx, "k", 1)
	_, errs["KeysMatching"] = s.KeysMatching(ctx, "*")
	_, errs["DeletePattern"] = s.DeletePattern(ctx, "*")
	_, errs["Incr"] = s.Incr(ctx, "k", 1)
	_, errs["Decr"] = s.Decr(ctx, "k", 1)
	_, errs["GetVersion"] = s.GetVersion(ctx, "k", 2)
	errs["SetVersion"] = s.SetVersion(ctx, "k", 1, 2)
	_, errs["DeleteVersion"] = s.DeleteVersion(ctx, "k", 2)
	_, errs["IncrVersion"] = s.IncrVersion(ctx, "k", 1)
	_, errs["GetOrSet"] = s.GetOrSet(ctx, "k", fn)
	_, errs["Lock"] = s.Lock(ctx, "k", time.Second)
	for name, err := range errs {
		if !errors.Is(err, store.ErrNotSupported) || !errors.Is(err, gocachestore.ErrNotSupported) {
			t.Errorf("%s = %v, want ErrNotSupported", name, err)
		}
	}
}

// TestGetOrSetSingleflight: concurrent GetOrSet calls for one key in one
// process share one call of fn, and all get its value.
func TestGetOrSetSingleflight(t *testing.T) {
	s, _ := newRedisStore(t)
	ctx := t.Context()
	var calls atomic.Int32
	release := make(chan struct{})
	fn := func(context.Context) (any, error) {
		calls.Add(1)
		<-release
		return "once", nil
	}
	const n = 20
	var wg sync.WaitGroup
	results := make(chan any, n)
	for range n {
		wg.Go(func() {
			v, err := s.GetOrSet(ctx, "sf", fn)
			if err != nil {
				t.Error(err)
			}
			results <- v
		})
	}
	// Let the callers pile up on the first call before it returns.
	deadline := time.Now().Add(30 * time.Second)
	for calls.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	close(results)
	for v := range results {
		if v != "once" {
			t.Errorf("GetOrSet = %v", v)
		}
	}
	if c := calls.Load(); c != 1 {
		t.Errorf("fn called %d times, want 1", c)
	}
}
