package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/eko/gocache/lib/v4/cache"
	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/recovery"
	"github.com/secureredis/secureredis/store"
)

var keygenCmd = &command{
	Name:  "keygen",
	Short: "print a new Fernet key (URL-safe base64 of 32 random bytes)",
	Long: `Print a new Fernet key: 32 bytes from crypto/rand, URL-safe base64, the form
secret_keys (REDIS_SECRET_KEY in Django) takes. Put it in an environment
variable and reference it from the config as ${VAR}.`,
	Setup: func(_ *flag.FlagSet, e *env) func(context.Context, []string) error {
		return func(context.Context, []string) error {
			k, err := codec.GenerateKey()
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(e.stdout, k)
			return err
		}
	},
}

var demoCmd = &command{
	Name:  "demo",
	Short: "walk through encryption, migration, rotation and audit on an embedded Redis",
	Long: `Run a walkthrough on an embedded Redis (no server needed): Set and Get through
gocache, key binding, a planted plaintext entry, migration from a plaintext
alias, audit, key rotation and a scoped Clear. It generates its own keys and
never prints them.`,
	Setup: func(_ *flag.FlagSet, e *env) func(context.Context, []string) error {
		return func(ctx context.Context, _ []string) error { return demo(ctx, e) }
	},
}

// demo runs on an embedded Redis (miniredis), so it needs no server. It
// generates its own keys and never prints them.
func demo(ctx context.Context, e *env) error {
	out := e.stdout
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

	fmt.Fprintln(out, "\n4. Migration: plaintext entries an old alias (prefix \"app1\") wrote are copied in, encrypted:")
	_ = mr.Set("app1:1:session:abc", "user=42")
	mr.SetTTL("app1:1:session:abc", 30*time.Minute)
	_ = mr.Set("app1:2:feature-flags", "beta=on") // version 2 stays version 2
	_ = mr.Set("app10:1:x", "another app: untouched")
	old, err := store.NewRedis(client, codec.Raw{}, mustScheme("app1"))
	if err != nil {
		return err
	}
	report, err := recovery.Migrate(ctx, old, secure, recovery.WithClearOld())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   %v\n", report)
	raw, _ = mr.Get("app1:secure:1:session:abc")
	fmt.Fprintf(out, "   app1:secure:1:session:abc raw: %.44s... ttl kept: %v\n", raw, mr.TTL("app1:secure:1:session:abc"))
	if v, err := c.Get(ctx, "session:abc"); err == nil {
		fmt.Fprintf(out, "   get session:abc -> %v; old key still there: %v\n", v, mr.Exists("app1:1:session:abc"))
	}

	fmt.Fprintln(out, "\n5. Audit finds what does not belong in the encrypted namespace:")
	a, err := recovery.Audit(ctx, secure)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   %v\n   clean=%v\n", a, a.Clean())
	mr.Del("app1:secure:1:planted")
	mr.Del("app1:secure:1:user:43:token")

	fmt.Fprintln(out, "\n6. Key rotation: ring [new, old] reads everything; Rotate re-encrypts with the new key:")
	newKey, err := codec.GenerateKey()
	if err != nil {
		return err
	}
	rotated, err := newStore(client, "app1:secure", newKey, key)
	if err != nil {
		return err
	}
	r, err := recovery.Rotate(ctx, rotated)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   %v\n", r)
	a, err = recovery.Audit(ctx, rotated)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   audit after rotation: %v\n   clean=%v\n", a, a.Clean())
	onlyNew, err := newStore(client, "app1:secure", newKey)
	if err != nil {
		return err
	}
	v, err := onlyNew.Get(ctx, "user:42:token")
	fmt.Fprintf(out, "   the old key can now be retired: new key alone reads user:42:token -> %v (err=%v)\n", v, err)

	fmt.Fprintln(out, "\n7. Clear removes only this alias's keys (SCAN + UNLINK, never a server-wide flush):")
	before := len(mr.Keys())
	if err := rotated.Clear(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "   keys before: %d, after: %d %v\n", before, len(mr.Keys()), mr.Keys())
	return nil
}

func mustScheme(prefix string) *codec.KeyScheme {
	s, err := codec.NewKeyScheme(prefix)
	if err != nil {
		panic(err) // constant prefixes only
	}
	return s
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
