package store

import (
	"context"
	"errors"
	"iter"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
)

// KeysMatching returns the logical keys of the store's scheme, at the default
// version (or AtVersion), that match the Redis glob pattern (* ? [abc] [^a]
// [a-z], \ escapes), like Django's cache.keys and iter_keys (Keys is taken by the key scheme's
// accessor): "user:*" lists
// "user:1", "user:2". Keys are found with SCAN (never KEYS) on every master
// of a cluster, with a MATCH pattern made of the glob-escaped prefix and
// version followed by pattern, and each key is checked against the scheme,
// the version and the pattern before it is reported: keys outside the
// prefix, of another version, tag sets and locks are never listed. A key may
// be listed twice when SCAN reports it twice. It checks ctx between SCAN
// pages. On a store built with New it returns ErrNotSupported.
func (s *EncryptingStore) KeysMatching(ctx context.Context, pattern string, opts ...CallOption) ([]string, error) {
	var keys []string
	for k, err := range s.IterKeys(ctx, pattern, opts...) {
		if err != nil {
			return keys, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// IterKeys is KeysMatching as an iterator, which holds at most one SCAN page in
// memory (Django's iter_keys). It yields ("", err) once and stops on an
// error. Masters of a cluster are scanned one after the other on the calling
// goroutine.
func (s *EncryptingStore) IterKeys(ctx context.Context, pattern string, opts ...CallOption) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		if s.client == nil {
			yield("", ErrNotSupported)
			return
		}
		err := s.scanPattern(ctx, pattern, applyCallOptions(opts), func(_ context.Context, _ Rediser, _, keys []string) error {
			for _, k := range keys {
				if !yield(k, nil) {
					return errStopIteration
				}
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopIteration) {
			yield("", err)
		}
	}
}

var errStopIteration = errors.New("store: iteration stopped")

// DeletePattern deletes the entries whose logical keys match pattern at the
// default version (or AtVersion), found as KeysMatching finds them, with UNLINK in
// batches of one SCAN page (django-redis's delete_pattern), and returns how
// many keys it deleted. Nothing outside the store's scheme and version is
// ever deleted. It checks ctx between batches; on an error the keys of
// earlier batches are already gone and the count says how many. On a store
// built with New it returns ErrNotSupported.
func (s *EncryptingStore) DeletePattern(ctx context.Context, pattern string, opts ...CallOption) (int64, error) {
	if s.client == nil {
		return 0, ErrNotSupported
	}
	var n int64
	err := s.scanPattern(ctx, pattern, applyCallOptions(opts), func(ctx context.Context, node Rediser, sks, _ []string) error {
		d, err := s.unlinkCount(ctx, node, sks)
		n += d
		return err
	})
	return n, err
}

// matchPattern returns the SCAN MATCH pattern for logical-key pattern at
// version v: the glob-escaped storage key of the empty key followed by the
// pattern when the key function appends the key (Django's default), the
// whole prefix otherwise.
func (s *EncryptingStore) matchPattern(pattern string, v int) string {
	const marker = "\x00*marker*\x00"
	if sk := s.keys.KeyVersion(marker, v); strings.HasSuffix(sk, marker) {
		return codec.GlobEscape(strings.TrimSuffix(sk, marker)) + pattern
	}
	return s.keys.Pattern()
}

// scanPattern calls fn with each SCAN page's storage keys of the scheme, at
// the call's version, whose logical keys match pattern, and those logical
// keys, node by node (every master of a cluster), on the calling goroutine.
func (s *EncryptingStore) scanPattern(ctx context.Context, pattern string, o callOptions, fn func(ctx context.Context, node Rediser, sks, keys []string) error) error {
	if o.err != nil {
		return o.err
	}
	v := s.version(o)
	match := s.matchPattern(pattern, v)
	nodes, err := s.nodes(ctx)
	if err != nil {
		return err
	}
	for _, node := range nodes {
		sc := NewScanner(node, match, s.scan)
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			page, more, err := sc.Next(ctx)
			if err != nil {
				return err
			}
			sks, keys := page[:0:0], make([]string, 0, len(page))
			if s.keys.Hashed() {
				// The names hold no key: read it from each token (hashnames.go).
				names, ks, vs, err := s.hashedPage(ctx, node, page)
				if err != nil {
					return err
				}
				for i, k := range ks {
					if vs[i] == v && globMatch(pattern, k) {
						sks = append(sks, names[i])
						keys = append(keys, k)
					}
				}
			}
			for _, sk := range page {
				k, kv, ok := s.keys.Parse(sk) // false for every hashed name
				if ok && kv == v && globMatch(pattern, k) {
					sks = append(sks, sk)
					keys = append(keys, k)
				}
			}
			if len(sks) > 0 {
				if err := fn(ctx, node, sks, keys); err != nil {
					return err
				}
			}
			if !more {
				break
			}
		}
	}
	return nil
}

// nodes returns the servers to scan: every master of a cluster, else the
// client.
func (s *EncryptingStore) nodes(ctx context.Context) ([]Rediser, error) {
	c, ok := s.client.(masterIterator)
	if !ok {
		return []Rediser{s.client}, nil
	}
	var mu sync.Mutex
	var nodes []Rediser
	err := c.ForEachMaster(ctx, func(_ context.Context, node *redis.Client) error {
		mu.Lock()
		defer mu.Unlock()
		nodes = append(nodes, node)
		return nil
	})
	return nodes, err
}

// unlinkCount deletes keys held by node and returns how many existed: one
// UNLINK on a single node, one per key (pipelined) on a cluster, where a
// page's keys may lie in different hash slots.
func (s *EncryptingStore) unlinkCount(ctx context.Context, node Rediser, keys []string) (int64, error) {
	if !s.clustered() {
		return node.Unlink(ctx, keys...).Result()
	}
	cmds, err := node.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Unlink(ctx, k)
		}
		return nil
	})
	var n int64
	for _, c := range cmds {
		if ic, ok := c.(*redis.IntCmd); ok {
			n += ic.Val()
		}
	}
	return n, err
}

// globMatch reports whether s matches the Redis glob pattern p (Redis's
// stringmatchlen: * ? [set] [^set] [a-z], \ escapes). It runs in
// O(len(p)*len(s)) time and no extra memory, whatever the key.
func globMatch(p, s string) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch p[pi] {
			case '*':
				for pi < len(p) && p[pi] == '*' {
					pi++
				}
				if pi == len(p) {
					return true
				}
				starP, starS = pi, si
				continue
			default:
				if next, ok := matchOne(p, pi, s[si]); ok {
					pi, si = next, si+1
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		pi, si = starP, starS
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// matchOne matches the single-character token of p at pi (not a star)
// against c and returns the index after the token.
func matchOne(p string, pi int, c byte) (int, bool) {
	switch p[pi] {
	case '?':
		return pi + 1, true
	case '\\':
		if pi+1 < len(p) {
			return pi + 2, p[pi+1] == c
		}
		return pi + 1, c == '\\'
	case '[':
		return matchClass(p, pi+1, c)
	}
	return pi + 1, p[pi] == c
}

// matchClass matches a [set] whose body starts at i; an unterminated set
// runs to the end of the pattern, as in Redis.
func matchClass(p string, i int, c byte) (int, bool) {
	not := i < len(p) && p[i] == '^'
	if not {
		i++
	}
	match := false
	for i < len(p) && p[i] != ']' {
		switch {
		case p[i] == '\\' && i+1 < len(p):
			i++
			match = match || p[i] == c
			i++
		case i+2 < len(p) && p[i+1] == '-' && p[i+2] != ']':
			lo, hi := p[i], p[i+2]
			if lo > hi {
				lo, hi = hi, lo
			}
			match = match || (c >= lo && c <= hi)
			i += 3
		default:
			match = match || p[i] == c
			i++
		}
	}
	if i < len(p) {
		i++ // the ]
	}
	return i, match != not
}
