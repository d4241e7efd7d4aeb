package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
)

// Hashed names (codec.WithHashedNames): Redis sees "prefix:version:<MAC>"
// and the logical key travels only inside the token. The store binds each
// token to the clear storage key (codec.KeyScheme.BindingKey), so Get still
// rejects a token moved from another name, and scans read the key back from
// the token (codec.Codec.BoundKey) and check the name (CheckName).

// boundKeyReader is the codec a hashed-names store needs: *codec.Codec.
type boundKeyReader interface {
	BoundKey(token []byte) (string, error)
}

var _ boundKeyReader = (*codec.Codec)(nil)

// ErrHashedNamesCodec is returned by NewRedis and New for a hashed-names key
// scheme (codec.WithHashedNames) with a codec that does not carry the
// logical key inside its tokens: only the native *codec.Codec does (the
// Django format has no envelope, codec.Raw no encryption).
var ErrHashedNamesCodec = errors.New("store: hashed names need the native codec (*codec.Codec): the logical key must travel inside each token")

// checkHashedNames validates the codec of a hashed-names scheme.
func checkHashedNames(c Codec, keys *codec.KeyScheme) error {
	if !keys.Hashed() {
		return nil
	}
	if _, ok := c.(boundKeyReader); !ok {
		return fmt.Errorf("%w, got %T", ErrHashedNamesCodec, c)
	}
	return nil
}

// bound returns the key the codec binds the token of key, stored under
// storageKey, to: storageKey with clear names.
func (s *EncryptingStore) bound(key, storageKey string) string {
	return s.keys.BindingKey(storageKey, key)
}

// olderNames returns the names of key at the version of storageKey under the
// name ring's older secrets (none with clear names or one secret).
func (s *EncryptingStore) olderNames(key string, version int) []string {
	n := s.keys.Secrets()
	if n <= 1 {
		return nil
	}
	out := make([]string, 0, n-1)
	for i := 1; i < n; i++ {
		out = append(out, s.keys.KeyAt(key, version, i))
	}
	return out
}

// readOlder reads key under the older secrets' names, in ring order, after
// a miss under the first: the name and token found first, or ok false.
func (s *EncryptingStore) readOlder(ctx context.Context, key string) (name string, tok []byte, ok bool, err error) {
	for _, name := range s.olderNames(key, s.keys.Version()) {
		tok, err := s.client.Get(ctx, name).Bytes()
		switch {
		case errors.Is(err, redis.Nil):
			continue
		case err != nil:
			return "", nil, false, err
		}
		return name, tok, true, nil
	}
	return "", nil, false, nil
}

// allNames returns storageKey and key's names under the older secrets, for
// deletes: an entry not yet renamed by a rotation must not come back.
func (s *EncryptingStore) allNames(key, storageKey string) []string {
	older := s.olderNames(key, s.keys.Version())
	if len(older) == 0 {
		return []string{storageKey}
	}
	return append([]string{storageKey}, older...)
}

// unlinkNames deletes names, which may lie in different cluster slots.
func (s *EncryptingStore) unlinkNames(ctx context.Context, names []string) error {
	if len(names) == 1 || !s.clustered() {
		return s.client.Unlink(ctx, names...).Err()
	}
	return s.unlink(ctx, s.client, names)
}

// hashedPage reads the tokens of a SCAN page of hashed names from node and
// returns, for the entries whose token opens and whose name is the one of
// the key inside (CheckName), their names, logical keys and versions.
// Entries that do not open (another key ring, tampering, a token moved
// between names) are not reported: nothing can name them.
func (s *EncryptingStore) hashedPage(ctx context.Context, node Rediser, page []string) (names, keys []string, versions []int, err error) {
	cand := make([]string, 0, len(page))
	for _, n := range page {
		if s.keys.Owns(n) {
			cand = append(cand, n)
		}
	}
	if len(cand) == 0 {
		return nil, nil, nil, nil
	}
	cmds := make([]*redis.StringCmd, len(cand))
	_, err = node.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, n := range cand {
			cmds[i] = p.Get(ctx, n)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, nil, nil, err
	}
	br := s.codec.(boundKeyReader)
	for i, c := range cmds {
		tok, err := c.Bytes()
		if err != nil { // deleted since the scan
			continue
		}
		b, err := br.BoundKey(tok)
		if err != nil {
			continue
		}
		k, v, _, ok := s.keys.CheckName(cand[i], b)
		if !ok {
			continue
		}
		names = append(names, cand[i])
		keys = append(keys, k)
		versions = append(versions, v)
	}
	return names, keys, versions, nil
}

// hashedTagKey is the tag set of tag on a hashed-names store under the name
// ring's secret i: the tag is hashed like a logical key, so tag names stay
// out of Redis too.
func (s *EncryptingStore) hashedTagKey(tag string, i int) string {
	return s.keys.Prefix() + ":gocache_tag:" + hashedSuffix(s.keys, "\x00tag\x00"+tag, i)
}

// hashedSuffix returns the MAC part of the hashed name of key under the name
// ring's secret i (what follows "prefix:version:").
func hashedSuffix(keys *codec.KeyScheme, key string, i int) string {
	n := keys.KeyAt(key, 0, i)
	return n[len(keys.Prefix())+len(":0:"):]
}

// checkBound returns the binding key CheckKeys decodes the token read from
// name with: name itself with clear names; with hashed names the key the
// token names, if it opens and the name is that key's (else name, which
// then fails to decode as it should).
func (s *EncryptingStore) checkBound(name string, tok []byte) string {
	if !s.keys.Hashed() {
		return name
	}
	b, err := s.codec.(boundKeyReader).BoundKey(tok)
	if err != nil {
		return name
	}
	if _, _, _, ok := s.keys.CheckName(name, b); !ok {
		return name
	}
	return b
}

// fetchOlder reads, for each miss of a GetMany, the key's names under the
// older secrets of the name ring (one pipeline per secret, only for the keys
// still missing), so entries a rotation has not renamed yet are found.
func (s *EncryptingStore) fetchOlder(ctx context.Context, keys, sks []string, toks []string, res []Result) {
	v := s.keys.Version()
	for secret := 1; secret < s.keys.Secrets(); secret++ {
		var idx []int
		for i := range keys {
			if res[i].Err == errMiss {
				idx = append(idx, i)
			}
		}
		if len(idx) == 0 {
			return
		}
		cmds := make([]*redis.StringCmd, len(idx))
		names := make([]string, len(idx))
		_, _ = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for j, i := range idx {
				names[j] = s.keys.KeyAt(keys[i], v, secret)
				cmds[j] = p.Get(ctx, names[j])
			}
			return nil
		})
		for j, i := range idx {
			tok, err := cmds[j].Result()
			switch {
			case errors.Is(err, redis.Nil):
			case err != nil:
				res[i].Err = err
			default:
				sks[i], toks[i], res[i].Err = names[j], tok, nil
			}
		}
	}
}
