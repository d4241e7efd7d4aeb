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
			err = unknownField(path)
		}
		return err
	})
}

func (p *parser) nativeCache(n *yaml.Node, path string) (CacheConfig, error) {
	cc := CacheConfig{}
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

// dataRecovery reads a data_recovery mapping, whose fields are named
// nameKey, prefixKey and clearKey in the file's form. The old key prefix must
// be given, "" included (Django's default KEY_PREFIX), so that a forgotten
// one is not read as the empty prefix.
func (p *parser) dataRecovery(n *yaml.Node, path, nameKey, prefixKey, clearKey string) (*DataRecovery, error) {
	dr := &DataRecovery{}
	hasPrefix := false
	err := p.mapping(n, path, func(key string, v *yaml.Node, path string) (err error) {
		switch key {
		case nameKey:
			dr.OldCacheName, err = p.string(v, path)
		case prefixKey:
			hasPrefix = true
			dr.OldKeyPrefix, err = p.string(v, path)
		case clearKey:
			dr.ClearOldEntries, err = p.bool(v, path)
		default:
			err = unknownField(path)
		}
		return err
	})
	if err == nil && !hasPrefix {
		err = configErr(join(path, prefixKey), `required ("" for Django's default, empty KEY_PREFIX)`)
	}
	return dr, err
}

// django reads Django's form.
