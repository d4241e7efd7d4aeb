package django

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/store"
)

// SessionKeyPrefix is what Django's cache session engine puts before a
// session key to make its cache key (django.contrib.sessions.backends.cache
// KEY_PREFIX).
const SessionKeyPrefix = "django.contrib.sessions.cache"

// DefaultCookieAge is Django's default SESSION_COOKIE_AGE: two weeks.
const DefaultCookieAge = 14 * 24 * time.Hour

// validKeyChars are Django's VALID_KEY_CHARS.
const validKeyChars = "abcdefghijklmnopqrstuvwxyz0123456789"

// Errors returned by Sessions; match them with errors.Is.
var (
	// ErrNoSession is returned by Load for a session that does not exist,
	// has expired or does not decrypt, and by Save for one that does not
	// exist (Django's UpdateError).
	ErrNoSession = errors.New("django: no such session")
	// ErrInvalidSessionKey is returned for a session key Django would refuse
	// (shorter than 8 characters).
	ErrInvalidSessionKey = errors.New("django: invalid session key")
)

// Sessions reads and writes Django cache-backed sessions in one cache alias
// (Django's SESSION_CACHE_ALIAS). It touches only the keys
// SessionKeyPrefix+sessionKey of the alias's store. It is safe for
// concurrent use.
type Sessions struct {
	s    *store.EncryptingStore
	age  time.Duration
	rand io.Reader
}

// Option configures Sessions.
type Option func(*Sessions) error

// WithCookieAge sets the lifetime of a session written without
// _session_expiry, Django's SESSION_COOKIE_AGE. The default is
// DefaultCookieAge. It must be positive.
func WithCookieAge(d time.Duration) Option {
	return func(s *Sessions) error {
		if d <= 0 {
			return fmt.Errorf("django: cookie age must be positive, got %v", d)
		}
		s.age = d
		return nil
	}
}

// WithRand sets the source of new session keys; the default is crypto/rand.
// Tests replace it.
func WithRand(r io.Reader) Option {
	return func(s *Sessions) error {
		if r == nil {
			return errors.New("django: nil random source")
		}
		s.rand = r
		return nil
	}
}

// NewSessions returns the sessions kept in the alias whose store is s. s
// should use a pickle codec (codec.NewDjango, or codec.PlainPickle for a
// plaintext alias), as Django's do; with another codec Django cannot read
// what Go writes. It fails on a nil store or an invalid option.
func NewSessions(s *store.EncryptingStore, opts ...Option) (*Sessions, error) {
	if s == nil {
		return nil, errors.New("django: nil store")
	}
	ss := &Sessions{s: s, age: DefaultCookieAge, rand: rand.Reader}
	for _, opt := range opts {
		if err := opt(ss); err != nil {
			return nil, err
		}
	}
	return ss, nil
}

func validKey(key string) error {
	if len(key) < 8 {
		return ErrInvalidSessionKey
	}
	return nil
}

// Load returns the session dict of sessionKey. A missing or expired session,
// and one that does not decrypt (tampered, wrong key), is ErrNoSession, as
// Django then starts a fresh session; a value that is not a dict with string
// keys is an error too. Other errors are Redis errors.
func (s *Sessions) Load(ctx context.Context, sessionKey string) (map[string]any, error) {
	if err := validKey(sessionKey); err != nil {
		return nil, err
	}
	v, err := s.s.Get(ctx, SessionKeyPrefix+sessionKey)
	var nf *gocachestore.NotFound
	switch {
	case errors.As(err, &nf):
		return nil, fmt.Errorf("%w: %w", ErrNoSession, err)
	case err != nil:
		return nil, err
	}
	data, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: value is %T, not a dict with str keys", ErrNoSession, v)
	}
	return data, nil
}

// Create stores data as a new session under a fresh random key and returns
// the key, as Django's SessionStore.create does: SET NX (cache.add) with the
// session's expiry age, trying new keys on a collision. data may be nil (an
// empty session).
func (s *Sessions) Create(ctx context.Context, data map[string]any) (string, error) {
	if data == nil {
		data = map[string]any{}
	}
	for range 100 { // Django tries 10000 times; with 165-bit keys one suffices
		key, err := s.newKey()
		if err != nil {
			return "", err
		}
		ok, err := s.s.SetIfNotExists(ctx, SessionKeyPrefix+key, data, gocachestore.WithExpiration(s.expiryAge(data)))
		if err != nil {
			return "", err
		}
		if ok {
			return key, nil
		}
	}
	return "", errors.New("django: unable to create a new session key")
}

// Save overwrites the existing session sessionKey with data and its expiry
// age, as Django's SessionStore.save does; a session that does not exist is
// ErrNoSession (Django's UpdateError).
func (s *Sessions) Save(ctx context.Context, sessionKey string, data map[string]any) error {
	if err := validKey(sessionKey); err != nil {
		return err
	}
	if _, err := s.Load(ctx, sessionKey); err != nil {
		return err
	}
	if data == nil {
		data = map[string]any{}
	}
	return s.s.Set(ctx, SessionKeyPrefix+sessionKey, data, gocachestore.WithExpiration(s.expiryAge(data)))
}

// Delete removes the session sessionKey (a missing one is not an error), as
// Django's logout does.
func (s *Sessions) Delete(ctx context.Context, sessionKey string) error {
	if err := validKey(sessionKey); err != nil {
		return err
	}
	return s.s.Delete(ctx, SessionKeyPrefix+sessionKey)
}

// expiryAge is Django's get_expiry_age: _session_expiry as seconds or as a
// datetime, else the cookie age.
func (s *Sessions) expiryAge(data map[string]any) time.Duration {
	switch e := data["_session_expiry"].(type) {
	case int64:
		if e > 0 {
			return time.Duration(e) * time.Second
		}
	case int:
		if e > 0 {
			return time.Duration(e) * time.Second
		}
	case time.Time:
		if d := time.Until(e).Truncate(time.Second); d > 0 {
			return d
		}
		return time.Second // already past: expire at once
	case codec.NaiveDateTime:
		if d := time.Until(e.Time).Truncate(time.Second); d > 0 {
			return d
		}
		return time.Second
	}
	return s.age
}

// newKey returns 32 characters of [a-z0-9], like Django's
// get_random_string(32, VALID_KEY_CHARS), without modulo bias.
func (s *Sessions) newKey() (string, error) {
	key := make([]byte, 0, 32)
	var buf [64]byte
	for len(key) < 32 {
		if _, err := io.ReadFull(s.rand, buf[:]); err != nil {
			return "", fmt.Errorf("django: random: %w", err)
		}
		for _, b := range buf {
			if b < 252 && len(key) < 32 { // 252 = 7*36
				key = append(key, validKeyChars[b%36])
			}
		}
	}
	return string(key), nil
}

// UserID returns the _auth_user_id of a session dict: the primary key of the
// logged-in Django user, as the string Django stores. ok is false when no
// user is logged in.
func UserID(data map[string]any) (id string, ok bool) {
	switch v := data["_auth_user_id"].(type) {
	case string:
		return v, v != ""
	case int64:
		return fmt.Sprint(v), true
	}
	return "", false
}
