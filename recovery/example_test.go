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

// Migrate what gocache's marshaler wrote under bare keys into the encrypted
// alias "app1:secure", deleting the old entries.
func ExampleMigrateFrom() {
	ctx := context.Background()
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		panic(err)
	}
	defer mr.Close()
	client := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer client.Close()

	// msgpack of map[string]any{"name": "alice"}, as gocache's marshaler
	// writes it, and a key no pattern selects.
	client.Set(ctx, "user:42", "\x81\xa4name\xa5alice", time.Hour)
	client.Set(ctx, "other:1", "not ours", 0)

	ring, _ := codec.NewKeyRing("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=") // from the environment in real life
	fernet, _ := codec.New(ring)
	secureKeys, _ := codec.NewKeyScheme("app1:secure")
	secure, _ := store.NewRedis(client, fernet, secureKeys)

	rep, err := recovery.MigrateFrom(ctx, recovery.Source{
		Client:   client,
		Patterns: []string{"user:*"},
		Format:   recovery.FormatGocache,
	}, secure, recovery.WithClearOld())
	if err != nil {
		panic(err)
	}
	fmt.Println("migrated", rep.Migrated, "deleted", rep.Deleted, "clean", rep.Clean())
	v, _ := secure.Get(ctx, "user:42")
	fmt.Println(v)
	fmt.Println(client.Exists(ctx, "user:42", "other:1").Val())
	// Output:
	// migrated 1 deleted 1 clean true
	// map[name:alice]
	// 1
}
