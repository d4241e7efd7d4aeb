package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/secureredis/secureredis/codec"
)

// TypedCodec is implemented by the codecs that can carry any Go value the
// serializer can, and decode it back into its own type (*codec.Codec). The
// typed cache (package typed) needs one.
// *codec.Codec and *codec.Django are TypedCodecs.
type TypedCodec interface {
	EncodeTyped(storageKey string, value any) ([]byte, error)
	DecodeInto(storageKey string, data []byte, dst any) error
}

var (
	_ TypedCodec = (*codec.Codec)(nil)
	_ TypedCodec = (*codec.Django)(nil)
)

// ErrNotTyped is returned by GetInto, GetWithTTLInto and Set of a Typed value
// when the store's codec is not a TypedCodec.
var ErrNotTyped = errors.New("store: the codec cannot decode into a Go type (it is not a store.TypedCodec)")

// Typed wraps a value given to Set, SetIfNotExists or SetMany so that it is
// encoded with the codec's EncodeTyped: as it is, whatever its Go type,
// with no check that Get would return it unchanged (GetInto does). Package
// typed uses it; applications use package typed.
type Typed struct{ Value any }

// encodeValue encodes a value for Set: a Typed one with EncodeTyped, any
// other after checking that Get returns it as it went in, appended to dst
// when dst is not nil and the codec appends (tokenbuf.go).
func (s *EncryptingStore) encodeValue(dst []byte, storageKey string, value any) ([]byte, error) {
	if t, ok := value.(Typed); ok {
		tc, ok := s.codec.(TypedCodec)
		switch {
		case !ok:
			return nil, ErrNotTyped
		case t.Value == nil:
			return nil, ErrNilValue
		}
		return tc.EncodeTyped(storageKey, t.Value)
	}
	var tok []byte
	var err error
	if ae, ok := s.codec.(appendEncoder); ok && dst != nil {
		tok, err = ae.AppendEncode(dst[:0], storageKey, value)
	} else {
		tok, err = s.codec.Encode(storageKey, value)
	}
	if err != nil {
		return nil, err
	}
	if err := s.checkUntyped(value); err != nil {
		return nil, err
	}
	return tok, nil
}

func (s *EncryptingStore) decodeInto(storageKey string, tok []byte, dst any) error {
	tc, ok := s.codec.(TypedCodec)
	if !ok {
		return ErrNotTyped
	}
	return tc.DecodeInto(storageKey, tok, dst)
}

// GetInto decodes the value of key into dst, a non-nil pointer (see
// codec.Codec.DecodeInto for the types). Errors are Get's: a missing key is
// gocache's NotFound, an entry that does not decode a *DecryptError (a
// NotFound too; its Class is codec.FailureValueType when the entry decrypts
// but does not fit *dst). A codec that is not a TypedCodec is ErrNotTyped.
func (s *EncryptingStore) GetInto(ctx context.Context, key any, dst any) error {
	if _, ok := s.codec.(TypedCodec); !ok {
		return ErrNotTyped
	}
	if dst == nil {
		return fmt.Errorf("store: GetInto: nil destination")
	}
	_, err := s.get(ctx, key, dst)
	s.countRead(err)
	return err
}

// GetWithTTLInto is GetInto that also returns the entry's remaining time to
// live, as GetWithTTL does.
func (s *EncryptingStore) GetWithTTLInto(ctx context.Context, key any, dst any) (time.Duration, error) {
	if _, ok := s.codec.(TypedCodec); !ok {
		return 0, ErrNotTyped
	}
	if dst == nil {
		return 0, fmt.Errorf("store: GetWithTTLInto: nil destination")
	}
	_, ttl, err := s.getWithTTL(ctx, key, dst)
	s.countRead(err)
	return ttl, err
}
