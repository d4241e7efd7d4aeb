package sessions

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	gocachestore "github.com/eko/gocache/lib/v4/store"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/store"
)

// DefaultPrefix is the logical key prefix of sessions inside the alias when
// WithPrefix is not given: a session lives under "session:<token>", so under
// the Redis key "KEY_PREFIX:VERSION:session:<token>".
const DefaultPrefix = "session:"

// MinHashSecretSize is the smallest secret WithHashedTokens accepts, in bytes.
const MinHashSecretSize = 32

// MaxTokenSize is the longest session token the Store accepts, in bytes. scs's
// tokens are 43 bytes. Find reports a longer token as not found, Commit
// rejects it with ErrInvalidSessionToken.
const MaxTokenSize = 256

// formatVersion is the first byte of a stored session (see the package's wire
// format).
const formatVersion = 1

// Errors returned by the Store; match them with errors.Is.
var (
	// ErrInvalidSessionToken is returned by Commit for an empty session token
	// or one longer than MaxTokenSize.
	ErrInvalidSessionToken = errors.New("sessions: invalid session token")
	// ErrPlaintextStore is returned by New for a store whose codec is
	// codec.Raw: sessions would be stored unencrypted.
	ErrPlaintextStore = errors.New("sessions: the store does not encrypt (codec.Raw); use the secure alias")
)

// Store is an scs session store over an encrypting cache alias. It
// implements scs.Store, scs.CtxStore, scs.IterableStore and
// scs.IterableCtxStore. It reads, writes and deletes only the logical keys of
// its alias that start with its prefix, and only through the EncryptingStore,
// so never a key outside the alias's prefix. A Store is safe for concurrent
// use. Printing it does not print the hash secret.
type Store struct {
	st     *store.EncryptingStore
	prefix string
	secret secret           // nil: tokens appear in key names
	now    func() time.Time // replaced by tests
}

var (
	_ scs.Store            = (*Store)(nil)
	_ scs.CtxStore         = (*Store)(nil)
	_ scs.IterableStore    = (*Store)(nil)
	_ scs.IterableCtxStore = (*Store)(nil)
)

// secret is the HMAC key of WithHashedTokens. It formats as "[redacted]".
type secret []byte

// String returns "[redacted]".
func (secret) String() string { return "[redacted]" }

// GoString returns "[redacted]".
func (secret) GoString() string { return "[redacted]" }

// Format prints "[redacted]" for every verb.
func (secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("[redacted]")) }

// Option configures a Store.
type Option func(*Store) error

// WithPrefix sets the logical key prefix of sessions inside the alias. The
// default is DefaultPrefix ("session:"). It must not be empty, so that
// sessions never mix with the alias's other entries, and should end with a
// separator so that one prefix is not the start of another's keys.
func WithPrefix(prefix string) Option {
	return func(s *Store) error {
		if prefix == "" {
			return errors.New("sessions: empty session key prefix")
		}
		s.prefix = prefix
		return nil
	}
}

// WithHashedTokens stores each session under HMAC-SHA256(secret, token),
// base64url-encoded, instead of under the token, so that key names in Redis
// cannot be used as session cookies. The secret must be at least
// MinHashSecretSize random bytes, kept apart from the Fernet keys; it is
// copied. Changing it makes every existing session not found (users log in
// again). The default is no hashing.
func WithHashedTokens(hashSecret []byte) Option {
	return func(s *Store) error {
		if len(hashSecret) < MinHashSecretSize {
			return fmt.Errorf("sessions: token hash secret must be at least %d bytes, got %d", MinHashSecretSize, len(hashSecret))
		}
		s.secret = secret(append([]byte(nil), hashSecret...))
		return nil
	}
}

// New returns a session store over st. It fails on a nil store, a store whose
// codec is codec.Raw (ErrPlaintextStore), or an invalid option.
func New(st *store.EncryptingStore, opts ...Option) (*Store, error) {
	if st == nil {
		return nil, errors.New("sessions: nil store")
	}
	if _, raw := st.Codec().(codec.Raw); raw {
		return nil, ErrPlaintextStore
	}
	s := &Store{st: st, prefix: DefaultPrefix, now: time.Now}
	for _, opt := range opts {
		if err := opt(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// String describes the store without its hash secret, for logs.
func (s Store) String() string {
	return fmt.Sprintf("sessions.Store{prefix: %q, hashed tokens: %t}", s.prefix, s.secret != nil)
}

// GoString is String, so that %#v does not print the hash secret either.
func (s Store) GoString() string { return s.String() }

// Prefix returns the logical key prefix of sessions.
func (s *Store) Prefix() string { return s.prefix }

// HashedTokens reports whether tokens are stored as keyed hashes.
func (s *Store) HashedTokens() bool { return s.secret != nil }

// Pattern returns a Redis SCAN MATCH pattern, glob-escaped, for the storage
// keys of the sessions at the alias's current version, for instance
// "app1:secure:1:session:*", for use with redis-cli --scan --pattern. It
// assumes Django's key function (the default), which puts the logical key
// last, and clear names: on an alias with hashed names
// (codec.WithHashedNames) no pattern tells sessions from other entries.
func (s *Store) Pattern() string {
	return codec.GlobEscape(s.st.Keys().Key(s.prefix)) + "*"
}

// key returns the logical key of token.
func (s *Store) key(token string) string {
	if s.secret == nil {
		return s.prefix + token
	}
	return s.prefix + s.hash(token)
}

func (s *Store) hash(token string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(token))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func validToken(token string) bool { return token != "" && len(token) <= MaxTokenSize }

// Find calls FindCtx with context.Background().
func (s *Store) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// FindCtx returns the data of the session token. A missing or expired
// session, an invalid token, and an entry that does not decrypt (tampered,
// moved from another token's key, written with another key) or does not
// parse, are all reported as found == false with a nil error. The error is
// the store's, for a failure to reach it.
func (s *Store) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	if !validToken(token) {
		return nil, false, nil
	}
	v, err := s.st.Get(ctx, s.key(token))
	if err != nil {
		if errors.Is(err, gocachestore.NotFound{}) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("sessions: find: %w", err)
	}
	got, data, ok := s.open(v)
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
		return nil, false, nil
	}
	return data, true, nil
}

// open parses a stored session and checks its expiry. It returns the token
// inside and the session data.
func (s *Store) open(v any) (token string, data []byte, ok bool) {
	b, isBytes := v.([]byte)
	if !isBytes || len(b) < 1+8+1 || b[0] != formatVersion {
		return "", nil, false
	}
	expiry := int64(binary.BigEndian.Uint64(b[1:9]))
	if s.now().UnixNano() >= expiry {
		return "", nil, false
	}
	n, w := binary.Uvarint(b[9:])
	rest := b[9:]
	if w <= 0 || n == 0 || n > MaxTokenSize || n > uint64(len(rest)-w) {
		return "", nil, false
	}
	rest = rest[w:]
	return string(rest[:n]), rest[n:], true
}

// seal makes the stored form of a session.
func seal(token string, data []byte, expiry time.Time) []byte {
	b := make([]byte, 0, 1+8+binary.MaxVarintLen64+len(token)+len(data))
	b = append(b, formatVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(expiry.UnixNano()))
	b = binary.AppendUvarint(b, uint64(len(token)))
	b = append(b, token...)
	return append(b, data...)
}

// Commit calls CommitCtx with context.Background().
func (s *Store) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// CommitCtx stores the session token with data b until expiry, replacing
// any earlier data and expiry: the entry's TTL is the time left until
// expiry (at least a millisecond). A session whose expiry has passed is
// deleted instead, never stored without a TTL. It returns
// ErrInvalidSessionToken for an empty or oversized token, or the store's
// error.
func (s *Store) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	if !validToken(token) {
		return ErrInvalidSessionToken
	}
	ttl := expiry.Sub(s.now())
	if ttl <= 0 {
		return s.DeleteCtx(ctx, token)
	}
	ttl = max(ttl, time.Millisecond) // Redis's PX resolution
	if err := s.st.Set(ctx, s.key(token), seal(token, b, expiry), gocachestore.WithExpiration(ttl)); err != nil {
		return fmt.Errorf("sessions: commit: %w", err)
	}
	return nil
}

// Delete calls DeleteCtx with context.Background().
func (s *Store) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}

// DeleteCtx removes the session token. Deleting a missing session, or an
// invalid token, is not an error. The error is the store's.
func (s *Store) DeleteCtx(ctx context.Context, token string) error {
	if !validToken(token) {
		return nil
	}
	if err := s.st.Delete(ctx, s.key(token)); err != nil {
		return fmt.Errorf("sessions: delete: %w", err)
	}
	return nil
}

// All calls AllCtx with context.Background().
func (s *Store) All() (map[string][]byte, error) {
	return s.AllCtx(context.Background())
}

// AllCtx returns the data of every active session, keyed by session token,
// and an empty map when there is none. Tokens come from inside the encrypted
// values, so All works with WithHashedTokens too. Entries that are expired or
// do not decrypt or parse, or whose token does not match their key, are
// skipped, as are sessions of other versions of the alias. It scans the
// alias's keys with SCAN (store.EncryptingStore.IterKeys) and reads each
// session with one GET, checking ctx between batches; a session written or
// deleted during the scan may or may not be in the result. It needs a store
// built with store.NewRedis: on others the error wraps gocache's
// store.ErrNotSupported.
func (s *Store) AllCtx(ctx context.Context) (map[string][]byte, error) {
	seen := map[string]bool{}
	all := map[string][]byte{}
	// IterKeys recovers logical keys from clear names and, on an alias with
	// hashed names (codec.WithHashedNames), from inside the tokens.
	for k, err := range s.st.IterKeys(ctx, codec.GlobEscape(s.prefix)+"*") {
		if err != nil {
			return nil, fmt.Errorf("sessions: all: %w", err)
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		name, ok := strings.CutPrefix(k, s.prefix)
		if !ok || name == "" {
			continue
		}
		v, err := s.st.Get(ctx, k)
		if errors.Is(err, gocachestore.NotFound{}) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("sessions: all: %w", err)
		}
		token, data, ok := s.open(v)
		if !ok || s.key(token) != k {
			continue
		}
		all[token] = data
	}
	return all, nil
}
