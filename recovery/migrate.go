package recovery

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/parallel"
	"github.com/secureredis/secureredis/store"
)

// SkipReason says why Migrate left an old entry alone.
type SkipReason string

// Reasons Migrate skips a key.
const (
	// SkipExists: the secure key already exists, written by the application
	// or by a previous run. Its value is kept (it is the newer one).
	SkipExists SkipReason = "exists"
	// SkipExpired: the old entry vanished or expired between SCAN and the
	// write. Nothing is written for it, never an empty value.
	SkipExpired SkipReason = "expired"
	// SkipSecureNamespace: the key belongs to the secure alias's own scheme
	// (its prefix may start with the old one: "app1:secure" under "app1").
	SkipSecureNamespace SkipReason = "secure-namespace"
	// SkipNotOwned: the key is under the old prefix but is not an entry of
	// the old scheme (a tag set, or a key of another layout).
	SkipNotOwned SkipReason = "not-owned"
	// SkipNotString: MigrateFrom met a key matching a pattern that is not a
	// Redis string (a list, a set such as gocache's tag sets, a hash, ...):
	// no cache entry, so it is left alone.
	SkipNotString SkipReason = "not-string"
)

// Migrate copies every entry of the old alias into the secure alias,
// encrypted with the secure alias's codec (Django's DATA_RECOVERY), keeping
// each entry's logical key, version and remaining TTL. It never overwrites
// an existing secure key (SET NX; see SkipReason). With WithClearOld it
// deletes each old entry whose encrypted copy is confirmed present, if
// unchanged since it was read; an entry whose secure copy differs is a
// conflict, kept and reported unless WithPrefer resolves it. Per-key errors
// are in the report and delete nothing. A run cut short (SCAN error, ctx
// done between batches) returns the partial report and an error wrapping the
// cause; running it again finishes the job. Other errors: ErrNilStore,
// ErrNoClient, ErrSamePrefix, an invalid option. It is safe to run while the
// application uses both aliases. How it works: see the package
// documentation.
func Migrate(ctx context.Context, old, secure *store.EncryptingStore, opts ...Option) (*MigrateReport, error) {
	if err := checkStore(old, "old alias"); err != nil {
		return nil, err
	}
	if err := checkStore(secure, "secure alias"); err != nil {
		return nil, err
	}
	if old.Keys().Prefix() == secure.Keys().Prefix() {
		return nil, fmt.Errorf("%w: %q", ErrSamePrefix, old.Keys().Prefix())
	}
	src := &prefixSource{old: old, secure: secure}
	_, src.raw = old.Codec().(codec.Raw)
	return migrate(ctx, src, secure, opts)
}

// migrate runs a migration from src into secure (a checked store).
func migrate(ctx context.Context, src source, secure *store.EncryptingStore, opts []Option) (*MigrateReport, error) {
	j, err := newJob("migrate", opts)
	if err != nil {
		return nil, err
	}
	o := j.o
	if o.prefer != PreferNone && !o.clearOld {
		return nil, fmt.Errorf("recovery: WithPrefer(%v) applies to the conflicts of WithClearOld, which is not set", o.prefer)
	}
	m := &migration{job: j, src: src, secure: secure, rep: &MigrateReport{SkippedBy: map[SkipReason]int{}}}
	j.attach(&m.rep.Summary)
	m.sameServer = sameClient(src.client(), secure.Client())
	// Three stages overlap: this goroutine scans and reads batch i+2 while
	// a second one encodes batch i+1 and a third writes and clears batch i.
	// Unbuffered channels bound memory to a few batches. A started batch
	// runs to its end whatever ctx does, so that the report counts exactly
	// what was written.
	bctx := context.WithoutCancel(ctx)
	work, encoded := make(chan *migBatch), make(chan *migBatch)
	var wg sync.WaitGroup
	wg.Go(func() {
		for b := range work {
			m.encode(b.es, b.live)
			encoded <- b
		}
		close(encoded)
	})
	wg.Go(func() {
		for b := range encoded {
			m.store(bctx, b)
		}
	})
	err = src.scan(ctx, o.batch, func(ctx context.Context, keys []string) error {
		return forChunks(keys, o.batch, func(keys []string) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			work <- m.read(bctx, keys)
			m.progress()
			return nil
		})
	})
	close(work)
	wg.Wait()
	m.progress()
	return m.rep, j.finish(err)
}

type migration struct {
	*job
	src        source
	secure     *store.EncryptingStore
	sameServer bool           // both aliases use one client: copy expiries exactly
	rep        *MigrateReport // guarded by job.mu
}

// entry states
const (
	pending uint8 = iota
	skipped
	failed
	migrated
)

type entry struct {
	oldKey, newKey string
	bound          string    // what the secure codec binds to: newKey unless hashed names
	raw            string    // the old value as read, for compare-and-delete
	expireAt       time.Time // when the old entry expires, by the local clock; zero: persistent
	pxat           int64     // the same by the old server's clock, in Unix ms (same server only)
	tok            []byte    // the value encoded by the secure codec
	secTok         string    // the existing secure token, in a conflict
	state          uint8
	reason         SkipReason
	err            error
	clear          uint8 // what WithClearOld does with the old entry (clr*)
	delErr         error // why clearing it failed
}

func (e *entry) skip(r SkipReason) { e.state, e.reason = skipped, r }
func (e *entry) fail(err error)    { e.state, e.err = failed, err }

// migBatch is one page of keys on its way through Migrate.
type migBatch struct {
	es   []entry
	live []int // indexes of the pending entries
}

// read classifies a page of keys and reads the values and TTLs of those to
// migrate.
func (m *migration) read(ctx context.Context, keys []string) *migBatch {
	es := make([]entry, len(keys))
	var live []int // indexes of pending entries
	for i, k := range keys {
		e := &es[i]
		e.oldKey = k
		if e.newKey, e.bound, e.reason = m.src.target(k); e.reason != "" {
			e.state = skipped
			continue
		}
		live = append(live, i)
	}
	if m.o.beforeRead != nil {
		m.o.beforeRead(ctx, liveKeys(es, live, false))
	}
	live = m.fetch(ctx, es, live)
	if m.o.afterRead != nil {
		m.o.afterRead(ctx, liveKeys(es, live, false))
	}
	return &migBatch{es: es, live: live}
}

// store writes (or, in a dry run, checks) an encoded batch, optionally
// clears its old entries, and accounts for it.
func (m *migration) store(ctx context.Context, b *migBatch) {
	es, live := b.es, pendingOnly(b.es, b.live)
	if m.o.dryRun {
		m.exists(ctx, es, live)
	} else {
		m.write(ctx, es, live)
	}
	if m.o.clearOld {
		m.clearOld(ctx, es)
	}
	for i := range es {
		es[i].tok, es[i].secTok = nil, ""
	}
	m.account(es)
}

func liveKeys(es []entry, live []int, secure bool) []string {
	ks := make([]string, len(live))
	for j, i := range live {
		if secure {
			ks[j] = es[i].newKey
		} else {
			ks[j] = es[i].oldKey
		}
	}
	return ks
}

func pendingOnly(es []entry, live []int) []int {
	out := live[:0]
	for _, i := range live {
		if es[i].state == pending {
			out = append(out, i)
		}
	}
	return out
}

// fetch gets GET and PTTL of the live entries in one pipeline and returns
// the entries still pending, with the time each expires.
func (m *migration) fetch(ctx context.Context, es []entry, live []int) []int {
	if len(live) == 0 {
		return live
	}
	gets := make([]*redis.StringCmd, len(live))
	ttls := make([]*redis.DurationCmd, len(live))
	var clock *redis.TimeCmd
	var expires []*redis.DurationCmd
	readAt := time.Now()
	_, _ = m.src.client().Pipelined(ctx, func(p redis.Pipeliner) error {
		if m.sameServer {
			// PEXPIRETIME (Redis 7) is the exact expiry; TIME + PTTL may
			// be a millisecond early, for older servers.
			clock = p.Time(ctx)
			expires = make([]*redis.DurationCmd, len(live))
		}
		for j, i := range live {
			gets[j] = p.Get(ctx, es[i].oldKey)
			ttls[j] = p.PTTL(ctx, es[i].oldKey)
			if expires != nil {
				expires[j] = p.PExpireTime(ctx, es[i].oldKey)
			}
		}
		return nil
	})
	var serverNow time.Time
	if clock != nil {
		serverNow, _ = clock.Result() // zero on error: fall back to PX
	}
	out := live[:0]
	for j, i := range live {
		e := &es[i]
		v, err := gets[j].Result()
		switch {
		case errors.Is(err, redis.Nil):
			e.skip(SkipExpired)
			continue
		case redis.HasErrorPrefix(err, "WRONGTYPE") && m.src.skipsWrongType():
			e.skip(SkipNotString)
			continue
		case err != nil:
			e.fail(fmt.Errorf("recovery: read: %w", err))
			continue
		}
		ttl, err := ttls[j].Result()
		switch {
		case err != nil:
			e.fail(fmt.Errorf("recovery: read ttl: %w", err))
			continue
		case ttl == -2 || ttl == 0: // gone, or expiring this millisecond
			e.skip(SkipExpired)
			continue
		case ttl > 0:
			// Redis ran PTTL after readAt, and ran the writes after the
			// write pipeline starts: the two delays roughly cancel out.
			e.expireAt = readAt.Add(ttl)
			if expires != nil {
				if at, err := expires[j].Result(); err == nil && at > 0 {
					e.pxat = at.Milliseconds()
				} else if !serverNow.IsZero() {
					e.pxat = serverNow.Add(ttl).UnixMilli()
				}
			}
		}
		e.raw = v
		out = append(out, i)
	}
	return out
}

// encode decodes the old values and encodes them for the secure alias, in
// parallel on large batches.
func (m *migration) encode(es []entry, live []int) {
	sc := m.secure.Codec()
	parallel.For(len(live), func(lo, hi int) {
		for _, i := range live[lo:hi] {
			e := &es[i]
			v, err := m.src.decode(e.oldKey, e.raw)
			if err != nil {
				e.fail(&valueError{ErrDecode, err})
				continue
			}
			tok, err := sc.Encode(e.bound, v)
			if err != nil {
				e.fail(&valueError{ErrEncode, err})
				continue
			}
			e.tok = tok
		}
	})
}

// account adds a batch to the report.
func (m *migration) account(es []entry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.rep
	for i := range es {
		e := &es[i]
		r.Scanned++
		switch e.state {
		case migrated:
			r.Migrated++
		case skipped:
			r.Skipped++
			r.SkippedBy[e.reason]++
		case failed:
			r.Failed++
			m.failure(e.oldKey, e.err)
		}
		switch e.clear {
		case clrDeleted:
			r.Deleted++
		case clrResolved:
			r.Resolved++
			if !r.DryRun {
				r.Deleted++
			}
		case clrKept:
			r.Kept++
		case clrConflict:
			r.Conflicts++
		case clrDeleteFailed:
			r.DeleteFailed++
			m.failure(e.oldKey, e.delErr)
		}
		if (e.clear == clrKept || e.clear == clrConflict) && len(r.ConflictKeys) < m.o.samples {
			r.ConflictKeys = append(r.ConflictKeys, e.oldKey)
		}
	}
}

// progress calls the progress callback with the totals of the batches done,
// if they changed since the last call.
func (m *migration) progress() {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.rep
	m.job.progress(Progress{Scanned: r.Scanned, Done: r.Migrated, Skipped: r.Skipped, Failed: r.Failed})
}
