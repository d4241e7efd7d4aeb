package secureredis

import (
	"errors"
	"strconv"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/store"
)

// Hashed names (native options.hashed_names, options.name_secrets): an
// alias whose entries Redis knows as "prefix:version:<MAC>" rather than
// "prefix:version:key", so that key names (user ids, e-mail addresses,
// tokens) do not leak to whoever reads Redis, a replica, an RDB file or
// MONITOR. See codec.WithHashedNames for the scheme.
//
//	caches:
//	  default:
//	    key_prefix: app1
//	    options:
//	      secret_keys: [...]
//	      hashed_names: true          # names from secret_keys (HKDF), or:
//	      name_secrets: [...]         # a ring of its own, first one names
//
// With hashed_names alone, the name secrets are derived from secret_keys
// (codec.DeriveNameRing): nothing more to manage, and rotating the Fernet
// keys renames the entries in the same rotation run. name_secrets (a list,
// the first naming new entries, every one tried on reads; implies
// hashed_names) separates the two, for when names must outlive a Fernet key
// rotation or rotate on their own. Both print redacted, as secret_keys do.
//
// Only for native and json aliases with secret_keys: the logical key must
// travel inside each token. Django's formats (serializer pickle,
// django-json, django-msgpack) and Django-style configurations (CACHES) are
// refused at load time, because Django computes its own key names and would
// never find the entries.

// djangoHashedNames is the reason a Django-style configuration refuses
// OPTIONS.HASHED_NAMES and OPTIONS.NAME_SECRETS.
const djangoHashedNames = "not for Django aliases: Django computes its own key names (prefix:version:key), so it would never find hashed ones; use a native alias (options.hashed_names) for entries only Go reads"

// hashed reports whether the alias names its entries by keyed hash.
func (cc CacheConfig) hashed() bool {
	return cc.Options.HashedNames || len(cc.Options.NameSecrets) > 0
}

// validateHashedNames adds the errors of the hashed-names options.
func (cc CacheConfig) validateHashedNames(add func(field, format string, args ...any)) {
	if !cc.hashed() {
		return
	}
	field := "options.hashed_names"
	if !cc.Options.HashedNames {
		field = "options.name_secrets"
	}
	switch ser := cc.serializer(); {
	case ser != SerializerNative && ser != SerializerJSON:
		add(field, "only for native and json aliases: Django's formats (serializer %s) have Django compute the key names", ser)
		return
	case len(cc.Options.SecretKeys) == 0:
		add(field, "only with secret_keys: the logical key travels encrypted inside each token")
		return
	}
	if len(cc.Options.NameSecrets) > 0 {
		if _, err := codec.NewNameRing(cc.Options.NameSecrets...); err != nil {
			var ke *codec.KeyError
			if errors.As(err, &ke) {
				add("options.name_secrets["+strconv.Itoa(ke.Index)+"]", "%s", ke.Reason)
			} else {
				add("options.name_secrets", "invalid name secret")
			}
		}
	}
}

// hashedNames returns the key scheme options of the alias's naming: none for
// clear names; codec.WithHashedNames over name_secrets, else over secrets
// derived from the Fernet keys of c.
func (cc CacheConfig) hashedNames(c store.Codec) ([]codec.KeySchemeOption, error) {
	if !cc.hashed() {
		return nil, nil
	}
	var ring *codec.NameRing
	var err error
	if len(cc.Options.NameSecrets) > 0 {
		ring, err = codec.NewNameRing(cc.Options.NameSecrets...)
	} else if fc, ok := c.(*codec.Codec); ok {
		ring, err = codec.DeriveNameRing(fc.Ring())
	} else {
		err = store.ErrHashedNamesCodec
	}
	if err != nil {
		return nil, err
	}
	return []codec.KeySchemeOption{codec.WithHashedNames(ring)}, nil
}
