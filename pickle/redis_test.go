package pickle_test

// The hostile corpus through the paths that read plaintext pickles from a
// real Redis: a Django-mode plain-pickle alias (codec.PlainPickle, what
// django-redis stores without encryption) read with Get and GetMany,
// migrated with recovery.Migrate, and read through the online fallback.

import (
	"errors"
	"slices"
	"testing"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/pickle"
	"github.com/secureredis/secureredis/recovery"
	"github.com/secureredis/secureredis/store"
)

// storeSlack is what a store read costs besides the unpickling (the Redis
// reply, buffers): a few times the value plus a constant.
const (
	storePerByte = 8
	storeSlack   = 1 << 20
)

func newRedisStore(tb testing.TB, client store.Rediser, c store.Codec, prefix string, opts ...store.Option) *store.EncryptingStore {
	tb.Helper()
	s, err := store.NewRedis(client, c, testkit.Keys(tb, prefix), opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func djangoCodec(tb testing.TB) *codec.Django {
	tb.Helper()
	ring, err := codec.NewKeyRing(testkit.Key)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := codec.NewDjango(ring)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// isMiss reports whether err is a miss (gocache's NotFound, which the store
// also returns for an entry that does not decode) or a decode error.
func isMiss(err error) bool {
	return errors.Is(err, gocachestore.NotFound{}) || errors.Is(err, pickle.ErrInvalid) || errors.Is(err, codec.ErrInvalidToken)
}

func TestHostileCorpusThroughRedis(t *testing.T) {
	corpus := readCorpus(t)
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range corpus {
			if !yield(k) {
				return
			}
		}
	})
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	old := newRedisStore(t, client, codec.PlainPickle{}, "app1")
	for _, name := range names {
		if err := client.Set(ctx, "app1:1:"+name, corpus[name], 0).Err(); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("Get", func(t *testing.T) {
		for _, name := range names {
			p := corpus[name]
			var v any
			var err error
			n := allocated(func() { v, err = old.Get(ctx, name) })
			if !isMiss(err) {
				t.Errorf("%s: Get = %T, %v; want a miss or a decode error", name, v, err)
			}
			if bound := uint64((heapPerByte+storePerByte)*len(p) + heapSlack + storeSlack); n > bound {
				t.Errorf("%s: Get allocated %d bytes for %d, over %d", name, n, len(p), bound)
			}
		}
	})

	t.Run("GetMany", func(t *testing.T) {
		res, err := old.GetMany(ctx, names)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			if !isMiss(r.Err) {
				t.Errorf("%s: GetMany = %T, %v; want a miss or a decode error", names[i], r.Value, r.Err)
			}
		}
	})

	t.Run("Migrate", func(t *testing.T) {
		secure := newRedisStore(t, client, djangoCodec(t), "app1:secure")
		rep, err := recovery.Migrate(ctx, old, secure, recovery.WithClearOld())
		if err != nil {
			t.Fatal(err)
		}
		if rep.Migrated != 0 || rep.Failed != len(names) {
			t.Errorf("report = %v; want every hostile entry failed", rep)
		}
		for _, name := range names {
			if got, err := client.Get(ctx, "app1:1:"+name).Bytes(); err != nil || string(got) != string(corpus[name]) {
				t.Errorf("%s: original not kept (%v)", name, err)
			}
			if n := client.Exists(ctx, "app1:secure:1:"+name).Val(); n != 0 {
				t.Errorf("%s: written to the secure alias", name)
			}
		}
	})

	t.Run("Fallback", func(t *testing.T) {
		secure := newRedisStore(t, client, djangoCodec(t), "app1:fb",
			store.WithFallback(recovery.NewFallback(old), time.Now().Add(time.Hour)))
		for _, name := range names {
			if v, err := secure.Get(ctx, name); !isMiss(err) {
				t.Errorf("%s: fallback Get = %T, %v; want a miss", name, v, err)
			}
			if n := client.Exists(ctx, "app1:fb:1:"+name).Val(); n != 0 {
				t.Errorf("%s: promoted to the secure alias", name)
			}
		}
	})
}

// TestSharedValueMigratesWithinBound migrates a pickle whose value shares
// a string a thousand times (within the expansion bound): the secure entry
// is at most MaxExpansion times the plaintext plus ExpansionSlack, in
// Fernet's base64 (4/3) plus its overhead.
func TestSharedValueMigratesWithinBound(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	old := newRedisStore(t, client, codec.PlainPickle{}, "app1")
	secure := newRedisStore(t, client, djangoCodec(t), "app1:secure")
	p := shared(1000, 1000)
	if err := client.Set(ctx, "app1:1:shared", p, 0).Err(); err != nil {
		t.Fatal(err)
	}
	rep, err := recovery.Migrate(ctx, old, secure)
	if err != nil || rep.Migrated != 1 {
		t.Fatalf("Migrate = %v, %v", rep, err)
	}
	got, err := client.Get(ctx, "app1:secure:1:shared").Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if bound := (pickle.MaxExpansion*len(p)+pickle.ExpansionSlack)*4/3 + 128; len(got) > bound {
		t.Errorf("secure entry of %d bytes from %d, over %d", len(got), len(p), bound)
	}
}
