package store

import (
	"context"
	"errors"
	"fmt"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/redis/go-redis/v9"
)

// Clear deletes every entry of the store's key scheme (any version) and its tag
// sets, and nothing else: keys are found with SCAN MATCH on the glob-escaped
// prefix (on every master of a cluster), checked against the scheme, and
// removed with UNLINK in batches. It checks ctx between batches. On an error
// some keys may already be deleted; calling Clear again finishes the job.
//
// Without a client, Clear delegates to the inner store, except a gocache Redis
// store, for which it returns ErrClearUnsafe.
func (s *EncryptingStore) Clear(ctx context.Context) error {
	if s.client == nil {
		if isRedisType(s.inner.GetType()) {
			return ErrClearUnsafe
		}
		return s.inner.Clear(ctx)
	}
	err := s.ScanKeys(ctx, func(ctx context.Context, node Rediser, keys []string) error {
		return s.unlink(ctx, node, keys)
	})
	if err != nil {
		return fmt.Errorf("store: clear: %w", err)
	}
	return nil
}

// ScanKeys calls fn with successive batches of this store's storage keys (keys
// of its scheme at any version, and its tag sets), as SCAN finds them, with
// the node that holds them (a master on a cluster). A key may be reported more
// than once, as SCAN guarantees; keys written during the scan may or may not
// be reported. It stops at the first error from Redis, fn or ctx. It requires
// a store built with NewRedis.
func (s *EncryptingStore) ScanKeys(ctx context.Context, fn func(ctx context.Context, node Rediser, keys []string) error) error {
	if s.client == nil {
		return fmt.Errorf("%w: scan needs a store built with NewRedis", gocachestore.ErrNotSupported)
	}
	if c, ok := s.client.(masterIterator); ok {
		return c.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			return s.scanNode(ctx, node, fn)
		})
	}
	return s.scanNode(ctx, s.client, fn)
}

func (s *EncryptingStore) scanNode(ctx context.Context, node Rediser, fn func(context.Context, Rediser, []string) error) error {
	sc := NewScanner(node, s.keys.Pattern(), s.scan)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		page, more, err := sc.Next(ctx)
		if err != nil {
			return err
		}
		owned := page[:0]
		for _, k := range page {
			if s.keys.Owns(k) || s.IsTagSet(k) {
				owned = append(owned, k)
			}
		}
		if len(owned) > 0 {
			if err := fn(ctx, node, owned); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
	}
}

// unlink deletes keys with one UNLINK on a single node, or one UNLINK per key,
// pipelined, where keys may live in different hash slots (a cluster).
func (s *EncryptingStore) unlink(ctx context.Context, node Rediser, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	if !s.clustered() {
		return node.Unlink(ctx, keys...).Err()
	}
	cmds, err := node.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Unlink(ctx, k)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range cmds {
		errs = append(errs, c.Err())
	}
	return errors.Join(errs...)
}

func (s *EncryptingStore) clustered() bool {
	_, ok := s.client.(masterIterator)
	return ok
}
