package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/eko/gocache/lib/v4/cache"
	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/store"
)

func keygen(stdout io.Writer) error {
	k, err := codec.GenerateKey()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, k)
	return err
}

// demo runs on an embedded Redis (miniredis), so it needs no server. It
// generates its own keys and never prints them.
func demo(ctx context.Context, out io.Writer) error {
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		return fmt.Errorf("embedded redis: %w", err)
	}
	defer mr.Close()
	client := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer client.Close()

	key, err := codec.GenerateKey()
	if err != nil {
		return err
	}
	secure, err := newStore(client, "app1:secure", key)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "embedded Redis on %s; secure alias prefix %q, version 1; a fresh Fernet key (not shown)\n\n", mr.Addr(), "app1:secure")

	c := cache.New[any](secure)
	values := []struct {
		key   string
		value any
	}{
		{"user:42:token", "s3cr3t-api-token"},
		{"user:42:profile", map[string]any{"email": "ada@example.com", "admin": true}},
	}
	fmt.Fprintln(out, "1. Set through gocache; Redis holds only Fernet tokens:")
	for _, v := range values {
		if err := c.Set(ctx, v.key, v.value, gocachestore.WithExpiration(time.Hour)); err != nil {
			return err
		}
		raw, _ := mr.Get("app1:secure:1:" + v.key)
		got, err := c.Get(ctx, v.key)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "   %-28s raw: %.44s...\n   %-28s get: %v\n", "app1:secure:1:"+v.key, raw, "", got)
	}

	fmt.Fprintln(out, "\n2. A token copied under another key does not decrypt there (key binding):")
	raw, _ := mr.Get("app1:secure:1:user:42:token")
	_ = mr.Set("app1:secure:1:user:43:token", raw)
	_, err = c.Get(ctx, "user:43:token")
	fmt.Fprintf(out, "   get user:43:token -> miss=%v, invalid token=%v\n", errors.Is(err, gocachestore.NotFound{}), errors.Is(err, codec.ErrInvalidToken))

	fmt.Fprintln(out, "\n3. Plaintext planted in the encrypted namespace is a miss, counted for alerting:")
	_ = mr.Set("app1:secure:1:planted", "plain text")
	_, err = c.Get(ctx, "planted")
	fmt.Fprintf(out, "   get planted -> miss=%v; decrypt failures so far: %d\n", errors.Is(err, gocachestore.NotFound{}), secure.DecryptFailures())

	fmt.Fprintln(out, "\n4. Key rotation: a ring [new, old] reads old entries and writes with the new key:")
	newKey, err := codec.GenerateKey()
	if err != nil {
		return err
	}
	rotated, err := newStore(client, "app1:secure", newKey, key)
	if err != nil {
		return err
	}
	v, err := rotated.Get(ctx, "user:42:token")
	fmt.Fprintf(out, "   rotated get user:42:token -> %v (err=%v)\n", v, err)

	fmt.Fprintln(out, "\n5. Clear removes only this alias's keys (SCAN + UNLINK, never FLUSHALL):")
	_ = mr.Set("app1:1:legacy", "another alias")
	_ = mr.Set("app10:1:x", "another app")
	before := len(mr.Keys())
	if err := secure.Clear(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "   keys before: %d, after: %d %v\n", before, len(mr.Keys()), mr.Keys())
	return nil
}

func newStore(client redis.UniversalClient, prefix string, keys ...string) (*store.EncryptingStore, error) {
	ring, err := codec.NewKeyRing(keys...)
	if err != nil {
		return nil, err
	}
	c, err := codec.New(ring)
	if err != nil {
		return nil, err
	}
	scheme, err := codec.NewKeyScheme(prefix)
	if err != nil {
		return nil, err
	}
	return store.NewRedis(client, c, scheme)
}
