package secureredis

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/secureredis/secureredis/codec"
)

// Backend is the kind of store an alias is (CacheConfig.Backend): one of the
// Backend constants. Validate refuses any other value.
type Backend string

// Valid reports whether b is one of the Backend constants.
func (b Backend) Valid() bool {
	switch b {
	case BackendRedis, BackendRedisCluster, BackendRedisSentinel, BackendMemory, BackendExternal:
		return true
	}
	return false
}

// Backends of a CacheConfig.
const (
	// BackendRedis is a single Redis server (or, with several locations, a
	// Redis Cluster). Django: django_redis.cache.RedisCache or
	// django.core.cache.backends.redis.RedisCache.
	BackendRedis Backend = "redis"
	// BackendRedisCluster is a Redis Cluster reached through any of its nodes.
	BackendRedisCluster Backend = "rediscluster"
	// BackendRedisSentinel is a master found through Redis Sentinel, whose
	// failovers the client follows. Its locations are SentinelScheme URLs
	// (redis+sentinel://host:port,host:port/mastername/db); such a location
	// also selects Sentinel under BackendRedis.
	BackendRedisSentinel Backend = "redissentinel"
	// BackendMemory is an in-process cache (patrickmn/go-cache), one per alias.
	// Django: django.core.cache.backends.locmem.LocMemCache.
	BackendMemory Backend = "memory"
	// BackendExternal is a Django backend this package does not serve (file
	// based, memcached, database, dummy, ...). It is loaded, so that a whole
	// Django CACHES dict loads, and never opened.
	BackendExternal Backend = "external"
)

// Serializer names how an alias encodes its values (CacheOptions.Serializer):
// one of the Serializer constants, or empty for the default. Validate refuses
// any other value.
type Serializer string

// Valid reports whether s is one of the Serializer constants.
func (s Serializer) Valid() bool {
	switch s {
	case SerializerNative, SerializerJSON, SerializerRaw, SerializerPickle, SerializerDjangoJSON, SerializerDjangoMsgpack:
		return true
	}
	return false
}

// Serializers of CacheOptions.
const (
	// SerializerNative is msgpack inside Fernet (codec.Msgpack); the default
	// when secret keys are set.
	SerializerNative Serializer = "native"
	// SerializerJSON is JSON inside Fernet (codec.JSON).
	SerializerJSON Serializer = "json"
	// SerializerRaw stores plain bytes and strings, unencrypted, as gocache's
	// plain Redis store writes them (codec.Raw); the default, and the only
	// choice, without secret keys. It is how an old plaintext alias is read.
	SerializerRaw Serializer = "raw"
	// SerializerPickle is Django's pickle, exactly as Django stores it:
	// encrypted when secret keys are set (django-redis-secure's serializer,
	// codec.NewDjango: a token is Fernet(pickle(value)), with no envelope
	// and no key binding) and plain otherwise (django-redis's default,
	// codec.PlainPickle). Redis aliases loaded from a Django CACHES dict use
	// it.
	SerializerPickle Serializer = "pickle"
	// SerializerDjangoJSON is django-redis's JSONSerializer, plaintext, as
	// django-redis writes and reads it (codec.DjangoRedisJSON): ints in
	// clear, other values as JSON (DjangoJSONEncoder). It is how an old
	// plaintext Django alias with that SERIALIZER is read. Not with secret
	// keys.
	SerializerDjangoJSON Serializer = "django-json"
	// SerializerDjangoMsgpack is django-redis's MSGPackSerializer,
	// plaintext, as django-redis writes and reads it
	// (codec.DjangoRedisMsgpack). Not with secret keys.
	SerializerDjangoMsgpack Serializer = "django-msgpack"
)

// DefaultSecureCache is the alias Config.SecureCache names when empty, as
// DJANGO_REDIS_SECURE_CACHE_NAME defaults to "default".
const DefaultSecureCache = "default"

// DefaultTimeout is the expiration of an alias whose timeout is not set,
// Django's default TIMEOUT of 300 seconds.
const DefaultTimeout = 300 * time.Second

// ErrInvalidConfig is matched (with errors.Is) by every error ParseConfig,
// LoadConfig, Validate and Open return for a configuration that cannot be
// used. Each such error is a *ConfigError naming the field.
var ErrInvalidConfig = errors.New("secureredis: invalid config")

// ConfigError reports one unusable configuration field. Its message names the
// field by its path ("caches.default.options.secret_keys[1]"), and, for an
// error ParseConfig or LoadConfig found in a file, its line and column; it
// never contains a secret key or a password. Errors about a Django file name
// Django's fields ("CACHES.default.OPTIONS.REDIS_SECRET_KEY"); Validate on a
// Config built in Go names the native ones. A ConfigError matches
// ErrInvalidConfig.
type ConfigError struct {
	Field  string // path of the field, e.g. "caches.default.location[0]"; empty for the whole document
	Reason string // what is wrong, without secret values
	// Line and Column locate the field in the file (1-based), or are 0 when
	// unknown (a Config built in Go, a field the file lacks).
	Line, Column int
	err          error // a cause free of secrets (a *codec.KeyError), or nil
}

func (e *ConfigError) Error() string {
	msg := "secureredis: config: " + e.Reason
	if e.Field != "" {
		msg = "secureredis: config: " + e.Field + ": " + e.Reason
	}
	if e.Line > 0 {
		msg += " (line " + strconv.Itoa(e.Line) + ", column " + strconv.Itoa(e.Column) + ")"
	}
	return msg
}

// Is reports whether target is ErrInvalidConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// Unwrap returns the cause, when it carries no secret: a *codec.KeyError for a
// bad secret key, so errors.Is(err, codec.ErrInvalidKey) holds.
func (e *ConfigError) Unwrap() error { return e.err }

func configErr(field, format string, args ...any) *ConfigError {
	return &ConfigError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Config is the set of named cache aliases of an application, the Go form of
// Django's CACHES setting. Build it by hand or with ParseConfig or LoadConfig;
// Open turns it into stores. A Config is a plain value: it is not safe for
// concurrent mutation, and printing it (any fmt verb) redacts secret keys and
// URL passwords.
type Config struct {
	// SecureCache names the alias that must be encrypted (native secure_cache,
	// Django DJANGO_REDIS_SECURE_CACHE_NAME). Empty means DefaultSecureCache.
	SecureCache string
	// Caches maps alias names to their settings (native caches, Django CACHES).
	Caches map[string]CacheConfig
}

// CacheConfig is one alias: where its entries live and how they are keyed,
// expired and encoded.
type CacheConfig struct {
	// Backend is BackendRedis, BackendRedisCluster, BackendRedisSentinel,
	// BackendMemory or BackendExternal. Required.
	Backend Backend
	// DjangoBackend is the Django BACKEND class the alias was loaded from, and
	// empty for the native form.
	DjangoBackend string
	// Location lists Redis URLs, parsed with go-redis's ParseURL: redis://,
	// rediss:// (TLS), unix://, ACL user:password and /db all work. Several
	// URLs, or BackendRedisCluster, make a cluster client whose seed nodes are
	// all the URLs' addresses (redis.ParseClusterURL's ?addr= form too), with
	// credentials and TLS from the first URL. A redis+sentinel:// URL
	// (SentinelScheme), a redis:// URL with master_name= (go-redis's
	// ParseFailoverURL form), or BackendRedisSentinel, makes a Sentinel
	// failover client. Required for Redis backends;
	// ignored for the others. A file may give one string or a list; a Django
	// LOCATION string is split on "," and ";" like Django does.
	Location Locations
	// KeyPrefix is Django's KEY_PREFIX: storage keys are
	// "KeyPrefix:Version:key". It may be empty, Django's default: the alias
	// then owns exactly the keys ":Version:key" (a stock Django project's
	// ":1:key"), and its scans, Clear, audit and rotation touch no other key
	// (not "key", not "other:1:key"). A memory alias without one uses its
	// alias name.
	KeyPrefix string
	// Version is Django's VERSION. Zero means the default, 1; it must not be
	// negative, and a file may not set it to 0 (it would silently read as 1).
	Version int
	// Timeout is the default expiration of the alias's entries, Django's
	// TIMEOUT. The zero Timeout is DefaultTimeout (300s).
	Timeout Timeout
	// Options are the encryption, serialization and database settings.
	Options CacheOptions
}

// CacheOptions are the options of an alias (native options, Django OPTIONS).
type CacheOptions struct {
	// SecretKeys are Fernet keys (native secret_keys, a list; Django
	// OPTIONS.REDIS_SECRET_KEY, a string or a list): the first encrypts, all
	// decrypt. Required on the secure alias. They print redacted.
	SecretKeys SecretKeys
	// Serializer is SerializerNative, SerializerJSON, SerializerRaw,
	// SerializerPickle, SerializerDjangoJSON or SerializerDjangoMsgpack.
	// Empty means native with secret keys and raw without.
	Serializer Serializer
	// DB selects the Redis database when the URL names none (native
	// options.db, Django OPTIONS.DB); nil keeps the URL's. A URL whose /db
	// differs is refused: django-redis 5 takes the database from LOCATION
	// only, so the two could otherwise disagree. Must be nil or 0 on a
	// cluster.
	DB *int
	// DataRecovery names the old plaintext alias whose entries the recovery
	// package migrates into this one; nil for none.
	DataRecovery *DataRecovery
	// Compressor is the django-redis compressor of a pickle alias (native
	// options.compressor, Django OPTIONS.COMPRESSOR): zlib, gzip, lzma, lz4,
	// zstd or a django-redis class path (see codec.NewCompressor). Empty, the
	// default, or identity means none. Only with serializer pickle,
	// django-json or django-msgpack.
	Compressor string
	// MaxAge makes the alias refuse tokens older than it (native
	// options.max_age, Django OPTIONS.MAX_AGE; seconds or a Go duration
	// string), exactly as codec.WithMaxAge: a replayed stale token reads as
	// a miss. Zero, the default, accepts tokens of any age. Set it to at
	// least the longest TTL the alias's entries get, or live entries will
	// read as misses. Only with secret keys: plaintext has no timestamp.
	MaxAge time.Duration
	// BindingContext (native options.binding_context) is a deployment or
	// tenant name authenticated in every token, as codec.WithBindingContext:
	// a token written under one context (staging) never reads under another
	// (production), even when both share keys, prefix and key names. Empty,
	// the default, binds tokens to their storage key only. At most
	// codec.MaxBindingContextLen bytes; only for native and json aliases
	// with secret keys (Django's format is fixed, so Django OPTIONS
	// BINDING_CONTEXT is refused).
	BindingContext string
	// MaxDecompressedSize caps what the alias's compressor inflates one
	// value to, in bytes (native options.max_decompressed_size, Django
	// OPTIONS.MAX_DECOMPRESSED_SIZE), as codec.WithMaxDecompressedSize;
	// decompression runs before authentication, so this bounds the memory
	// one planted value can take. Zero means codec.MaxDecompressedSize
	// (32 MiB). Only with a compressor.
	MaxDecompressedSize int64
	// HashedNames and NameSecrets (native options.hashed_names and
	// options.name_secrets): entry names that reveal no key; see
	// config_hashnames.go and codec.WithHashedNames.
	HashedNames bool
	NameSecrets SecretKeys
	// ConnectTimeout bounds each attempt to connect to a Redis server or a
	// sentinel (native options.connect_timeout, Django
	// OPTIONS.SOCKET_CONNECT_TIMEOUT; seconds or a Go duration string).
	// Zero keeps the location's dial_timeout query option, else
	// DefaultConnectTimeout (5s). At most MaxNetworkTimeout.
	ConnectTimeout time.Duration
	// ReadTimeout bounds each wait for a reply (native options.read_timeout;
	// Django OPTIONS.SOCKET_TIMEOUT sets it and WriteTimeout). Zero keeps the
	// location's read_timeout query option, else DefaultReadTimeout (3s). At
	// most MaxNetworkTimeout.
	ReadTimeout time.Duration
	// WriteTimeout bounds each write of a command (native
	// options.write_timeout; Django OPTIONS.SOCKET_TIMEOUT). Zero keeps the
	// location's write_timeout query option, else DefaultWriteTimeout (3s).
	// At most MaxNetworkTimeout.
	WriteTimeout time.Duration
	// LocalTier, when set, puts an in-memory tier of tokens in front of the
	// alias, kept coherent by Redis (config_localtier.go); nil for none.
	LocalTier *LocalTierConfig
}

// Defaults and bound of the network timeouts of CacheOptions: go-redis's own
// defaults.
const (
	// DefaultConnectTimeout is CacheOptions.ConnectTimeout's default.
	DefaultConnectTimeout = 5 * time.Second
	// DefaultReadTimeout is CacheOptions.ReadTimeout's default.
	DefaultReadTimeout = 3 * time.Second
	// DefaultWriteTimeout is CacheOptions.WriteTimeout's default.
	DefaultWriteTimeout = 3 * time.Second
	// MaxNetworkTimeout is the largest connect, read or write timeout
	// Validate accepts.
	MaxNetworkTimeout = 10 * time.Minute
)

// DataRecovery says where the old, plaintext entries of an encrypted alias
// live (native data_recovery, Django OPTIONS.DATA_RECOVERY).
type DataRecovery struct {
	// OldCacheName is the alias holding the old entries (OLD_CACHE_NAME): its
	// client and serializer are used to read them.
	OldCacheName string
	// OldKeyPrefix is the KEY_PREFIX the old entries were written under
	// (OLD_KEY_PREFIX): the old entries are its keys "OldKeyPrefix:version:key".
	// It must differ from the new alias's prefix. It may be empty, Django's
	// default KEY_PREFIX (keys ":version:key"); a file must still give it
	// (as ""), so that a forgotten one is an error, unless OldKeyPatterns is
	// set, and then it must be empty.
	OldKeyPrefix string
	// OldKeyPatterns, when set, select the old entries instead of
	// OldKeyPrefix: bare keys (no prefix, no version, as gocache's Redis
	// store and go-redis/cache write them) matching any of these Redis glob
	// patterns, e.g. "user:*", on the old alias's database (native
	// old_key_patterns, Django OLD_KEY_PATTERNS; a string or a list). Each
	// key moves to the same logical key in the new alias. Patterns must be
	// non-empty, and no pattern may reach another alias's keys (its scheme
	// or tag sets) on that database: Validate compares each pattern's
	// literal prefix, so "*" is refused when another alias shares the
	// database. Only with a Redis old alias.
	OldKeyPatterns []string
	// OldFormat is how the old values are encoded (native old_format,
	// Django OLD_FORMAT): empty, the default, reads them with the old
	// alias's own serializer; OldFormatRaw, OldFormatGocache or
	// OldFormatGoRedisCache name the formats of gocache's and go-redis's
	// libraries.
	OldFormat string
	// ClearOldEntries deletes each old entry once its encrypted copy is
	// written (CLEAR_OLD_ENTRIES).
	ClearOldEntries bool
}

// Formats of old entries (DataRecovery.OldFormat).
const (
	// OldFormatRaw is values as go-redis writes them, which gocache's Redis
	// store does: strings, bytes, and numbers as decimal text.
	OldFormatRaw = "raw"
	// OldFormatGocache is msgpack as gocache's marshaler
	// (github.com/eko/gocache/lib/v4/marshaler) writes it.
	OldFormatGocache = "gocache"
	// OldFormatGoRedisCache is what github.com/go-redis/cache writes:
	// msgpack, s2-compressed above a size, with a trailing format byte.
	OldFormatGoRedisCache = "go-redis-cache"
)

// secureAlias returns the name of the secure alias.
func (c *Config) secureAlias() string {
	if c.SecureCache == "" {
		return DefaultSecureCache
	}
	return c.SecureCache
}

// clone returns a deep copy of c.
func (c *Config) clone() *Config {
	out := &Config{SecureCache: c.SecureCache, Caches: make(map[string]CacheConfig, len(c.Caches))}
	for name, cc := range c.Caches {
		cc.Location = slices.Clone(cc.Location)
		cc.Options.SecretKeys = slices.Clone(cc.Options.SecretKeys)
		cc.Options.NameSecrets = slices.Clone(cc.Options.NameSecrets)
		if cc.Options.DB != nil {
			db := *cc.Options.DB
			cc.Options.DB = &db
		}
		if cc.Options.LocalTier != nil {
			lt := *cc.Options.LocalTier
			cc.Options.LocalTier = &lt
		}
		if cc.Options.DataRecovery != nil {
			dr := *cc.Options.DataRecovery
			dr.OldKeyPatterns = slices.Clone(dr.OldKeyPatterns)
			cc.Options.DataRecovery = &dr
		}
		out.Caches[name] = cc
	}
	return out
}

// withDefaults returns a deep copy of c with its defaults filled in. It is
// the one place defaults are applied: ParseConfig returns its result, and
// Validate and Open work on it, so that a hand-built Config and a parsed one
// behave alike. A zero Version becomes codec.DefaultVersion, and a memory
// alias without a key prefix takes its alias name (its cache is its own, so
// the prefix only has to be non-empty). Zero Timeout and Serializer stay
// zero: Timeout.Expiration and serializer read them as their defaults.
func (c *Config) withDefaults() *Config {
	out := c.clone()
	for name, cc := range out.Caches {
		if cc.Version == 0 {
			cc.Version = codec.DefaultVersion
		}
		if cc.Backend == BackendMemory && cc.KeyPrefix == "" {
			cc.KeyPrefix = name
		}
		out.Caches[name] = cc
	}
	return out
}

// serializer returns the alias's serializer with the default applied.
func (cc *CacheConfig) serializer() Serializer {
	switch {
	case cc.Options.Serializer != "":
		return cc.Options.Serializer
	case len(cc.Options.SecretKeys) > 0:
		return SerializerNative
	}
	return SerializerRaw
}

// isRedis reports whether the alias is served by a go-redis client.
func (cc *CacheConfig) isRedis() bool {
	return cc.Backend == BackendRedis || cc.Backend == BackendRedisCluster || cc.Backend == BackendRedisSentinel
}
