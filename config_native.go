package secureredis

import (
	"go.yaml.in/yaml/v3"
)

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
			err = unknownField(path, key, nativeTopFields...)
		}
		return err
	})
}

func (p *parser) nativeCache(n *yaml.Node, path string) (CacheConfig, error) {
	cc := CacheConfig{}
	err := p.mapping(n, path, func(key string, v *yaml.Node, path string) (err error) {
		switch key {
		case "backend":
			var b string
			b, err = p.string(v, path)
			cc.Backend = Backend(b)
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
					var ser string
					ser, err = p.string(v, path)
					cc.Options.Serializer = Serializer(ser)
				case "db":
					var db int
					db, err = p.int(v, path)
					cc.Options.DB = &db
				case "data_recovery":
					cc.Options.DataRecovery, err = p.dataRecovery(v, path, nativeRecoveryFields)
				case "compressor":
					cc.Options.Compressor, err = p.string(v, path)
				case "max_age":
					cc.Options.MaxAge, err = p.duration(v, path)
				case "local_tier":
					cc.Options.LocalTier, err = p.localTier(v, path, nativeLocalTierFields)
				case "binding_context":
					cc.Options.BindingContext, err = p.string(v, path)
				case "connect_timeout":
					cc.Options.ConnectTimeout, err = p.duration(v, path)
				case "read_timeout":
					cc.Options.ReadTimeout, err = p.duration(v, path)
				case "write_timeout":
					cc.Options.WriteTimeout, err = p.duration(v, path)
				case "hashed_names":
					cc.Options.HashedNames, err = p.bool(v, path)
				case "name_secrets":
					cc.Options.NameSecrets, err = p.strings(v, path)
				case "max_decompressed_size":
					var n int
					n, err = p.int(v, path)
					cc.Options.MaxDecompressedSize = int64(n)
				default:
					err = unknownField(path, key, nativeOptionFields...)
				}
				return err
			})
		default:
			err = unknownField(path, key, nativeAliasFields...)
		}
		return err
	})
	return cc, err
}

// The fields of each mapping of the native form, for suggestions.
var (
	nativeTopFields    = []string{"secure_cache", "caches"}
	nativeAliasFields  = []string{"backend", "location", "key_prefix", "version", "timeout", "options"}
	nativeOptionFields = []string{"secret_keys", "serializer", "db", "data_recovery", "compressor", "max_age",
		"binding_context", "connect_timeout", "read_timeout", "write_timeout", "max_decompressed_size",
		"hashed_names", "name_secrets", "local_tier"}
)

// recoveryFields names the fields of data_recovery in one form of the file.
type recoveryFields struct {
	name, prefix, patterns, format, clear string
}

var (
	nativeRecoveryFields = recoveryFields{"old_cache_name", "old_key_prefix", "old_key_patterns", "old_format", "clear_old_entries"}
	djangoRecoveryFields = recoveryFields{"OLD_CACHE_NAME", "OLD_KEY_PREFIX", "OLD_KEY_PATTERNS", "OLD_FORMAT", "CLEAR_OLD_ENTRIES"}
)

// dataRecovery reads a data_recovery mapping, whose fields are named as f
// says. The old key prefix must be given, "" included (Django's default
// KEY_PREFIX), so that a forgotten one is not read as the empty prefix,
// unless old key patterns select the old entries instead; then it must not
// be given (or be "").
func (p *parser) dataRecovery(n *yaml.Node, path string, f recoveryFields) (*DataRecovery, error) {
	dr := &DataRecovery{}
	hasPrefix := false
	err := p.mapping(n, path, func(key string, v *yaml.Node, path string) (err error) {
		switch key {
		case f.name:
			dr.OldCacheName, err = p.string(v, path)
		case f.prefix:
			hasPrefix = true
			dr.OldKeyPrefix, err = p.string(v, path)
		case f.patterns:
			dr.OldKeyPatterns, err = p.strings(v, path)
			if err == nil && len(dr.OldKeyPatterns) == 0 {
				err = configErr(path, "want at least one pattern")
			}
		case f.format:
			dr.OldFormat, err = p.string(v, path)
		case f.clear:
			dr.ClearOldEntries, err = p.bool(v, path)
		default:
			err = unknownField(path, key, f.name, f.prefix, f.patterns, f.format, f.clear)
		}
		return err
	})
	switch {
	case err != nil:
	case len(dr.OldKeyPatterns) > 0 && dr.OldKeyPrefix != "":
		err = configErr(join(path, f.prefix), "give either %s (Django keys) or %s (bare keys), not both", f.prefix, f.patterns)
	case !hasPrefix && len(dr.OldKeyPatterns) == 0:
		err = configErr(join(path, f.prefix), `required ("" for Django's default, empty KEY_PREFIX), unless %s selects bare keys`, f.patterns)
	}
	return dr, err
}
