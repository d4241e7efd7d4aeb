package localtier

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/store"
)

// Errors returned by New; match them with errors.Is.
var (
	// ErrCluster is returned for a Redis Cluster client: tracking is per
	// node, and slot migrations and per-node failovers would need one
	// tracking connection per master kept in step with the slot map, which
	// this package does not do. Use the store without a local tier there.
	ErrCluster = errors.New("localtier: Redis Cluster is not supported (invalidations are per node); use the store without a local tier")
	// ErrUnsupportedClient is returned for a client other than a
	// *redis.Client (single node or Sentinel failover), such as a Ring.
	ErrUnsupportedClient = errors.New("localtier: unsupported client: want a *redis.Client (single node or Sentinel failover)")
)

// Client is a go-redis client with a local tier of tokens in front of GET.
// It embeds the *redis.Client it wraps, so it satisfies store.Rediser (and
// every other interface the wrapped client does): give it to store.NewRedis
// and the store's Get is served from memory when the tier holds the key's
// token, and decoded (MAC checked) on every hit.
//
// Only GET of keys under the prefix is served locally; every other command
// goes to Redis. The tier keeps raw replies (Fernet tokens), never decoded
// values. Writes through Set, SetNX, SetXX, SetEx, Del, Unlink, Expire,
// PExpire, Persist, Pipelined, TxPipelined, Eval and EvalSha drop the keys
// they name from the tier when they return, so this process reads its own
// writes at once; writes by other processes (and by other methods of this
// one, expiry and eviction) are dropped when Redis's invalidation arrives.
//
// A Client is safe for concurrent use. Close stops its tracking connection
// and does not close the wrapped client.
type Client struct {
	*redis.Client
	prefix string
	cache  *cache
	tr     *tracker
}

var _ store.Rediser = (*Client)(nil)

// New returns a Client over client that caches the tokens of keys starting
// with prefix (for a store, keys.Prefix()+":"), kept coherent with Redis
// through a dedicated tracking connection (see the package doc). It starts
// that connection in the background: until it is established (and whenever
// it is lost) every read goes to Redis and nothing is kept.
//
// client must be a *redis.Client, single node or Sentinel failover
// (redis.NewFailoverClient); a cluster client is ErrCluster, anything else
// ErrUnsupportedClient. The tracking connection uses a copy of the client's
// options (address or sentinels, credentials, TLS, database) with RESP2.
// New fails on an empty prefix (it would track every key of the server) or
// an invalid option.
func New(client redis.UniversalClient, prefix string, opts ...Option) (*Client, error) {
	var rc *redis.Client
	switch c := client.(type) {
	case *redis.Client:
		if c == nil {
			return nil, errors.New("localtier: nil redis client")
		}
		rc = c
	case *redis.ClusterClient:
		return nil, ErrCluster
	case nil:
		return nil, errors.New("localtier: nil redis client")
	default:
		return nil, fmt.Errorf("%w, got %T", ErrUnsupportedClient, client)
	}
	if prefix == "" {
		return nil, errors.New("localtier: empty prefix")
	}
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	c := &Client{Client: rc, prefix: prefix, cache: newCache(&o)}
	c.tr = newTracker(rc, prefix, c.cache, &o)
	return c, nil
}

// Close stops the tracking connection and empties the tier. Get then reads
// through to Redis. It does not close the wrapped client. It is safe to call
// more than once.
func (c *Client) Close() error {
	c.tr.close()
	c.cache.flush()
	return nil
}

// Get returns the value of key: from the tier when it holds the key's token
// and tracking is established, otherwise from Redis (GET and PTTL in one
// round trip), keeping the token for the next call unless an invalidation or
// flush happened while the read was in flight.
func (c *Client) Get(ctx context.Context, key string) *redis.StringCmd {
	if !strings.HasPrefix(key, c.prefix) {
		return c.Client.Get(ctx, key)
	}
	tok, hit, p := c.cache.lookup(key)
	if hit {
		return redis.NewStringResult(tok, nil)
	}
	if p == nil {
		return c.Client.Get(ctx, key)
	}
	start := c.tr.now()
	var get *redis.StringCmd
	var pttl *redis.DurationCmd
	_, _ = c.Client.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		get = pipe.Get(ctx, key)
		pttl = pipe.PTTL(ctx, key)
		return nil
	})
	if get.Err() != nil || pttl.Err() != nil || pttl.Val() == -2 {
		c.cache.cancel(p)
		return get
	}
	ttl := pttl.Val()
	if ttl < 0 { // -1: no expiry
		ttl = -1
	}
	c.cache.fill(p, get.Val(), start, ttl)
	return get
}

// Sync waits until every invalidation Redis sent for writes acknowledged
// before Sync was called has been applied, by a PING round trip on the
// tracking connection (Redis queues an invalidation before it acknowledges
// the write, and answers the PING after it): after Sync returns nil, no Get
// returns a value such a write replaced or deleted. It costs one round trip,
// as a read from Redis would; it is for the few reads that must not be stale
// (a revocation check) and for tests. When tracking is down it returns at
// once: nothing is served from memory then.
func (c *Client) Sync(ctx context.Context) error { return c.tr.sync(ctx) }

// TrackingErr returns why the last tracking connection was lost or could not
// be made (an ACL that refuses CLIENT TRACKING or SUBSCRIBE, an unreachable
// server), or nil. While tracking is down every read goes to Redis.
func (c *Client) TrackingErr() error { return c.tr.err() }

// Flush empties the tier. Tracking carries on.
func (c *Client) Flush() { c.cache.flush() }

// Stats are a Client's counters, totals since New.
type Stats struct {
	Hits   uint64 // reads served from memory
	Misses uint64 // reads under the prefix that went to Redis
	// Invalidations counts the keys dropped by invalidations (from Redis or
	// from this process's own writes).
	Invalidations uint64
	// Flushes counts the times the whole tier was emptied: tracking lost or
	// re-established, a failover seen, a database flushed by another client, Flush.
	Flushes   uint64
	Evictions uint64 // entries dropped for the size bounds
	// Messages counts the invalidation messages received from Redis, one
	// per write under the prefix by any client (broadcasting mode), cached
	// here or not.
	Messages uint64
	Entries  int   // tokens kept now
	Bytes    int64 // their estimated memory now
	Tracking bool  // whether tracking is established now
}

// Stats returns the counters. It is safe for concurrent use.
func (c *Client) Stats() Stats {
	n, b := c.cache.len()
	return Stats{
		Hits:          c.cache.hits.Load(),
		Misses:        c.cache.misses.Load(),
		Invalidations: c.cache.invalidations.Load(),
		Flushes:       c.cache.flushes.Load(),
		Evictions:     c.cache.evictions.Load(),
		Messages:      c.cache.messages.Load(),
		Entries:       n,
		Bytes:         b,
		Tracking:      c.cache.isTrusted(),
	}
}

// Prefix returns the prefix of the keys the tier caches.
func (c *Client) Prefix() string { return c.prefix }

// drop removes the string arguments of a write from the tier.
func (c *Client) drop(args ...any) {
	var keys []string
	for _, a := range args {
		if s, ok := a.(string); ok && strings.HasPrefix(s, c.prefix) {
			keys = append(keys, s)
		}
	}
	if len(keys) > 0 {
		c.cache.invalidations.Add(uint64(c.cache.invalidate(keys...)))
	}
}

// dropKeys is drop for string keys.
func (c *Client) dropKeys(keys ...string) {
	for _, k := range keys {
		if strings.HasPrefix(k, c.prefix) {
			c.cache.invalidations.Add(uint64(c.cache.invalidate(k)))
		}
	}
}

// readOnly lists the commands a pipeline may hold that write nothing.
var readOnly = map[string]bool{
	"get": true, "mget": true, "pttl": true, "ttl": true, "exists": true,
	"strlen": true, "type": true, "scan": true, "smembers": true, "ping": true,
	"evalsha_ro": true, "eval_ro": true,
}

// dropCmds removes the keys written by the commands of a pipeline. Every
// string argument of a command that may write is treated as a key: dropping
// a token too many costs one read, missing one would serve a stale value.
func (c *Client) dropCmds(cmds []redis.Cmder) {
	for _, cmd := range cmds {
		if readOnly[strings.ToLower(cmd.Name())] {
			continue
		}
		args := cmd.Args()
		if len(args) > 1 {
			c.drop(args[1:]...)
		}
	}
}

// Set is the wrapped client's Set; it then drops key from the tier.
func (c *Client) Set(ctx context.Context, key string, value any, expiration time.Duration) *redis.StatusCmd {
	defer c.dropKeys(key)
	return c.Client.Set(ctx, key, value, expiration)
}

// SetNX is the wrapped client's SetNX; it then drops key from the tier.
func (c *Client) SetNX(ctx context.Context, key string, value any, expiration time.Duration) *redis.BoolCmd {
	defer c.dropKeys(key)
	return c.Client.SetNX(ctx, key, value, expiration)
}

// SetXX is the wrapped client's SetXX; it then drops key from the tier.
func (c *Client) SetXX(ctx context.Context, key string, value any, expiration time.Duration) *redis.BoolCmd {
	defer c.dropKeys(key)
	return c.Client.SetXX(ctx, key, value, expiration)
}

// SetEx is the wrapped client's SetEx; it then drops key from the tier.
func (c *Client) SetEx(ctx context.Context, key string, value any, expiration time.Duration) *redis.StatusCmd {
	defer c.dropKeys(key)
	return c.Client.SetEx(ctx, key, value, expiration)
}

// Del is the wrapped client's Del; it then drops keys from the tier.
func (c *Client) Del(ctx context.Context, keys ...string) *redis.IntCmd {
	defer c.dropKeys(keys...)
	return c.Client.Del(ctx, keys...)
}

// Unlink is the wrapped client's Unlink; it then drops keys from the tier.
func (c *Client) Unlink(ctx context.Context, keys ...string) *redis.IntCmd {
	defer c.dropKeys(keys...)
	return c.Client.Unlink(ctx, keys...)
}

// Expire is the wrapped client's Expire; it then drops key from the tier.
func (c *Client) Expire(ctx context.Context, key string, expiration time.Duration) *redis.BoolCmd {
	defer c.dropKeys(key)
	return c.Client.Expire(ctx, key, expiration)
}

// PExpire is the wrapped client's PExpire; it then drops key from the tier.
func (c *Client) PExpire(ctx context.Context, key string, expiration time.Duration) *redis.BoolCmd {
	defer c.dropKeys(key)
	return c.Client.PExpire(ctx, key, expiration)
}

// Persist is the wrapped client's Persist; it then drops key from the tier.
func (c *Client) Persist(ctx context.Context, key string) *redis.BoolCmd {
	defer c.dropKeys(key)
	return c.Client.Persist(ctx, key)
}

// Pipelined is the wrapped client's Pipelined; it then drops from the tier
// every key a command of the pipeline may have written.
func (c *Client) Pipelined(ctx context.Context, fn func(redis.Pipeliner) error) ([]redis.Cmder, error) {
	cmds, err := c.Client.Pipelined(ctx, fn)
	c.dropCmds(cmds)
	return cmds, err
}

// TxPipelined is the wrapped client's TxPipelined; it then drops from the
// tier every key a command of the transaction may have written.
func (c *Client) TxPipelined(ctx context.Context, fn func(redis.Pipeliner) error) ([]redis.Cmder, error) {
	cmds, err := c.Client.TxPipelined(ctx, fn)
	c.dropCmds(cmds)
	return cmds, err
}

// Eval is the wrapped client's Eval; it then drops keys from the tier.
func (c *Client) Eval(ctx context.Context, script string, keys []string, args ...any) *redis.Cmd {
	defer c.dropKeys(keys...)
	return c.Client.Eval(ctx, script, keys, args...)
}

// EvalSha is the wrapped client's EvalSha; it then drops keys from the tier.
func (c *Client) EvalSha(ctx context.Context, sha1 string, keys []string, args ...any) *redis.Cmd {
	defer c.dropKeys(keys...)
	return c.Client.EvalSha(ctx, sha1, keys, args...)
}
