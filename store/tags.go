package store

import (
	"context"
	"fmt"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/redis/go-redis/v9"
)

// Tags (gocache's store.WithTags) are Redis sets under the store's prefix,
// one per tag, listing the storage keys written with it. Set, SetIfNotExists
// and SetMany add to them; Invalidate deletes a tag's entries and its set;
// Clear removes the sets with the entries.

// tagKey is the Redis set that lists the storage keys carrying tag. It is under
// the prefix (so Clear removes it) but is not a key of the scheme (so it is
// never read as an entry).
func (s *EncryptingStore) tagKey(tag string) string {
	if s.keys.Hashed() {
		return s.hashedTagKey(tag, 0) // hashnames.go
	}
	return s.keys.Prefix() + ":gocache_tag:" + tag
}

// tagKeys returns the sets Invalidate reads for tag: tagKey's, and with
// hashed names the tag's set under each older secret of the name ring.
func (s *EncryptingStore) tagKeys(tag string) []string {
	n := s.keys.Secrets()
	if !s.keys.Hashed() || n == 1 {
		return []string{s.tagKey(tag)}
	}
	out := make([]string, n)
	for i := range out {
		out[i] = s.hashedTagKey(tag, i)
	}
	return out
}

// IsTagSet reports whether storageKey is one of the store's tag sets
// (gocache's store.WithTags): a key under the prefix that is not an entry.
func (s *EncryptingStore) IsTagSet(storageKey string) bool {
	p := s.keys.Prefix() + ":gocache_tag:"
	return len(storageKey) > len(p) && storageKey[:len(p)] == p
}

// queueTags queues, on p, the commands that add storageKeys to the sets of
// o's tags and set the sets' lifetime (o.TagsTTL, else 720 h as gocache's
// Redis store does). It queues nothing without tags.
func (s *EncryptingStore) queueTags(ctx context.Context, p redis.Pipeliner, o *gocachestore.Options, storageKeys ...string) {
	if len(o.Tags) == 0 {
		return
	}
	ttl := o.TagsTTL
	if ttl <= 0 {
		ttl = defaultTagsTTL
	}
	members := make([]any, len(storageKeys))
	for i, sk := range storageKeys {
		members[i] = sk
	}
	for _, t := range o.Tags {
		p.SAdd(ctx, s.tagKey(t), members...)
		p.PExpire(ctx, s.tagKey(t), ttl)
	}
}

// tag adds storageKey to the sets of o's tags, in one round trip (for
// SetIfNotExists, which tags only what it wrote).
func (s *EncryptingStore) tag(ctx context.Context, storageKey string, o *gocachestore.Options) error {
	if len(o.Tags) == 0 {
		return nil
	}
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		s.queueTags(ctx, p, o, storageKey)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: tag entry: %w", err)
	}
	return nil
}

// Invalidate deletes the entries carrying any of the given tags
// (store.WithInvalidateTags), and the tag sets themselves. Only keys of the
// store's scheme are deleted, whatever a tag set contains. With hashed
// names, the tag's sets under every secret of the name ring are read, so
// entries tagged before a rotation of the name secret go too (the rotation
// adds their new names to those sets; see recovery.Rotate).
func (s *EncryptingStore) Invalidate(ctx context.Context, options ...gocachestore.InvalidateOption) error {
	if s.client == nil {
		return s.inner.Invalidate(ctx, options...)
	}
	o := gocachestore.ApplyInvalidateOptions(options...)
	for _, t := range o.Tags {
		for _, tk := range s.tagKeys(t) {
			err := s.TagSetMembers(ctx, tk, func(members []string) error {
				owned := members[:0]
				for _, m := range members {
					if s.keys.Owns(m) {
						owned = append(owned, m)
					}
				}
				if len(owned) == 0 {
					return nil
				}
				return s.unlink(ctx, s.client, owned)
			})
			if err == nil {
				err = s.unlink(ctx, s.client, []string{tk})
			}
			if err != nil {
				return fmt.Errorf("store: invalidate tag: %w", err)
			}
		}
	}
	return nil
}

// TagSetMembers calls fn with the members of the tag set set, a page at a
// time (SSCAN with the store's scan count, WithScanCount), so that a set of
// any size, a planted one included, costs the memory of one page. Members
// added while it runs may or may not be seen, and one may be seen twice.
func (s *EncryptingStore) TagSetMembers(ctx context.Context, set string, fn func(members []string) error) error {
	if s.client == nil {
		return ErrNotSupported
	}
	var cursor uint64
	for {
		var cmd *redis.ScanCmd
		if _, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			cmd = p.SScan(ctx, set, cursor, "", s.scan)
			return nil
		}); err != nil {
			return err
		}
		page, next, err := cmd.Result()
		if err != nil {
			return err
		}
		if len(page) > 0 {
			if err := fn(page); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}
