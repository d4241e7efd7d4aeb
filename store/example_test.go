package store_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/alicebob/miniredis/v2"
	"github.com/eko/gocache/lib/v4/cache"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/store"
)

// An embedded Redis (miniredis) stands in for a server, so the example runs
// anywhere. The secret key would come from the environment.
func ExampleNewRedis() {
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		panic(err)
	}
	defer mr.Close()
	client := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer client.Close()

	ring, _ := codec.NewKeyRing("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=")
	c, _ := codec.New(ring)
	keys, _ := codec.NewKeyScheme("app1:secure")
	s, err := store.NewRedis(client, c, keys)
	if err != nil {
		panic(err)
	}

	ctx := context.Background()
	tokens := cache.New[string](s)
	_ = tokens.Set(ctx, "api-token", "s3cr3t")
	v, _ := tokens.Get(ctx, "api-token")
	raw, _ := mr.Get("app1:secure:1:api-token")

	fmt.Println(v)
	fmt.Println(strings.HasPrefix(raw, "gAAAAA"), strings.Contains(raw, "s3cr3t"))
	// Output:
	// s3cr3t
	// true false
}
