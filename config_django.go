package secureredis

import (
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/secureredis/secureredis/codec"
)

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
