package localtier

import (
	"container/list"
	"sync"
	"sync/atomic"
	"time"
)

// entry is one key of the local tier: a placeholder while its fill is in
// flight (pending), then the token read from Redis.
type entry struct {
	key     string
	tok     string
	expires time.Time // zero: no local expiry
	ttlEnd  time.Time // when Redis expires the key, at the latest; zero: never
	pending bool
	elem    *list.Element // in lru once filled
}

// cache is the bounded map of tokens behind Client. Every method is safe for
// concurrent use. A fill follows the placeholder protocol: reserve inserts a
// pending entry before the read is sent; any invalidation or flush that
// happens before fill removes it, and fill then stores nothing. So a token
// that was overwritten while its read was in flight is never kept.
type cache struct {
	mu         sync.Mutex
	m          map[string]*entry
	lru        list.List // filled entries, most recent first
	bytes      int64
	maxEntries int
	maxBytes   int64
	maxEntry   int
	maxStale   time.Duration
	now        func() time.Time
	// trusted is set while the tracking connection is established; while
	// it is not, nothing is served or kept.
	trusted bool

	hits, misses, invalidations, flushes, evictions, messages atomic.Uint64
}

func newCache(o *options) *cache {
	return &cache{
		m:          map[string]*entry{},
		maxEntries: o.maxEntries,
		maxBytes:   o.maxBytes,
		maxEntry:   o.maxEntryBytes,
		maxStale:   o.maxStaleness,
		now:        o.now,
	}
}

// lookup returns the token of key when it is cached and live; otherwise, when
// tracking is established and no fill of key is in flight, it inserts a
// placeholder and returns it for fill.
func (c *cache) lookup(key string) (tok string, hit bool, p *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.trusted {
		c.misses.Add(1)
		return "", false, nil
	}
	e := c.m[key]
	if e != nil && !e.pending {
		if e.expires.IsZero() || c.now().Before(e.expires) {
			c.lru.MoveToFront(e.elem)
			c.hits.Add(1)
			return e.tok, true, nil
		}
		c.removeLocked(e)
		e = nil
	}
	c.misses.Add(1)
	if e != nil {
		return "", false, nil // a fill is in flight: read through, keep nothing
	}
	p = &entry{key: key, pending: true}
	c.m[key] = p
	return "", false, p
}

// fill stores tok for the placeholder p, unless p was invalidated or flushed
// meanwhile, or tok is too large. ttl is the key's remaining time to live as
// Redis counted it at start (or after: start is when the read was sent), and
// negative for a key without expiry.
func (c *cache) fill(p *entry, tok string, start time.Time, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m[p.key] != p {
		return
	}
	size := entrySize(p.key, tok)
	if len(tok) > c.maxEntry || size > c.maxBytes {
		delete(c.m, p.key)
		return
	}
	var exp time.Time
	if ttl >= 0 {
		exp = start.Add(ttl)
	}
	p.ttlEnd = exp
	if c.maxStale > 0 {
		if s := start.Add(c.maxStale); exp.IsZero() || s.Before(exp) {
			exp = s
		}
	}
	p.tok, p.expires, p.pending = tok, exp, false
	p.elem = c.lru.PushFront(p)
	c.bytes += size
	for c.lru.Len() > c.maxEntries || c.bytes > c.maxBytes {
		c.removeLocked(c.lru.Back().Value.(*entry))
		c.evictions.Add(1)
	}
}

// ttl returns the remaining time to live in Redis of a cached key (0 for a
// key without expiry), and false when the key is not cached.
func (c *cache) ttl(key string) (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[key]
	if e == nil || e.pending || !c.trusted {
		return 0, false
	}
	if e.ttlEnd.IsZero() {
		return 0, true
	}
	d := e.ttlEnd.Sub(c.now())
	if d <= 0 {
		return 0, false
	}
	return d, true
}

// cancel removes the placeholder p if it is still there.
func (c *cache) cancel(p *entry) {
	c.mu.Lock()
	if c.m[p.key] == p {
		delete(c.m, p.key)
	}
	c.mu.Unlock()
}

// invalidate removes keys (entries and placeholders). It reports how many
// were there.
func (c *cache) invalidate(keys ...string) int {
	n := 0
	c.mu.Lock()
	for _, k := range keys {
		if e := c.m[k]; e != nil {
			c.removeLocked(e)
			n++
		}
	}
	c.mu.Unlock()
	return n
}

// flush removes everything, placeholders included, so no fill in flight
// stores its token.
func (c *cache) flush() { c.setTrusted(nil) }

// setTrusted flushes the cache and, when trusted is not nil, sets whether
// tracking is established, in one step: a read that saw the old state cannot
// keep its token in the new one.
func (c *cache) setTrusted(trusted *bool) {
	c.mu.Lock()
	clear(c.m)
	c.lru.Init()
	c.bytes = 0
	if trusted != nil {
		c.trusted = *trusted
	}
	c.mu.Unlock()
	c.flushes.Add(1)
}

func (c *cache) isTrusted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.trusted
}

func (c *cache) removeLocked(e *entry) {
	delete(c.m, e.key)
	if e.elem != nil {
		c.lru.Remove(e.elem)
		c.bytes -= entrySize(e.key, e.tok)
		e.elem = nil
	}
}

// len returns the number of filled entries and their estimated bytes.
func (c *cache) len() (int, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len(), c.bytes
}

// entryOverhead approximates what an entry costs beyond its key and token:
// the map slot, the entry struct and its list element.
const entryOverhead = 160

func entrySize(key, tok string) int64 {
	return int64(len(key) + len(tok) + entryOverhead)
}
