package recovery

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/klauspost/compress/s2"

	"github.com/secureredis/secureredis/codec"
)

// Format is how the values of a Source were written. The zero Format is
// FormatRaw.
type Format string

// Formats of bare-key sources.
const (
	// FormatRaw: values as go-redis writes them through gocache's Redis
	// store (github.com/eko/gocache/store/redis/v4): strings, bytes, numbers
	// in decimal. Each is migrated as the string gocache's Get returns, byte
	// for byte; this also keeps gocache marshaler bytes readable by a
	// marshaler over the secure store.
	FormatRaw Format = "raw"
	// FormatGocache: msgpack written by gocache's marshaler
	// (github.com/eko/gocache/lib/v4/marshaler). Each value is decoded
	// (codec.Msgpack's types: int64, float64, string, []byte, []any,
	// map[string]any, time.Time, ...) and migrated as that value. A value
	// that is not one well-formed msgpack value fails (ErrDecode).
	FormatGocache Format = "gocache"
	// FormatGoRedisCache: values written by github.com/go-redis/cache/v9:
	// msgpack followed by a format byte (0: as is, 1: s2-compressed), or,
	// for string and []byte values, the bytes as they are. A value whose
	// last byte and body decode that way is migrated as the decoded value;
	// any other value as the string it is.
	FormatGoRedisCache Format = "go-redis-cache"
)

// ParseFormat returns the Format named by s: "" (FormatRaw), "raw",
// "gocache" or "go-redis-cache", as the data_recovery old_format setting
// takes them.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case "":
		return FormatRaw, nil
	case FormatRaw, FormatGocache, FormatGoRedisCache:
		return f, nil
	}
	return "", fmt.Errorf("%w: %q (want raw, gocache or go-redis-cache)", ErrUnknownFormat, s)
}

// MaxDecodedSize is the most bytes FormatGocache and FormatGoRedisCache
// decode per value: a msgpack value larger than this, or an s2 block
// declaring a larger decompressed size, fails with ErrDecode before any
// allocation of that size. Raw values are copied whatever their size.
const MaxDecodedSize = 64 << 20

// maxMsgpackDepth bounds the nesting of decoded msgpack values, so that
// hostile input cannot drive the recursive decoder deep.
const maxMsgpackDepth = 100

// Reasons a value does not decode; they carry no part of the value.
var (
	errNotFormat = errors.New("recovery: value is not in the declared format")
	errTooLarge  = errors.New("recovery: value decodes past MaxDecodedSize")
	errTooDeep   = errors.New("recovery: msgpack value nested too deep")
)

// decode returns the value of raw in format f.
func (f Format) decode(raw string) (any, error) {
	switch f {
	case FormatGocache:
		return decodeMsgpack([]byte(raw))
	case FormatGoRedisCache:
		return decodeGoRedisCache([]byte(raw))
	}
	return raw, nil
}

// decodeGoRedisCache undoes go-redis/cache's Marshal: msgpack plus a format
// byte, or a string or []byte stored as it is.
func decodeGoRedisCache(b []byte) (any, error) {
	if len(b) == 0 {
		return "", nil // nil, "" and []byte{} are all stored empty
	}
	body := b[:len(b)-1]
	switch b[len(b)-1] {
	case 0: // no compression
		v, err := decodeMsgpack(body)
		if err == nil || !errors.Is(err, errNotFormat) {
			return v, err
		}
	case 1: // s2
		if n, err := s2.DecodedLen(body); err == nil {
			if n > MaxDecodedSize {
				return nil, errTooLarge
			}
			if plain, err := s2.Decode(nil, body); err == nil {
				v, err := decodeMsgpack(plain)
				if err == nil || !errors.Is(err, errNotFormat) {
					return v, err
				}
			}
		}
	}
	return string(b), nil
}

// decodeMsgpack decodes exactly one msgpack value, checked first in one
// linear pass for truncation, nesting and trailing bytes.
func decodeMsgpack(b []byte) (any, error) {
	if len(b) > MaxDecodedSize {
		return nil, errTooLarge
	}
	if err := checkMsgpack(b, maxMsgpackDepth); err != nil {
		return nil, err
	}
	v, err := codec.Msgpack{}.Unmarshal(b)
	if err != nil {
		return nil, errNotFormat // the decoder's message may quote the value
	}
	return v, nil
}

// checkMsgpack walks b, without recursion or allocation beyond the nesting
// stack, and reports whether it is exactly one msgpack value nested at most
// maxDepth deep. Every declared length must be backed by bytes of b, so the
// walk is linear in len(b).
func checkMsgpack(b []byte, maxDepth int) error {
	var stack []uint64 // elements left in each open container
	left := uint64(1)  // elements left at the current level
	i := 0
	need := func(n uint64) bool { // b holds n more bytes after i
		return uint64(len(b)-i) >= n
	}
	length := func(size int) (uint64, bool) {
		if !need(uint64(size)) {
			return 0, false
		}
		var n uint64
		switch size {
		case 1:
			n = uint64(b[i])
		case 2:
			n = uint64(binary.BigEndian.Uint16(b[i:]))
		case 4:
			n = uint64(binary.BigEndian.Uint32(b[i:]))
		}
		i += size
		return n, true
	}
	for {
		for left == 0 {
			if len(stack) == 0 {
				if i != len(b) {
					return errNotFormat // trailing bytes
				}
				return nil
			}
			left, stack = stack[len(stack)-1], stack[:len(stack)-1]
		}
		left--
		if i >= len(b) {
			return errNotFormat
		}
		c := b[i]
		i++
		var skip uint64  // bytes of payload to skip
		var items uint64 // elements of a container opened here
		container := false
		switch {
		case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
			// fixint, negative fixint, nil, false, true
		case c&0xf0 == 0x80: // fixmap
			items, container = 2*uint64(c&0x0f), true
		case c&0xf0 == 0x90: // fixarray
			items, container = uint64(c&0x0f), true
		case c&0xe0 == 0xa0: // fixstr
			skip = uint64(c & 0x1f)
		default:
			var ok bool
			switch c {
			case 0xc4, 0xd9: // bin 8, str 8
				skip, ok = length(1)
			case 0xc5, 0xda: // bin 16, str 16
				skip, ok = length(2)
			case 0xc6, 0xdb: // bin 32, str 32
				skip, ok = length(4)
			case 0xc7: // ext 8
				skip, ok = length(1)
				skip++
			case 0xc8: // ext 16
				skip, ok = length(2)
				skip++
			case 0xc9: // ext 32
				skip, ok = length(4)
				skip++
			case 0xcc, 0xd0: // uint 8, int 8
				skip, ok = 1, true
			case 0xcd, 0xd1: // uint 16, int 16
				skip, ok = 2, true
			case 0xca, 0xce, 0xd2: // float 32, uint 32, int 32
				skip, ok = 4, true
			case 0xcb, 0xcf, 0xd3: // float 64, uint 64, int 64
				skip, ok = 8, true
			case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1, 2, 4, 8, 16
				skip, ok = 1+(uint64(1)<<(c-0xd4)), true
			case 0xdc: // array 16
				items, ok = length(2)
				container = true
			case 0xdd: // array 32
				items, ok = length(4)
				container = true
			case 0xde: // map 16
				items, ok = length(2)
				items *= 2
				container = true
			case 0xdf: // map 32
				items, ok = length(4)
				items *= 2
				container = true
			}
			if !ok { // 0xc1 (never used), or a truncated length
				return errNotFormat
			}
		}
		if !need(skip) {
			return errNotFormat
		}
		i += int(skip)
		if container && items > 0 {
			// Each element takes at least one byte: a count the rest of b
			// cannot hold is a lie, whatever the nesting.
			if !need(items) {
				return errNotFormat
			}
			if len(stack) >= maxDepth {
				return errTooDeep
			}
			stack = append(stack, left)
			left = items
		}
	}
}
