package localtier

import (
	"context"
	"errors"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"

	"github.com/secureredis/secureredis/store"
)

// Store is an EncryptingStore over a Client whose GetWithTTL is also served
// from the local tier: gocache's cache.NewChain reads every store with
// GetWithTTL, so a Store is what to put in a chain. Everything else is the
// EncryptingStore's (embedded). It is safe for concurrent use.
type Store struct {
	*store.EncryptingStore
	tier *Client
}

var _ gocachestore.StoreInterface = (*Store)(nil)

// NewStore returns s as a Store. It fails when s was not built with
// store.NewRedis over a *Client.
func NewStore(s *store.EncryptingStore) (*Store, error) {
	if s == nil {
		return nil, errors.New("localtier: nil store")
	}
	tier, ok := s.Client().(*Client)
	if !ok {
		return nil, errors.New("localtier: the store's client is not a *localtier.Client")
	}
	return &Store{EncryptingStore: s, tier: tier}, nil
}

// Tier returns the Client under the store.
func (s *Store) Tier() *Client { return s.tier }

// GetWithTTL returns the value of key, from the local tier when it holds the
// key's token, with its remaining time to live as Redis counted it when the
// token was read (0 for no expiry); otherwise it is the EncryptingStore's
// GetWithTTL. Errors and value types are the EncryptingStore's.
func (s *Store) GetWithTTL(ctx context.Context, key any) (any, time.Duration, error) {
	k, ok := key.(string)
	if !ok || !s.tier.cache.isTrusted() {
		return s.EncryptingStore.GetWithTTL(ctx, key)
	}
	v, err := s.Get(ctx, k)
	if err != nil {
		return nil, 0, err
	}
	if ttl, ok := s.tier.cache.ttl(s.Keys().Key(k)); ok {
		return v, ttl, nil
	}
	return s.EncryptingStore.GetWithTTL(ctx, key)
}
