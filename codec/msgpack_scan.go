package codec

import (
	"errors"
	"fmt"
)

// maxMsgpackDepth bounds the nesting of msgpack arrays and maps, as
// encoding/json bounds JSON's (10,000): msgpack's decoder recurses once per
// level, and a few megabytes of nested one-element arrays would overflow
// the goroutine stack, which kills the process.
const maxMsgpackDepth = 10000

var errMsgpackTruncated = errors.New("codec: msgpack: truncated")

// scanMsgpack walks one msgpack value at the start of b, without building
// it and without recursion (an explicit stack of the items left in each open
// array or map), and returns its length. It fails on a truncated value, on
// a length not backed by data (so that the decoder never allocates for
// elements that are not there: vmihailenco/msgpack#376), on the reserved
// byte 0xc1, and past maxMsgpackDepth. Every item costs at least one byte,
// so the walk is linear in b.
func scanMsgpack(b []byte) (int, error) {
	pos := 0
	left := []uint64{1} // items left at each level; the root level has one
	for len(left) > 0 {
		top := len(left) - 1
		if left[top] == 0 {
			left = left[:top]
			continue
		}
		left[top]--
		if pos >= len(b) {
			return 0, errMsgpackTruncated
		}
		c := b[pos]
		pos++
		var skip, items uint64 // bytes to skip; items of an array or map
		switch {
		case c <= 0x7f || c >= 0xe0, c == 0xc0, c == 0xc2, c == 0xc3: // fixint, nil, bool
		case c&0xf0 == 0x80: // fixmap
			items = 2 * uint64(c&0x0f)
		case c&0xf0 == 0x90: // fixarray
			items = uint64(c & 0x0f)
		case c&0xe0 == 0xa0: // fixstr
			skip = uint64(c & 0x1f)
		default:
			size := msgpackArgs[c]
			if size.n == 0 {
				return 0, fmt.Errorf("codec: msgpack: invalid code 0x%02x", c)
			}
			n := uint64(size.n)
			if size.length { // the argument is a length: of data, of items or of pairs
				if uint64(len(b)-pos) < n {
					return 0, errMsgpackTruncated
				}
				var x uint64
				for _, d := range b[pos : pos+int(n)] {
					x = x<<8 | uint64(d)
				}
				pos += int(n)
				switch {
				case size.pairs:
					items = 2 * x
				case size.items:
					items = x
				default:
					skip = x + uint64(size.extra)
				}
			} else {
				skip = n
			}
		}
		if skip > uint64(len(b)-pos) {
			return 0, errMsgpackTruncated
		}
		pos += int(skip)
		if items > 0 {
			if len(left) > maxMsgpackDepth {
				return 0, fmt.Errorf("codec: msgpack: nested deeper than %d", maxMsgpackDepth)
			}
			left = append(left, items)
		}
	}
	return pos, nil
}

// msgpackArg describes the argument of a msgpack code: n bytes, either the
// value itself or a big-endian length (of extra+length bytes of data, of
// items, or of key-value pairs).
type msgpackArg struct {
	n            uint8
	length       bool
	items, pairs bool
	extra        uint8 // the ext type byte
}

// msgpackArgs describes the codes that take an argument; n is 0 for the
// others (and for 0xc1, which is never used).
var msgpackArgs = [256]msgpackArg{
	0xc4: {n: 1, length: true}, 0xc5: {n: 2, length: true}, 0xc6: {n: 4, length: true}, // bin
	0xc7: {n: 1, length: true, extra: 1}, 0xc8: {n: 2, length: true, extra: 1}, 0xc9: {n: 4, length: true, extra: 1}, // ext
	0xca: {n: 4}, 0xcb: {n: 8}, // float
	0xcc: {n: 1}, 0xcd: {n: 2}, 0xce: {n: 4}, 0xcf: {n: 8}, // uint
	0xd0: {n: 1}, 0xd1: {n: 2}, 0xd2: {n: 4}, 0xd3: {n: 8}, // int
	0xd4: {n: 2}, 0xd5: {n: 3}, 0xd6: {n: 5}, 0xd7: {n: 9}, 0xd8: {n: 17}, // fixext: type and data
	0xd9: {n: 1, length: true}, 0xda: {n: 2, length: true}, 0xdb: {n: 4, length: true}, // str
	0xdc: {n: 2, length: true, items: true}, 0xdd: {n: 4, length: true, items: true}, // array
	0xde: {n: 2, length: true, pairs: true}, 0xdf: {n: 4, length: true, pairs: true}, // map
}
