package secureredis

import (
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/secureredis/secureredis/codec"
)

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
			err = unknownField(path, key, djangoTopFields...)
		}
		return err
	})
}

// Django and django-redis cache backends this package serves.
var djangoBackends = map[string]Backend{
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

// djangoSecure marks the django-redis-secure serializer (and the client
// class that forces it): Fernet(pickle), which needs REDIS_SECRET_KEY.
const djangoSecure Serializer = "secure"

// django-redis SERIALIZER classes, by the serializer they store with.
var djangoSerializers = map[string]Serializer{
	"django_redis.serializers.pickle.PickleSerializer":   SerializerPickle, // django-redis's default, plaintext
	"django_redis.serializers.json.JSONSerializer":       SerializerDjangoJSON,
	"django_redis.serializers.msgpack.MSGPackSerializer": SerializerDjangoMsgpack,
	"secure_redis.serializer.pickle.PickleSerializer":    djangoSecure,
	"secure_redis.serializer.SecureSerializer":           djangoSecure, // django-redis-secure's first name for it
}

// django-redis CLIENT_CLASS values this package reads the entries of.
var djangoClients = map[string]Serializer{
	"django_redis.client.DefaultClient":           "",
	"secure_redis.client.SecureDjangoRedisClient": djangoSecure, // forces the secure serializer
	djangoSentinelClient:                          "",           // needs OPTIONS.SENTINELS
}

// django-redis options that do not change what is stored or where: ignored.
var djangoIgnored = map[string]bool{
	"PARSER_CLASS": true, "CONNECTION_POOL_CLASS": true, "CONNECTION_POOL_KWARGS": true,
	"REDIS_CLIENT_CLASS": true, "REDIS_CLIENT_KWARGS": true,
	"IGNORE_EXCEPTIONS":      true,
	"LOG_IGNORED_EXCEPTIONS": true, "PICKLE_VERSION": true, "CLOSE_CONNECTION": true,
	"MAX_ENTRIES": true, "CULL_FREQUENCY": true, // LocMemCache
	"parser_class": true, "pool_class": true, // Django's own RedisCache
}

// The fields of each mapping of the Django form, for suggestions.
var (
	djangoTopFields   = []string{"CACHES", "DJANGO_REDIS_SECURE_CACHE_NAME"}
	djangoAliasFields = []string{"BACKEND", "LOCATION", "KEY_PREFIX", "VERSION", "TIMEOUT", "OPTIONS", "KEY_FUNCTION", "REVERSE_KEY_FUNCTION"}
)

// djangoOptionFields returns the OPTIONS fields read or ignored.
func djangoOptionFields() []string {
	out := []string{"REDIS_SECRET_KEY", "SERIALIZER", "CLIENT_CLASS", "DB", "DATA_RECOVERY", "MAX_AGE", "BINDING_CONTEXT",
		"SOCKET_CONNECT_TIMEOUT", "SOCKET_TIMEOUT", "MAX_DECOMPRESSED_SIZE", "COMPRESSOR", "SENTINELS", "SENTINEL_KWARGS", "CONNECTION_FACTORY", "LOCAL_TIER"}
	for k := range djangoIgnored {
		out = append(out, k)
	}
	slices.Sort(out) // suggestions do not depend on map order
	return out
}

func (p *parser) djangoCache(n *yaml.Node, path string) (CacheConfig, error) {
	cc := CacheConfig{}
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
			err = unknownField(path, key, djangoAliasFields...)
		}
		return err
	})
	if err != nil || cc.Backend == BackendExternal {
		return cc, err
	}
	// django-redis splits LOCATION on "," and ";" too, so a password holding
	// one leaves a piece that is not a URL: refuse it without a word of it
	// (each piece may be part of the password).
	for i, l := range cc.Location {
		if cc.isRedis() && !strings.Contains(l, "://") {
			cc.Location = nil
			return cc, configErr(join(path, "LOCATION"), "piece #%d is not a URL: django-redis splits LOCATION on \",\" and \";\", so one in a password must be percent-encoded", i+1)
		}
	}
	var serializer, client string
	var ds djangoSentinel
	if options == nil {
		optionsPath = join(path, "OPTIONS")
	} else if serializer, client, err = p.djangoOptions(options, optionsPath, &cc, &ds); err != nil {
		return cc, err
	}
	if err := djangoSentinelLocation(&cc, &ds, path, optionsPath); err != nil {
		return cc, err
	}
	return cc, djangoSerializer(&cc, serializer, client, optionsPath)
}

// djangoOptions reads an alias's OPTIONS into cc and returns its SERIALIZER
// and CLIENT_CLASS classes, for djangoSerializer, and its Sentinel settings
// into ds.
func (p *parser) djangoOptions(options *yaml.Node, optionsPath string, cc *CacheConfig, ds *djangoSentinel) (serializer, client string, err error) {
	err = p.mapping(options, optionsPath, func(key string, v *yaml.Node, path string) (err error) {
		switch key {
		case "REDIS_SECRET_KEY":
			cc.Options.SecretKeys, err = p.strings(v, path)
		case "SERIALIZER":
			var class string
			if class, err = p.string(v, path); err == nil {
				if _, ok := djangoSerializers[class]; !ok {
					err = configErr(path, "not a serializer class this package reads (want django-redis's pickle, json or msgpack serializer, or django-redis-secure's)")
				}
				serializer = class
			}
		case "CLIENT_CLASS":
			var class string
			if class, err = p.string(v, path); err == nil {
				if _, ok := djangoClients[class]; !ok {
					err = configErr(path, "not a client class this package reads (want django_redis.client.DefaultClient, django_redis.client.SentinelClient or secure_redis.client.SecureDjangoRedisClient)")
				}
				if class == djangoSentinelClient {
					ds.wantedBy = path
				}
				client = class
			}
		case "SENTINELS":
			err = p.sentinels(v, path, ds)
		case "SENTINEL_KWARGS":
			err = p.sentinelKwargs(v, path, ds)
		case "CONNECTION_FACTORY":
			// Only Sentinel's matters here: it needs SENTINELS.
			var class string
			if class, err = p.string(v, path); err == nil && class == djangoSentinelFactory {
				ds.wantedBy = path
			}
		case "DB", "db":
			var db int
			db, err = p.int(v, path)
			cc.Options.DB = &db
		case "DATA_RECOVERY":
			cc.Options.DataRecovery, err = p.dataRecovery(v, path, djangoRecoveryFields)
		case "MAX_AGE":
			cc.Options.MaxAge, err = p.duration(v, path)
		case "LOCAL_TIER":
			cc.Options.LocalTier, err = p.localTier(v, path, djangoLocalTierFields)
		case "BINDING_CONTEXT":
			cc.Options.BindingContext, err = p.string(v, path)
		case "SOCKET_CONNECT_TIMEOUT":
			cc.Options.ConnectTimeout, err = p.duration(v, path)
		case "SOCKET_TIMEOUT":
			// redis-py's socket_timeout bounds reads and writes alike.
			cc.Options.ReadTimeout, err = p.duration(v, path)
			cc.Options.WriteTimeout = cc.Options.ReadTimeout
		case "MAX_DECOMPRESSED_SIZE":
			var n int
			n, err = p.int(v, path)
			cc.Options.MaxDecompressedSize = int64(n)
		case "HASHED_NAMES", "NAME_SECRETS":
			err = configErr(path, djangoHashedNames) // config_hashnames.go
		case "PASSWORD", "USERNAME":
			err = configErr(path, "not supported: put the credentials in LOCATION (redis://user:password@host)")
		case "COMPRESSOR":
			if cc.Options.Compressor, err = p.string(v, path); err == nil {
				if comp, cerr := codec.NewCompressor(cc.Options.Compressor); cerr != nil {
					cc.Options.Compressor = ""
					err = configErr(path, "not a compressor class this package reads (want django-redis's zlib, gzip, lzma, lz4, zstd or identity compressor)")
				} else if comp == nil {
					cc.Options.Compressor = "" // IdentityCompressor: none
				}
			}
		default:
			if !djangoIgnored[key] {
				err = unknownField(path, key, djangoOptionFields()...)
			}
		}
		return err
	})
	return serializer, client, err
}

// djangoSerializer sets the serializer of a Redis alias to what django-redis
// stores with its OPTIONS, with or without OPTIONS: pickle by default,
// SERIALIZER's json or msgpack, or django-redis-secure's Fernet(pickle) when
// SERIALIZER or CLIENT_CLASS names it. REDIS_SECRET_KEY must be given exactly
// when the entries are encrypted: a key next to a plaintext serializer would
// be ignored by django-redis, and reading its plaintext as tokens (or the
// other way round) would lose every entry. Django's own RedisCache stores
// plaintext pickles and takes none of django-redis's options.
func djangoSerializer(cc *CacheConfig, serializer, client, optionsPath string) error {
	if !cc.isRedis() {
		return nil
	}
	keysPath := optionsPath + ".REDIS_SECRET_KEY"
	if cc.DjangoBackend == "django.core.cache.backends.redis.RedisCache" {
		for _, f := range []struct {
			name string
			set  bool
		}{{"REDIS_SECRET_KEY", len(cc.Options.SecretKeys) > 0}, {"SERIALIZER", serializer != ""},
			{"CLIENT_CLASS", client != ""}, {"COMPRESSOR", cc.Options.Compressor != ""}} {
			if f.set {
				return configErr(optionsPath+"."+f.name, "Django's own RedisCache stores plaintext pickles and has no such option: use django_redis.cache.RedisCache (with django-redis-secure to encrypt)")
			}
		}
	}
	kind := SerializerPickle
	if serializer != "" {
		kind = djangoSerializers[serializer]
	}
	if djangoClients[client] == djangoSecure {
		kind = djangoSecure // SecureDjangoRedisClient overrides SERIALIZER
	}
	hasKeys := len(cc.Options.SecretKeys) > 0
	switch {
	case kind == djangoSecure && !hasKeys:
		return configErr(keysPath, "required: django-redis-secure's serializer encrypts with it")
	case kind == djangoSecure:
		kind = SerializerPickle // encrypted, since keys are set
	case hasKeys:
		return configErr(keysPath, "set, but the alias's serializer (SERIALIZER, django-redis's pickle by default) stores plaintext and django-redis would ignore the key: set SERIALIZER to secure_redis.serializer.pickle.PickleSerializer, or remove the key")
	}
	cc.Options.Serializer = kind
	return nil
}

// djangoBackend maps a Django BACKEND class to a backend. Unknown classes are
// external, except ones that look like Redis: a mistyped Redis backend must
// not silently stop being served.
func djangoBackend(class, path string) (Backend, error) {
	if b, ok := djangoBackends[class]; ok {
		return b, nil
	}
	if strings.Contains(strings.ToLower(class), "redis") {
		return "", configErr(path, "unknown Redis backend class (want django_redis.cache.RedisCache or django.core.cache.backends.redis.RedisCache)")
	}
	return BackendExternal, nil
}
