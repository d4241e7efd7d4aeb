package store

import (
	"context"
	"fmt"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/internal/parallel"
)

// SetMany encrypts and stores every entry under its key with its TTL (see
// Entry); options are Set's: store.WithExpiration is the batch's expiration
// (NoExpiration, then a TTL on some entries, mixes the two), store.WithTags
// tags every entry. An invalid entry (ErrNilValue, ErrInvalidExpiration,
// codec.ErrUnsupportedValue, with its index and key) fails the whole batch
// with nothing written. A Redis error is returned wrapped, counting the
// entries that failed; the others are written (with New: those before the
// first error). Safe for concurrent use; writes only under the store's prefix.
func (s *EncryptingStore) SetMany(ctx context.Context, entries []Entry, options ...gocachestore.Option) error {
	if len(entries) == 0 {
		return nil
	}
	o, err := s.applyOptions(options)
	if err != nil {
		return err
	}
	if len(o.Tags) > 0 && s.client == nil && isRedisType(s.inner.GetType()) {
		return ErrTagsUnsafe
	}
	for i, e := range entries {
		switch {
		case e.Value == nil:
			return fmt.Errorf("store: set many: entry %d (%q): %w", i, e.Key, ErrNilValue)
		case e.TTL < 0:
			return fmt.Errorf("store: set many: entry %d (%q): %w", i, e.Key, ErrInvalidExpiration)
		}
	}
	sks := make([]string, len(entries))
	toks := make([][]byte, len(entries))
	errs := make([]error, len(entries))
	parallel.ForWork(len(entries), encodeWork(entries), minEncodeWork, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			var bound string
			sks[i], bound = s.keys.KeyBinding(entries[i].Key)
			toks[i], errs[i] = s.encodeValue(nil, bound, entries[i].Value)
		}
	})
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("store: set many: entry %d (%q): %w", i, entries[i].Key, err)
		}
	}
	ttl := func(i int) time.Duration {
		if entries[i].TTL > 0 {
			return entries[i].TTL
		}
		return redisTTL(o)
	}
	if s.client == nil {
		for i := range entries {
			opts := s.innerOptions(options, o)
			if entries[i].TTL > 0 {
				opts = append(opts, gocachestore.WithExpiration(entries[i].TTL))
			}
			if err := s.inner.Set(ctx, sks[i], toks[i], opts...); err != nil {
				return err
			}
		}
		return nil
	}
	cmds, _ := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, sk := range sks {
			p.Set(ctx, sk, toks[i], ttl(i))
		}
		s.queueTags(ctx, p, o, sks...)
		return nil
	})
	return batchError("set many", cmds)
}

// batchError summarises the failed commands of a pipeline.
func batchError(op string, cmds []redis.Cmder) error {
	var first error
	failed := 0
	for _, c := range cmds {
		if err := c.Err(); err != nil {
			failed++
			if first == nil {
				first = err
			}
		}
	}
	if first == nil {
		return nil
	}
	return fmt.Errorf("store: %s: %d of %d commands failed: %w", op, failed, len(cmds), first)
}

// DeleteMany removes the keys; missing keys are not an error. With NewRedis
// it sends one pipeline: UNLINK of the whole batch on a single node or
// Sentinel, one UNLINK per hash slot on a cluster, one per key on other
// clients. A Redis error is returned wrapped; other keys may be deleted. With
// New it calls the inner store's Delete for each key and stops at the first
// error. It is safe for concurrent use and deletes only keys under the
// store's prefix.
func (s *EncryptingStore) DeleteMany(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	sks := make([]string, len(keys))
	for i, k := range keys {
		sks[i] = s.keys.Key(k)
	}
	for _, k := range keys { // hashnames.go: names under older secrets too
		sks = append(sks, s.olderNames(k, s.keys.Version())...)
	}
	if s.client == nil {
		for _, sk := range sks {
			if err := s.inner.Delete(ctx, sk); err != nil {
				return err
			}
		}
		return nil
	}
	mode := s.batchMode()
	cmds, _ := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		if mode == modeKeys {
			for _, sk := range sks {
				p.Unlink(ctx, sk)
			}
			return nil
		}
		for _, idx := range s.groups(mode, sks) {
			ks := make([]string, len(idx))
			for j, i := range idx {
				ks[j] = sks[i]
			}
			p.Unlink(ctx, ks...)
		}
		return nil
	})
	return batchError("delete many", cmds)
}

// encodeFixed is what encrypting a value costs beyond its length, in bytes
// of value: BenchmarkEncode (codec) takes about 2.2 ns a byte from 1 KiB to
// 100 KiB values, and about 0.5 us more for each value (the IV, the HMAC's
// last blocks, the token's buffer), what 256 bytes cost.
const encodeFixed = 256

// minEncodeWork is the least encoding a goroutine of SetMany is given, in
// bytes of value with encodeFixed for each: 32 values of 1 KiB
// (parallel.MinPerWorker's), about 90 us. 100 values of 1 KiB are split over
// up to three goroutines, as they were by count; 100 of 64 bytes stay on the
// caller; 100 of 16 KiB go to every processor.
const minEncodeWork = parallel.MinPerWorker * (1024 + encodeFixed)

// encodeWork is the encoding work of entries, for parallel.ForWork: the
// length of []byte and string values, 1 KiB for values of other types,
// whose length is known only once serialized.
func encodeWork(entries []Entry) int {
	work := 0
	for _, e := range entries {
		switch v := e.Value.(type) {
		case []byte:
			work += len(v)
		case string:
			work += len(v)
		default:
			work += 1024
		}
		work += encodeFixed
	}
	return work
}
