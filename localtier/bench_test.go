package localtier_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	gocachego "github.com/eko/gocache/store/go_cache/v4"
	gocache "github.com/patrickmn/go-cache"

	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/localtier"
	"github.com/secureredis/secureredis/store"
)

// BenchmarkGet compares, in one run, a read of a 256-byte value:
// redis: the encrypting store without a tier (a round trip and a decode);
// tier-hit: with the tier, served from memory (the token is decoded, so its
// MAC checked, on every hit); tier-token: the tier's raw hit without decode;
// plaintext-hit: what a tier of decoded values would cost (go-cache map).
func BenchmarkGet(b *testing.B) {
	srv := redistest.Start(b)
	ctx := context.Background()
	value := strings.Repeat("v", 256)
	keys := testkit.Keys(b, prefix)
	plain, err := store.NewRedis(srv.Client(b, 0), testkit.Codec(b), keys)
	if err != nil {
		b.Fatal(err)
	}
	if err := plain.Set(ctx, "k", value); err != nil {
		b.Fatal(err)
	}
	in := newInstance(b, srv.Client(b, 0))
	in.waitTracking(b)
	_, _ = in.get(ctx, "k")
	mem := gocachego.NewGoCache(gocache.New(time.Hour, time.Hour))
	_ = mem.Set(ctx, "k", value)

	run := func(name string, get func() error) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(value)))
			for b.Loop() {
				if err := get(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	run("redis", func() error { _, err := plain.Get(ctx, "k"); return err })
	run("tier-hit", func() error { _, err := in.st.Get(ctx, "k"); return err })
	sk := keys.Key("k")
	run("tier-token", func() error { return in.tier.Get(ctx, sk).Err() })
	run("plaintext-hit", func() error { _, err := mem.Get(ctx, "k"); return err })
	if s := in.tier.Stats(); s.Misses > 2 {
		b.Fatalf("the tier missed: %+v", s)
	}
}

// BenchmarkWriteHeavy measures what broadcasting invalidations costs a
// writer: store.Set on 1000 keys under the prefix while 0, 1 or 4 other
// tiers (each a tracking connection, as separate processes would have)
// listen. msgs/op is the invalidation messages each listener received per
// write.
func BenchmarkWriteHeavy(b *testing.B) {
	for _, listeners := range []int{0, 1, 4} {
		b.Run(fmt.Sprintf("listeners=%d", listeners), func(b *testing.B) {
			srv := redistest.Start(b)
			ctx := context.Background()
			w, err := store.NewRedis(srv.Client(b, 0), testkit.Codec(b), testkit.Keys(b, prefix))
			if err != nil {
				b.Fatal(err)
			}
			var tiers []*localtier.Client
			for range listeners {
				in := newInstance(b, srv.Client(b, 0))
				in.waitTracking(b)
				tiers = append(tiers, in.tier)
			}
			keys := make([]string, 1000)
			for i := range keys {
				keys[i] = fmt.Sprintf("key-%d", i)
			}
			value := strings.Repeat("v", 256)
			b.ReportAllocs()
			b.SetBytes(int64(len(value)))
			i := 0
			for b.Loop() {
				if err := w.Set(ctx, keys[i%len(keys)], value); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.StopTimer()
			for _, t := range tiers {
				// Let the listener drain before counting.
				_ = t.Sync(ctx)
			}
			if listeners > 0 {
				var msgs uint64
				for _, t := range tiers {
					msgs += t.Stats().Messages
				}
				b.ReportMetric(float64(msgs)/float64(listeners)/float64(i), "msgs/op")
			}
		})
	}
}
