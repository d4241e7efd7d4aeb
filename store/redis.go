package store

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// Rediser is the part of go-redis the store calls. *redis.Client,
// *redis.ClusterClient, *redis.Ring and redis.UniversalClient (single node,
// cluster or Sentinel failover) all satisfy it.
type Rediser interface {
	Get(ctx context.Context, key string) *redis.StringCmd
	Set(ctx context.Context, key string, value any, expiration time.Duration) *redis.StatusCmd
	SetNX(ctx context.Context, key string, value any, expiration time.Duration) *redis.BoolCmd
	Unlink(ctx context.Context, keys ...string) *redis.IntCmd
	Scan(ctx context.Context, cursor uint64, match string, count int64) *redis.ScanCmd
	SMembers(ctx context.Context, key string) *redis.StringSliceCmd
	Pipelined(ctx context.Context, fn func(redis.Pipeliner) error) ([]redis.Cmder, error)

	// Used by the Django cache API (expiry.go, keys.go, counter.go,
	// version.go, getorset.go, lock.go).
	Exists(ctx context.Context, keys ...string) *redis.IntCmd
	PTTL(ctx context.Context, key string) *redis.DurationCmd
	SetXX(ctx context.Context, key string, value any, expiration time.Duration) *redis.BoolCmd
	redis.Scripter
}

// masterIterator is implemented by *redis.ClusterClient: SCAN must visit every
// master, and multi-key commands must not cross hash slots.
type masterIterator interface {
	ForEachMaster(ctx context.Context, fn func(ctx context.Context, client *redis.Client) error) error
}

var (
	_ Rediser = (*redis.Client)(nil)
	_ Rediser = (*redis.ClusterClient)(nil)
	_ Rediser = (redis.UniversalClient)(nil)
)
