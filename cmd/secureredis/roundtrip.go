package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/store"
)

// keepsExactly encodes v with the alias's codec and decodes it back, in
// memory, and returns an error unless what comes back is v: same kinds (a
// Raw alias gives strings for bytes, which is the same data), same numbers
// exactly. So `set --json` stores what it was given, or nothing (a big
// integer on a msgpack alias, bytes on a JSON alias, NaN on a JSON alias).
func keepsExactly(s *store.EncryptingStore, key string, v any) error {
	sk := s.Keys().Key(key)
	tok, err := s.Codec().Encode(sk, v)
	if err != nil {
		return fmt.Errorf("%w: the alias cannot store this value: %v; nothing stored", errUsage, err)
	}
	got, err := s.Codec().Decode(sk, tok)
	if err != nil {
		return fmt.Errorf("the alias's codec does not read back what it wrote: %w", err)
	}
	_, raw := s.Codec().(codec.Raw)
	if !same(v, got, raw) {
		return fmt.Errorf("%w: the alias's serializer would not keep this value exactly (a number or a kind it does not hold); nothing stored", errUsage)
	}
	return nil
}

// same reports whether got, decoded by a serializer, is want.
func same(want, got any, raw bool) bool {
	if a, ok := integer(want); ok {
		b, ok := integer(got)
		return ok && a.Cmp(b) == 0
	}
	switch w := want.(type) {
	case nil:
		return got == nil
	case bool:
		g, ok := got.(bool)
		return ok && g == w
	case float64:
		var g float64
		switch x := got.(type) {
		case float64:
			g = x
		case json.Number:
			f, err := strconv.ParseFloat(x.String(), 64)
			if err != nil {
				return false
			}
			g = f
		default:
			return false
		}
		return g == w || (math.IsNaN(g) && math.IsNaN(w))
	case string:
		g, ok := got.(string)
		return ok && g == w
	case []byte:
		if g, ok := got.([]byte); ok {
			return bytes.Equal(g, w)
		}
		g, ok := got.(string)
		return raw && ok && g == string(w)
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !same(w[i], g[i], raw) {
				return false
			}
		}
		return true
	case map[string]any:
		switch g := got.(type) {
		case map[string]any:
			if len(g) != len(w) {
				return false
			}
			for k, e := range w {
				ge, ok := g[k]
				if !ok || !same(e, ge, raw) {
					return false
				}
			}
			return true
		case map[any]any:
			if len(g) != len(w) {
				return false
			}
			for k, e := range w {
				ge, ok := g[k]
				if !ok || !same(e, ge, raw) {
					return false
				}
			}
			return true
		}
	}
	return false
}

// integer returns v as a big integer when it is one.
func integer(v any) (*big.Int, bool) {
	switch x := v.(type) {
	case int64:
		return big.NewInt(x), true
	case uint64:
		return new(big.Int).SetUint64(x), true
	case *big.Int:
		return x, x != nil
	case json.Number:
		return new(big.Int).SetString(x.String(), 10)
	}
	return nil, false
}
