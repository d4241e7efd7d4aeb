package recovery

import (
	"context"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/store"
)

// masterIterator is implemented by *redis.ClusterClient; shardIterator by
// *redis.Ring. SCAN must visit every one of their nodes.
type (
	masterIterator interface {
		ForEachMaster(ctx context.Context, fn func(ctx context.Context, client *redis.Client) error) error
	}
	shardIterator interface {
		ForEachShard(ctx context.Context, fn func(ctx context.Context, client *redis.Client) error) error
	}
)

// scanPatterns calls fn with every page of SCAN MATCH pattern COUNT count,
// for each pattern in turn, on every master of a cluster (every shard of a
// ring; those run in parallel, so fn must be safe for concurrent use). It
// stops at the first error from Redis, fn or ctx, which is checked before
// each page.
func scanPatterns(ctx context.Context, c store.Rediser, patterns []string, count int, fn func(context.Context, []string) error) error {
	node := func(ctx context.Context, n store.Rediser) error {
		for _, pattern := range patterns {
			sc := store.NewScanner(n, pattern, int64(count))
			for {
				if err := ctx.Err(); err != nil {
					return err
				}
				page, more, err := sc.Next(ctx)
				if err != nil {
					return err
				}
				if len(page) > 0 {
					if err := fn(ctx, page); err != nil {
						return err
					}
				}
				if !more {
					break
				}
			}
		}
		return nil
	}
	switch c := c.(type) {
	case masterIterator:
		return c.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return node(ctx, n) })
	case shardIterator:
		return c.ForEachShard(ctx, func(ctx context.Context, n *redis.Client) error { return node(ctx, n) })
	}
	return node(ctx, c)
}

// scanner returns a store that scans s's keys with the batch size as COUNT.
// It shares s's client, codec and key scheme; only ScanKeys is used.
func scanner(s *store.EncryptingStore, batch int) (*store.EncryptingStore, error) {
	return store.NewRedis(s.Client(), s.Codec(), s.Keys(), store.WithScanCount(int64(batch)))
}

// forChunks calls fn with successive slices of keys of at most n, so a SCAN
// page larger than the batch size (COUNT is only a hint) is split.
func forChunks(keys []string, n int, fn func([]string) error) error {
	for len(keys) > 0 {
		k := keys[:min(n, len(keys))]
		keys = keys[len(k):]
		if err := fn(k); err != nil {
			return err
		}
	}
	return nil
}

// scanBatches calls fn with successive batches of at most n of s's keys, as
// SCAN finds them (every master on a cluster). ctx is checked between batches;
// a batch that has started runs to its end (fn gets a context that ctx's
// cancellation does not reach), so the counts in a report stay exact.
func scanBatches(ctx context.Context, s *store.EncryptingStore, n int, fn func(ctx context.Context, keys []string)) error {
	scan, err := scanner(s, n)
	if err != nil {
		return err
	}
	return scan.ScanKeys(ctx, func(ctx context.Context, _ store.Rediser, keys []string) error {
		return forChunks(keys, n, func(keys []string) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			fn(context.WithoutCancel(ctx), keys)
			return nil
		})
	})
}
