package secureredis

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/localtier"
	"github.com/secureredis/secureredis/store"
)

// LocalTierConfig turns on an in-memory tier of tokens in front of a Redis
// alias (native options.local_tier, Django OPTIONS.LOCAL_TIER), kept coherent
// across processes by Redis's invalidations (package localtier). Its zero
// value turns the tier on with the defaults. Only for a single Redis server
// or a Sentinel alias: a Redis Cluster alias is refused (invalidations are
// per node).
type LocalTierConfig struct {
	// MaxEntries bounds the tokens kept (max_entries, MAX_ENTRIES). Zero
	// means localtier.DefaultMaxEntries.
	MaxEntries int
	// MaxBytes bounds their estimated memory (max_bytes, MAX_BYTES). Zero
	// means localtier.DefaultMaxBytes.
	MaxBytes int64
	// MaxStaleness caps how long a token is served from memory whatever the
	// invalidations say (max_staleness, MAX_STALENESS; seconds or a Go
	// duration string). Zero, the default, means no cap.
	MaxStaleness time.Duration
}

// localTierFields names the fields of local_tier in one form of the file.
type localTierFields struct{ entries, bytes, staleness string }

var (
	nativeLocalTierFields = localTierFields{"max_entries", "max_bytes", "max_staleness"}
	djangoLocalTierFields = localTierFields{"MAX_ENTRIES", "MAX_BYTES", "MAX_STALENESS"}
)

// localTier parses a local_tier mapping (an empty one, or null, turns the
// tier on with the defaults).
func (p *parser) localTier(n *yaml.Node, path string, f localTierFields) (*LocalTierConfig, error) {
	lt := &LocalTierConfig{}
	if d := deref(n); d.Kind == yaml.ScalarNode && d.ShortTag() == "!!null" {
		return lt, nil
	}
	err := p.mapping(n, path, func(key string, v *yaml.Node, path string) (err error) {
		switch key {
		case f.entries:
			lt.MaxEntries, err = p.int(v, path)
		case f.bytes:
			var b int
			b, err = p.int(v, path)
			lt.MaxBytes = int64(b)
		case f.staleness:
			lt.MaxStaleness, err = p.duration(v, path)
		default:
			err = unknownField(path, key, f.entries, f.bytes, f.staleness)
		}
		return err
	})
	return lt, err
}

// validateLocalTier checks options.local_tier of the alias at path p.
func (cc CacheConfig) validateLocalTier(p string) []*ConfigError {
	lt := cc.Options.LocalTier
	if lt == nil {
		return nil
	}
	var errs []*ConfigError
	add := func(field, format string, args ...any) {
		errs = append(errs, configErr(p+".options.local_tier"+field, format, args...))
	}
	if !cc.isRedis() {
		add("", "only for Redis backends")
	} else if t, err := redisTarget(cc); err == nil && t.cluster != nil {
		add("", "not supported on Redis Cluster: Redis sends invalidations per node, and this tier tracks one server (use a single server or Sentinel, or no local tier)")
	}
	if lt.MaxEntries < 0 {
		add(".max_entries", "must not be negative")
	}
	if lt.MaxBytes < 0 {
		add(".max_bytes", "must not be negative")
	}
	if lt.MaxStaleness < 0 {
		add(".max_staleness", "must not be negative")
	}
	return errs
}

// newMainStore returns the alias's own store: over a localtier.Client when
// the alias has a local tier, else as newStore does.
func (a *alias) newMainStore(cc CacheConfig) (*store.EncryptingStore, error) {
	lt := cc.Options.LocalTier
	if lt == nil || a.client == nil {
		return a.newStore(cc.KeyPrefix, cc.Version, cc.Timeout)
	}
	keys, err := codec.NewKeyScheme(cc.KeyPrefix, codec.WithVersion(cc.Version))
	if err != nil {
		return nil, err
	}
	var opts []localtier.Option
	if lt.MaxEntries > 0 {
		opts = append(opts, localtier.WithMaxEntries(lt.MaxEntries))
	}
	if lt.MaxBytes > 0 {
		opts = append(opts, localtier.WithMaxBytes(lt.MaxBytes))
	}
	if lt.MaxStaleness > 0 {
		opts = append(opts, localtier.WithMaxStaleness(lt.MaxStaleness))
	}
	if a.tier, err = localtier.New(a.client, keys.Prefix()+":", opts...); err != nil {
		return nil, err
	}
	return store.NewRedis(a.tier, a.codec, keys, store.WithDefaultExpiration(cc.Timeout.Expiration()))
}

// closeTier stops the alias's tier, if any.
func (a *alias) closeTier() {
	if a.tier != nil {
		_ = a.tier.Close()
	}
}

// Tier returns the local tier of the alias name (options.local_tier), for
// its Stats and Sync; Store's store already reads through it, and
// localtier.NewStore(store) gives the form for gocache's cache.NewChain.
// Errors wrap ErrUnknownAlias for an unknown or unopened alias or one
// without a local tier, and ErrClosed after Close.
func (c *Caches) Tier(name string) (*localtier.Client, error) {
	a, err := c.lookup(name)
	if err != nil {
		return nil, err
	}
	if a.tier == nil {
		return nil, fmt.Errorf("%w: %q has no local_tier", ErrUnknownAlias, name)
	}
	return a.tier, nil
}
