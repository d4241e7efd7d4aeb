package secureredis

import (
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/secureredis/secureredis/codec"
)

// Validate checks the whole configuration and returns every problem found,
// joined, each a *ConfigError naming the alias and field (errors.Is
// ErrInvalidConfig): fields are named as in the native form, or as in
// Django's when the aliases came from a Django CACHES dict (DjangoBackend
// set). The rules are listed under "Validation" in the package
// documentation. It does no I/O and never quotes a secret.
func (c *Config) Validate() error {
	if c == nil || len(c.Caches) == 0 {
		return configErr("caches", "no caches configured")
	}
	c = c.withDefaults()
	var errs []error
	add := func(e *ConfigError) {
		if e != nil {
			errs = append(errs, e)
		}
	}
	secure := c.secureAlias()
	if sc, ok := c.Caches[secure]; !ok {
		add(configErr("secure_cache", "alias %s not found in caches", quoteName(secure)))
	} else if sc.Backend == BackendExternal {
		add(configErr("secure_cache", "alias %s has backend external, which this package does not open", quoteName(secure)))
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
	err := errors.Join(errs...)
	if err != nil && c.fromDjango() {
		err = djangoNames(err, c)
	}
	return err
}

// fromDjango reports whether the aliases were loaded from a Django CACHES
// dict (their DjangoBackend is set), whose errors name Django's fields.
func (c *Config) fromDjango() bool {
	for _, cc := range c.Caches {
		if cc.DjangoBackend != "" {
			return true
		}
	}
	return false
}

func (c *Config) validateAlias(name string, secure bool) []*ConfigError {
	cc := c.Caches[name]
	p := aliasPath(name)
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
		add("backend", "unknown backend (want redis, rediscluster, redissentinel, memory or external)")
		return errs
	}
	if cc.isRedis() {
		if _, err := redisTarget(cc); err != nil {
			err.Field = p + "." + err.Field
			errs = append(errs, err)
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
	errs = append(errs, cc.validateOptions(p, hasKeys)...)
	if dr := cc.Options.DataRecovery; dr != nil {
		errs = append(errs, c.validateRecovery(p, cc, dr, hasKeys, secure)...)
	}
	return errs
}

// validateOptions checks an alias's serializer, compressor, max age, network
// timeouts, binding context and decompression cap; p is the alias's path.
func (cc *CacheConfig) validateOptions(p string, hasKeys bool) []*ConfigError {
	var errs []*ConfigError
	add := func(field, format string, args ...any) {
		errs = append(errs, configErr(p+"."+field, format, args...))
	}
	switch s := cc.Options.Serializer; s {
	case "", SerializerPickle:
	case SerializerRaw, SerializerDjangoJSON, SerializerDjangoMsgpack:
		if hasKeys {
			add("options.serializer", "%s stores plaintext and cannot be used with secret_keys (use native, json or pickle)", s)
		}
	case SerializerNative, SerializerJSON:
		if !hasKeys {
			add("options.serializer", "%s encrypts and needs options.secret_keys (use raw for a plaintext alias)", s)
		}
	default:
		add("options.serializer", "unknown serializer (want native, json, raw, pickle, django-json or django-msgpack)")
	}
	if comp := cc.Options.Compressor; comp != "" {
		switch cc.serializer() {
		case SerializerPickle, SerializerDjangoJSON, SerializerDjangoMsgpack:
			if _, err := codec.NewCompressor(comp); err != nil {
				add("options.compressor", "unknown compressor (want zlib, gzip, lzma, lz4 or zstd)")
			}
		default:
			add("options.compressor", "only with serializer pickle, django-json or django-msgpack (django-redis's compressors)")
		}
	}
	switch {
	case cc.Options.MaxAge < 0:
		add("options.max_age", "must not be negative")
	case cc.Options.MaxAge > 0 && !hasKeys:
		add("options.max_age", "only with secret_keys: plaintext entries have no timestamp")
	}
	for _, t := range []struct {
		field string
		d     time.Duration
	}{
		{"options.connect_timeout", cc.Options.ConnectTimeout},
		{"options.read_timeout", cc.Options.ReadTimeout},
		{"options.write_timeout", cc.Options.WriteTimeout},
	} {
		switch {
		case t.d < 0:
			add(t.field, "must not be negative")
		case t.d > MaxNetworkTimeout:
			add(t.field, "longer than %s", MaxNetworkTimeout)
		}
	}
	cc.validateHashedNames(add) // config_hashnames.go
	if bc := cc.Options.BindingContext; bc != "" {
		switch ser := cc.serializer(); {
		case ser != SerializerNative && ser != SerializerJSON:
			add("options.binding_context", "only for native and json aliases: Django's and django-redis's formats are fixed")
		case !hasKeys:
			add("options.binding_context", "only with secret_keys: it is authenticated inside each token")
		case len(bc) > codec.MaxBindingContextLen:
			add("options.binding_context", "longer than %d bytes", codec.MaxBindingContextLen)
		}
	}
	switch n := cc.Options.MaxDecompressedSize; {
	case n < 0:
		add("options.max_decompressed_size", "must not be negative")
	case n > 0 && cc.Options.Compressor == "":
		add("options.max_decompressed_size", "only with a compressor")
	case n > 0:
		if _, err := codec.NewCompressor(cc.Options.Compressor, codec.WithMaxDecompressedSize(n)); err != nil {
			add("options.max_decompressed_size", "out of range (1 byte to 1 GiB)")
		}
	}
	return append(errs, cc.validateLocalTier(p)...)
}

// validateRecovery checks an alias's data_recovery; p is the alias's path.
func (c *Config) validateRecovery(p string, cc CacheConfig, dr *DataRecovery, hasKeys, secure bool) []*ConfigError {
	var errs []*ConfigError
	add := func(field, format string, args ...any) {
		errs = append(errs, configErr(p+"."+field, format, args...))
	}
	dp := "options.data_recovery."
	if !hasKeys && !secure { // the secure alias already reported its missing keys
		add("options.data_recovery", "needs options.secret_keys: recovery writes encrypted copies")
	}
	if dr.OldCacheName == "" {
		add(dp+"old_cache_name", "required")
	} else if old, ok := c.Caches[dr.OldCacheName]; !ok {
		add(dp+"old_cache_name", "alias %s not found in caches", quoteName(dr.OldCacheName))
	} else if old.Backend == BackendExternal {
		add(dp+"old_cache_name", "alias %s has backend external, which this package does not open", quoteName(dr.OldCacheName))
	} else if len(dr.OldKeyPatterns) > 0 && !old.isRedis() {
		add(dp+"old_key_patterns", "only with a Redis old alias: alias %s is not one", quoteName(dr.OldCacheName))
	}
	switch {
	case len(dr.OldKeyPatterns) > 0 && dr.OldKeyPrefix != "":
		add(dp+"old_key_prefix", "give either old_key_prefix (Django keys) or old_key_patterns (bare keys), not both")
	case len(dr.OldKeyPatterns) == 0 && dr.OldKeyPrefix == cc.KeyPrefix:
		add(dp+"old_key_prefix", "equals the alias's own key_prefix: old and new entries would be the same keys")
	}
	for i, pat := range dr.OldKeyPatterns {
		if pat == "" {
			add(dp+"old_key_patterns["+strconv.Itoa(i)+"]", "empty: want a Redis glob pattern such as \"user:*\"")
		}
	}
	switch dr.OldFormat {
	case "":
	case OldFormatRaw, OldFormatGocache, OldFormatGoRedisCache:
		if len(dr.OldKeyPatterns) == 0 {
			add(dp+"old_format", "applies to bare keys only: give old_key_patterns, or drop old_format to read old_key_prefix with the old alias's serializer")
		}
	default:
		add(dp+"old_format", "unknown format (want raw, gocache or go-redis-cache, or none for the old alias's own serializer)")
	}

	return errs
}
