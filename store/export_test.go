package store

import "context"

// Batch strategies, forced, so that tests and benchmarks can compare them on
// the same client.

// GetManyPerKey is GetMany with one GET per key in the pipeline.
func (s *EncryptingStore) GetManyPerKey(ctx context.Context, keys []string) ([]Result, error) {
	return s.getMany(ctx, keys, modeKeys)
}

// GetManyPerSlot is GetMany with one MGET per hash slot.
func (s *EncryptingStore) GetManyPerSlot(ctx context.Context, keys []string) ([]Result, error) {
	return s.getMany(ctx, keys, modeSlots)
}

// HashSlot exposes hashSlot.
func HashSlot(key string) uint16 { return hashSlot(key) }
