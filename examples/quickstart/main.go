// Quickstart is the README's quick start: it stores a secret in Redis through
// gocache, encrypted, and reads it back. REDIS_SECRET_KEY holds a Fernet key
// (`secureredis keygen`); REDIS_ADDR the Redis address (empty:
// localhost:6379).
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/eko/gocache/lib/v4/cache"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/store"
)

func main() {
	ctx := context.Background()
	ring, err := codec.NewKeyRing(os.Getenv("REDIS_SECRET_KEY")) // a Fernet key: `secureredis keygen`
	if err != nil {
		log.Fatal(err)
	}
	c, err := codec.New(ring)
	if err != nil {
		log.Fatal(err)
	}
	keys, err := codec.NewKeyScheme("app1:secure") // keys become app1:secure:1:<key>
	if err != nil {
		log.Fatal(err)
	}
	client := redis.NewClient(&redis.Options{Addr: os.Getenv("REDIS_ADDR")}) // empty: localhost:6379
	defer client.Close()
	s, err := store.NewRedis(client, c, keys, store.WithDefaultExpiration(5*time.Minute))
	if err != nil {
		log.Fatal(err)
	}

	tokens := cache.New[string](s)
	if err := tokens.Set(ctx, "user:42:token", "s3cr3t"); err != nil {
		log.Fatal(err)
	}
	v, err := tokens.Get(ctx, "user:42:token")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v)
}
