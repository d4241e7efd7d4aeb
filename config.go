package secureredis

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.yaml.in/yaml/v3"

	"github.com/secureredis/secureredis/codec"
)

// Backends of a CacheConfig.
const (
	// BackendRedis is a single Redis server (or, with several locations, a
	// Redis Cluster). Django: django_redis.cache.RedisCache or
	// django.core.cache.backends.redis.RedisCache.
	BackendRedis = "redis"
	// BackendRedisCluster is a Redis Cluster reached through any of its nodes.
	BackendRedisCluster = "rediscluster"
	// BackendRedisSentinel is a master found through Redis Sentinel, whose
	// failovers the client follows. Its locations are SentinelScheme URLs
	// (redis+sentinel://host:port,host:port/mastername/db); such a location
	// also selects Sentinel under BackendRedis.
	BackendRedisSentinel = "redissentinel"
	// BackendMemory is an in-process cache (patrickmn/go-cache), one per alias.
	// Django: django.core.cache.backends.locmem.LocMemCache.
	BackendMemory = "memory"
	// BackendExternal is a Django backend this package does not serve (file
	// based, memcached, database, dummy, ...). It is loaded, so that a whole
	// Django CACHES dict loads, and never opened.
	BackendExternal = "external"
)

// Serializers of CacheOptions.
const (
	// SerializerNative is msgpack inside Fernet (codec.Msgpack); the default
	// when secret keys are set.
	SerializerNative = "native"
	// SerializerJSON is JSON inside Fernet (codec.JSON).
	SerializerJSON = "json"
	// SerializerRaw stores plain bytes and strings, unencrypted, as gocache's
	// plain Redis store writes them (codec.Raw); the default, and the only
	// choice, without secret keys. It is how an old plaintext alias is read.
	SerializerRaw = "raw"
	// SerializerPickle is Django's pickle, exactly as Django stores it:
	// encrypted when secret keys are set (django-redis-secure's serializer,
	// codec.NewDjango: a token is Fernet(pickle(value)), with no envelope
	// and no key binding) and plain otherwise (django-redis's default,
	// codec.PlainPickle). Redis aliases loaded from a Django CACHES dict use
	// it.
	SerializerPickle = "pickle"
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
// field by its path ("caches.default.options.secret_keys[1]") and never
// contains a secret key or a password. Validate names fields by their native
// (lower-case) names whatever form the file was in; parse errors use the
// file's own names. A ConfigError matches ErrInvalidConfig.
type ConfigError struct {
	Field  string // path of the field, e.g. "caches.default.location[0]"; empty for the whole document
	Reason string // what is wrong, without secret values
	err    error  // a cause free of secrets (a *codec.KeyError), or nil
}

func (e *ConfigError) Error() string {
	if e.Field == "" {
		return "secureredis: config: " + e.Reason
	}
	return "secureredis: config: " + e.Field + ": " + e.Reason
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
	Backend string
	// DjangoBackend is the Django BACKEND class the alias was loaded from, and
	// empty for the native form.
	DjangoBackend string
	// Location lists Redis URLs, parsed with go-redis's ParseURL: redis://,
	// rediss:// (TLS), unix://, ACL user:password and /db all work. Several
	// URLs, or BackendRedisCluster, make a cluster client whose seed nodes are
	// all the URLs' addresses (redis.ParseClusterURL's ?addr= form too), with
	// credentials and TLS from the first URL. A redis+sentinel:// URL
	// (SentinelScheme), or BackendRedisSentinel, makes a Sentinel failover
	// client. Required for Redis backends;
	// ignored for the others. A file may give one string or a list; a Django
	// LOCATION string is split on "," and ";" like Django does.
	Location Locations
	// KeyPrefix is Django's KEY_PREFIX: storage keys are
	// "KeyPrefix:Version:key". Required (non-empty) for Redis backends, so
	// that no alias can reach another application's keys; a memory alias
	// without one uses its alias name.
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
	// Serializer is SerializerNative, SerializerJSON, SerializerRaw or
	// SerializerPickle. Empty means native with secret keys and raw without.
	Serializer string
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
	// default, or identity means none. Only with serializer pickle.
	Compressor string
}

// DataRecovery says where the old, plaintext entries of an encrypted alias
// live (native data_recovery, Django OPTIONS.DATA_RECOVERY).
type DataRecovery struct {
	// OldCacheName is the alias holding the old entries (OLD_CACHE_NAME): its
	// client and serializer are used to read them.
	OldCacheName string
	// OldKeyPrefix is the KEY_PREFIX the old entries were written under
	// (OLD_KEY_PREFIX). Required, and different from the new alias's prefix.
	OldKeyPrefix string
	// ClearOldEntries deletes each old entry once its encrypted copy is
	// written (CLEAR_OLD_ENTRIES).
	ClearOldEntries bool
}

// SecretKeys holds Fernet key strings. It never prints them: String, GoString
// and every fmt verb give only how many there are, so a Config can be logged.
type SecretKeys []string

// String returns a redacted summary such as "[2 secret keys redacted]".
func (k SecretKeys) String() string {
	switch len(k) {
	case 0:
		return "[]"
	case 1:
		return "[1 secret key redacted]"
	}
	return "[" + strconv.Itoa(len(k)) + " secret keys redacted]"
}

// GoString returns a redacted Go-syntax summary, for %#v.
func (k SecretKeys) GoString() string {
	return "secureredis.SecretKeys{/* " + strconv.Itoa(len(k)) + " redacted */}"
}

// Format makes %#v print GoString and every other verb print String.
func (k SecretKeys) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, k.GoString())
		return
	}
	_, _ = io.WriteString(f, k.String())
}

// Locations holds cache locations (Redis URLs). It prints with URL passwords
// replaced by "xxxxx", whatever the fmt verb.
type Locations []string

// String returns the locations with passwords redacted.
func (l Locations) String() string {
	parts := make([]string, len(l))
	for i, s := range l {
		parts[i] = redactURL(s)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// GoString returns the locations in Go syntax with passwords redacted.
func (l Locations) GoString() string {
	parts := make([]string, len(l))
	for i, s := range l {
		parts[i] = strconv.Quote(redactURL(s))
	}
	return "secureredis.Locations{" + strings.Join(parts, ", ") + "}"
}

// Format makes %#v print GoString and every other verb print String.
func (l Locations) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, l.GoString())
		return
	}
	_, _ = io.WriteString(f, l.String())
}

// redactURL hides the password of a URL, also when the URL does not parse.
func redactURL(s string) string {
	return redactSecrets(s, s)
}

// redactSecrets replaces in text every password of the location loc (see
// urlSecrets), plain or query-escaped, with "xxxxx".
func redactSecrets(text, loc string) string {
	for _, pw := range urlSecrets(loc) {
		text = strings.ReplaceAll(text, pw, "xxxxx")
		if esc := url.QueryEscape(pw); esc != pw {
			text = strings.ReplaceAll(text, esc, "xxxxx")
		}
	}
	return text
}

// urlSecrets returns the passwords a location carries: the userinfo's, and
// the values of the password and sentinel_password query options.
func urlSecrets(s string) []string {
	var out []string
	if pw := urlPassword(s); pw != "" {
		out = append(out, pw)
	}
	if _, q, ok := strings.Cut(s, "?"); ok {
		if v, err := url.ParseQuery(q); err == nil {
			for _, k := range []string{"password", "sentinel_password"} {
				if pw := v.Get(k); pw != "" {
					out = append(out, pw)
				}
			}
		}
	}
	return out
}

// urlPassword extracts the password of scheme://user:password@host/... with
// no URL parsing, so that it is found in malformed URLs too.
func urlPassword(s string) string {
	_, rest, ok := strings.Cut(s, "://")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return ""
	}
	_, pw, _ := strings.Cut(rest[:at], ":")
	return pw
}

// Timeout is an alias's default expiration, Django's TIMEOUT. The zero value
// means DefaultTimeout; Never means entries do not expire (Django's None);
// otherwise Duration, which must be positive. Django's TIMEOUT=0 ("do not
// cache") is not supported and fails validation.
//
// In files it is null (never), a number of seconds (fractions allowed, as
// Django accepts floats) or a Go duration string ("90s", "24h").
type Timeout struct {
	Never    bool
	Duration time.Duration
	set      bool // given explicitly, so that an explicit 0 is told from "unset"
}

// Expiration returns the expiration to give the store: store.NoExpiration (0)
// for Never, DefaultTimeout for the zero Timeout, Duration otherwise.
func (t Timeout) Expiration() time.Duration {
	switch {
	case t.Never:
		return 0
	case t.Duration == 0 && !t.set:
		return DefaultTimeout
	}
	return t.Duration
}

// String returns "never", "default (5m0s)" or the duration.
func (t Timeout) String() string {
	switch {
	case t.Never:
		return "never"
	case t.Duration == 0 && !t.set:
		return "default (" + DefaultTimeout.String() + ")"
	}
	return t.Duration.String()
}

// Equal reports whether t and u are the same setting (a Timeout loaded from a
// file equals the literal Timeout{Duration: d}); go-cmp uses it.
func (t Timeout) Equal(u Timeout) bool { return t.normal() == u.normal() }

func (t Timeout) normal() Timeout {
	t.set = t.set || t.Never || t.Duration != 0
	return t
}

func (t Timeout) validate() string {
	switch {
	case t.Never && t.Duration != 0:
		return "both never and a duration"
	case t.Never:
		return ""
	case t.Duration < 0:
		return "must be positive, got " + t.Duration.String()
	case t.Duration == 0 && t.set:
		return `must be positive (Django's TIMEOUT 0, "do not cache", is not supported); use null to never expire`
	}
	return ""
}

// UnmarshalJSON reads null (never), a number of seconds or a duration string.
func (t *Timeout) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	switch {
	case s == "null":
		*t = Timeout{Never: true, set: true}
		return nil
	case strings.HasPrefix(s, `"`):
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		return t.parseString(str)
	}
	return t.parseSeconds(s)
}

// UnmarshalYAML reads a number of seconds or a duration string. (yaml.v3 does
// not call it for null, which leaves the field unchanged; ParseConfig reads
// null as never.)
func (t *Timeout) UnmarshalYAML(n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!null":
		*t = Timeout{Never: true, set: true}
		return nil
	case "!!int", "!!float":
		return t.parseSeconds(n.Value)
	case "!!str":
		return t.parseString(n.Value)
	}
	return fmt.Errorf("secureredis: timeout: want null, seconds or a duration string, got %s", n.ShortTag())
}

func (t *Timeout) parseString(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("secureredis: timeout: %w", err)
	}
	*t = Timeout{Duration: d, set: true}
	return nil
}

func (t *Timeout) parseSeconds(s string) error {
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("secureredis: timeout: %q is not a number of seconds", s)
	}
	if math.Abs(f) > float64(math.MaxInt64)/float64(time.Second) {
		return fmt.Errorf("secureredis: timeout: %s seconds is out of range", s)
	}
	*t = Timeout{Duration: time.Duration(math.Round(f * float64(time.Second))), set: true}
	return nil
}

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
		if cc.Options.DB != nil {
			db := *cc.Options.DB
			cc.Options.DB = &db
		}
		if cc.Options.DataRecovery != nil {
			dr := *cc.Options.DataRecovery
			cc.Options.DataRecovery = &dr
		}
		out.Caches[name] = cc
	}
	return out
}

// serializer returns the alias's serializer with the default applied.
func (cc *CacheConfig) serializer() string {
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

// Validate checks the whole configuration and returns every problem found,
// joined, each a *ConfigError naming the alias and field (errors.Is
// ErrInvalidConfig). It checks: at least one alias; the secure alias exists,
// is opened (not external) and has secret keys; secret keys are valid Fernet
// keys (errors name them by position only); backends are known; Redis
// aliases have parseable locations (go-redis errors, with any password
// removed) and a non-empty key prefix; versions are not negative; timeouts are
// positive or never; serializers are known and match the keys (raw without
// keys, native and json with); a cluster uses database 0; and data_recovery
// names another opened alias, a non-empty old prefix different from the
// alias's own, on an alias with secret keys. It does no I/O.
func (c *Config) Validate() error {
	if c == nil || len(c.Caches) == 0 {
		return configErr("caches", "no caches configured")
	}
	var errs []error
	add := func(e *ConfigError) {
		if e != nil {
			errs = append(errs, e)
		}
	}
	secure := c.secureAlias()
	if sc, ok := c.Caches[secure]; !ok {
		add(configErr("secure_cache", "alias %q not found in caches", secure))
	} else if sc.Backend == BackendExternal {
		add(configErr("secure_cache", "alias %q has backend external, which this package does not open", secure))
	}
	names := make([]string, 0, len(c.Caches))
	for name := range c.Caches {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, e := range c.validateAlias(name, name == secure) {
			add(e)
		}
	}
	if len(errs) == 0 {
		for _, e := range c.overlaps(names) {
			add(e)
		}
	}
	return errors.Join(errs...)
}

// overlaps reports Redis aliases that share a database and whose key schemes
// overlap: with Django's key layout, prefix "app1" owns the keys of prefix
// "app1:2" (they read as version 2 of app1), so one alias's Clear, migration
// or rotation would reach the other's entries. "app1" and "app1:secure" do
// not overlap. Aliases written with different URLs for one server are not
// detected.
func (c *Config) overlaps(names []string) []*ConfigError {
	type scheme struct {
		name, target string
		keys         *codec.KeyScheme
	}
	var schemes []scheme
	for _, name := range names {
		cc := c.Caches[name]
		if !cc.isRedis() {
			continue
		}
		t, cerr := redisTarget(cc)
		if cerr != nil {
			continue // reported by validateAlias
		}
		version := cc.Version
		if version == 0 {
			version = codec.DefaultVersion
		}
		ks, err := codec.NewKeyScheme(cc.KeyPrefix, codec.WithVersion(version))
		if err != nil {
			continue // reported by validateAlias
		}
		schemes = append(schemes, scheme{name, t.key, ks})
	}
	var errs []*ConfigError
	for _, a := range schemes {
		for _, b := range schemes {
			if a.name != b.name && a.target == b.target && a.keys.Owns(b.keys.Key("k")) {
				errs = append(errs, configErr("caches."+b.name+".key_prefix",
					"keys of prefix %q are also keys of alias %q (prefix %q) on the same database: Clear, migration or rotation of one would reach the other's entries",
					b.keys.Prefix(), a.name, a.keys.Prefix()))
			}
		}
	}
	return errs
}

func (c *Config) validateAlias(name string, secure bool) []*ConfigError {
	cc := c.Caches[name]
	p := "caches." + name
	var errs []*ConfigError
	add := func(field, format string, args ...any) {
		errs = append(errs, configErr(p+"."+field, format, args...))
	}
	switch cc.Backend {
	case BackendRedis, BackendRedisCluster, BackendRedisSentinel, BackendMemory:
	case BackendExternal:
		return nil // never opened: nothing else matters
	case "":
		add("backend", "required (redis, rediscluster, redissentinel, memory or external)")
		return errs
	default:
		add("backend", "unknown backend %q (want redis, rediscluster, redissentinel, memory or external)", cc.Backend)
		return errs
	}
	if cc.isRedis() {
		if _, err := redisTarget(cc); err != nil {
			err.Field = p + "." + err.Field
			errs = append(errs, err)
		}
		if cc.KeyPrefix == "" {
			add("key_prefix", "required: an empty prefix would reach other applications' keys")
		}
	} else if cc.Options.DB != nil {
		add("options.db", "only for Redis backends")
	}
	if cc.Version < 0 {
		add("version", "must not be negative, got %d", cc.Version)
	}
	if msg := cc.Timeout.validate(); msg != "" {
		add("timeout", "%s", msg)
	}
	hasKeys := len(cc.Options.SecretKeys) > 0
	switch {
	case hasKeys:
		if _, err := codec.NewKeyRing(cc.Options.SecretKeys...); err != nil {
			ce := &ConfigError{Field: p + ".options.secret_keys", Reason: "invalid secret key", err: err}
			var ke *codec.KeyError
			if errors.As(err, &ke) {
				ce.Field += "[" + strconv.Itoa(ke.Index) + "]"
				ce.Reason = ke.Reason
			}
			errs = append(errs, ce)
		}
	case secure:
		add("options.secret_keys", "required on the secure alias")
	}
	switch s := cc.Options.Serializer; s {
	case "", SerializerPickle:
	case SerializerRaw:
		if hasKeys {
			add("options.serializer", "raw stores plaintext and cannot be used with secret_keys (use native or json)")
		}
	case SerializerNative, SerializerJSON:
		if !hasKeys {
			add("options.serializer", "%s encrypts and needs options.secret_keys (use raw for a plaintext alias)", s)
		}
	default:
		add("options.serializer", "unknown serializer %q (want native, json, raw or pickle)", s)
	}
	if comp := cc.Options.Compressor; comp != "" {
		if cc.serializer() != SerializerPickle {
			add("options.compressor", "only with serializer pickle (django-redis's compressors)")
		} else if _, err := codec.NewCompressor(comp); err != nil {
			add("options.compressor", "unknown compressor %q (want zlib, gzip, lzma, lz4 or zstd)", comp)
		}
	}
	if dr := cc.Options.DataRecovery; dr != nil {
		dp := "options.data_recovery."
		if !hasKeys && !secure { // the secure alias already reported its missing keys
			add("options.data_recovery", "needs options.secret_keys: recovery writes encrypted copies")
		}
		if dr.OldCacheName == "" {
			add(dp+"old_cache_name", "required")
		} else if old, ok := c.Caches[dr.OldCacheName]; !ok {
			add(dp+"old_cache_name", "alias %q not found in caches", dr.OldCacheName)
		} else if old.Backend == BackendExternal {
			add(dp+"old_cache_name", "alias %q has backend external, which this package does not open", dr.OldCacheName)
		}
		switch dr.OldKeyPrefix {
		case "":
			add(dp+"old_key_prefix", "required")
		case cc.KeyPrefix:
			add(dp+"old_key_prefix", "equals the alias's own key_prefix %q: old and new entries would be the same keys", cc.KeyPrefix)
		}
	}
	return errs
}

// target is what a Redis alias connects to.
type target struct {
	single   *redis.Options
	cluster  *redis.ClusterOptions
	failover *redis.FailoverOptions // Sentinel
	key      string                 // identifies the client: backend, locations and database
}

// redisTarget parses the locations of a Redis alias. Errors carry a Field
// relative to the alias ("location[1]", "options.db") and no password.
func redisTarget(cc CacheConfig) (*target, *ConfigError) {
	if len(cc.Location) == 0 {
		return nil, configErr("location", "required for backend %s", cc.Backend)
	}
	for i, loc := range cc.Location {
		if strings.TrimSpace(loc) == "" {
			return nil, configErr("location["+strconv.Itoa(i)+"]", "empty")
		}
	}
	if db := cc.Options.DB; db != nil && *db < 0 {
		return nil, configErr("options.db", "must not be negative, got %d", *db)
	}
	if cc.Backend == BackendRedisSentinel || isSentinelURL(cc.Location[0]) {
		return sentinelTarget(cc)
	}
	cluster := cc.Backend == BackendRedisCluster || len(cc.Location) > 1 || hasAddrParam(cc.Location[0])
	t := &target{}
	if !cluster {
		o, err := redis.ParseURL(cc.Location[0])
		if err != nil {
			return nil, locationErr(0, cc.Location[0], err)
		}
		if cc.Options.DB != nil {
			// django-redis takes the database from LOCATION; a different
			// OPTIONS.DB would have Go and Django use different databases.
			if u, err := url.Parse(cc.Location[0]); err == nil && strings.Trim(u.Path, "/") != "" && o.DB != *cc.Options.DB {
				return nil, configErr("options.db", "database %d conflicts with database %d in the location; set it in one place", *cc.Options.DB, o.DB)
			}
			o.DB = *cc.Options.DB
		}
		o.ContextTimeoutEnabled = true // a ctx deadline bounds every call
		t.single = o
		t.key = cc.Backend + "\x00" + cc.Location[0] + "\x00" + strconv.Itoa(o.DB)
		return t, nil
	}
	if cc.Options.DB != nil && *cc.Options.DB != 0 {
		return nil, configErr("options.db", "a Redis Cluster has only database 0, got %d", *cc.Options.DB)
	}
	for i, loc := range cc.Location {
		o, err := redis.ParseClusterURL(loc)
		if err != nil {
			return nil, locationErr(i, loc, err)
		}
		// ParseClusterURL ignores the path: refuse a database it would drop.
		if u, err := url.Parse(loc); err == nil && strings.Trim(u.Path, "/") != "" && strings.Trim(u.Path, "/") != "0" {
			return nil, configErr("location["+strconv.Itoa(i)+"]", "a Redis Cluster has only database 0, got path %q", u.Path)
		}
		if i == 0 {
			t.cluster = o
			t.cluster.ContextTimeoutEnabled = true
			continue
		}
		t.cluster.Addrs = append(t.cluster.Addrs, o.Addrs...)
	}
	t.key = cc.Backend + "\x00cluster\x00" + strings.Join(cc.Location, "\x00")
	return t, nil
}

func hasAddrParam(loc string) bool {
	u, err := url.Parse(loc)
	return err == nil && u.Query().Has("addr")
}

// locationErr reports a URL go-redis refused, without the password: url.Parse
// errors quote the whole URL, so only their cause is kept, and any copy of the
// password left in the message is masked.
func locationErr(i int, loc string, err error) *ConfigError {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return configErr("location["+strconv.Itoa(i)+"]", "%s", redactSecrets(err.Error(), loc))
}

// LoadOption configures ParseConfig and LoadConfig.
type LoadOption func(*loadOptions)

type loadOptions struct {
	lookupEnv func(string) (string, bool)
}

// WithLookupEnv sets the function ${NAME} references are resolved with. The
// default is os.LookupEnv; tests pass a map lookup. nil restores the default.
func WithLookupEnv(fn func(string) (string, bool)) LoadOption {
	return func(o *loadOptions) { o.lookupEnv = fn }
}

// LoadConfig reads the file at path and parses it with ParseConfig.
func LoadConfig(path string, opts ...LoadOption) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secureredis: load config: %w", err)
	}
	return ParseConfig(data, opts...)
}

// ParseConfig parses a configuration in YAML or JSON (the YAML parser reads
// both), in the native form or in Django's, and validates it.
//
// The native form:
//
//	secure_cache: default            # optional, default "default"
//	caches:
//	  default:
//	    backend: redis               # redis | rediscluster | redissentinel | memory | external
//	    location: redis://127.0.0.1:6379/1   # or a list; redis+sentinel://h1:26379,h2:26379/mymaster/1 for Sentinel
//	    key_prefix: app1:secure
//	    version: 1                   # optional, default 1
//	    timeout: 24h                 # seconds, a Go duration, or null (never); default 300s
//	    options:
//	      secret_keys: ["${REDIS_SECRET_KEY}"]
//	      serializer: native         # native | json | raw | pickle
//	      db: 2                      # optional, overrides the URL's /db
//	      data_recovery: {old_cache_name: insecure, old_key_prefix: app1, clear_old_entries: false}
//	      compressor: zlib           # pickle only: zlib | gzip | lzma | lz4 | zstd; default none
//
// The Django form is a CACHES dict dumped to JSON as-is, either alone or as
// {"CACHES": {...}, "DJANGO_REDIS_SECURE_CACHE_NAME": "..."}: BACKEND (Django
// and django-redis class names map to backends; backends this package does
// not serve, such as FileBasedCache, load as BackendExternal), LOCATION,
// KEY_PREFIX, VERSION, TIMEOUT (seconds, null = never), OPTIONS.REDIS_SECRET_KEY
// (a string or a list), OPTIONS.DB, OPTIONS.DATA_RECOVERY.{OLD_CACHE_NAME,
// OLD_KEY_PREFIX, CLEAR_OLD_ENTRIES}. Redis aliases read as serializer pickle.
// Several LOCATIONs make a cluster client, as in the native form: django-redis's
// primary-and-replicas lists are not supported.
// django-redis options that do not change what is stored (PARSER_CLASS,
// SOCKET_TIMEOUT, ...) are ignored; those that do and are not supported
// (PASSWORD, KEY_FUNCTION, ...) are errors. OPTIONS.COMPRESSOR takes
// django-redis's compressor classes (zlib, gzip, lzma, lz4, zstd, identity). The OPTIONS of an
// external alias are not read.
//
// Unknown and duplicate fields are errors naming them. In string values,
// ${NAME} is replaced by the environment variable NAME (see WithLookupEnv;
// $${ writes a literal ${), so that secret keys need not sit in the file; a
// variable that is not set is an error naming it and the field. Every error
// is a *ConfigError matching ErrInvalidConfig; none contains a secret key or
// a password.
func ParseConfig(data []byte, opts ...LoadOption) (*Config, error) {
	o := loadOptions{}
	for _, opt := range opts {
		opt(&o)
	}
	if o.lookupEnv == nil {
		o.lookupEnv = os.LookupEnv
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &ConfigError{Reason: "not valid YAML or JSON: " + err.Error()}
	}
	p := &parser{lookup: o.lookupEnv}
	cfg := &Config{}
	if len(doc.Content) > 0 {
		root := deref(doc.Content[0])
		var err error
		switch {
		case root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null":
		case isDjango(root):
			err = p.django(root, cfg)
		default:
			err = p.native(root, cfg)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// isDjango reports whether the document is in Django's form: it has CACHES or
// DJANGO_REDIS_SECURE_CACHE_NAME at the top, or is a bare CACHES dict whose
// aliases have upper-case fields.
func isDjango(root *yaml.Node) bool {
	if root.Kind != yaml.MappingNode {
		return false
	}
	upper := false
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch root.Content[i].Value {
		case "caches", "secure_cache":
			return false
		case "CACHES", "DJANGO_REDIS_SECURE_CACHE_NAME":
			return true
		}
		v := deref(root.Content[i+1])
		if v.Kind != yaml.MappingNode {
			return false
		}
		for j := 0; j < len(v.Content); j += 2 {
			if k := v.Content[j].Value; k != "" && k == strings.ToUpper(k) && strings.ToUpper(k) != strings.ToLower(k) {
				upper = true
			}
		}
	}
	return upper
}

// parser turns a YAML node tree into a Config, expanding ${NAME} in strings.
type parser struct {
	lookup func(string) (string, bool)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// mapping calls fn for each field of the mapping n, refusing non-string and
// duplicate keys.
func (p *parser) mapping(n *yaml.Node, path string, fn func(key string, v *yaml.Node, path string) error) error {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return configErr(path, "want a mapping, got %s", kind(n))
	}
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := deref(n.Content[i])
		if k.Kind != yaml.ScalarNode {
			return configErr(path, "field names must be strings")
		}
		fp := join(path, k.Value)
		if seen[k.Value] {
			return configErr(fp, "duplicate field")
		}
		seen[k.Value] = true
		if err := fn(k.Value, n.Content[i+1], fp); err != nil {
			return err
		}
	}
	return nil
}

func unknownField(path string) error { return configErr(path, "unknown field") }

func kind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	if n.ShortTag() == "!!null" {
		return "null"
	}
	return strings.TrimPrefix(n.ShortTag(), "!!")
}

// scalar returns the text of a scalar node, with ${NAME} expanded in strings.
func (p *parser) scalar(n *yaml.Node, path string) (string, string, error) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode {
		return "", "", configErr(path, "want a scalar, got %s", kind(n))
	}
	tag := n.ShortTag()
	if tag != "!!str" {
		return n.Value, tag, nil
	}
	s, err := p.expand(n.Value, path)
	return s, tag, err
}

// expand replaces ${NAME} with the variable's value. Its errors never contain
// the string (which may hold a secret), only the variable's name.
func (p *parser) expand(s, path string) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if i > 0 && s[i-1] == '$' { // $${ is a literal ${
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", configErr(path, "unterminated ${ reference")
		}
		name := s[i+2 : i+end]
		if !validEnvName(name) {
			return "", configErr(path, "invalid environment variable name in ${...} reference")
		}
		v, ok := p.lookup(name)
		if !ok {
			return "", configErr(path, "environment variable %s is not set", name)
		}
		b.WriteString(v)
		s = s[i+end+1:]
	}
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func (p *parser) string(n *yaml.Node, path string) (string, error) {
	s, tag, err := p.scalar(n, path)
	if err != nil {
		return "", err
	}
	if tag == "!!null" {
		return "", configErr(path, "want a string, got null")
	}
	return s, nil
}

// strings reads a string or a list of strings; null is an empty list.
func (p *parser) strings(n *yaml.Node, path string) ([]string, error) {
	n = deref(n)
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		return nil, nil
	case n.Kind == yaml.ScalarNode:
		s, err := p.string(n, path)
		return []string{s}, err
	case n.Kind != yaml.SequenceNode:
		return nil, configErr(path, "want a string or a list of strings, got %s", kind(n))
	}
	out := make([]string, len(n.Content))
	for i, e := range n.Content {
		s, err := p.string(e, path+"["+strconv.Itoa(i)+"]")
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

func (p *parser) int(n *yaml.Node, path string) (int, error) {
	s, tag, err := p.scalar(n, path)
	if err != nil {
		return 0, err
	}
	if tag != "!!int" && tag != "!!str" {
		return 0, configErr(path, "want an integer, got %s", kind(deref(n)))
	}
	i, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, configErr(path, "want an integer, got %q", s)
	}
	return i, nil
}

func (p *parser) bool(n *yaml.Node, path string) (bool, error) {
	s, tag, err := p.scalar(n, path)
	if err != nil {
		return false, err
	}
	if tag != "!!bool" && tag != "!!str" {
		return false, configErr(path, "want true or false, got %s", kind(deref(n)))
	}
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return false, configErr(path, "want true or false, got %q", s)
	}
	return b, nil
}

func (p *parser) timeout(n *yaml.Node, path string) (Timeout, error) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode {
		return Timeout{}, configErr(path, "want null, seconds or a duration string, got %s", kind(n))
	}
	e := *n
	if e.ShortTag() == "!!str" {
		s, err := p.expand(n.Value, path)
		if err != nil {
			return Timeout{}, err
		}
		e.Value = s
	}
	var t Timeout
	if err := t.UnmarshalYAML(&e); err != nil {
		return Timeout{}, configErr(path, "%s", strings.TrimPrefix(err.Error(), "secureredis: timeout: "))
	}
	return t, nil
}

func (p *parser) version(n *yaml.Node, path string) (int, error) {
	v, err := p.int(n, path)
	if err == nil && v == 0 {
		return 0, configErr(path, "must be at least 1 (0 would read as the default, 1)")
	}
	return v, err
}

// native reads the native form.
func (p *parser) native(root *yaml.Node, cfg *Config) error {
	return p.mapping(root, "", func(key string, v *yaml.Node, path string) (err error) {
		switch key {
		case "secure_cache":
			cfg.SecureCache, err = p.string(v, path)
		case "caches":
			cfg.Caches = map[string]CacheConfig{}
			err = p.mapping(v, path, func(name string, v *yaml.Node, path string) error {
				cc, err := p.nativeCache(v, path)
				cfg.Caches[name] = cc
				return err
			})
		default:
			err = unknownField(path)
		}
		return err
	})
}

func (p *parser) nativeCache(n *yaml.Node, path string) (CacheConfig, error) {
	cc := CacheConfig{Version: codec.DefaultVersion}
	err := p.mapping(n, path, func(key string, v *yaml.Node, path string) (err error) {
		switch key {
		case "backend":
			cc.Backend, err = p.string(v, path)
		case "location":
			cc.Location, err = p.strings(v, path)
		case "key_prefix":
			cc.KeyPrefix, err = p.string(v, path)
		case "version":
			cc.Version, err = p.version(v, path)
		case "timeout":
			cc.Timeout, err = p.timeout(v, path)
		case "options":
			err = p.mapping(v, path, func(key string, v *yaml.Node, path string) (err error) {
				switch key {
				case "secret_keys":
					cc.Options.SecretKeys, err = p.strings(v, path)
				case "serializer":
					cc.Options.Serializer, err = p.string(v, path)
				case "db":
					var db int
					db, err = p.int(v, path)
					cc.Options.DB = &db
				case "data_recovery":
					cc.Options.DataRecovery, err = p.dataRecovery(v, path, "old_cache_name", "old_key_prefix", "clear_old_entries")
				case "compressor":
					cc.Options.Compressor, err = p.string(v, path)
				default:
					err = unknownField(path)
				}
				return err
			})
		default:
			err = unknownField(path)
		}
		return err
	})
	return cc, err
}

func (p *parser) dataRecovery(n *yaml.Node, path, nameKey, prefixKey, clearKey string) (*DataRecovery, error) {
	dr := &DataRecovery{}
	err := p.mapping(n, path, func(key string, v *yaml.Node, path string) (err error) {
		switch key {
		case nameKey:
			dr.OldCacheName, err = p.string(v, path)
		case prefixKey:
			dr.OldKeyPrefix, err = p.string(v, path)
		case clearKey:
			dr.ClearOldEntries, err = p.bool(v, path)
		default:
			err = unknownField(path)
		}
		return err
	})
	return dr, err
}

// django reads Django's form.
func (p *parser) django(root *yaml.Node, cfg *Config) error {
	readCaches := func(v *yaml.Node, path string) error {
		cfg.Caches = map[string]CacheConfig{}
		return p.mapping(v, path, func(name string, v *yaml.Node, path string) error {
			cc, err := p.djangoCache(v, path)
			cfg.Caches[name] = cc
			return err
		})
	}
	var hasCaches bool
	for i := 0; i < len(root.Content); i += 2 {
		if k := root.Content[i].Value; k == "CACHES" || k == "DJANGO_REDIS_SECURE_CACHE_NAME" {
			hasCaches = true
		}
	}
	if !hasCaches { // a bare CACHES dict
		return readCaches(root, "CACHES")
	}
	return p.mapping(root, "", func(key string, v *yaml.Node, path string) (err error) {
		switch key {
		case "DJANGO_REDIS_SECURE_CACHE_NAME":
			cfg.SecureCache, err = p.string(v, path)
		case "CACHES":
			err = readCaches(v, path)
		default:
			err = unknownField(path)
		}
		return err
	})
}

// Django and django-redis cache backends this package serves.
var djangoBackends = map[string]string{
	"django_redis.cache.RedisCache":                        BackendRedis,
	"django.core.cache.backends.redis.RedisCache":          BackendRedis,
	"django.core.cache.backends.locmem.LocMemCache":        BackendMemory,
	"django.core.cache.backends.filebased.FileBasedCache":  BackendExternal,
	"django.core.cache.backends.memcached.PyMemcacheCache": BackendExternal,
	"django.core.cache.backends.memcached.PyLibMCCache":    BackendExternal,
	"django.core.cache.backends.memcached.MemcachedCache":  BackendExternal,
	"django.core.cache.backends.db.DatabaseCache":          BackendExternal,
	"django.core.cache.backends.dummy.DummyCache":          BackendExternal,
}

// Serializer and client classes that store pickles.
var djangoPickle = map[string]bool{
	"secure_redis.serializer.pickle.PickleSerializer":  true, // django-redis-secure, encrypted
	"secure_redis.serializer.SecureSerializer":         true, // django-redis-secure's first name for it
	"secure_redis.client.SecureDjangoRedisClient":      true,
	"django_redis.serializers.pickle.PickleSerializer": true, // django-redis's default, plaintext
	"django_redis.client.DefaultClient":                true,
}

// django-redis options that do not change what is stored or where: ignored.
var djangoIgnored = map[string]bool{
	"PARSER_CLASS": true, "CONNECTION_POOL_CLASS": true, "CONNECTION_POOL_KWARGS": true,
	"CONNECTION_FACTORY": true, "REDIS_CLIENT_CLASS": true, "REDIS_CLIENT_KWARGS": true,
	"SOCKET_CONNECT_TIMEOUT": true, "SOCKET_TIMEOUT": true, "IGNORE_EXCEPTIONS": true,
	"LOG_IGNORED_EXCEPTIONS": true, "PICKLE_VERSION": true, "CLOSE_CONNECTION": true,
	"MAX_ENTRIES": true, "CULL_FREQUENCY": true, // LocMemCache
	"parser_class": true, "pool_class": true, // Django's own RedisCache
}

func (p *parser) djangoCache(n *yaml.Node, path string) (CacheConfig, error) {
	cc := CacheConfig{Version: codec.DefaultVersion}
	var options *yaml.Node
	var optionsPath string
	err := p.mapping(n, path, func(key string, v *yaml.Node, path string) (err error) {
		switch key {
		case "BACKEND":
			cc.DjangoBackend, err = p.string(v, path)
			if err == nil {
				cc.Backend, err = djangoBackend(cc.DjangoBackend, path)
			}
		case "LOCATION":
			var locs []string
			locs, err = p.strings(v, path)
			for _, l := range locs {
				cc.Location = append(cc.Location, strings.FieldsFunc(l, func(r rune) bool { return r == ',' || r == ';' })...)
			}
		case "KEY_PREFIX":
			cc.KeyPrefix, err = p.string(v, path)
		case "VERSION":
			cc.Version, err = p.version(v, path)
		case "TIMEOUT":
			cc.Timeout, err = p.timeout(v, path)
		case "OPTIONS":
			options, optionsPath = v, path
		case "KEY_FUNCTION", "REVERSE_KEY_FUNCTION":
			var s string
			if s, err = p.string(v, path); err == nil && s != "django.core.cache.backends.base.default_key_func" {
				err = configErr(path, "custom key functions are not supported")
			}
		default:
			err = unknownField(path)
		}
		return err
	})
	if err != nil || options == nil || cc.Backend == BackendExternal {
		return cc, err
	}
	var serializer, client string
	err = p.mapping(options, optionsPath, func(key string, v *yaml.Node, path string) (err error) {
		switch key {
		case "REDIS_SECRET_KEY":
			cc.Options.SecretKeys, err = p.strings(v, path)
		case "SERIALIZER":
			serializer, err = p.string(v, path)
			if err == nil && !djangoPickle[serializer] {
				err = configErr(path, "unsupported serializer class %q (want a pickle serializer)", serializer)
			}
		case "CLIENT_CLASS":
			client, err = p.string(v, path)
			if err == nil && !djangoPickle[client] {
				err = configErr(path, "unsupported client class %q", client)
			}
		case "DB", "db":
			var db int
			db, err = p.int(v, path)
			cc.Options.DB = &db
		case "DATA_RECOVERY":
			cc.Options.DataRecovery, err = p.dataRecovery(v, path, "OLD_CACHE_NAME", "OLD_KEY_PREFIX", "CLEAR_OLD_ENTRIES")
		case "PASSWORD", "USERNAME":
			err = configErr(path, "not supported: put the credentials in LOCATION (redis://user:password@host)")
		case "COMPRESSOR":
			if cc.Options.Compressor, err = p.string(v, path); err == nil {
				if comp, cerr := codec.NewCompressor(cc.Options.Compressor); cerr != nil {
					err = configErr(path, "unsupported compressor class %q", cc.Options.Compressor)
				} else if comp == nil {
					cc.Options.Compressor = "" // IdentityCompressor: none
				}
			}
		default:
			if !djangoIgnored[key] {
				err = unknownField(path)
			}
		}
		return err
	})
	if cc.isRedis() {
		cc.Options.Serializer = SerializerPickle // django-redis and Django's RedisCache pickle
	}
	return cc, err
}

// djangoBackend maps a Django BACKEND class to a backend. Unknown classes are
// external, except ones that look like Redis: a mistyped Redis backend must
// not silently stop being served.
func djangoBackend(class, path string) (string, error) {
	if b, ok := djangoBackends[class]; ok {
		return b, nil
	}
	if strings.Contains(strings.ToLower(class), "redis") {
		return "", configErr(path, "unknown Redis backend class %q", class)
	}
	return BackendExternal, nil
}
