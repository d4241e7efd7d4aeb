package recovery_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/store"
)

// Shared test keys and constructors.
const (
	testKey  = testkit.Key
	otherKey = testkit.OtherKey
	thirdKey = testkit.ThirdKey
)

var (
	newCodec = testkit.Codec
	newKeys  = testkit.Keys
)

func newStore(tb testing.TB, client store.Rediser, c store.Codec, prefix string, opts ...store.Option) *store.EncryptingStore {
	tb.Helper()
	s, err := store.NewRedis(client, c, newKeys(tb, prefix), opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// aliases is an old plaintext alias "app1" and a secure alias "app1:secure"
// on one Redis database, as in the original README.
type aliases struct {
	srv    *redistest.Server
	client *redis.Client
	old    *store.EncryptingStore
	secure *store.EncryptingStore
}

func newAliases(tb testing.TB) *aliases {
	tb.Helper()
	srv := redistest.Start(tb)
	client := srv.Client(tb, 0)
	return &aliases{
		srv:    srv,
		client: client,
		old:    newStore(tb, client, codec.Raw{}, "app1"),
		secure: newStore(tb, client, newCodec(tb), "app1:secure"),
	}
}

// value is the deterministic value of old entry i, size bytes long.
func value(i, size int) string {
	v := fmt.Sprintf("value-%06d-", i)
	if len(v) >= size {
		return v
	}
	return v + strings.Repeat("x", size-len(v))
}

// pipe runs fn over [0, n) in pipelines of 1000 commands.
func pipe(tb testing.TB, c redis.Cmdable, n int, fn func(p redis.Pipeliner, i int)) {
	tb.Helper()
	ctx := context.Background()
	for lo := 0; lo < n; lo += 1000 {
		_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := lo; i < min(lo+1000, n); i++ {
				fn(p, i)
			}
			return nil
		})
		if err != nil {
			tb.Fatalf("pipeline: %v", err)
		}
	}
}

// snapshot returns every key matching match with its value (strings only)
// and whether it is persistent, for before/after comparisons.
func snapshot(tb testing.TB, c *redis.Client, match string) map[string]string {
	tb.Helper()
	ctx := context.Background()
	out := map[string]string{}
	iter := c.Scan(ctx, 0, match, 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		typ := c.Type(ctx, k).Val()
		if typ != "string" {
			out[k] = "<" + typ + ">"
			continue
		}
		out[k] = c.Get(ctx, k).Val() + fmt.Sprintf(" persistent=%v", c.PTTL(ctx, k).Val() < 0)
	}
	if err := iter.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// decrypt returns the value of storage key sk read with c.
func decrypt(tb testing.TB, client *redis.Client, c *codec.Codec, sk string) any {
	tb.Helper()
	tok, err := client.Get(context.Background(), sk).Bytes()
	if err != nil {
		tb.Fatalf("GET %s: %v", sk, err)
	}
	v, err := c.Decode(sk, tok)
	if err != nil {
		tb.Fatalf("decode %s: %v", sk, err)
	}
	return v
}

// within reports whether got is want ± tolerance.
func within(got, want, tolerance time.Duration) bool {
	d := got - want
	return d <= tolerance && d >= -tolerance
}

// lkey is the logical key of entry i.
func lkey(i int) string { return fmt.Sprintf("k%05d", i) }
