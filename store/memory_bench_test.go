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
// and Decode.
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
	enc, err := store.New(gocachego.NewGoCache(gocache.New(gocache.NoExpiration, 0)), newCodec(b), newKeys(b, "bench:enc"))
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
	for _, op := range []struct {
		name string
		fn   func(ctx context.Context, s gocachestore.StoreInterface, key any) error
	}{
		{"Get", func(ctx context.Context, s gocachestore.StoreInterface, key any) error {
			v, err := s.Get(ctx, key)
			if err == nil && valueLen(v) != size {
				err = fmt.Errorf("Get returned %T of length %d", v, valueLen(v))
			}
			return err
		}},
		{"Set", func(ctx context.Context, s gocachestore.StoreInterface, key any) error {
			return s.Set(ctx, key, value)
		}},
	} {
		for _, st := range stores {
			b.Run("op="+op.name+"/size=1KiB/store="+st.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(size)
				benchParallel(b, func(ctx context.Context, i int) error { return op.fn(ctx, st.s, st.keys[i]) })
			})
		}
	}
}
