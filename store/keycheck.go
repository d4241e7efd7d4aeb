package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
)

// ErrKeyCheck is matched by the error CheckKeys returns when entries exist
// under the prefix and none of those sampled decrypts: the ring is most
// likely the wrong one.
var ErrKeyCheck = errors.New("store: key check failed: no sampled entry decrypts with the key ring")

// KeyCheckReport is what CheckKeys sampled.
type KeyCheckReport struct {
	Sampled   int                        // entries read
	Decrypted int                        // of which decrypted with the ring
	Failed    map[codec.FailureClass]int // the others, by class
}

// String returns e.g. "20 sampled, 0 decrypt, 20 wrong-key".
func (r KeyCheckReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d sampled, %d decrypt", r.Sampled, r.Decrypted)
	for _, c := range codec.FailureClasses {
		if n := r.Failed[c]; n > 0 {
			fmt.Fprintf(&b, ", %d %s", n, c)
		}
	}
	return b.String()
}

// errEnough stops the scan once enough keys are sampled.
var errEnough = errors.New("enough")

// CheckKeys samples up to samples entries of the store's prefix (SCAN with
// the glob-escaped pattern, tag sets skipped) and tries to decode each with
// the codec, so that a deployment with the wrong key ring is caught at
// start-up rather than serving only misses. It returns what it sampled, and
// an error wrapping ErrKeyCheck (with the report) when entries were sampled
// and none decrypts. No entry at all is not an error (an empty cache). It
// reads only keys of the prefix, writes nothing, and does not count the
// failures in DecryptFailures. It needs a store built with NewRedis
// (gocache's store.ErrNotSupported otherwise); samples must be positive.
func (s *EncryptingStore) CheckKeys(ctx context.Context, samples int) (KeyCheckReport, error) {
	rep := KeyCheckReport{Failed: map[codec.FailureClass]int{}}
	if samples <= 0 {
		return rep, fmt.Errorf("store: key check: samples must be positive, got %d", samples)
	}
	err := s.ScanKeys(ctx, func(ctx context.Context, node Rediser, keys []string) error {
		var batch []string
		for _, k := range keys {
			if !s.IsTagSet(k) && rep.Sampled+len(batch) < samples {
				batch = append(batch, k)
			}
		}
		if len(batch) == 0 {
			return nil
		}
		cmds, err := node.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range batch {
				p.Get(ctx, k)
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		for i, cmd := range cmds {
			tok, err := cmd.(*redis.StringCmd).Bytes()
			if err != nil { // deleted since the scan
				continue
			}
			rep.Sampled++
			if _, err := s.codec.Decode(s.checkBound(batch[i], tok), tok); err != nil {
				rep.Failed[codec.ClassOf(err)]++
			} else {
				rep.Decrypted++
			}
		}
		if rep.Sampled >= samples {
			return errEnough
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return rep, fmt.Errorf("store: key check: %w", err)
	}
	if rep.Sampled > 0 && rep.Decrypted == 0 {
		return rep, fmt.Errorf("%w (pattern %q: %s)", ErrKeyCheck, s.keys.Pattern(), rep)
	}
	return rep, nil
}
