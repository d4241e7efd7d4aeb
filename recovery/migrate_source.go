package recovery

import (
	"context"

	"github.com/secureredis/secureredis/store"
)

// source is where a migration reads old entries: the keys of an old alias's
// prefix (Migrate) or bare keys matching patterns (MigrateFrom).
type source interface {
	// client is the Redis client the old entries are read and deleted with.
	client() store.Rediser
	// scan calls fn with successive pages of candidate keys, SCAN with a
	// COUNT of count on every master.
	scan(ctx context.Context, count int, fn func(ctx context.Context, keys []string) error) error
	// target returns the secure storage key an old key moves to, or why the
	// key is skipped.
	// bound is the key the secure codec binds the token to (the same
	// as newKey unless secure has hashed names: KeyScheme.BindingKey).
	target(oldKey string) (newKey, bound string, skip SkipReason)
	// decode returns the value of an old entry from the bytes read.
	decode(oldKey, raw string) (any, error)
	// skipsWrongType says whether a key that is not a Redis string is
	// skipped (SkipNotString) rather than failed.
	skipsWrongType() bool
}

// prefixSource is the old alias of Migrate: keys of old's scheme, decoded
// with old's codec.
type prefixSource struct {
	old, secure *store.EncryptingStore
	raw         bool // old's codec is codec.Raw: the value is the string read
}

func (s *prefixSource) client() store.Rediser { return s.old.Client() }

func (s *prefixSource) scan(ctx context.Context, count int, fn func(context.Context, []string) error) error {
	scan, err := scanner(s.old, count)
	if err != nil {
		return err
	}
	return scan.ScanKeys(ctx, func(ctx context.Context, _ store.Rediser, keys []string) error {
		return fn(ctx, keys)
	})
}

func (s *prefixSource) target(k string) (string, string, SkipReason) {
	if s.secure.Keys().Owns(k) {
		return "", "", SkipSecureNamespace
	}
	key, version, ok := s.old.Keys().Parse(k)
	if !ok {
		return "", "", SkipNotOwned
	}
	return s.secure.Keys().KeyVersion(key, version), s.secure.Keys().BindingKeyVersion(key, version), ""
}

func (s *prefixSource) decode(k, raw string) (any, error) {
	if s.raw {
		return raw, nil
	}
	return s.old.Codec().Decode(k, []byte(raw))
}

func (s *prefixSource) skipsWrongType() bool { return false }
