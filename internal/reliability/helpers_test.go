package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/recovery"
	"github.com/secureredis/secureredis/store"
)

// Shared test keys and constructors.
const (
	testKey  = testkit.Key
	otherKey = testkit.OtherKey
)

var newCodec = testkit.Codec

func newStore(tb testing.TB, client store.Rediser, c store.Codec, prefix string, opts ...store.Option) *store.EncryptingStore {
	tb.Helper()
	keys, err := codec.NewKeyScheme(prefix)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := store.NewRedis(client, c, keys, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// aliases are an old plaintext alias "app1" and the secure alias
// "app1:secure" on one client, as in a migration.
type aliases struct {
	old, secure *store.EncryptingStore
}

func newAliases(tb testing.TB, client store.Rediser) aliases {
	return aliases{
		old:    newStore(tb, client, codec.Raw{}, "app1"),
		secure: newStore(tb, client, newCodec(tb), "app1:secure"),
	}
}

// lkey and value are the logical key and the value of entry i; every tenth
// key carries a hash tag, so that tagged and plain keys are mixed.
func lkey(i int) string {
	if i%10 == 0 {
		return fmt.Sprintf("{user%d}:k%05d", i/100, i)
	}
	return fmt.Sprintf("k%05d", i)
}

func value(i int) string { return fmt.Sprintf("value-%05d-%s", i, strings.Repeat("x", 40)) }

// seed writes n old entries (half with a TTL of an hour) and keys of other
// applications, and waits until the replicas have them when there are some.
func seed(tb testing.TB, c redis.Cmdable, n int) {
	tb.Helper()
	ctx := context.Background()
	for lo := 0; lo < n; lo += 500 {
		_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := lo; i < min(lo+500, n); i++ {
				p.Set(ctx, "app1:1:"+lkey(i), value(i), time.Duration(i%2)*time.Hour)
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	for i := range 20 {
		c.Set(ctx, fmt.Sprintf("app10:1:k%d", i), "other app", 0)
		c.Set(ctx, fmt.Sprintf("other:{x%d}", i), "other app", 0)
	}
}

// others returns the values of the other applications' keys seed wrote.
func others(tb testing.TB, c redis.Cmdable) map[string]string {
	tb.Helper()
	out := map[string]string{}
	for i := range 20 {
		for _, k := range []string{fmt.Sprintf("app10:1:k%d", i), fmt.Sprintf("other:{x%d}", i)} {
			v, err := c.Get(context.Background(), k).Result()
			if err != nil {
				tb.Fatalf("other application's key %s: %v", k, err)
			}
			out[k] = v
		}
	}
	return out
}

// waitReplicas waits until every master's writes reached one replica.
func waitReplicas(tb testing.TB, c redis.UniversalClient) {
	tb.Helper()
	wait := func(ctx context.Context, m *redis.Client) error {
		n, err := m.Wait(ctx, 1, testkit.Patience).Result()
		if err == nil && n < 1 {
			err = fmt.Errorf("WAIT on %s: no replica acknowledged", m.Options().Addr)
		}
		return err
	}
	var err error
	switch c := c.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(context.Background(), wait)
	case *redis.Client:
		err = wait(context.Background(), c)
	}
	if err != nil {
		tb.Fatal(err)
	}
}

// count returns how many storage keys s holds, on every master.
func count(tb testing.TB, s *store.EncryptingStore) int {
	tb.Helper()
	var n atomic.Int64
	seen := sync.Map{} // SCAN may return a key twice
	err := s.ScanKeys(context.Background(), func(_ context.Context, _ store.Rediser, keys []string) error {
		for _, k := range keys {
			if _, dup := seen.LoadOrStore(k, true); !dup {
				n.Add(1)
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("count: %v", err)
	}
	return int(n.Load())
}

// verify checks that the secure alias holds entries 0..n-1 with their values.
func verify(tb testing.TB, secure *store.EncryptingStore, n int) {
	tb.Helper()
	for lo := 0; lo < n; lo += 500 {
		keys := make([]string, 0, 500)
		for i := lo; i < min(lo+500, n); i++ {
			keys = append(keys, lkey(i))
		}
		res, err := secure.GetMany(context.Background(), keys)
		if err != nil {
			tb.Fatalf("GetMany: %v", err)
		}
		for j, r := range res {
			if r.Value != value(lo+j) {
				tb.Fatalf("entry %s = %v, %v; want its value", keys[j], r.Value, r.Err)
			}
		}
	}
	if got := count(tb, secure); got != n {
		tb.Fatalf("secure alias holds %d keys, want %d", got, n)
	}
}

// migrateUntilClean runs Migrate until a run ends without error or failed
// entry, and returns how many runs it took (1 s apart, for up to
// testkit.Patience).
func migrateUntilClean(tb testing.TB, a aliases, opts ...recovery.Option) int {
	tb.Helper()
	start := time.Now()
	for run := 1; ; run++ {
		rep, err := recovery.Migrate(context.Background(), a.old, a.secure, opts...)
		if err == nil && rep.Failed == 0 {
			return run
		}
		if time.Since(start) > testkit.Patience {
			tb.Fatalf("migration does not converge: %v, %v", rep, err)
		}
		time.Sleep(time.Second)
	}
}

// killer is a go-redis hook that stops a server (synchronously, before the
// command goes out) on the nth command or pipeline the client sends.
type killer struct {
	n    int64
	seen atomic.Int64
	kill func()
}

func (k *killer) tick() {
	if k.seen.Add(1) == k.n {
		k.kill()
	}
}

func (k *killer) DialHook(next redis.DialHook) redis.DialHook { return next }

func (k *killer) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		k.tick()
		return next(ctx, cmd)
	}
}

func (k *killer) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		k.tick()
		return next(ctx, cmds)
	}
}

// present checks that each entry 0..n-1 is in the old alias or the secure one
// (one EXISTS of both keys: single node only).
func present(tb testing.TB, c redis.Cmdable, n int) {
	tb.Helper()
	ctx := context.Background()
	cmds := make([]*redis.IntCmd, n)
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range n {
			cmds[i] = p.Exists(ctx, "app1:1:"+lkey(i), "app1:secure:1:"+lkey(i))
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	lost := 0
	for i, c := range cmds {
		if c.Val() == 0 {
			if lost == 0 {
				tb.Errorf("entry %s is in neither alias", lkey(i))
			}
			lost++
		}
	}
	if lost > 0 {
		tb.Fatalf("%d entries lost", lost)
	}
}

func isMiss(err error) bool { return errors.Is(err, gocachestore.NotFound{}) }

// storeTTL is a random per-call expiration: none or a minute.
func storeTTL(rng *rand.Rand) gocachestore.Option {
	return gocachestore.WithExpiration(time.Duration(rng.IntN(2)) * time.Minute)
}
