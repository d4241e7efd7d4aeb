package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
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
	{"size", 1024, 1 << 20, "value size in `BYTES`"},
	{"ops", 20000, 10_000_000, "`N` Set and Get operations per store; GetMany makes N/batch calls"},
	{"concurrency", 50, 1024, "`N` concurrent goroutines"},
	{"batch", 100, benchKeys, "`N` keys per GetMany"},
}

var benchCmd = &command{
	Name: "bench", Config: true,
	Short: "measure the encrypted store against gocache's plain Redis store",
	Long: `Measure the alias's encrypting store against gocache's plain Redis store on
the same client: Set, Get and GetMany ops/s, keys/s, p50 and p99, then
"ratio get=G set=S getmany=M" (encrypted / plain throughput). Plain and
encrypted alternate in rounds so that noise slows both alike.

It writes 1000 keys per store, random values, under the alias's own scheme:
"<prefix>:<version>:secureredis-bench:<run>:crypt:<n>" and "...:plain:<n>"
(the plain ones are plaintext, which audit reports while a bench runs). Every
key has a 1h TTL and is deleted at the end, on error, on Ctrl-C and on
SIGTERM; a bench killed harder leaves keys that expire within the hour (and
that the alias's Clear removes).`,
	Setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
		alias := fs.String("alias", "", "Redis `ALIAS` to measure (default: the secure alias)")
		vals := make([]*int, len(benchLimits))
		for i, l := range benchLimits {
			vals[i] = fs.Int(l.name, l.def, fmt.Sprintf("%s (1 to %d)", l.usage, l.max))
		}
		asJSON := fs.Bool("json", false, "print the results as JSON (see README for the schema)")
		return func(ctx context.Context, _ []string) error {
			for i, l := range benchLimits {
				if v := *vals[i]; v < 1 || v > l.max {
					return fmt.Errorf("%w: --%s must be from 1 to %d, got %d", errUsage, l.name, l.max, v)
				}
			}
			cfg := benchConfig{Alias: *alias, Size: *vals[0], Ops: *vals[1], Concurrency: *vals[2], Batch: *vals[3]}
			return bench(ctx, e, cfg, *asJSON)
		}
	},
}

// benchConfig is what bench measures; it is also the head of its JSON report.
type benchConfig struct {
	Alias       string `json:"alias"`
	Prefix      string `json:"prefix"`
	Size        int    `json:"size"`
	Ops         int    `json:"ops"`
	Concurrency int    `json:"concurrency"`
	Batch       int    `json:"batch"`
}

// benchResult is one line of the table.
type benchResult struct {
	Op         string  `json:"op"`    // set, get or getmany
	Store      string  `json:"store"` // plain or encrypted
	OpsPerSec  float64 `json:"ops_per_sec"`
	KeysPerSec float64 `json:"keys_per_sec"`
	P50us      int64   `json:"p50_us"`
	P99us      int64   `json:"p99_us"`
}

// benchReport is bench's JSON report.
type benchReport struct {
	Command string `json:"command"`
	benchConfig
	Results []benchResult `json:"results"`
	// Ratio is encrypted ÷ plain throughput per op.
	Ratio map[string]float64 `json:"ratio"`
}

// bench measures the encrypting store of an alias against gocache's plain
// Redis store on the same client, and prints ops/s and latencies and a
// final "ratio get=G set=S getmany=M" line (encrypted ÷ plain throughput),
// or all of it as JSON.
func bench(ctx context.Context, e *env, cfg benchConfig, asJSON bool) error {
	caches, enc, name, err := openAlias(ctx, e, cfg.Alias)
	if err != nil {
		return err
	}
	defer caches.Close()
	cfg.Alias, cfg.Prefix = name, enc.Keys().Prefix()
	client, ok := enc.Client().(redis.UniversalClient)
	if !ok {
		return fmt.Errorf("alias %s is not a Redis alias: bench compares against gocache's Redis store", display(name))
	}
	b, err := newBencher(enc, client, cfg.Size, cfg.Batch)
	if err != nil {
		return err
	}
	defer b.cleanup(e)
	if !asJSON {
		fmt.Fprintf(e.stdout, "bench: alias %s (prefix %q), %d-byte values, %d ops, concurrency %d, batch %d\n",
			display(name), cfg.Prefix, cfg.Size, cfg.Ops, cfg.Concurrency, cfg.Batch)
	}
	rep := benchReport{Command: "bench", benchConfig: cfg, Ratio: map[string]float64{}}
	type row struct {
		op     string
		n      int // operations per store
		keys   int // keys per operation
		plain  func(context.Context, int) error
		secure func(context.Context, int) error
	}
	for _, r := range []row{
		{"set", cfg.Ops, 1, b.plainSet, b.secureSet},
		{"get", cfg.Ops, 1, b.plainGet, b.secureGet},
		{"getmany", max(1, cfg.Ops/cfg.Batch), cfg.Batch, b.plainGetMany, b.secureGetMany},
	} {
		// Writing every key first makes every Get hit and re-arms benchTTL.
		if err := b.populate(ctx); err != nil {
			return err
		}
		p, s, err := alternate(ctx, r.n, cfg.Concurrency, r.plain, r.secure)
		if err != nil {
			return fmt.Errorf("%s: %w", r.op, err)
		}
		for _, x := range []struct {
			name string
			m    *measure
		}{{"plain", p}, {"encrypted", s}} {
			rep.Results = append(rep.Results, benchResult{Op: r.op, Store: x.name, OpsPerSec: x.m.rate(), KeysPerSec: x.m.rate() * float64(r.keys),
				P50us: x.m.quantile(0.50).Microseconds(), P99us: x.m.quantile(0.99).Microseconds()})
		}
		rep.Ratio[r.op] = 0 // no plain throughput measured: no ratio (JSON has no NaN)
		if p.rate() > 0 {
			rep.Ratio[r.op] = s.rate() / p.rate()
		}
	}
	if asJSON {
		out, err := marshalReport(rep)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(e.stdout, string(out))
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\tstore\tops/s\tkeys/s\tp50\tp99\t")
	for _, r := range rep.Results {
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.0f\t%v\t%v\t\n", r.Op, r.Store, r.OpsPerSec, r.KeysPerSec,
			time.Duration(r.P50us)*time.Microsecond, time.Duration(r.P99us)*time.Microsecond)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "ratio get=%.2f set=%.2f getmany=%.2f\n", rep.Ratio["get"], rep.Ratio["set"], rep.Ratio["getmany"])
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
