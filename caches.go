package secureredis

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	gocachego "github.com/eko/gocache/store/go_cache/v4"
	gocache "github.com/patrickmn/go-cache"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/localtier"
	"github.com/secureredis/secureredis/store"
)

// ErrUnknownAlias is matched by the error Caches returns for an alias that is
// not in the configuration or is not opened (backend external).
var ErrUnknownAlias = errors.New("secureredis: unknown cache alias")

// ErrClosed is returned by Caches methods called after Close.
var ErrClosed = errors.New("secureredis: caches closed")

// memoryCleanup is how often a memory alias drops its expired entries.
const memoryCleanup = time.Minute

// Caches holds the opened aliases of a Config: one gocache store per alias,
// over go-redis clients shared by the aliases that use the same backend,
// locations and database. It is safe for concurrent use. Close releases the
// clients.
type Caches struct {
	cfg      *Config
	aliases  map[string]*alias
	clients  []redis.UniversalClient // distinct clients, each closed once
	mu       sync.RWMutex
	closed   bool
	closeErr error
}

// alias is one opened alias.
type alias struct {
	cfg      CacheConfig
	client   redis.UniversalClient       // Redis backends
	inner    gocachestore.StoreInterface // memory backend
	codec    store.Codec
	store    *store.EncryptingStore
	recovery *store.EncryptingStore // set when the alias has data recovery by old_key_prefix
	// recoveryClient is the old alias's client when the alias has data
	// recovery (nil for a memory old alias).
	recoveryClient redis.UniversalClient
	tier           *localtier.Client // options.local_tier (config_localtier.go)
}

// Open validates cfg and opens every alias except external ones: one go-redis
// client per distinct (backend, locations, database, timeouts), shared by the
// aliases that use it and checked with PING under ctx; an in-memory cache per
// memory alias; and per alias a store.EncryptingStore with the alias's key
// scheme, default expiration and codec (see "Opened aliases" in the package
// documentation). Each connection attempt waits at most the alias's
// ConnectTimeout, each reply its ReadTimeout. Errors: a *ConfigError
// (ErrInvalidConfig) for an invalid configuration, or the Redis error, naming
// the alias and with no password, for a server that does not answer; on
// error everything opened so far is closed. cfg is copied. Options:
// WithKeyCheck.
func Open(ctx context.Context, cfg *Config, opts ...OpenOption) (*Caches, error) {
	installRedisLogger() // go-redis prints nothing unless SetRedisLogger asked
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o, err := applyOpenOptions(opts)
	if err != nil {
		return nil, err
	}
	c := &Caches{cfg: cfg.withDefaults(), aliases: map[string]*alias{}}
	if err := c.open(ctx); err != nil {
		_ = c.Close()
		return nil, err
	}
	if err := c.checkKeys(ctx, o); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Caches) open(ctx context.Context) error {
	names := sortedNames(c.cfg)
	shared := map[string]redis.UniversalClient{}
	for _, name := range names {
		cc := c.cfg.Caches[name]
		a := &alias{cfg: cc}
		switch {
		case cc.isRedis():
			t, cerr := redisTarget(cc)
			if cerr != nil { // Validate passed, so this does not happen
				cerr.Field = aliasPath(name) + "." + cerr.Field
				return cerr
			}
			client, ok := shared[t.key]
			if !ok {
				switch {
				case t.failover != nil:
					client = redis.NewFailoverClient(t.failover)
				case t.cluster != nil:
					client = redis.NewClusterClient(t.cluster)
				default:
					client = redis.NewClient(t.single)
				}
				c.clients = append(c.clients, client)
				shared[t.key] = client
				if err := client.Ping(ctx).Err(); err != nil {
					return fmt.Errorf("secureredis: caches.%s: connect to %s: %w", name, cc.Location, err)
				}
			}
			a.client = client
		case cc.Backend == BackendMemory:
			a.inner = gocachego.NewGoCache(gocache.New(gocache.NoExpiration, memoryCleanup))
		default:
			continue // external: never opened
		}
		var err error
		if a.codec, err = newCodec(cc); err != nil {
			return fmt.Errorf("secureredis: caches.%s: %w", name, err)
		}
		if a.store, err = a.newMainStore(cc); err != nil {
			return fmt.Errorf("secureredis: caches.%s: %w", name, err)
		}
		c.aliases[name] = a
	}
	// Recovery sources read the old alias through its own client and codec.
	for name, a := range c.aliases {
		dr := a.cfg.Options.DataRecovery
		if dr == nil {
			continue
		}
		old, ok := c.aliases[dr.OldCacheName]
		if !ok { // Validate passed, so this does not happen
			return fmt.Errorf("%w: caches.%s.options.data_recovery.old_cache_name: %q", ErrUnknownAlias, name, dr.OldCacheName)
		}
		a.recoveryClient = old.client
		if len(dr.OldKeyPatterns) > 0 {
			continue // bare keys: RecoveryClient, not a store under a prefix
		}
		var err error
		if a.recovery, err = old.newStore(dr.OldKeyPrefix, old.cfg.Version, old.cfg.Timeout); err != nil {
			return fmt.Errorf("secureredis: caches.%s: data recovery: %w", name, err)
		}
	}
	return nil
}

func sortedNames(cfg *Config) []string {
	names := make([]string, 0, len(cfg.Caches))
	for name := range cfg.Caches {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// newStore returns a store over the alias's client (or memory cache) and
// codec, with the given key prefix, version and default expiration.
func (a *alias) newStore(prefix string, version int, timeout Timeout) (*store.EncryptingStore, error) {
	names, err := a.cfg.hashedNames(a.codec) // config_hashnames.go
	if err != nil {
		return nil, err
	}
	keys, err := codec.NewKeyScheme(prefix, append(names, codec.WithVersion(version))...)
	if err != nil {
		return nil, err
	}
	exp := store.WithDefaultExpiration(timeout.Expiration())
	if a.client != nil {
		return store.NewRedis(a.client, a.codec, keys, exp)
	}
	return store.New(a.inner, a.codec, keys, exp)
}

// newCodec returns the codec of an alias: Fernet with its keys, or Raw.
func newCodec(cc CacheConfig) (store.Codec, error) {
	var ser codec.Serializer
	switch cc.serializer() {
	case SerializerRaw:
		return codec.Raw{}, nil
	case SerializerNative:
		ser = codec.Msgpack{}
	case SerializerJSON:
		ser = codec.JSON{}
	case SerializerPickle, SerializerDjangoJSON, SerializerDjangoMsgpack:
		return newDjangoRedisCodec(cc)
	default:
		return nil, fmt.Errorf("serializer %s is not supported: %w", cc.serializer(), errors.ErrUnsupported)
	}
	ring, err := codec.NewKeyRing(cc.Options.SecretKeys...)
	if err != nil {
		return nil, err
	}
	return codec.New(ring, codec.WithSerializer(ser), codec.WithMaxAge(cc.Options.MaxAge),
		codec.WithBindingContext(cc.Options.BindingContext))
}

// lookup returns the opened alias name, or an error wrapping ErrUnknownAlias
// or ErrClosed.
func (c *Caches) lookup(name string) (*alias, error) {
	c.mu.RLock()
	closed := c.closed
	c.mu.RUnlock()
	if closed {
		return nil, ErrClosed
	}
	a, ok := c.aliases[name]
	if ok {
		return a, nil
	}
	if cc, ok := c.cfg.Caches[name]; ok && cc.Backend == BackendExternal {
		return nil, fmt.Errorf("%w: %q has backend external (%s), which is not opened", ErrUnknownAlias, name, cc.DjangoBackend)
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownAlias, name)
}

// Store returns the store of the alias name, ready for gocache's cache.New.
// Every call returns the same store. It returns an error wrapping
// ErrUnknownAlias for an alias that is not configured or not opened
// (external), and ErrClosed after Close.
func (c *Caches) Store(name string) (*store.EncryptingStore, error) {
	a, err := c.lookup(name)
	if err != nil {
		return nil, err
	}
	return a.store, nil
}

// Secure returns the store of the secure alias (Config.SecureCache).
func (c *Caches) Secure() (*store.EncryptingStore, error) {
	return c.Store(c.cfg.secureAlias())
}

// Config returns a copy of the configuration the caches were opened with.
func (c *Caches) Config() *Config { return c.cfg.clone() }

// RecoverySource returns what the recovery package reads the old entries of
// the alias name from: a store over the old alias's client (or memory cache)
// and codec, keyed by data_recovery's old_key_prefix at the old alias's
// version, together with the alias's DataRecovery settings. The store touches
// only keys under the old prefix. It returns an error wrapping
// ErrUnknownAlias for an unknown or unopened alias or one without
// data_recovery, and ErrClosed after Close.
func (c *Caches) RecoverySource(name string) (*store.EncryptingStore, DataRecovery, error) {
	a, err := c.lookup(name)
	if err != nil {
		return nil, DataRecovery{}, err
	}
	if a.recovery == nil {
		if a.cfg.Options.DataRecovery != nil && len(a.cfg.Options.DataRecovery.OldKeyPatterns) > 0 {
			return nil, DataRecovery{}, fmt.Errorf("%w: %q recovers bare keys (old_key_patterns): use RecoveryClient", ErrUnknownAlias, name)
		}
		return nil, DataRecovery{}, fmt.Errorf("%w: %q has no data_recovery", ErrUnknownAlias, name)
	}
	return a.recovery, *a.cfg.Options.DataRecovery, nil
}

// RecoveryClient returns the go-redis client of the old alias that the alias
// name's data_recovery reads, together with its DataRecovery settings: what
// recovery.MigrateFrom needs for bare keys selected by old_key_patterns
// (recovery.Source{Client, Patterns: dr.OldKeyPatterns, Format:
// recovery.Format(dr.OldFormat)}). The client is shared with the aliases that
// use it: do not close it. Errors wrap ErrUnknownAlias for an unknown or
// unopened alias, one without data_recovery, or an old alias that is not on
// Redis, and ErrClosed after Close.
func (c *Caches) RecoveryClient(name string) (redis.UniversalClient, DataRecovery, error) {
	a, err := c.lookup(name)
	if err != nil {
		return nil, DataRecovery{}, err
	}
	if a.cfg.Options.DataRecovery == nil {
		return nil, DataRecovery{}, fmt.Errorf("%w: %q has no data_recovery", ErrUnknownAlias, name)
	}
	if a.recoveryClient == nil {
		return nil, DataRecovery{}, fmt.Errorf("%w: %q: the old alias is not on Redis", ErrUnknownAlias, name)
	}
	return a.recoveryClient, *a.cfg.Options.DataRecovery, nil
}

// Close closes every go-redis client once. Stores obtained before fail
// afterwards. Calling Close again returns the first call's result.
func (c *Caches) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return c.closeErr
	}
	c.closed = true
	for _, a := range c.aliases {
		a.closeTier()
	}
	var errs []error
	for _, client := range c.clients {
		if err := client.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	c.closeErr = errors.Join(errs...)
	return c.closeErr
}

// newDjangoRedisCodec returns the codec of an alias in one of django-redis's
// formats: Django's secure format for pickle with secret keys, else
// django-redis's plaintext pickle, JSON or msgpack.
func newDjangoRedisCodec(cc CacheConfig) (store.Codec, error) {
	var copts []codec.CompressorOption
	if n := cc.Options.MaxDecompressedSize; n > 0 {
		copts = append(copts, codec.WithMaxDecompressedSize(n))
	}
	comp, err := codec.NewCompressor(cc.Options.Compressor, copts...)
	if cc.Options.Compressor == "" {
		comp, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	switch {
	case cc.serializer() == SerializerDjangoJSON:
		return codec.DjangoRedisJSON{Compressor: comp}, nil
	case cc.serializer() == SerializerDjangoMsgpack:
		return codec.DjangoRedisMsgpack{Compressor: comp}, nil
	case len(cc.Options.SecretKeys) == 0:
		return codec.PlainPickle{Compressor: comp}, nil
	}
	ring, err := codec.NewKeyRing(cc.Options.SecretKeys...)
	if err != nil {
		return nil, err
	}
	return codec.NewDjango(ring, codec.WithCompressor(comp), codec.WithMaxAge(cc.Options.MaxAge))
}
