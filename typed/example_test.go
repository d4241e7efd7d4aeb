package typed_test

import (
	"context"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/eko/gocache/lib/v4/cache"
	gocachego "github.com/eko/gocache/store/go_cache/v4"
	gocache "github.com/patrickmn/go-cache"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/store"
	"github.com/secureredis/secureredis/typed"
)

// Example is the README's "Typed values" block, run against an embedded
// Redis (User is the struct of typed_test.go).
func Example() {
	mr, err := miniredis.Run()
	if err != nil {
		panic(err)
	}
	defer mr.Close()
	ring, err := codec.NewKeyRing("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=")
	if err != nil {
		panic(err)
	}
	c, err := codec.New(ring)
	if err != nil {
		panic(err)
	}
	keys, err := codec.NewKeyScheme("app1:secure")
	if err != nil {
		panic(err)
	}
	client := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer client.Close()
	s, err := store.NewRedis(client, c, keys)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	born := time.Date(1815, 12, 10, 9, 0, 0, 0, paris)

	users, err := typed.New[User](s) // s: a *store.EncryptingStore with a codec.Codec
	err = users.Set(ctx, "user:42", User{Name: "Ada", Born: born})
	u, err := users.Get(ctx, "user:42") // a User, not a map

	// It is a gocache cache.SetterCacheInterface[T]: it chains, loads and meters.
	mem := cache.New[User](gocachego.NewGoCache(gocache.New(time.Minute, time.Minute)))
	chain := cache.NewChain[User](mem, users)

	if err != nil {
		panic(err)
	}
	fmt.Println(u.Name, u.Born.Location(), u.Born.Equal(born))
	v, err := chain.Get(ctx, "user:42")
	fmt.Println(v.Name, err)
	// Output:
	// Ada Europe/Paris true
	// Ada <nil>
}
