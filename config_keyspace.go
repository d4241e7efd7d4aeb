package secureredis

import (
	"slices"
	"strconv"
	"strings"

	"github.com/secureredis/secureredis/codec"
)

// tagInfix is where the store keeps an alias's tag sets: "prefix:gocache_tag:tag"
// (see store's tagKey). Clear and Invalidate delete them.
const tagInfix = ":gocache_tag:"

// spaceKind is the shape of a keySpace.
type spaceKind int

const (
	spaceScheme  spaceKind = iota // "prefix:version:key", as KeyScheme.Owns accepts
	spaceTags                     // "prefix:gocache_tag:...", the store's tag sets
	spacePattern                  // keys a Redis glob matches (old_key_patterns)
)

// keySpace is a set of Redis keys that a command (Get, Clear, Invalidate,
// migrate, rotate, audit) may read or delete, on the databases dbs.
type keySpace struct {
	alias string // the alias whose settings define it
	field string // the field that defines it, relative to caches.<alias>
	desc  string // what it is, for errors
	kind  spaceKind
	text  string // prefix (scheme, tags) or glob (pattern)
	dbs   []string
	// recoveryOf is, for an old-entries space, the alias the entries belong
	// to (old_cache_name): that alias's own spaces may overlap it.
	recoveryOf string
}

// fixed returns the text every key of the space starts with, and whether
// that is all the space requires beyond its shape.
func (s keySpace) fixed() string {
	switch s.kind {
	case spaceScheme:
		return s.text + ":"
	case spaceTags:
		return s.text + tagInfix
	}
	lit, _ := globLiteral(s.text)
	return lit
}

// contains reports whether key belongs to a scheme or tag space.
func (s keySpace) contains(key string) bool {
	switch s.kind {
	case spaceScheme:
		_, _, ok := codec.DjangoReverseKeyFunc(key, s.text)
		return ok
	case spaceTags:
		return strings.HasPrefix(key, s.text+tagInfix)
	}
	return false
}

// sample returns the shortest kind of key of a scheme or tag space: one whose
// membership in another scheme or tag space decides whether the two
// intersect (both are "fixed text, then a version or the tag infix, then
// anything"), so that intersects is exact for them.
func (s keySpace) sample() string {
	if s.kind == spaceScheme {
		return s.text + ":1:k"
	}
	return s.text + tagInfix + "k"
}

// mayExtend reports whether some key of a scheme or tag space starts with
// lit, where lit starts with the space's fixed text.
func (s keySpace) mayExtend(lit string) bool {
	if s.kind == spaceTags {
		return true
	}
	rest := lit[len(s.text)+1:]
	if seg, _, ok := strings.Cut(rest, ":"); ok {
		_, _, owned := codec.DjangoReverseKeyFunc(s.text+":"+seg+":k", s.text)
		return owned
	}
	rest = strings.TrimPrefix(rest, "-")
	return strings.Trim(rest, "0123456789") == "" // a version's first digits
}

// intersects reports whether two spaces may share a key. It is exact for
// schemes and tag sets, and errs towards true for glob patterns (it compares
// their literal prefixes).
func intersects(a, b keySpace) bool {
	if a.kind == spacePattern && b.kind == spacePattern {
		la, fa := globLiteral(a.text)
		lb, fb := globLiteral(b.text)
		if fa && fb {
			return la == lb
		}
		return strings.HasPrefix(la, lb) || strings.HasPrefix(lb, la)
	}
	if b.kind == spacePattern {
		a, b = b, a
	}
	if a.kind == spacePattern {
		lit, full := globLiteral(a.text)
		fb := b.fixed()
		switch {
		case full:
			return b.contains(lit)
		case strings.HasPrefix(fb, lit):
			return true // the glob may match any key of b
		case strings.HasPrefix(lit, fb):
			return b.mayExtend(lit)
		}
		return false
	}
	return a.contains(b.sample()) || b.contains(a.sample())
}

// globLiteral returns the literal text a Redis glob starts with (escapes
// resolved) and whether the glob is only that text.
func globLiteral(glob string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; c {
		case '*', '?', '[':
			return b.String(), false
		case '\\':
			if i+1 < len(glob) {
				i++
			}
			b.WriteByte(glob[i])
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// keySpaces lists the key spaces of the Redis aliases among names: each
// alias's scheme and tag sets, and the old entries its data_recovery reads
// and deletes (on the old alias's databases). Aliases whose locations do not
// parse are left to validateAlias.
func (c *Config) keySpaces(names []string) []keySpace {
	dbs := map[string][]string{}
	for _, name := range names {
		if cc := c.Caches[name]; cc.isRedis() {
			if t, err := redisTarget(cc); err == nil {
				dbs[name] = t.databases()
			}
		}
	}
	var out []keySpace
	for _, name := range names {
		cc := c.Caches[name]
		if d, ok := dbs[name]; ok {
			out = append(out,
				keySpace{alias: name, field: "key_prefix", desc: schemeDesc(cc.KeyPrefix), kind: spaceScheme, text: cc.KeyPrefix, dbs: d},
				keySpace{alias: name, field: "key_prefix", desc: "tag sets of " + schemeDesc(cc.KeyPrefix), kind: spaceTags, text: cc.KeyPrefix, dbs: d})
		}
		dr := cc.Options.DataRecovery
		if dr == nil {
			continue
		}
		d, ok := dbs[dr.OldCacheName]
		if !ok {
			continue // a memory, external or unknown old alias
		}
		dp := "options.data_recovery."
		if len(dr.OldKeyPatterns) == 0 {
			out = append(out, keySpace{alias: name, field: dp + "old_key_prefix", desc: "old entries " + schemeDesc(dr.OldKeyPrefix),
				kind: spaceScheme, text: dr.OldKeyPrefix, dbs: d, recoveryOf: dr.OldCacheName})
		}
		for i, pat := range dr.OldKeyPatterns {
			if pat == "" {
				continue // reported by validateAlias
			}
			out = append(out, keySpace{alias: name, field: dp + "old_key_patterns[" + strconv.Itoa(i) + "]",
				desc: "old keys matching pattern #" + strconv.Itoa(i+1), kind: spacePattern, text: pat, dbs: d, recoveryOf: dr.OldCacheName})
		}
	}
	return out
}

func schemeDesc(prefix string) string {
	if prefix != "" && !plausibleName(prefix) {
		return "keys of a key prefix not shown (it does not look like one)"
	}
	return strconv.Quote(prefix+":<version>:*") + " (key prefix " + strconv.Quote(prefix) + ")"
}

// overlaps reports every pair of key spaces, on one database, that may share
// a key: one alias's Clear, migration or rotation would then read or delete
// the other's entries. With Django's key layout, prefix "app1" owns the keys
// of prefix "app1:2" (they read as version 2 of app1), and "app1:gocache_tag"
// holds app1's tag sets; "app1" and "app1:secure" do not overlap, which is
// how a secure alias lives beside the old plaintext one it migrates from. An
// alias's data_recovery may overlap its old alias (those are its entries),
// and nothing else. Databases are compared by address and number (a cluster
// has only 0; a Sentinel master by its name and sentinels), so one server
// reached through two host names is not detected.
func (c *Config) overlaps(names []string) []*ConfigError {
	spaces := c.keySpaces(names)
	var errs []*ConfigError
	reported := map[[2]string]bool{}
	for i, a := range spaces {
		for _, b := range spaces[i+1:] {
			switch {
			case a.alias == b.alias && a.recoveryOf == b.recoveryOf:
				continue // one alias's own scheme and tag sets, or one data_recovery's patterns
			case a.recoveryOf != "" && a.recoveryOf == b.alias && b.recoveryOf == "",
				b.recoveryOf != "" && b.recoveryOf == a.alias && a.recoveryOf == "":
				continue // old entries and the old alias that holds them
			case !sharesDB(a.dbs, b.dbs) || !intersects(a, b):
				continue
			}
			pair := [2]string{a.alias + "." + a.field, b.alias + "." + b.field}
			if reported[pair] {
				continue
			}
			reported[pair] = true
			errs = append(errs, configErr(aliasPath(b.alias)+"."+b.field,
				"%s of alias %s overlap %s of alias %s on the same database: Clear, migration or rotation of one would read or delete the other's entries",
				b.desc, quoteName(b.alias), a.desc, quoteName(a.alias)))
		}
	}
	return errs
}

func sharesDB(a, b []string) bool {
	for _, d := range a {
		if slices.Contains(b, d) {
			return true
		}
	}
	return false
}
