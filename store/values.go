package store

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/secureredis/secureredis/codec"
)

// ErrNotRoundTrip is returned (wrapped, naming the Go types) by Set,
// SetIfNotExists and SetMany for a value Get would not return as it went in:
// use package typed, which decodes straight into the type. The error also
// matches codec.ErrUnsupportedValue.
var ErrNotRoundTrip = errors.New("store: value would not come back from Get with its Go type; use package typed (typed.New[T])")

func notRoundTrip(format string, args ...any) error {
	return fmt.Errorf("%w (%w): "+format, append([]any{ErrNotRoundTrip, codec.ErrUnsupportedValue}, args...)...)
}

// maxCheckDepth bounds the nesting checkUntyped walks; deeper values are
// refused.
const maxCheckDepth = 100

// checkUntyped refuses, for a codec with the msgpack serializer (the
// default), the values Get would return with another Go type. What comes
// back unchanged, and is therefore accepted: string, []byte, bool, int64,
// float64, uint64 above math.MaxInt64, time.Time in UTC (it comes back as
// the same instant in time.Local, as msgpack decodes it), and []any,
// map[string]any and map[any]any of those (and of nil). Everything else is
// refused: int and the other sized integers (they come back as int64),
// float32, structs (map[string]any), pointers, typed slices and maps
// ([]any, map[string]any), named types, times in another zone. Other codecs
// and serializers (JSON, pickle, Django, custom) are not checked: see their
// documentation for the types Get returns.
func (s *EncryptingStore) checkUntyped(value any) error {
	c, ok := s.codec.(*codec.Codec)
	if !ok {
		return nil
	}
	switch c.Serializer().(type) {
	case codec.Msgpack, *codec.Msgpack:
	default:
		return nil
	}
	return checkMsgpackValue(value, 0)
}

func checkMsgpackValue(v any, depth int) error {
	if depth > maxCheckDepth {
		return notRoundTrip("nested deeper than %d", maxCheckDepth)
	}
	switch x := v.(type) {
	case nil, string, []byte, bool, int64, float64:
		return nil
	case uint64:
		if x > math.MaxInt64 {
			return nil
		}
		return notRoundTrip("a uint64 of at most MaxInt64 comes back as int64")
	case time.Time:
		if x.Location() != time.UTC {
			return notRoundTrip("a time.Time in zone %q comes back in time.Local; store it in UTC", x.Location())
		}
		return nil
	case []any:
		for _, e := range x {
			if err := checkMsgpackValue(e, depth+1); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		for _, e := range x {
			if err := checkMsgpackValue(e, depth+1); err != nil {
				return err
			}
		}
		return nil
	case map[any]any:
		for k, e := range x {
			if err := checkMsgpackValue(k, depth+1); err != nil {
				return err
			}
			if err := checkMsgpackValue(e, depth+1); err != nil {
				return err
			}
		}
		return nil
	case int, int8, int16, int32, uint, uint8, uint16, uint32:
		return notRoundTrip("a %T comes back as int64", v)
	case float32:
		return notRoundTrip("a float32 comes back as float64")
	}
	return notRoundTrip("a %T comes back as the serializer's generic types (map[string]any, []any, int64...)", v)
}
