package recovery

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/internal/parallel"
)

// What WithClearOld does with an old entry, decided then carried out per
// batch.
const (
	clrNone         uint8 = iota // not a candidate (failed, skipped, no clear-old)
	clrDelete                    // its secure copy holds its value: delete it
	clrConflict                  // the secure copy holds another value: keep both
	clrPreferOld                 // a conflict PreferOld resolves: replace, then delete
	clrResolve                   // a conflict to delete (PreferSecure, or replaced)
	clrDeleted                   // deleted, or gone already
	clrResolved                  // a conflict resolved: deleted
	clrKept                      // changed after the read, or its secure copy vanished
	clrDeleteFailed              // a Redis error: kept
)

// clearOld decides, for every entry whose secure copy is present (written by
// this run, or existing), whether its old entry may go, and deletes those
// that may with one compare-and-delete per key.
//
// An existing secure copy is read and decrypted, and compared with the old
// value as the secure codec stores it (both decoded by the secure codec,
// then reflect.DeepEqual): equal values mean the copy was made from this old
// value (or holds the same data), so the old entry may go; different values
// are a conflict, kept unless WithPrefer says otherwise. Every write and
// delete compares exact bytes in Lua, so a value either alias received after
// the read is never replaced or deleted: at the moment the secure copy was
// read it held the old value, and the old entry held, until the delete, the
// very bytes that were read.
func (m *migration) clearOld(ctx context.Context, es []entry) {
	var existing []int
	for i := range es {
		switch e := &es[i]; {
		case e.state == migrated:
			e.clear = clrDelete
		case e.state == skipped && e.reason == SkipExists && e.tok != nil:
			existing = append(existing, i)
		}
	}
	m.compare(ctx, es, existing)
	if m.o.dryRun {
		for i := range es {
			switch e := &es[i]; e.clear {
			case clrPreferOld:
				e.clear = clrResolved
			case clrResolve:
				e.clear = clrResolved
			case clrDelete:
				e.clear = clrNone // a dry run deletes nothing
			}
			es[i].tok = nil
		}
		return
	}
	if m.o.beforeClear != nil {
		keys := make([]string, len(es))
		for i := range es {
			keys[i] = es[i].oldKey
		}
		m.o.beforeClear(ctx, keys)
	}
	m.replace(ctx, es)
	m.deleteOld(ctx, es)
}

// compare reads the existing secure copies of es[idx] and sets each entry's
// verdict.
func (m *migration) compare(ctx context.Context, es []entry, idx []int) {
	if len(idx) == 0 {
		return
	}
	gets := make([]*redis.StringCmd, len(idx))
	_, _ = m.secure.Client().Pipelined(ctx, func(p redis.Pipeliner) error {
		for j, i := range idx {
			gets[j] = p.Get(ctx, es[i].newKey)
		}
		return nil
	})
	sc := m.secure.Codec()
	parallel.For(len(idx), func(lo, hi int) {
		for j := lo; j < hi; j++ {
			e := &es[idx[j]]
			sec, err := gets[j].Bytes()
			switch {
			case errors.Is(err, redis.Nil): // expired or deleted since the write
				e.clear = clrKept
				continue
			case err != nil:
				e.clear, e.delErr = clrDeleteFailed, fmt.Errorf("recovery: read secure copy: %w", err)
				continue
			}
			if sameValue(sc, e.bound, e.tok, sec) {
				e.clear = clrDelete
				continue
			}
			e.secTok = string(sec)
			switch m.o.prefer {
			case PreferOld:
				e.clear = clrPreferOld
			case PreferSecure:
				e.clear = clrResolve
			default:
				e.clear = clrConflict
			}
		}
	})
}

// decoder is the part of the secure codec compare needs.
type decoder interface {
	Decode(storageKey string, data []byte) (any, error)
}

// sameValue reports whether the tokens mine (the old value, encoded by this
// run) and theirs (read from the secure alias) hold equal values. A token the
// codec does not open is never equal.
func sameValue(c decoder, key string, mine, theirs []byte) bool {
	a, err := c.Decode(key, mine)
	if err != nil {
		return false
	}
	b, err := c.Decode(key, theirs)
	if err != nil {
		return false
	}
	return reflect.DeepEqual(a, b)
}

// replace writes the old values of the PreferOld conflicts over their secure
// copies, each only if the copy still holds the token compare read.
func (m *migration) replace(ctx context.Context, es []entry) {
	var idx []int
	args := map[int][]any{}
	now := time.Now()
	for i := range es {
		e := &es[i]
		if e.clear != clrPreferOld {
			continue
		}
		switch {
		case e.pxat > 0:
			args[i] = []any{e.secTok, e.tok, "pxat", e.pxat}
		case e.expireAt.IsZero():
			args[i] = []any{e.secTok, e.tok, "persist", 0}
		default:
			ttl := e.expireAt.Sub(now).Milliseconds()
			if ttl <= 0 { // the old entry is expiring: nothing to keep
				e.clear = clrKept
				continue
			}
			args[i] = []any{e.secTok, e.tok, "px", ttl}
		}
		idx = append(idx, i)
	}
	if len(idx) == 0 {
		return
	}
	cmds := replaceIf.runEach(ctx, m.secure.Client(), liveKeys(es, idx, true), func(j int) []any {
		return args[idx[j]]
	})
	for j, i := range idx {
		e := &es[i]
		switch err := cmds[j].Err(); {
		case errors.Is(err, redis.Nil): // the application rewrote it meanwhile
			e.clear = clrConflict
		case err != nil:
			e.clear, e.delErr = clrDeleteFailed, fmt.Errorf("recovery: replace secure copy: %w", err)
		default:
			e.clear = clrResolve
		}
	}
}

// deleteOld deletes the old entries marked for it, each only if it still
// holds the bytes that were read.
func (m *migration) deleteOld(ctx context.Context, es []entry) {
	var idx []int
	for i := range es {
		es[i].tok, es[i].secTok = nil, ""
		if c := es[i].clear; c == clrDelete || c == clrResolve {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return
	}
	cmds := compareAndDelete.runEach(ctx, m.src.client(), liveKeys(es, idx, false), func(j int) []any {
		return []any{es[idx[j]].raw}
	})
	for j, i := range idx {
		e := &es[i]
		switch n, err := cmds[j].Int(); {
		case err != nil:
			e.clear, e.delErr = clrDeleteFailed, fmt.Errorf("recovery: delete old entry: %w", err)
		case n == 0: // changed after the read
			e.clear = clrKept
		case e.clear == clrResolve:
			e.clear = clrResolved
		default: // deleted, or gone already
			e.clear = clrDeleted
		}
	}
}
