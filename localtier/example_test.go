package localtier_test

import (
	"context"
	"fmt"
	"os"

	"github.com/eko/gocache/lib/v4/cache"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/localtier"
	"github.com/secureredis/secureredis/store"
)

// The tier wraps the application's client; the encrypting store reads
// through it, and localtier.NewStore is the form for gocache's chain. (Not
// run: it needs a Redis server.)
func ExampleNew() {
	ctx := context.Background()
	ring, _ := codec.NewKeyRing(os.Getenv("REDIS_SECRET_KEY"))
	c, _ := codec.New(ring)
	keys, _ := codec.NewKeyScheme("app1:secure")
	client := redis.NewClient(&redis.Options{Addr: "localhost:6380"})
	tier, err := localtier.New(client, keys.Prefix()+":", localtier.WithMaxEntries(50_000))
	if err != nil {
		panic(err)
	}
	defer tier.Close()
	s, err := store.NewRedis(tier, c, keys)
	if err != nil {
		panic(err)
	}
	chained, err := localtier.NewStore(s)
	if err != nil {
		panic(err)
	}
	sessions := cache.NewChain[any](cache.New[any](chained))
	_ = sessions.Set(ctx, "session:abc", "user42")
	// A read that must see another instance's logout: Sync first.
	_ = tier.Sync(ctx)
	v, err := sessions.Get(ctx, "session:abc")
	fmt.Println(v, err, tier.Stats().Hits)
}
