package codec

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// ErrDjangoRedisValue is matched by the errors DjangoRedisJSON and
// DjangoRedisMsgpack return for a stored value django-redis would not read
// either (malformed JSON or msgpack, trailing bytes), or would read as
// something Go cannot represent faithfully (NaN or Infinity in JSON, an
// integer longer than Python's 4300-digit limit, a msgpack map with
// non-string keys, invalid UTF-8, a msgpack extension type). Such an entry
// is reported, never guessed at.
var ErrDjangoRedisValue = errors.New("codec: value django-redis would not read")

// DjangoRedisMsgpack is django-redis's MSGPackSerializer with no encryption,
// read and written exactly as django-redis 5 does (see Plaintext django-redis
// formats in the package documentation). Decode returns Msgpack's types, with
// its bounds on declared lengths; what Python would refuse or read otherwise
// (map keys that are not strings, strings that are not UTF-8, extension
// types, trailing bytes) is ErrDjangoRedisValue. Nothing it stores is secret
// or authenticated. The zero value, with no Compressor, is ready to use and
// safe for concurrent use.
type DjangoRedisMsgpack struct {
	// Compressor is the alias's django-redis COMPRESSOR, or nil.
	Compressor Compressor
}

// Encode returns the stored form of value. The storage key is not used.
// Errors wrap ErrUnsupportedValue.
func (m DjangoRedisMsgpack) Encode(_ string, value any) ([]byte, error) {
	if b, ok := djangoRedisInt(value); ok {
		return b, nil
	}
	switch value.(type) {
	case time.Time, NaiveDateTime, Date, Set, FrozenSet, Decimal, time.Duration:
		return nil, fmt.Errorf("%w: msgpack: %T (msgpack.dumps refuses it)", ErrUnsupportedValue, value)
	}
	b, err := Msgpack{}.Marshal(value)
	if err != nil {
		return nil, err
	}
	return compressPlain(m.Compressor, b)
}

// Decode reads a stored value as django-redis does: an integer in clear,
// else the (decompressed) msgpack. Errors match ErrDjangoRedisValue, or
// ErrTooLarge.
func (m DjangoRedisMsgpack) Decode(_ string, data []byte) (any, error) {
	if v, ok := ParsePlainInt(data); ok {
		return v, nil
	}
	data, err := decompressPlain(m.Compressor, data)
	if err != nil {
		return nil, err
	}
	v, err := Msgpack{}.Unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("%w: malformed msgpack", ErrDjangoRedisValue) // the cause may quote the value
	}
	if err := checkPyMsgpack(v, 0); err != nil {
		return nil, err
	}
	return v, nil
}

// checkPyMsgpack refuses what Python's msgpack.loads(raw=False) would not
// return as the same value.
func checkPyMsgpack(v any, depth int) error {
	if depth > maxJSONDepth {
		return fmt.Errorf("%w: msgpack: nested more than %d levels", ErrDjangoRedisValue, maxJSONDepth)
	}
	switch x := v.(type) {
	case nil, bool, int64, uint64, float64, []byte:
		return nil
	case string:
		if !utf8.ValidString(x) {
			return fmt.Errorf("%w: msgpack: string is not UTF-8", ErrDjangoRedisValue)
		}
		return nil
	case []any:
		for _, e := range x {
			if err := checkPyMsgpack(e, depth+1); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		for k, e := range x {
			if !utf8.ValidString(k) {
				return fmt.Errorf("%w: msgpack: map key is not UTF-8", ErrDjangoRedisValue)
			}
			if err := checkPyMsgpack(e, depth+1); err != nil {
				return err
			}
		}
		return nil
	case map[any]any:
		return fmt.Errorf("%w: msgpack: map keys that are not strings", ErrDjangoRedisValue)
	}
	return fmt.Errorf("%w: msgpack: %T (an extension type)", ErrDjangoRedisValue, v)
}

// compressPlain applies a django-redis compressor (nil: none) to b.
func compressPlain(comp Compressor, b []byte) ([]byte, error) {
	if comp == nil {
		return b, nil
	}
	out, err := comp.Compress(b)
	if err != nil {
		return nil, fmt.Errorf("codec: %s: %w", comp.Name(), err)
	}
	return out, nil
}

// decompressPlain undoes a django-redis compressor as django-redis does: a
// value that does not decompress is read as it is; one that inflates past
// MaxDecompressedSize is an error.
func decompressPlain(comp Compressor, data []byte) ([]byte, error) {
	if comp == nil {
		return data, nil
	}
	d, err := comp.Decompress(data)
	switch {
	case err == nil:
		return d, nil
	case errors.Is(err, ErrTooLarge):
		return nil, err
	}
	return data, nil
}
