package pickle

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
)

// Time is a Python datetime.time: a wall-clock time of day with no date,
// naive when Location is nil. Pickle decodes a time as a Time and encodes a
// Time as a time (Location written as an aware datetime's is).
type Time struct {
	Hour        int            // 0 to 23
	Minute      int            // 0 to 59
	Second      int            // 0 to 59
	Microsecond int            // 0 to 999999
	Location    *time.Location // nil: a naive time
}

// String returns the time as Python's str(time) does, without an offset.
func (t Time) String() string {
	s := fmt.Sprintf("%02d:%02d:%02d", t.Hour, t.Minute, t.Second)
	if t.Microsecond != 0 {
		s += fmt.Sprintf(".%06d", t.Microsecond)
	}
	return s
}

// MarshalText returns String, so JSON shows a Time as Python's str does.
func (t Time) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

func (t Time) valid() bool {
	return 0 <= t.Hour && t.Hour <= 23 && 0 <= t.Minute && t.Minute <= 59 &&
		0 <= t.Second && t.Second <= 59 && 0 <= t.Microsecond && t.Microsecond <= 999999
}

// UUID is a Python uuid.UUID: its 16 bytes, big-endian, as UUID.bytes.
// Pickle decodes a UUID as a UUID and encodes a UUID as a uuid.UUID.
type UUID [16]byte

// String returns the UUID in Python's str form,
// 12345678-1234-5678-1234-567812345678.
func (u UUID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// MarshalText returns String, so JSON shows a UUID as Python's str does.
func (u UUID) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// ByteArray is a Python bytearray. Pickle decodes a bytearray as a ByteArray
// (bytes decode as []byte) and encodes a ByteArray as a bytearray.
type ByteArray []byte

// DictItem is one key and its value in an OrderedDict or a Dict.
type DictItem struct {
	Key, Value any
}

// OrderedDict is a Python collections.OrderedDict: its items in order.
// Pickle decodes an OrderedDict as an OrderedDict and encodes an
// OrderedDict as one, in the same order. Keys may be of any type a dict key
// may be, tuples included.
type OrderedDict []DictItem

// Dict is a Python dict some of whose keys Go cannot use as map keys: a
// tuple, a frozenset or bytes. Pickle decodes such a dict as a Dict (items in
// the pickle's order) and encodes a Dict as a dict; a dict whose keys are all
// str still decodes as map[string]any, and one with other keys Go can
// compare as map[any]any. A pickle Python wrote has no duplicate keys; if a
// hand-made one has, Dict keeps them all, and Python keeps the last.
type Dict []DictItem

// UnsupportedTypeError is the error of Unmarshal for a pickle that names a
// class or function outside the allow-list: a value of a Python type this
// package does not rebuild (a namedtuple, a model instance, any other
// class). It matches ErrUnsupportedType and ErrInvalid.
type UnsupportedTypeError struct {
	// Type is the class as the pickle names it, "module.name", each part
	// quoted (strconv.QuoteToASCII) and clipped to 32 bytes, so that it is
	// safe to print.
	Type string
}

func (e *UnsupportedTypeError) Error() string {
	return "pickle: unsupported Python type " + e.Type
}

// Is reports whether target is ErrUnsupportedType or ErrInvalid.
func (e *UnsupportedTypeError) Is(target error) bool {
	return target == ErrUnsupportedType || target == ErrInvalid
}

func unsupportedType(mod, name string) error {
	return &UnsupportedTypeError{Type: quoteClip(mod) + "." + quoteClip(name)}
}

// quoteClip quotes s, at most its first maxGlobalName bytes, for an error
// message: hostile bytes never reach a log or terminal raw.
func quoteClip(s string) string {
	if len(s) > maxGlobalName {
		return strconv.QuoteToASCII(s[:maxGlobalName]) + "..."
	}
	return strconv.QuoteToASCII(s)
}
