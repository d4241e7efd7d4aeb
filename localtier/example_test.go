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
	ring, _ := codec.NewKeyRing(os.Getenv("REDIS_SECRET_KEY"))
	c, _ := codec.New(ring)
	keys, _ := codec.NewKeyScheme("app1:secure")
	redisClient := redis.NewClient(&redis.Options{Addr: "localhost:6380"})
	if err := serve(context.Background(), redisClient, c, keys); err != nil {
		fmt.Println(err)
	}
}

// serve is the README's local tier block.
func serve(ctx context.Context, redisClient *redis.Client, c *codec.Codec, keys *codec.KeyScheme) error {
	tier, err := localtier.New(redisClient, keys.Prefix()+":") // *redis.Client: single node or Sentinel
	if err != nil {
		return err
	}
	defer tier.Close()
	s, err := store.NewRedis(tier, c, keys) // Get served from memory when it can, MAC checked every time
	if err != nil {
		return err
	}
	chained, err := localtier.NewStore(s) // GetWithTTL too, for cache.NewChain
	if err != nil {
		return err
	}
	sessions := cache.NewChain[any](cache.New[any](chained))
	if err := sessions.Set(ctx, "session:abc", "user42"); err != nil {
		return err
	}
	// A read that must see another instance's logout: Sync first.
	if err := tier.Sync(ctx); err != nil {
		return err
	}
	v, err := sessions.Get(ctx, "session:abc")
	fmt.Println(v, err, tier.Stats().Hits)
	return err
}
