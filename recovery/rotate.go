package recovery

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/parallel"
	"github.com/secureredis/secureredis/store"
)

// RotateReport is the outcome of Rotate. Scanned equals Rotated + Current +
// Undecryptable + PlaintextInts + IntsEncrypted + Conflicts + Vanished +
// Skipped + Failed.
type RotateReport struct {
	// Summary holds Scanned (the keys SCAN returned under the prefix),
	// Failed (the entries a Redis or codec error stopped), Failures,
	// FailuresOmitted, DryRun and Duration.
	Summary
	// Rotated counts the entries re-encrypted with the first key (in a dry
	// run: those that would be).
	Rotated int
	// Current counts the entries already under the first key.
	Current int
	// Undecryptable counts the entries no key of the ring opens (tampered,
	// plaintext, a retired key, older than the codec's max age); they are
	// left as they are. Audit tells them apart.
	Undecryptable int
	// PlaintextInts counts the integers stored in clear that a Django-mode
	// codec (codec.NewDjango) found, as django-redis writes int values even
	// in a "secure" cache, and that were left in clear: nothing
	// authenticates them (anyone who can write Redis can plant one), so
	// rotation does not turn them into genuine tokens unless
	// WithEncryptPlaintextInts asks for it. PlaintextIntSamples holds up to
	// WithSamples of their storage keys, in the order found.
	PlaintextInts       int
	PlaintextIntSamples []string
	// IntsEncrypted counts the plaintext integers encrypted because of
	// WithEncryptPlaintextInts (in a dry run: those that would be).
	IntsEncrypted int
	// Conflicts counts the entries the application rewrote between the read
	// and the write: its value was kept.
	Conflicts int
	// Vanished counts the entries deleted or expired before they were read.
	Vanished int
	// Skipped counts keys under the prefix that are not entries (tag sets).
	Skipped int
	// Renamed counts the entries of Rotated that a hashed-names alias
	// (codec.WithHashedNames) also moved from an older name secret's name to
	// the first secret's (hashnames.go).
	Renamed int
	// Retagged counts the names added to tag sets before the renames: an
	// entry's name under the first secret, next to its older name, so that
	// store.Invalidate still finds it (hashnames.go). Not in Scanned's sum.
	Retagged int
}

// String summarises the report on one line, without keys or values.
func (r *RotateReport) String() string {
	prefix := ""
	if r.DryRun {
		prefix = "dry run: "
	}
	ints := ""
	if r.PlaintextInts > 0 {
		ints = fmt.Sprintf(", plaintext ints left in clear %d", r.PlaintextInts)
	}
	if r.IntsEncrypted > 0 {
		ints += fmt.Sprintf(", plaintext ints encrypted %d", r.IntsEncrypted)
	}
	if r.Renamed > 0 {
		ints += fmt.Sprintf(", renamed %d", r.Renamed)
	}
	if r.Retagged > 0 {
		ints += fmt.Sprintf(", retagged %d", r.Retagged)
	}
	return fmt.Sprintf("%sscanned %d, rotated %d, current %d, undecryptable %d%s, conflicts %d, vanished %d, skipped %d, failed %d in %v",
		prefix, r.Scanned, r.Rotated, r.Current, r.Undecryptable, ints, r.Conflicts, r.Vanished, r.Skipped, r.Failed, r.Duration.Round(time.Millisecond))
}

// Rotate re-encrypts with the ring's first key every entry of s that an
// older key of the ring opened, keeping its value, Go type, serializer, TTL
// and Fernet timestamp (Reseal). A token rewritten meanwhile is never
// replaced (Conflicts); entries no key opens are counted (Undecryptable) and
// left alone; a Django alias's plaintext integers are counted
// (PlaintextInts) and left in clear unless WithEncryptPlaintextInts. It is
// idempotent and touches no key outside s's scheme. Options: WithBatchSize,
// WithDryRun, WithProgress, WithSamples, WithEncryptPlaintextInts. Errors:
// ErrNilStore, ErrNoClient, ErrNotFernet, an invalid option's, or, for a run
// cut short, the partial report with an error wrapping the cause. Per-key
// errors are in the report.
//
// On an alias with hashed names (codec.WithHashedNames), Rotate also moves
// each entry found under an older name secret's name to the first secret's
// name (Renamed), keeping its expiry time; a value written meanwhile under
// the new name wins (Conflicts). An entry whose token does not belong under
// its name is Undecryptable and left alone. Before moving anything it adds
// each entry's new name to the tag sets that list its old one (Retagged),
// so that store.Invalidate, which reads a tag's sets under every secret of
// the ring, still reaches it.
func Rotate(ctx context.Context, s *store.EncryptingStore, opts ...Option) (*RotateReport, error) {
	j, c, err := newSealedJob("rotate", s, opts)
	if err != nil {
		return nil, err
	}
	r := &rotation{job: j, s: s, c: c, rep: &RotateReport{}}
	j.attach(&r.rep.Summary)
	if err := r.retag(ctx); err != nil { // hashnames.go
		return r.rep, j.finish(fmt.Errorf("tags, before any rename: %w", err))
	}
	err = j.scan(ctx, s, r.batch)
	return r.rep, j.finish(err)
}

type rotation struct {
	*job
	s   *store.EncryptingStore
	c   sealedCodec
	rep *RotateReport // guarded by job.mu
}

// sealedCodec is what Rotate and Audit need of a store's codec: the Fernet
// codecs, native (*codec.Codec) and Django (*codec.Django).
type sealedCodec interface {
	store.Codec
	DecodeDetail(storageKey string, data []byte) (codec.Decoded, error)
	Reseal(storageKey string, data []byte) (resealed []byte, keyIndex int, err error)
}

var (
	_ sealedCodec = (*codec.Codec)(nil)
	_ sealedCodec = (*codec.Django)(nil)
)

// outcomes of one entry in Rotate
const (
	rotNotOwned = iota
	rotVanished
	rotFailed
	rotCurrent
	rotUndecryptable
	rotPlainInt
	rotPending
	rotRotated
	rotConflict
)

type rotEntry struct {
	key      string
	tok      string
	newTok   []byte
	state    int
	plainInt bool // a plaintext integer, encrypted on request
	err      error
	// Hashed names (hashnames.go): the binding key, and the current name
	// when the entry must move there (empty: it stays under key).
	bound      string
	newName    string
	renamed    bool
	superseded bool
}

// WithEncryptPlaintextInts makes Rotate encrypt the integers a Django-mode
// codec finds stored in clear (as django-redis stores int values), with the
// ring's first key and the current time as the token's timestamp, instead of
// reporting them and leaving them in clear (the default). Use it only when
// nobody untrusted could have written Redis: such an integer carries no
// authentication, so whoever could write Redis chose it, and once encrypted
// it reads as a genuine token that Audit reports clean. The report counts
// them (IntsEncrypted). Each is replaced only if it still holds the integer
// that was read, TTL kept. Django still reads them (django-redis-secure
// decrypts every non-integer value). Ignored by Migrate and Audit, and on a
// native alias, which has no plaintext integers.
func WithEncryptPlaintextInts() Option {
	return func(o *options) error { o.encryptInts = true; return nil }
}

func (r *rotation) batch(ctx context.Context, keys []string) {
	es := make([]rotEntry, len(keys))
	var live []int
	for i, k := range keys {
		es[i].key = k
		if r.s.Keys().Owns(k) {
			live = append(live, i)
		}
	}
	if r.o.beforeRead != nil {
		r.o.beforeRead(ctx, keys)
	}
	toks := readTokens(ctx, r.s.Client(), keys, live)
	for j, i := range live {
		e := &es[i]
		switch tok, err := toks[j].Result(); {
		case errors.Is(err, redis.Nil):
			e.state = rotVanished
		case err != nil:
			e.state, e.err = rotFailed, fmt.Errorf("recovery: read: %w", err)
		default:
			e.tok, e.state = tok, rotPending
		}
	}
	if r.o.afterRead != nil {
		r.o.afterRead(ctx, keys)
	}
	parallel.For(len(es), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if es[i].state == rotPending {
				r.reencrypt(&es[i])
			}
		}
	})
	var idx, ren []int
	for i := range es {
		switch {
		case es[i].state != rotPending:
		case es[i].newName != "":
			ren = append(ren, i)
		default:
			idx = append(idx, i)
		}
	}
	if r.o.dryRun {
		for _, i := range ren {
			es[i].state, es[i].renamed = rotRotated, true
		}
	} else {
		r.renameEntries(ctx, es, ren) // hashnames.go
	}
	if len(idx) > 0 && !r.o.dryRun {
		cmds := compareAndSet.runEach(ctx, r.s.Client(), rotKeys(es, idx), func(j int) []any {
			return []any{es[idx[j]].tok, es[idx[j]].newTok}
		})
		for j, i := range idx {
			e := &es[i]
			switch err := cmds[j].Err(); {
			case errors.Is(err, redis.Nil):
				e.state = rotConflict
			case err != nil:
				e.state, e.err = rotFailed, fmt.Errorf("recovery: write: %w", err)
			default:
				e.state = rotRotated
			}
		}
	} else {
		for _, i := range idx {
			es[i].state = rotRotated
		}
	}
	r.account(es)
}

func rotKeys(es []rotEntry, idx []int) []string {
	ks := make([]string, len(idx))
	for j, i := range idx {
		ks[j] = es[i].key
	}
	return ks
}

// reencrypt re-seals e.tok with the first key (Reseal): the
// same plaintext, byte for byte, under the token's own timestamp.
func (r *rotation) reencrypt(e *rotEntry) {
	var secret int
	e.bound, secret, e.newName = bindingOf(r.s, r.c, e.key, e.tok) // hashnames.go
	if secret == 0 {
		e.newName = ""
	}
	tok, idx, err := r.c.Reseal(e.bound, []byte(e.tok))
	switch {
	case errors.Is(err, codec.ErrPlaintextInt) && !r.o.encryptInts:
		e.state, e.tok = rotPlainInt, ""
	case errors.Is(err, codec.ErrPlaintextInt):
		e.plainInt = true
		v, _ := codec.ParsePlainInt([]byte(e.tok))
		if e.newTok, err = r.c.Encode(e.bound, v); err != nil {
			e.state, e.err = rotFailed, &valueError{ErrEncode, err}
		}
	case err != nil:
		e.state, e.tok = rotUndecryptable, ""
	case idx == 0 && e.newName == "":
		e.state, e.tok = rotCurrent, ""
	default:
		e.newTok = tok
	}
}

// readTokens GETs keys[i] for i in live, in one pipeline.
func readTokens(ctx context.Context, c store.Rediser, keys []string, live []int) []*redis.StringCmd {
	cmds := make([]*redis.StringCmd, len(live))
	if len(live) == 0 {
		return cmds
	}
	_, _ = c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for j, i := range live {
			cmds[j] = p.Get(ctx, keys[i])
		}
		return nil
	})
	return cmds
}

func (r *rotation) account(es []rotEntry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := r.rep
	for i := range es {
		e := &es[i]
		rep.Scanned++
		switch e.state {
		case rotNotOwned:
			rep.Skipped++
		case rotVanished:
			rep.Vanished++
		case rotFailed:
			rep.Failed++
			r.failure(e.key, e.err)
		case rotCurrent:
			rep.Current++
		case rotUndecryptable:
			rep.Undecryptable++
		case rotPlainInt:
			rep.PlaintextInts++
			if len(rep.PlaintextIntSamples) < r.o.samples {
				rep.PlaintextIntSamples = append(rep.PlaintextIntSamples, e.key)
			}
		case rotRotated:
			if e.plainInt {
				rep.IntsEncrypted++
			} else {
				rep.Rotated++
			}
			if e.renamed {
				rep.Renamed++
			}
		case rotConflict:
			rep.Conflicts++
		}
	}
	r.progress(Progress{
		Scanned: rep.Scanned,
		Done:    rep.Rotated + rep.IntsEncrypted,
		Skipped: rep.Current + rep.Undecryptable + rep.PlaintextInts + rep.Conflicts + rep.Vanished + rep.Skipped,
		Failed:  rep.Failed,
	})
}
