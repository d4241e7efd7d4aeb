package recovery_test

import (
	"context"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/recovery"
	"github.com/secureredis/secureredis/store"
)

// Migrate the plaintext alias "app1" into the encrypted alias "app1:secure"
// on one Redis (an in-process miniredis here), deleting the old entries.
func ExampleMigrate() {
	ctx := context.Background()
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		panic(err)
	}
	defer mr.Close()
	client := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer client.Close()

	// What a plain gocache Redis store left behind, and another app's key.
	client.Set(ctx, "app1:1:session:42", "alice", time.Hour)
	client.Set(ctx, "app1:2:profile:42", "alice's profile", 0)
	client.Set(ctx, "app10:1:session:42", "not ours", 0)

	oldKeys, _ := codec.NewKeyScheme("app1")
	old, _ := store.NewRedis(client, codec.Raw{}, oldKeys)
	ring, _ := codec.NewKeyRing("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=") // from the environment in real life
	fernet, _ := codec.New(ring)
	secureKeys, _ := codec.NewKeyScheme("app1:secure")
	secure, _ := store.NewRedis(client, fernet, secureKeys)

	rep, err := recovery.Migrate(ctx, old, secure, recovery.WithClearOld())
	if err != nil {
		panic(err)
	}
	fmt.Println("migrated", rep.Migrated, "deleted", rep.Deleted, "failed", rep.Failed)
	v, ttl, _ := secure.GetWithTTL(ctx, "session:42")
	fmt.Println(v, ttl.Round(time.Minute))
	fmt.Println(client.Exists(ctx, "app1:1:session:42", "app10:1:session:42").Val())

	audit, _ := recovery.Audit(ctx, secure)
	fmt.Println("clean:", audit.Clean())
	// Output:
	// migrated 2 deleted 2 failed 0
	// alice 1h0m0s
	// 1
	// clean: true
}
