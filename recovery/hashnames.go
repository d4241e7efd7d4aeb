package recovery

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/store"
)

// Hashed names (codec.WithHashedNames): the name of an entry is a MAC of its
// clear storage key, which travels inside the token. Audit and Rotate read
// it back (codec.Codec.BoundKey), check that the entry sits under that key's
// name (KeyScheme.CheckName: a token moved between names fails and is
// Undecryptable), and decrypt against it. Rotate also renames the entries
// under an older secret of the name ring to the first secret's name.

// boundKeyReader is the native codec's BoundKey.
type boundKeyReader interface {
	BoundKey(token []byte) (string, error)
}

// bindingOf returns the key the token tok, read from name, is bound to, the
// position in the name ring of the secret that made name, and the entry's
// name under the first secret. With clear names it is (name, 0, name). A
// token that does not open, or that does not belong under name, gives name
// itself, which then fails to decrypt as it should.
func bindingOf(s *store.EncryptingStore, c sealedCodec, name, tok string) (bound string, secret int, current string) {
	keys := s.Keys()
	if !keys.Hashed() {
		return name, 0, name
	}
	br, ok := c.(boundKeyReader)
	if !ok {
		return name, 0, name
	}
	b, err := br.BoundKey([]byte(tok))
	if err != nil {
		return name, 0, name
	}
	key, version, i, ok := keys.CheckName(name, b)
	if !ok {
		return name, 0, name
	}
	if i == 0 {
		return b, 0, name
	}
	return b, i, keys.KeyVersion(key, version)
}

// renameEntries moves the entries es[idx] (each read from e.key under an
// older name secret, e.newTok its token for e.newName) to their current
// names, keeping their expiry time, without ever losing a value:
//
//  1. PEXPIRETIME of the old name, then SET new NX PXAT (or without expiry):
//     the new name is written only if nobody wrote it meanwhile; a value
//     there is newer (writers use the first secret) and wins.
//  2. Compare-and-delete of the old name: only if it still holds the token
//     read. If the old entry changed or vanished meanwhile (deleted: Delete
//     removes every name; rewritten by a process still naming with the old
//     secret), the copy made in step 1 is removed again by compare-and-delete,
//     so a deleted entry does not come back and a newer old-name value is
//     left for the next run.
//
// Killed between the steps, both names hold the same value (readers prefer
// the current name) and a re-run finishes the move. Each step touches one
// key, so it runs on a cluster, where the two names lie in different slots.
func (r *rotation) renameEntries(ctx context.Context, es []rotEntry, idx []int) {
	if len(idx) == 0 {
		return
	}
	c := r.s.Client()
	exp := make([]*redis.DurationCmd, len(idx))
	_, _ = c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for j, i := range idx {
			exp[j] = p.PExpireTime(ctx, es[i].key)
		}
		return nil
	})
	sets := make([]*redis.Cmd, len(idx))
	_, _ = c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for j, i := range idx {
			e := &es[i]
			switch at, err := exp[j].Result(); {
			case err != nil:
				e.state, e.err = rotFailed, fmt.Errorf("recovery: read expiry: %w", err)
			case at == -2: // gone
				e.state = rotVanished
			case at > 0:
				sets[j] = p.Do(ctx, "set", e.newName, e.newTok, "pxat", at.Milliseconds(), "nx")
			default: // -1: no expiry
				sets[j] = p.Do(ctx, "set", e.newName, e.newTok, "nx")
			}
		}
		return nil
	})
	var del []int // positions in idx whose old name is compare-and-deleted
	for j, i := range idx {
		e := &es[i]
		if sets[j] == nil {
			continue
		}
		switch err := sets[j].Err(); {
		case errors.Is(err, redis.Nil): // the current name holds a newer value
			e.superseded = true
			del = append(del, j)
		case err != nil:
			e.state, e.err = rotFailed, fmt.Errorf("recovery: write: %w", err)
		default:
			del = append(del, j)
		}
	}
	if len(del) == 0 {
		return
	}
	olds := make([]string, len(del))
	for d, j := range del {
		olds[d] = es[idx[j]].key
	}
	cads := compareAndDelete.runEach(ctx, c, olds, func(d int) []any { return []any{es[idx[del[d]]].tok} })
	var undo []int // entries whose copy must go again
	for d, j := range del {
		e := &es[idx[j]]
		n, err := cads[d].Int64()
		switch {
		case err != nil:
			// The old entry stays; the copy is the same value, preferred by
			// readers, and a re-run deletes the old one.
			e.state, e.err = rotFailed, fmt.Errorf("recovery: delete old name: %w", err)
		case n == 1 && e.superseded:
			e.state = rotConflict
		case n == 1:
			e.state, e.renamed = rotRotated, true
		case e.superseded: // changed or gone, and we wrote nothing
			e.state = rotConflict
		default: // changed (0) or gone (-1) since the read: take the copy back
			e.state = rotConflict
			if n == -1 {
				e.state = rotVanished
			}
			undo = append(undo, idx[j])
		}
	}
	if len(undo) == 0 {
		return
	}
	news := make([]string, len(undo))
	for u, i := range undo {
		news[u] = es[i].newName
	}
	for u, cmd := range compareAndDelete.runEach(ctx, c, news, func(u int) []any { return []any{es[undo[u]].newTok} }) {
		if err := cmd.Err(); err != nil {
			e := &es[undo[u]]
			e.state, e.err = rotFailed, fmt.Errorf("recovery: undo copy: %w", err)
		}
	}
}

// retag runs before Rotate moves any entry, on a hashed-names alias whose
// name ring has older secrets: in every tag set under the prefix, next to
// each member that is an entry's name under an older secret, it adds the
// entry's name under the first secret (Retagged counts them). A tag set is
// named by a MAC of its tag, which cannot be read back, so the set keeps
// its name; store.Invalidate reads the tag's set under every secret of the
// ring, and so finds the entry under its new name. It must finish before
// the renames, because once an entry has moved its old name no longer leads
// to its key; so a tag set that cannot be read or written stops the run
// before anything moves. Killed and run again, it adds the same names again
// (SADD is idempotent).
func (r *rotation) retag(ctx context.Context) error {
	keys := r.s.Keys()
	if !keys.Hashed() || keys.Secrets() < 2 || r.o.dryRun {
		return nil
	}
	var mu sync.Mutex // a cluster's masters are scanned concurrently
	var first error
	err := scanBatches(ctx, r.s, r.o.batch, func(ctx context.Context, batch []string) {
		for _, set := range batch {
			if !r.s.IsTagSet(set) {
				continue
			}
			if err := r.retagSet(ctx, set); err != nil {
				mu.Lock()
				first = cmp.Or(first, err)
				mu.Unlock()
				return
			}
		}
	})
	if err == nil {
		err = first
	}
	return err
}

// retagSet adds to the tag set set the current names of its members that
// are entries under an older name secret, a page of members at a time.
func (r *rotation) retagSet(ctx context.Context, set string) error {
	c := r.s.Client()
	return r.s.TagSetMembers(ctx, set, func(members []string) error {
		var owned []string
		for _, m := range members {
			if r.s.Keys().Owns(m) {
				owned = append(owned, m)
			}
		}
		live := make([]int, len(owned))
		for i := range live {
			live[i] = i
		}
		toks := readTokens(ctx, c, owned, live)
		var add []any
		for j, m := range owned {
			tok, err := toks[j].Result()
			if err != nil {
				continue // gone, or not a string: no entry to follow
			}
			if _, _, cur := bindingOf(r.s, r.c, m, tok); cur != m {
				add = append(add, cur)
			}
		}
		if len(add) == 0 {
			return nil
		}
		var sadd *redis.IntCmd
		if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			sadd = p.SAdd(ctx, set, add...)
			return nil
		}); err != nil {
			return fmt.Errorf("add to tag set: %w", err)
		}
		r.mu.Lock()
		r.rep.Retagged += int(sadd.Val()) // a member seen twice is added once
		r.mu.Unlock()
		return nil
	})
}
