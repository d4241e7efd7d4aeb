package store_test

import (
	"context"
	"fmt"
	"testing"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	gocachego "github.com/eko/gocache/store/go_cache/v4"
	gocache "github.com/patrickmn/go-cache"

	"github.com/secureredis/secureredis/store"
)

// BenchmarkMemoryParallel50 is what the encrypting path costs, without the
// network: 1 KiB Get and Set from 50 goroutines on gocache's in-memory
// go-cache store (store=plain), then on an EncryptingStore over another one
// (store=encrypted). Against Redis the two stores run the same go-redis code
// for every operation, and its noise is larger than the whole difference
// between them (store=plain-tokensize in BenchmarkGetParallel50: a reply as
// long as a token costs no measurable CPU more); here the difference in
// cpu-ns/op is the encrypting path itself, to set against codec's Encode
// and Decode. Each op ends with store=codec-only: the codec's Encode or
// Decode alone, with the same storage keys, tokens, goroutines and heap, so
// that the encrypting path's cost over the codec's comes from one run (the
// issue 14 target: extra CPU over store=plain ≤ 1.25x store=codec-only).
func BenchmarkMemoryParallel50(b *testing.B) {
	const size = 1 << 10
	value := benchValue(b, size)
	ctx := b.Context()
	keys := make([]any, benchKeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%04d", i)
	}
	plainKeys := make([]any, benchKeys)
	for i := range plainKeys {
		plainKeys[i] = fmt.Sprintf("bench:plain:1:key-%04d", i) // the length of the encrypted store's storage keys
	}
	inner := gocachego.NewGoCache(gocache.New(gocache.NoExpiration, 0))
	c, ks := newCodec(b), newKeys(b, "bench:enc")
	enc, err := store.New(inner, c, ks)
	if err != nil {
		b.Fatal(err)
	}
	stores := []benchStore{
		{"plain", gocachego.NewGoCache(gocache.New(gocache.NoExpiration, 0)), plainKeys},
		{"encrypted", enc, keys},
	}
	for _, st := range stores {
		populate(b, ctx, st, value)
	}
	// What the codec-only runs work on: the encrypted store's own storage
	// keys and the tokens it wrote under them.
	storageKeys := make([]string, benchKeys)
	toks := make([][]byte, benchKeys)
	for i, k := range keys {
		storageKeys[i] = ks.Key(k.(string))
		raw, err := inner.Get(ctx, storageKeys[i])
		if err != nil {
			b.Fatal(err)
		}
		toks[i] = raw.([]byte)
	}
	for _, op := range []struct {
		name, codec string
		fn          func(ctx context.Context, s gocachestore.StoreInterface, key any) error
		codecFn     func(i int) error
	}{
		{"Get", "Decode", func(ctx context.Context, s gocachestore.StoreInterface, key any) error {
			v, err := s.Get(ctx, key)
			if err == nil && valueLen(v) != size {
				err = fmt.Errorf("Get returned %T of length %d", v, valueLen(v))
			}
			return err
		}, func(i int) error {
			v, err := c.Decode(storageKeys[i], toks[i])
			if err == nil && valueLen(v) != size {
				err = fmt.Errorf("Decode returned %T of length %d", v, valueLen(v))
			}
			return err
		}},
		{"Set", "Encode", func(ctx context.Context, s gocachestore.StoreInterface, key any) error {
			return s.Set(ctx, key, value)
		}, func(i int) error {
			_, err := c.Encode(storageKeys[i], value)
			return err
		}},
	} {
		for _, st := range stores {
			b.Run("op="+op.name+"/size=1KiB/store="+st.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(size)
				benchParallel(b, func(ctx context.Context, i int) error { return op.fn(ctx, st.s, st.keys[i]) })
			})
		}
		b.Run("op="+op.codec+"/size=1KiB/store=codec-only", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(size)
			benchParallel(b, func(_ context.Context, i int) error { return op.codecFn(i) })
		})
	}
}
