package store

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
)

// Errors returned by EncryptingStore; match them with errors.Is.
var (
	// ErrInvalidKey is returned for a key that is not a string.
	ErrInvalidKey = errors.New("store: key must be a string")
	// ErrNilValue is returned by Set for a nil value, which could not be told
	// apart from a miss on the way back.
	ErrNilValue = errors.New("store: nil value")
	// ErrInvalidExpiration is returned for a negative expiration.
	ErrInvalidExpiration = errors.New("store: negative expiration")
	// ErrClearUnsafe is returned by Clear when the store has no go-redis
	// client and decorates a gocache Redis store, whose Clear flushes every
	// database of the server.
	ErrClearUnsafe = errors.New("store: refusing to clear: the inner Redis store's Clear would flush every database of the server; build the store with NewRedis to clear only its prefix")
	// ErrTagsUnsafe is returned by Set with tags when the store has no go-redis
	// client and decorates a gocache Redis store, which would keep the tag sets
	// outside the prefix.
	ErrTagsUnsafe = errors.New("store: refusing tags: the inner Redis store keeps tag sets outside the prefix; build the store with NewRedis")
)

// Type is what GetType returns for a store built with NewRedis; a store built
// with New returns "secure-" followed by the inner store's type.
const Type = "secure-redis"

// defaultTagsTTL is how long a tag set lives, as in gocache's Redis store.
const defaultTagsTTL = 720 * time.Hour

// Codec turns a value into the bytes stored under a storage key and back.
// *codec.Codec (Fernet) is the one to use (*codec.Django to share entries
// with Django); codec.Raw reads an old plaintext
// alias. Implementations must be safe for concurrent use and must not write
// to the bytes given to Decode.
type Codec interface {
	Encode(storageKey string, value any) ([]byte, error)
	Decode(storageKey string, data []byte) (any, error)
}

var (
	_ Codec = (*codec.Codec)(nil)
	_ Codec = (*codec.Django)(nil)
	_ Codec = codec.Raw{}
)

// EncryptingStore is a gocache store that prefixes every key with its
// KeyScheme and encrypts every value with its Codec: only Fernet tokens reach
// Redis or the inner store. Set refuses nil (ErrNilValue) and, under msgpack,
// values Get would not return with their Go type (ErrNotRoundTrip). A missing
// key is gocache's NotFound, and so is an entry that does not decrypt (a
// counted *DecryptError matching codec.ErrInvalidToken); a non-string key is
// ErrInvalidKey. It touches no key outside its prefix and is safe for
// concurrent use; the package documentation lists the Go types Get returns.
type EncryptingStore struct {
	codec    Codec
	keys     *codec.KeyScheme
	api      apiState                    // Django cache API state (api.go)
	client   Rediser                     // set by NewRedis
	inner    gocachestore.StoreInterface // set by New
	defaults gocachestore.Options        // Expiration is unsetExpiration unless WithDefaultExpiration
	scan     int64
	onFail   func(ctx context.Context, key string)
	failures atomic.Uint64
	// onFailClass and byClass: failures.go
	onFailClass func(ctx context.Context, key string, class codec.FailureClass)
	byClass     [8]atomic.Uint64
	reads       readCounters // stats.go
	fallback    Fallback
	until       time.Time
	// fallbackForever: WithFallbackForever, no deadline
	fallbackForever bool
	now             func() time.Time
}

var (
	_ gocachestore.StoreInterface      = (*EncryptingStore)(nil)
	_ gocachestore.SetIfNotExistsStore = (*EncryptingStore)(nil)
)

// Option configures an EncryptingStore.
type Option func(*EncryptingStore) error

// WithDecryptFailureHook calls fn, with the logical key, each time an entry
// fails to decrypt, so operators can alert on tampering or a missing key. fn
// runs on the caller's goroutine and must be safe for concurrent use; it is
// never given the value or the token.
func WithDecryptFailureHook(fn func(ctx context.Context, key string)) Option {
	return func(s *EncryptingStore) error {
		s.onFail = fn
		return nil
	}
}

// WithScanCount sets the COUNT hint of the SCAN calls Clear makes, and so the
// size of its UNLINK batches. The default is 1000.
func WithScanCount(n int64) Option {
	return func(s *EncryptingStore) error {
		if n <= 0 {
			return fmt.Errorf("store: scan count must be positive, got %d", n)
		}
		s.scan = n
		return nil
	}
}

// NewRedis returns a store that talks to Redis through client: a
// *redis.Client, *redis.ClusterClient or any redis.UniversalClient. Besides
// gocache's interface it offers a Clear scoped to the prefix, set-if-absent
// (SET NX), GetWithTTL in one round trip, and batches (GetMany, SetMany,
// DeleteMany). It fails on a nil client, codec or key scheme, or an invalid
// option. Build the client with ContextTimeoutEnabled if a ctx deadline must
// bound a call to a stalled server: otherwise go-redis waits for its own
// ReadTimeout (3 s by default) whatever the context says.
func NewRedis(client Rediser, c Codec, keys *codec.KeyScheme, opts ...Option) (*EncryptingStore, error) {
	if client == nil {
		return nil, errors.New("store: nil redis client")
	}
	return newStore(client, nil, c, keys, opts)
}

// New returns a store that decorates inner, any gocache store (in-memory ones
// such as go_cache, ristretto or bigcache, or gocache's Redis store). inner
// only ever sees prefixed keys and Fernet tokens. Clear and tags are refused
// when inner is a gocache Redis store (see ErrClearUnsafe); use NewRedis for
// Redis.
func New(inner gocachestore.StoreInterface, c Codec, keys *codec.KeyScheme, opts ...Option) (*EncryptingStore, error) {
	if inner == nil {
		return nil, errors.New("store: nil inner store")
	}
	return newStore(nil, inner, c, keys, opts)
}

func newStore(client Rediser, inner gocachestore.StoreInterface, c Codec, keys *codec.KeyScheme, opts []Option) (*EncryptingStore, error) {
	if c == nil || c == Codec((*codec.Codec)(nil)) || c == Codec((*codec.Django)(nil)) {
		return nil, errors.New("store: nil codec")
	}
	if keys == nil {
		return nil, errors.New("store: nil key scheme")
	}
	if err := checkHashedNames(c, keys); err != nil { // hashnames.go
		return nil, err
	}
	s := &EncryptingStore{codec: c, keys: keys, client: client, inner: inner, scan: 1000, now: time.Now}
	s.defaults.Expiration = unsetExpiration
	for _, opt := range opts {
		if err := opt(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Codec returns the store's codec.
func (s *EncryptingStore) Codec() Codec { return s.codec }

// Keys returns the store's key scheme.
func (s *EncryptingStore) Keys() *codec.KeyScheme { return s.keys }

// Client returns the go-redis client given to NewRedis, or nil.
func (s *EncryptingStore) Client() Rediser { return s.client }

// DecryptFailures returns how many entries have failed to decrypt so far.
func (s *EncryptingStore) DecryptFailures() uint64 { return s.failures.Load() }

// GetType returns Type for a Redis store, "secure-" plus the inner store's
// type otherwise.
func (s *EncryptingStore) GetType() string {
	if s.inner != nil {
		return "secure-" + s.inner.GetType()
	}
	return Type
}

func keyString(key any) (string, error) {
	k, ok := key.(string)
	if !ok {
		return "", fmt.Errorf("%w, got %T", ErrInvalidKey, key)
	}
	return k, nil
}

// Get returns the decrypted value of key. See EncryptingStore for the types
// and errors.
func (s *EncryptingStore) Get(ctx context.Context, key any) (any, error) {
	v, err := s.get(ctx, key, nil)
	s.countRead(err)
	return v, err
}

// get is Get, decoding into into (GetInto) when it is not nil.
func (s *EncryptingStore) get(ctx context.Context, key any, into any) (any, error) {
	k, err := keyString(key)
	if err != nil {
		return nil, err
	}
	sk, bound := s.keys.KeyBinding(k)
	var tok []byte
	if s.client != nil {
		// Bytes may alias the reply's memory; Decode never writes to it.
		tok, err = s.client.Get(ctx, sk).Bytes()
		if errors.Is(err, redis.Nil) && s.keys.Secrets() > 1 { // hashnames.go
			var found bool
			if _, tok, found, err = s.readOlder(ctx, k); found {
				return s.decode(ctx, k, bound, tok, into) // same version, same clear key
			} else if err == nil {
				err = redis.Nil
			}
		}
		if errors.Is(err, redis.Nil) {
			if s.fallbackActive() {
				v, _, ferr := s.fetchFallback(ctx, k, sk, into)
				return v, ferr
			}
			return nil, gocachestore.NotFoundWithCause(err)
		}
	} else {
		var raw any
		if raw, err = s.inner.Get(ctx, sk); err == nil {
			tok = tokenBytes(raw)
		}
	}
	if err != nil {
		return nil, err
	}
	return s.decode(ctx, k, bound, tok, into)
}

// GetWithTTL returns the decrypted value of key and its remaining time to
// live. An entry without expiry returns NoExpiration (0) from both
// constructors (gocache's Redis store says -1ns; it is turned into 0), which
// gocache's chain passes on to the upper tiers as "no expiry". With NewRedis,
// GET and PTTL go in one pipelined round trip.
func (s *EncryptingStore) GetWithTTL(ctx context.Context, key any) (any, time.Duration, error) {
	v, ttl, err := s.getWithTTL(ctx, key, nil)
	s.countRead(err)
	return v, ttl, err
}

// getWithTTL is GetWithTTL, decoding into into (GetWithTTLInto) when it is
// not nil.
func (s *EncryptingStore) getWithTTL(ctx context.Context, key any, into any) (any, time.Duration, error) {
	k, err := keyString(key)
	if err != nil {
		return nil, 0, err
	}
	sk, bound := s.keys.KeyBinding(k)
	if s.client == nil {
		raw, ttl, err := s.inner.GetWithTTL(ctx, sk)
		if err != nil {
			return nil, 0, err
		}
		if ttl, err = innerTTL(ttl); err != nil {
			return nil, 0, err
		}
		v, err := s.decode(ctx, k, bound, tokenBytes(raw), into)
		if err != nil {
			return nil, 0, err
		}
		return v, ttl, nil
	}
	var get *redis.StringCmd
	var pttl *redis.DurationCmd
	_, err = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, sk)
		pttl = p.PTTL(ctx, sk)
		return nil
	})
	tok, gerr := get.Bytes()
	if errors.Is(gerr, redis.Nil) && s.keys.Secrets() > 1 { // hashnames.go
		if old, _, found, oerr := s.readOlder(ctx, k); oerr != nil {
			return nil, 0, oerr
		} else if found {
			sk = old
			_, err = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
				get = p.Get(ctx, sk)
				pttl = p.PTTL(ctx, sk)
				return nil
			})
			tok, gerr = get.Bytes()
		}
	}
	if errors.Is(gerr, redis.Nil) {
		if s.fallbackActive() {
			return s.fetchFallback(ctx, k, sk, into)
		}
		return nil, 0, gocachestore.NotFoundWithCause(gerr)
	}
	if err != nil {
		return nil, 0, err
	}
	ttl := pttl.Val()
	switch {
	case ttl == -2: // expired between GET and PTTL
		return nil, 0, gocachestore.NotFoundWithCause(redis.Nil)
	case ttl < 0:
		ttl = NoExpiration
	}
	v, err := s.decode(ctx, k, bound, tok, into)
	if err != nil {
		return nil, 0, err
	}
	return v, ttl, nil
}

// decode decodes tok, bound to bound (s.bound of the key it was read
// from), into into when it is not nil (GetInto) and returns Decode's value
// otherwise. A failure is counted and reported (failures.go).
func (s *EncryptingStore) decode(ctx context.Context, key, bound string, tok []byte, into any) (any, error) {
	var v any
	var err error
	if into != nil {
		err = s.decodeInto(bound, tok, into)
	} else {
		v, err = s.codec.Decode(bound, tok)
	}
	if err != nil {
		return nil, s.failed(ctx, key, err)
	}
	return v, nil
}

// tokenBytes returns the bytes of a token returned by an inner store, which
// keeps []byte (in-memory stores) or returns string (Redis stores). Anything
// else is not a token and yields nil, which fails to decode.
func tokenBytes(raw any) []byte {
	switch v := raw.(type) {
	case []byte:
		return v
	case string:
		return []byte(v)
	}
	return nil
}

func isRedisType(t string) bool {
	switch t {
	case "redis", "rediscluster", "rueidis":
		return true
	}
	return false
}
