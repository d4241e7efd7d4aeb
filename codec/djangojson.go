package codec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// DjangoRedisJSON is django-redis's JSONSerializer with no encryption, read
// and written exactly as django-redis 5 does (see Plaintext django-redis
// formats in the package documentation for the types and limits). Decode
// returns what Python's json.loads returns, in Go types, and refuses NaN and
// Infinity (ErrDjangoRedisValue); Encode refuses []byte, sets, non-finite
// floats and maps with keys other than strings and integers
// (ErrUnsupportedValue). Nothing it stores is secret or authenticated. The
// zero value, with no Compressor, is ready to use and safe for concurrent use.
type DjangoRedisJSON struct {
	// Compressor is the alias's django-redis COMPRESSOR, or nil.
	Compressor Compressor
}

// Encode returns the stored form of value. The storage key is not used.
// Errors wrap ErrUnsupportedValue.
func (j DjangoRedisJSON) Encode(_ string, value any) ([]byte, error) {
	if b, ok := djangoRedisInt(value); ok {
		return b, nil
	}
	v, err := toDjangoJSON(value, 0)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: json: %T", ErrUnsupportedValue, value)
	}
	return compressPlain(j.Compressor, b)
}

// Decode reads a stored value as django-redis does: an integer in clear,
// else the (decompressed) JSON. Errors match ErrDjangoRedisValue, or
// ErrTooLarge.
func (j DjangoRedisJSON) Decode(_ string, data []byte) (any, error) {
	if v, ok := ParsePlainInt(data); ok {
		return v, nil
	}
	data, err := decompressPlain(j.Compressor, data)
	if err != nil {
		return nil, err
	}
	// Python decodes the bytes as strict UTF-8 and keeps lone surrogates;
	// encoding/json would replace both with U+FFFD. Refuse them instead.
	if !utf8.Valid(data) || hasLoneSurrogate(data) {
		return nil, fmt.Errorf("%w: json: not UTF-8, or a lone surrogate escape", ErrDjangoRedisValue)
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: malformed json", ErrDjangoRedisValue) // the cause quotes the value
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: json: trailing data", ErrDjangoRedisValue)
	}
	return fromJSONNumbers(v)
}

// hasLoneSurrogate reports whether JSON text holds a \uD800-\uDFFF escape
// that is not half of a surrogate pair, in one linear pass.
func hasLoneSurrogate(data []byte) bool {
	hex4 := func(i int) (rune, bool) {
		if i+6 > len(data) || data[i] != '\\' || data[i+1] != 'u' {
			return 0, false
		}
		n, err := strconv.ParseUint(string(data[i+2:i+6]), 16, 32)
		return rune(n), err == nil
	}
	for i := 0; i < len(data); i++ {
		if data[i] != '\\' {
			continue
		}
		r, ok := hex4(i)
		if !ok {
			i++ // an escaped character, such as \\ or \"
			continue
		}
		switch {
		case 0xD800 <= r && r <= 0xDBFF:
			lo, ok := hex4(i + 6)
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return true
			}
			i += 11
		case 0xDC00 <= r && r <= 0xDFFF:
			return true
		default:
			i += 5
		}
	}
	return false
}

// fromJSONNumbers replaces every json.Number in v by int64, *big.Int or
// float64, as Python's json.loads types them.
func fromJSONNumbers(v any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		return pyJSONNumber(string(x))
	case string:
		return x, nil
	case []any:
		for i, e := range x {
			n, err := fromJSONNumbers(e)
			if err != nil {
				return nil, err
			}
			x[i] = n
		}
	case map[string]any:
		for k, e := range x {
			n, err := fromJSONNumbers(e)
			if err != nil {
				return nil, err
			}
			x[k] = n
		}
	}
	return v, nil
}

func pyJSONNumber(s string) (any, error) {
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
		if len(strings.TrimPrefix(s, "-")) > maxIntDigits {
			return nil, fmt.Errorf("%w: json: integer longer than %d digits", ErrDjangoRedisValue, maxIntDigits)
		}
		n, ok := new(big.Int).SetString(s, 10)
		if !ok {
			return nil, fmt.Errorf("%w: json: bad number", ErrDjangoRedisValue)
		}
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	var ne *strconv.NumError
	if err != nil && !(errors.As(err, &ne) && ne.Err == strconv.ErrRange) {
		return nil, fmt.Errorf("%w: json: bad number", ErrDjangoRedisValue)
	}
	return f, nil // out of range: ±Inf or 0, as Python's float()
}

// djangoRedisInt returns the digits django-redis stores for an int value:
// Go's integer kinds, except time.Duration, which is a Python timedelta.
func djangoRedisInt(v any) ([]byte, bool) {
	if _, ok := v.(time.Duration); ok {
		return nil, false
	}
	return plainIntBytes(v)
}

// maxJSONDepth bounds toDjangoJSON's recursion like encoding/json's decoder.
const maxJSONDepth = 10000

// toDjangoJSON converts the values DjangoJSONEncoder knows into what
// encoding/json writes the same way, and refuses what json.dumps refuses.
func toDjangoJSON(v any, depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, fmt.Errorf("%w: json: nested more than %d levels", ErrUnsupportedValue, maxJSONDepth)
	}
	switch x := v.(type) {
	case nil, bool, string, int64, json.Number, *big.Int:
		return x, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%w: json: non-finite float", ErrUnsupportedValue)
		}
		return pyFloat(x), nil
	case float32:
		return toDjangoJSON(float64(x), depth)
	case []byte, Set, FrozenSet:
		return nil, fmt.Errorf("%w: json: %T (json.dumps refuses it)", ErrUnsupportedValue, v)
	case Tuple:
		return toDjangoJSON([]any(x), depth)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			c, err := toDjangoJSON(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			c, err := toDjangoJSON(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			var ks string
			switch kk := k.(type) {
			case string:
				ks = kk
			default:
				b, ok := plainIntBytes(k)
				if !ok {
					return nil, fmt.Errorf("%w: json: map key %T", ErrUnsupportedValue, k)
				}
				ks = string(b) // json.dumps writes int keys as strings
			}
			c, err := toDjangoJSON(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[ks] = c
		}
		return out, nil
	case time.Time:
		return djangoISODateTime(x, false), nil
	case NaiveDateTime:
		return djangoISODateTime(x.Time, true), nil
	case Date:
		return x.String(), nil
	case time.Duration:
		return durationISOString(x), nil
	case Decimal:
		if !x.Valid() {
			return nil, fmt.Errorf("%w: json: invalid Decimal", ErrUnsupportedValue)
		}
		return string(x), nil
	}
	if _, ok := djangoRedisInt(v); ok { // other integer kinds
		return v, nil
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
		out := make([]any, rv.Len())
		for i := range out {
			c, err := toDjangoJSON(rv.Index(i).Interface(), depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	}
	return v, nil // structs and other maps: encoding/json's own rules
}

// pyFloat is a float64 written as Python's json.dumps writes a float: always
// with a fraction or an exponent ("3.0", not "3"), so that it reads back as
// a float, not an int.
type pyFloat float64

// MarshalJSON implements json.Marshaler.
func (f pyFloat) MarshalJSON() ([]byte, error) {
	b := strconv.AppendFloat(nil, float64(f), 'g', -1, 64)
	if !bytes.ContainsAny(b, ".e") {
		b = append(b, ".0"...)
	}
	return b, nil
}

// djangoISODateTime formats t as DjangoJSONEncoder does: isoformat() cut to
// milliseconds, "+00:00" written "Z", no offset for a naive datetime.
func djangoISODateTime(t time.Time, naive bool) string {
	s := t.Format("2006-01-02T15:04:05")
	if us := t.Nanosecond() / 1000; us != 0 {
		s += fmt.Sprintf(".%03d", us/1000)
	}
	if naive {
		return s
	}
	if _, off := t.Zone(); off == 0 {
		return s + "Z"
	}
	return s + t.Format("-07:00")
}

// durationISOString is Django's duration_iso_string: "-P1DT02H03M04.000005S".
func durationISOString(d time.Duration) string {
	sign := ""
	us := d.Microseconds()
	if us < 0 {
		sign, us = "-", -us
	}
	days := us / (86400 * 1e6)
	us -= days * 86400 * 1e6
	secs := us / 1e6
	us -= secs * 1e6
	ms := ""
	if us != 0 {
		ms = fmt.Sprintf(".%06d", us)
	}
	return fmt.Sprintf("%sP%dDT%02dH%02dM%02d%sS", sign, days, secs/3600, secs/60%60, secs%60, ms)
}
