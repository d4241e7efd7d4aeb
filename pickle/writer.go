package pickle

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// encoder writes one pickle, appended to dst from start; room refuses to
// grow it past limit (MaxSize) before any large copy, and appendValue
// checks the length at every value, so the output never passes the limit
// by more than one fixed-size value.
type encoder struct {
	start, limit int
}

func (e *encoder) room(dst []byte, n int) error {
	if n > e.limit || len(dst)-e.start > e.limit-n {
		return &limitError{ErrUnsupportedValue, "pickle: unsupported value: pickle longer than MaxSize"}
	}
	return nil
}

func (e *encoder) appendValue(dst []byte, v any, depth int) ([]byte, error) {
	if err := e.room(dst, 0); err != nil {
		return nil, err
	}
	if depth > MaxDepth {
		return nil, fmt.Errorf("%w: nested deeper than %d", ErrUnsupportedValue, MaxDepth)
	}
	switch x := v.(type) {
	case nil:
		return append(dst, 'N'), nil
	case bool:
		if x {
			return append(dst, 0x88), nil
		}
		return append(dst, 0x89), nil
	case int:
		return e.appendInt(dst, int64(x)), nil
	case int64:
		return e.appendInt(dst, x), nil
	case int32:
		return e.appendInt(dst, int64(x)), nil
	case string:
		return e.appendString(dst, x)
	case []byte:
		if err := e.room(dst, len(x)); err != nil {
			return nil, err
		}
		return e.appendBytes(dst, x), nil
	case float64:
		dst = append(dst, 'G')
		return binary.BigEndian.AppendUint64(dst, math.Float64bits(x)), nil
	case float32:
		return e.appendValue(dst, float64(x), depth)
	case *big.Int:
		if x == nil {
			return append(dst, 'N'), nil
		}
		if err := e.room(dst, x.BitLen()/8); err != nil {
			return nil, err
		}
		return e.appendBig(dst, x), nil
	case big.Int:
		return e.appendValue(dst, &x, depth)
	case []any:
		return e.appendList(dst, len(x), func(i int) any { return x[i] }, depth)
	case Tuple:
		return e.appendTuple(dst, x, depth)
	case Set:
		return e.appendSet(dst, x, false, depth)
	case FrozenSet:
		return e.appendSet(dst, x, true, depth)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys) // deterministic output
		return e.appendDict(dst, len(keys), func(i int) (any, any) { return keys[i], x[keys[i]] }, depth)
	case time.Time:
		return e.appendTime(dst, x)
	case ByteArray:
		return e.appendByteArray(dst, x)
	case UUID:
		return e.appendUUID(dst, x), nil
	case Time:
		return e.appendClock(dst, x)
	case OrderedDict:
		return e.appendItems(dst, x, true, depth)
	case Dict:
		return e.appendItems(dst, x, false, depth)
	case NaiveDateTime:
		return e.appendDatetime(dst, x.Time, false)
	case Date:
		return e.appendDate(dst, x)
	case time.Duration:
		return e.appendDuration(dst, x), nil
	case Decimal:
		return e.appendDecimal(dst, x)
	}
	return e.appendReflect(dst, reflect.ValueOf(v), depth)
}

func (e *encoder) appendReflect(dst []byte, rv reflect.Value, depth int) ([]byte, error) {
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return e.appendInt(dst, rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u <= math.MaxInt64 {
			return e.appendInt(dst, int64(u)), nil
		}
		return e.appendBig(dst, new(big.Int).SetUint64(u)), nil
	case reflect.Float32, reflect.Float64:
		return e.appendValue(dst, rv.Float(), depth)
	case reflect.Bool:
		return e.appendValue(dst, rv.Bool(), depth)
	case reflect.String:
		return e.appendString(dst, rv.String())
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return append(dst, 'N'), nil
		}
		return e.appendValue(dst, rv.Elem().Interface(), depth+1)
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return e.appendList(dst, 0, nil, depth)
		}
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			if err := e.room(dst, rv.Len()); err != nil {
				return nil, err
			}
			b := make([]byte, rv.Len())
			reflect.Copy(reflect.ValueOf(b), rv)
			return e.appendBytes(dst, b), nil
		}
		return e.appendList(dst, rv.Len(), func(i int) any { return rv.Index(i).Interface() }, depth)
	case reflect.Map:
		keys := rv.MapKeys()
		slices.SortFunc(keys, compareKeys) // deterministic output, whatever the key type
		return e.appendDict(dst, len(keys), func(i int) (any, any) {
			return keys[i].Interface(), rv.MapIndex(keys[i]).Interface()
		}, depth)
	}
	if !rv.IsValid() {
		return append(dst, 'N'), nil
	}
	return nil, fmt.Errorf("%w: %s (use a map, or gocache's marshaler for structs)", ErrUnsupportedValue, rv.Type())
}

func (e *encoder) appendInt(dst []byte, i int64) []byte {
	switch {
	case 0 <= i && i < 256:
		return append(dst, 'K', byte(i))
	case 0 <= i && i < 65536:
		return append(dst, 'M', byte(i), byte(i>>8))
	case math.MinInt32 <= i && i <= math.MaxInt32:
		dst = append(dst, 'J')
		return binary.LittleEndian.AppendUint32(dst, uint32(int32(i)))
	}
	return e.appendBig(dst, big.NewInt(i))
}

// appendBig writes LONG1 or LONG4: little-endian two's complement, as
// few bytes as keep the sign.
func (e *encoder) appendBig(dst []byte, n *big.Int) []byte {
	if n.Sign() == 0 {
		return append(dst, 0x8a, 0)
	}
	var b []byte
	if n.Sign() > 0 {
		b = n.Bytes() // big-endian magnitude
		if b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
	} else {
		// two's complement of |n| in enough bytes
		nbytes := (n.BitLen() + 8) / 8
		m := new(big.Int).Add(n, new(big.Int).Lsh(big.NewInt(1), uint(8*nbytes)))
		b = m.FillBytes(make([]byte, nbytes))
		// drop redundant leading 0xff bytes
		for len(b) > 1 && b[0] == 0xff && b[1]&0x80 != 0 {
			b = b[1:]
		}
	}
	slices.Reverse(b)
	if len(b) < 256 {
		dst = append(dst, 0x8a, byte(len(b)))
	} else {
		dst = append(dst, 0x8b)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(b)))
	}
	return append(dst, b...)
}

func (e *encoder) appendString(dst []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("%w: string is not valid UTF-8 (use []byte for bytes)", ErrUnsupportedValue)
	}
	if err := e.room(dst, len(s)); err != nil {
		return nil, err
	}
	switch n := len(s); {
	case n < 256:
		dst = append(dst, 0x8c, byte(n))
	case n <= math.MaxUint32:
		dst = append(dst, 'X')
		dst = binary.LittleEndian.AppendUint32(dst, uint32(n))
	default:
		dst = append(dst, 0x8d)
		dst = binary.LittleEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, s...), nil
}

func (e *encoder) appendBytes(dst []byte, b []byte) []byte {
	switch n := len(b); {
	case n < 256:
		dst = append(dst, 'C', byte(n))
	case n <= math.MaxUint32:
		dst = append(dst, 'B')
		dst = binary.LittleEndian.AppendUint32(dst, uint32(n))
	default:
		dst = append(dst, 0x8e)
		dst = binary.LittleEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, b...)
}

func (e *encoder) appendGlobal(dst []byte, mod, name string) []byte {
	dst, _ = e.appendString(dst, mod)
	dst, _ = e.appendString(dst, name)
	return append(dst, 0x93)
}

func (e *encoder) appendList(dst []byte, n int, at func(int) any, depth int) ([]byte, error) {
	dst = append(dst, ']')
	for lo := 0; lo < n; lo += 1000 {
		dst = append(dst, '(')
		for i := lo; i < min(lo+1000, n); i++ {
			var err error
			if dst, err = e.appendValue(dst, at(i), depth+1); err != nil {
				return nil, err
			}
		}
		dst = append(dst, 'e')
	}
	return dst, nil
}

func (e *encoder) appendTuple(dst []byte, t Tuple, depth int) ([]byte, error) {
	if len(t) == 0 {
		return append(dst, ')'), nil
	}
	if len(t) > 3 {
		dst = append(dst, '(')
	}
	for _, el := range t {
		var err error
		if dst, err = e.appendValue(dst, el, depth+1); err != nil {
			return nil, err
		}
	}
	if len(t) > 3 {
		return append(dst, 't'), nil
	}
	return append(dst, 0x84+byte(len(t))), nil
}

func (e *encoder) appendDict(dst []byte, n int, at func(int) (any, any), depth int) ([]byte, error) {
	return e.appendSetItems(append(dst, '}'), n, at, depth)
}

// appendSetItems writes n items by SETITEMS of 1,000, into the dict below.
func (e *encoder) appendSetItems(dst []byte, n int, at func(int) (any, any), depth int) ([]byte, error) {
	for lo := 0; lo < n; lo += 1000 {
		dst = append(dst, '(')
		for i := lo; i < min(lo+1000, n); i++ {
			k, v := at(i)
			var err error
			if dst, err = e.appendValue(dst, k, depth+1); err != nil {
				return nil, err
			}
			if dst, err = e.appendValue(dst, v, depth+1); err != nil {
				return nil, err
			}
		}
		dst = append(dst, 'u')
	}
	return dst, nil
}

// compareKeys orders map keys for deterministic output: numbers by value
// before strings, strings bytewise, anything else by its printed form (Go
// maps have no order, and Python keeps the order it is given).
func compareKeys(a, b reflect.Value) int {
	if a.Kind() == reflect.Interface {
		a = a.Elem()
	}
	if b.Kind() == reflect.Interface {
		b = b.Elem()
	}
	ra, rb := keyRank(a), keyRank(b)
	if ra != rb {
		return ra - rb
	}
	switch ra {
	case 1:
		return compareNumbers(a, b)
	case 2:
		return strings.Compare(a.String(), b.String())
	}
	return strings.Compare(fmt.Sprintf("%T %v", a.Interface(), a.Interface()), fmt.Sprintf("%T %v", b.Interface(), b.Interface()))
}

// keyRank is 0 for booleans and nil, 1 for numbers, 2 for strings, 3 else.
func keyRank(v reflect.Value) int {
	if !v.IsValid() {
		return 0
	}
	switch v.Kind() {
	case reflect.Bool:
		return 0
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return 1
	case reflect.String:
		return 2
	}
	return 3
}

func compareNumbers(a, b reflect.Value) int {
	isInt := func(v reflect.Value) bool { return v.CanInt() }
	isUint := func(v reflect.Value) bool { return v.CanUint() }
	switch {
	case isInt(a) && isInt(b):
		return cmpOrdered(a.Int(), b.Int())
	case isUint(a) && isUint(b):
		return cmpOrdered(a.Uint(), b.Uint())
	}
	return cmpOrdered(toFloat(a), toFloat(b))
}

func toFloat(v reflect.Value) float64 {
	switch {
	case v.CanInt():
		return float64(v.Int())
	case v.CanUint():
		return float64(v.Uint())
	case v.CanFloat():
		return v.Float()
	}
	return 0
}

func cmpOrdered[T int64 | uint64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
