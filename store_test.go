package secureredis_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eko/gocache/lib/v4/cache"
	gocachestore "github.com/eko/gocache/lib/v4/store"
	gocachego "github.com/eko/gocache/store/go_cache/v4"
	gocache "github.com/patrickmn/go-cache"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/pyfernet"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/store"
)

// End-to-end tests: a real redis-server, the store as gocache users build it,
// and Python's cryptography as an independent Fernet implementation.

const (
	oldKey = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
	newKey = "9Hj2zXl0uPj1yqg5Dq6ajcgYSOGMQ1Eo2Vw1vtMJq8Y="
)

func secureStore(t *testing.T, client redis.UniversalClient, prefix string, keys ...string) *store.EncryptingStore {
	t.Helper()
	ring, err := codec.NewKeyRing(keys...)
	if err != nil {
		t.Fatal(err)
	}
	c, err := codec.New(ring)
	if err != nil {
		t.Fatal(err)
	}
	scheme, err := codec.NewKeyScheme(prefix)
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.NewRedis(client, c, scheme)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// envelope is the v1 plaintext the codec puts inside a token for a string.
func envelope(storageKey, value string) []byte {
	b := []byte{0x23}
	b = binary.AppendUvarint(b, uint64(len(storageKey)))
	return append(append(b, storageKey...), value...)
}

func TestPythonDecryptsWhatRedisHolds(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	c := cache.New[string](secureStore(t, client, "app1:secure", oldKey))
	if err := c.Set(ctx, "user:42", "card=4111-1111", gocachestore.WithExpiration(time.Hour)); err != nil {
		t.Fatal(err)
	}
	raw, err := client.Get(ctx, "app1:secure:1:user:42").Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("4111")) {
		t.Fatal("plaintext in Redis")
	}
	plain, ok := pyfernet.Decrypt(t, oldKey, raw)
	if !ok {
		t.Fatal("Python's Fernet rejects the token in Redis")
	}
	if want := envelope("app1:secure:1:user:42", "card=4111-1111"); !bytes.Equal(plain, want) {
		t.Errorf("Python decrypted %q, want %q", plain, want)
	}
	if _, ok := pyfernet.Decrypt(t, newKey, raw); ok {
		t.Error("Python decrypted with the wrong key")
	}
	// And the other way: a token Python made with the same key reads in Go.
	client.Set(ctx, "app1:secure:1:from-python", pyfernet.Encrypt(t, oldKey, envelope("app1:secure:1:from-python", "hi from python")), 0)
	if v, err := c.Get(ctx, "from-python"); err != nil || v != "hi from python" {
		t.Errorf("Get(from-python) = %q, %v", v, err)
	}
}

func TestChainWithMemoryTierLeavesOnlyCiphertext(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	memory := cache.New[string](gocachego.NewGoCache(gocache.New(time.Minute, time.Minute)))
	chain := cache.NewChain[string](memory, cache.New[string](secureStore(t, client, "app1:secure", oldKey)))
	t.Cleanup(func() { _ = chain.Close() })
	for i := range 20 {
		if err := chain.Set(ctx, fmt.Sprintf("session:%d", i), fmt.Sprintf("secret-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	keys := redistest.Keys(t, client)
	if len(keys) != 20 {
		t.Fatalf("Redis has %d keys, want 20", len(keys))
	}
	for _, k := range keys {
		v := client.Get(ctx, k).Val()
		if !strings.HasPrefix(k, "app1:secure:1:session:") || strings.Contains(v, "secret") {
			t.Errorf("%s = %q", k, v)
		}
		if _, ok := pyfernet.Decrypt(t, oldKey, []byte(v)); !ok {
			t.Errorf("%s is not a Fernet token", k)
		}
	}
}

func TestClearSparesNeighboursAndOtherDB(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	db2 := srv.Client(t, 2)
	ctx := t.Context()
	secure := secureStore(t, client, "app1:secure", oldKey)
	neighbour := secureStore(t, client, "app1:securer", oldKey)
	for i := range 3000 {
		if err := secure.Set(ctx, fmt.Sprint(i), "v"); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []*store.EncryptingStore{neighbour} {
		if err := s.Set(ctx, "n", "keep"); err != nil {
			t.Fatal(err)
		}
	}
	client.Set(ctx, "app1:1:plain", "keep", 0)
	client.Set(ctx, "app10:1:x", "keep", 0)
	db2.Set(ctx, "app1:secure:1:0", "keep", 0)
	if err := secure.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	got := redistest.Keys(t, client)
	slices.Sort(got)
	want := []string{"app1:1:plain", "app10:1:x", "app1:securer:1:n"}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("after Clear: %v, want %v", got, want)
	}
	if db2.Get(ctx, "app1:secure:1:0").Val() != "keep" {
		t.Error("Clear reached another database")
	}
}

func TestRotatedKeyRing(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	before := cache.New[string](secureStore(t, client, "app1:secure", oldKey))
	if err := before.Set(ctx, "old", "written with the old key"); err != nil {
		t.Fatal(err)
	}
	after := cache.New[string](secureStore(t, client, "app1:secure", newKey, oldKey))
	if v, err := after.Get(ctx, "old"); err != nil || v != "written with the old key" {
		t.Fatalf("rotated ring reads old value: %q, %v", v, err)
	}
	if err := after.Set(ctx, "new", "written with the new key"); err != nil {
		t.Fatal(err)
	}
	tok := []byte(client.Get(ctx, "app1:secure:1:new").Val())
	if _, ok := pyfernet.Decrypt(t, newKey, tok); !ok {
		t.Error("new value is not encrypted with the new first key")
	}
	if _, ok := pyfernet.Decrypt(t, oldKey, tok); ok {
		t.Error("new value still opens with the old key")
	}
	// A service still on the old ring cannot read the new value: a miss.
	if _, err := before.Get(ctx, "new"); err == nil {
		t.Error("old ring read a value written with the new key")
	}
}
