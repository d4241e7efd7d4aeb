package store_test

import (
	"crypto/rand"
	"fmt"
	"testing"

	gocachego "github.com/eko/gocache/store/go_cache/v4"
	gocache "github.com/patrickmn/go-cache"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/cputime"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/store"
)

// BenchmarkHashedNames compares, in one run, an EncryptingStore with clear
// key names (the baseline) and one with hashed names
// (codec.WithHashedNames), at 1 KiB values: Set, Get and GetMany of 100
// keys, on one redis-server (backend=redis) and on an in-memory gocache
// store (backend=memory: no network, so the CPU cost of the names shows
// in full). Compare with benchstat on names=clear vs names=hashed.
func BenchmarkHashedNames(b *testing.B) {
	srv := redistest.Start(b)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr})
	b.Cleanup(func() { _ = client.Close() })
	ring, err := codec.NewNameRing(nameSecret)
	if err != nil {
		b.Fatal(err)
	}
	const size = 1 << 10
	val := make([]byte, size)
	if _, err := rand.Read(val); err != nil {
		b.Fatal(err)
	}
	keys := make([]string, benchKeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("user:%04d@example.com:profile", i)
	}
	ctx := b.Context()
	stores := map[string]*store.EncryptingStore{}
	mem := gocachego.NewGoCache(gocache.New(gocache.NoExpiration, 0))
	for _, tc := range []struct {
		names string
		opts  []codec.KeySchemeOption
	}{
		{"clear", nil},
		{"hashed", []codec.KeySchemeOption{codec.WithHashedNames(ring)}},
	} {
		ks := newKeys(b, "bench:"+tc.names, tc.opts...)
		s, err := store.NewRedis(client, newCodec(b), ks)
		if err != nil {
			b.Fatal(err)
		}
		ms, err := store.New(mem, newCodec(b), ks)
		if err != nil {
			b.Fatal(err)
		}
		for _, k := range keys {
			if err := ms.Set(ctx, k, val); err != nil {
				b.Fatal(err)
			}
		}
		stores["memory/names="+tc.names] = ms
		for _, k := range keys {
			if err := s.Set(ctx, k, val); err != nil {
				b.Fatal(err)
			}
		}
		stores["redis/names="+tc.names] = s
	}
	// Each op runs on both stores one after the other, so that both see the
	// same conditions.
	for _, op := range []struct {
		name  string
		bytes int64
		fn    func(s *store.EncryptingStore, i int) error
	}{
		{"Set", size, func(s *store.EncryptingStore, i int) error { return s.Set(ctx, keys[i%benchKeys], val) }},
		{"Get", size, func(s *store.EncryptingStore, i int) error {
			_, err := s.Get(ctx, keys[i%benchKeys])
			return err
		}},
		{"GetMany100", 100 * size, func(s *store.EncryptingStore, i int) error {
			lo := (i * 100) % benchKeys
			_, err := s.GetMany(ctx, keys[lo:lo+100])
			return err
		}},
	} {
		for _, st := range []string{"redis/names=clear", "redis/names=hashed", "memory/names=clear", "memory/names=hashed"} {
			s := stores[st]
			b.Run("op="+op.name+"/backend="+st+"/size=1KiB", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(op.bytes)
				i := 0
				m := cputime.Start()
				for b.Loop() {
					if err := op.fn(s, i); err != nil {
						b.Fatal(err)
					}
					i++
				}
				b.ReportMetric(m.Per(b.N), "cpu-ns/op") // the client's CPU: steadier than wall time here
			})
		}
	}
}
