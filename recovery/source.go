package recovery

import (
	"context"
	"fmt"
	"strings"

	"github.com/secureredis/secureredis/store"
)

// Source is an old alias of bare keys, as gocache's Redis store and
// go-redis/cache write them: "user:42", with no prefix and no version.
// MigrateFrom reads it.
type Source struct {
	// Client reaches the old entries: a *redis.Client, a failover client, or
	// a *redis.ClusterClient (every master is scanned). Required.
	Client store.Rediser
	// Patterns are Redis glob patterns (SCAN MATCH) that select the old
	// keys, such as "user:*"; at least one, none empty. Each is scanned in
	// turn. A key matched by two patterns is met twice (the second time it
	// is skipped as SkipExists, or SkipExpired once cleared). Patterns must
	// select only the old alias's entries: "*" on a database that other
	// applications share would reach their keys too (keys of the secure
	// alias's scheme are always skipped).
	Patterns []string
	// Format is how the values were written; the zero value is FormatRaw.
	Format Format
}

// MigrateFrom copies every entry of src into the secure alias, as Migrate
// does for an old alias with a key prefix: the same pipelines, SET NX, TTLs
// kept (exactly, by the server's clock, when src.Client is secure's client),
// WithClearOld's compare-and-delete and conflicts, WithPrefer, WithDryRun,
// WithProgress, resumable by running it again.
//
// Keys come from SCAN MATCH with each pattern and a COUNT of the batch size
// (never KEYS), on every master of a cluster. Each key moves to the same
// logical key at the secure alias's default version:
// "user:42" becomes secure.Keys().Key("user:42"). Keys under the secure
// alias's prefix are skipped (SkipSecureNamespace), and so are keys that are
// not Redis strings, such as gocache's tag sets (SkipNotString). Values are
// decoded per src.Format (see Format); one that does not decode fails with
// ErrDecode and its old entry is kept.
//
// Errors: ErrNilStore and ErrNoClient for secure, ErrNoClient for a nil
// src.Client, ErrNoPatterns, ErrUnknownFormat, an invalid option, and, when
// the run stops early, the partial report with an error wrapping the cause.
func MigrateFrom(ctx context.Context, src Source, secure *store.EncryptingStore, opts ...Option) (*MigrateReport, error) {
	if err := checkStore(secure, "secure alias"); err != nil {
		return nil, err
	}
	if src.Client == nil {
		return nil, fmt.Errorf("%w: source", ErrNoClient)
	}
	if len(src.Patterns) == 0 || hasEmpty(src.Patterns) {
		return nil, ErrNoPatterns
	}
	f, err := ParseFormat(string(src.Format))
	if err != nil {
		return nil, err
	}
	ps := &patternSource{
		rediser:  src.Client,
		patterns: append([]string(nil), src.Patterns...),
		format:   f,
		secure:   secure,
	}
	return migrate(ctx, ps, secure, opts)
}

func hasEmpty(ss []string) bool {
	for _, s := range ss {
		if s == "" {
			return true
		}
	}
	return false
}

// patternSource is the Source of MigrateFrom.
type patternSource struct {
	rediser  store.Rediser
	patterns []string
	format   Format
	secure   *store.EncryptingStore
}

func (s *patternSource) client() store.Rediser { return s.rediser }

func (s *patternSource) scan(ctx context.Context, count int, fn func(context.Context, []string) error) error {
	return scanPatterns(ctx, s.rediser, s.patterns, count, fn)
}

func (s *patternSource) target(k string) (string, string, SkipReason) {
	if s.secure.Keys().Owns(k) || strings.HasPrefix(k, s.secure.Keys().Prefix()+":") {
		return "", "", SkipSecureNamespace
	}
	keys := s.secure.Keys()
	return keys.Key(k), keys.BindingKeyVersion(k, keys.Version()), ""
}

func (s *patternSource) decode(_, raw string) (any, error) { return s.format.decode(raw) }

func (s *patternSource) skipsWrongType() bool { return true }
