package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	gocacheredis "github.com/eko/gocache/store/redis/v4"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/store"
)

// benchKeys is the number of keys each store cycles through, so that every
// Get hits and memory stays bounded whatever --ops is.
const benchKeys = 1000

// benchRounds is how many rounds each measurement is split into; plain and
// encrypted alternate between rounds (and which goes first alternates too),
// so that a noisy neighbour slows both alike.
const benchRounds = 10

// benchTTL is the expiration of every key bench writes, so that a bench
// killed before its cleanup leaves nothing persistent behind.
const benchTTL = time.Hour

// benchNamespace starts the logical key of every bench key, under the alias's
// own scheme: "<prefix>:<version>:secureredis-bench:<run>:crypt:<n>" for the
// encrypted store and "...:plain:<n>" for the plain one, so that the alias's
// Clear removes leftovers and audit counts them (the plain ones as
// plaintext: random bytes, while a bench runs).
const benchNamespace = "secureredis-bench"

// benchLimits bounds every bench flag, so that no value makes bench allocate
// without bound (or panic): at most 1000 keys of 1 MiB per store in Redis.
var benchLimits = []struct {
	name     string
	def, max int
	usage    string
}{
	{"size", 1024, 1 << 20, "value size in bytes"},
	{"ops", 20000, 10_000_000, "Set and Get operations per store; GetMany makes ops/batch calls"},
	{"concurrency", 50, 1024, "concurrent goroutines"},
	{"batch", 100, benchKeys, "keys per GetMany"},
}

// bench measures the encrypting store of an alias against gocache's plain
// Redis store on the same client, and prints ops/s and latencies and a
// final "ratio get=G set=S getmany=M" line (encrypted ÷ plain throughput).
func bench(ctx context.Context, e *env, args []string) error {
	fs := flags("bench")
	alias := fs.String("alias", "", "Redis alias to measure (default: the secure alias)")
	vals := make([]*int, len(benchLimits))
	for i, l := range benchLimits {
		vals[i] = fs.Int(l.name, l.def, fmt.Sprintf("%s (1 to %d)", l.usage, l.max))
	}
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	for i, l := range benchLimits {
		if v := *vals[i]; v < 1 || v > l.max {
			return fmt.Errorf("%w: --%s must be from 1 to %d, got %d", errUsage, l.name, l.max, v)
		}
	}
	size, ops, concurrency, batch := vals[0], vals[1], vals[2], vals[3]
	caches, enc, name, err := openAlias(ctx, e, *alias)
	if err != nil {
		return err
	}
	defer caches.Close()
	client, ok := enc.Client().(redis.UniversalClient)
	if !ok {
		return fmt.Errorf("alias %s is not a Redis alias: bench compares against gocache's Redis store", name)
	}
	b, err := newBencher(enc, client, *size, *batch)
	if err != nil {
		return err
	}
	defer b.cleanup(e)
	fmt.Fprintf(e.stdout, "bench: alias %s (prefix %q), %d-byte values, %d ops, concurrency %d, batch %d\n",
		name, enc.Keys().Prefix(), *size, *ops, *concurrency, *batch)
	calls := max(1, *ops / *batch)
	type row struct {
		op     string
		n      int // operations per store
		plain  func(context.Context, int) error
		secure func(context.Context, int) error
	}
	rows := []row{
		{"set", *ops, b.plainSet, b.secureSet},
		{"get", *ops, b.plainGet, b.secureGet},
		{"getmany", calls, b.plainGetMany, b.secureGetMany},
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\tstore\tops/s\tkeys/s\tp50\tp99\t")
	ratios := map[string]float64{}
	for _, r := range rows {
		// Writing every key first makes every Get hit and re-arms benchTTL.
		if err := b.populate(ctx); err != nil {
			return err
		}
		p, s, err := alternate(ctx, r.n, *concurrency, r.plain, r.secure)
		if err != nil {
			return fmt.Errorf("%s: %w", r.op, err)
		}
		keys := 1
		if r.op == "getmany" {
			keys = *batch
		}
		for _, x := range []struct {
			name string
			m    *measure
		}{{"plain", p}, {"encrypted", s}} {
			fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.0f\t%v\t%v\t\n", r.op, x.name, x.m.rate(), x.m.rate()*float64(keys),
				x.m.quantile(0.50).Round(time.Microsecond), x.m.quantile(0.99).Round(time.Microsecond))
		}
		ratios[r.op] = s.rate() / p.rate()
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "ratio get=%.2f set=%.2f getmany=%.2f\n", ratios["get"], ratios["set"], ratios["getmany"])
	return err
}

// bencher holds the two stores, their keys and the value.
type bencher struct {
	client     redis.UniversalClient
	secure     *store.EncryptingStore
	plain      gocachestore.StoreInterface
	value      []byte
	batch      int
	secureKeys []string // logical keys of the encrypting store
	plainKeys  []string // storage keys of the plain store, under the alias's prefix too
}

func newBencher(enc *store.EncryptingStore, client redis.UniversalClient, size, batch int) (*bencher, error) {
	id := make([]byte, 4)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	b := &bencher{client: client, secure: enc, plain: gocacheredis.NewRedis(client), value: make([]byte, size), batch: batch}
	if _, err := rand.Read(b.value); err != nil {
		return nil, err
	}
	// Both stores write under the alias's scheme (see benchNamespace); keys
	// have the same length on the wire.
	run := hex.EncodeToString(id)
	for i := range benchKeys {
		b.secureKeys = append(b.secureKeys, fmt.Sprintf("%s:%s:crypt:%04d", benchNamespace, run, i))
		b.plainKeys = append(b.plainKeys, enc.Keys().Key(fmt.Sprintf("%s:%s:plain:%04d", benchNamespace, run, i)))
	}
	return b, nil
}

// populate writes every key of both stores, with benchTTL.
func (b *bencher) populate(ctx context.Context) error {
	entries := make([]store.Entry, len(b.secureKeys))
	for i, k := range b.secureKeys {
		entries[i] = store.Entry{Key: k, Value: b.value, TTL: benchTTL}
	}
	if err := b.secure.SetMany(ctx, entries); err != nil {
		return err
	}
	_, err := b.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range b.plainKeys {
			p.Set(ctx, k, b.value, benchTTL)
		}
		return nil
	})
	return err
}

// cleanup deletes the bench keys, whatever happened (ctx canceled by a
// signal included: it has its own deadline). What it cannot delete expires
// within benchTTL.
func (b *bencher) cleanup(e *env) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := b.secure.DeleteMany(ctx, b.secureKeys)
	_, perr := b.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range b.plainKeys {
			p.Unlink(ctx, k)
		}
		return nil
	})
	if err = errors.Join(err, perr); err != nil {
		fmt.Fprintf(e.stderr, "secureredis bench: cleanup failed (%s); the bench keys (%s:...) expire within %v\n",
			displayError(err), display(b.secure.Keys().Key(benchNamespace)), benchTTL)
	}
}

func (b *bencher) plainSet(ctx context.Context, i int) error {
	return b.plain.Set(ctx, b.plainKeys[i%benchKeys], b.value, gocachestore.WithExpiration(benchTTL))
}

func (b *bencher) secureSet(ctx context.Context, i int) error {
	return b.secure.Set(ctx, b.secureKeys[i%benchKeys], b.value, gocachestore.WithExpiration(benchTTL))
}

func (b *bencher) plainGet(ctx context.Context, i int) error {
	v, err := b.plain.Get(ctx, b.plainKeys[i%benchKeys])
	if err != nil {
		return err
	}
	if s, ok := v.(string); !ok || len(s) != len(b.value) {
		return errors.New("plain store returned a wrong value")
	}
	return nil
}

func (b *bencher) secureGet(ctx context.Context, i int) error {
	v, err := b.secure.Get(ctx, b.secureKeys[i%benchKeys])
	if err != nil {
		return err
	}
	if s, ok := v.([]byte); !ok || len(s) != len(b.value) {
		return errors.New("encrypted store returned a wrong value")
	}
	return nil
}

// window returns the batch of keys of GetMany call i.
func (b *bencher) window(keys []string, i int) []string {
	lo := (i * b.batch) % benchKeys
	out := make([]string, b.batch)
	for j := range out {
		out[j] = keys[(lo+j)%benchKeys]
	}
	return out
}

// plainGetMany is the plain baseline: one MGET on a single node, or one GET
// per key in a pipeline on a cluster (where MGET cannot cross slots).
func (b *bencher) plainGetMany(ctx context.Context, i int) error {
	keys := b.window(b.plainKeys, i)
	if _, single := b.client.(*redis.Client); single {
		vals, err := b.client.MGet(ctx, keys...).Result()
		if err != nil {
			return err
		}
		for _, v := range vals {
			if s, ok := v.(string); !ok || len(s) != len(b.value) {
				return errors.New("MGET returned a wrong value")
			}
		}
		return nil
	}
	cmds, err := b.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Get(ctx, k)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range cmds {
		if len(c.(*redis.StringCmd).Val()) != len(b.value) {
			return errors.New("GET returned a wrong value")
		}
	}
	return nil
}

func (b *bencher) secureGetMany(ctx context.Context, i int) error {
	res, err := b.secure.GetMany(ctx, b.window(b.secureKeys, i))
	if err != nil {
		return err
	}
	for _, r := range res {
		if v, ok := r.Value.([]byte); !ok || len(v) != len(b.value) {
			return fmt.Errorf("GetMany returned a wrong value: %v", r.Err)
		}
	}
	return nil
}

// measure is the outcome of running one operation many times.
type measure struct {
	ops     int
	elapsed time.Duration
	lat     []time.Duration // sorted
}

func (m *measure) rate() float64 {
	if m.elapsed <= 0 {
		return 0
	}
	return float64(m.ops) / m.elapsed.Seconds()
}

func (m *measure) quantile(q float64) time.Duration {
	if len(m.lat) == 0 {
		return 0
	}
	return m.lat[min(len(m.lat)-1, int(q*float64(len(m.lat))))]
}

// alternate runs n operations of each store in benchRounds rounds, plain and
// encrypted taking turns (and turns at going first).
func alternate(ctx context.Context, n, concurrency int, plain, secure func(context.Context, int) error) (*measure, *measure, error) {
	p, s := &measure{}, &measure{}
	rounds := min(benchRounds, n)
	done := 0
	for r := range rounds {
		k := (n - done) / (rounds - r)
		first, second := plain, secure
		fm, sm := p, s
		if r%2 == 1 {
			first, second, fm, sm = secure, plain, s, p
		}
		if err := run1(ctx, done, k, concurrency, first, fm); err != nil {
			return nil, nil, err
		}
		if err := run1(ctx, done, k, concurrency, second, sm); err != nil {
			return nil, nil, err
		}
		done += k
	}
	slices.Sort(p.lat)
	slices.Sort(s.lat)
	return p, s, nil
}

// run1 runs operations [from, from+n) on concurrency goroutines and adds the
// time and latencies to m. It stops at the first error.
func run1(ctx context.Context, from, n, concurrency int, op func(context.Context, int) error, m *measure) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for range min(concurrency, n) {
		wg.Go(func() {
			var lat []time.Duration
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					break
				}
				t0 := time.Now()
				if err := op(ctx, from+i); err != nil {
					cancel(err)
					break
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			m.lat = append(m.lat, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	m.elapsed += time.Since(start)
	m.ops += n
	return context.Cause(ctx)
}
