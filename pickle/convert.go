package pickle

import (
	"fmt"
	"math/big"
	"time"
)

// conv is a shared container's conversion to a Go value: not started, in
// progress (met again: a cycle), or done, with the Go value and its size.
type conv struct {
	state uint8
	out   any
	size  int
}

const (
	convNone uint8 = iota
	convInProgress
	convDone
)

// converter turns the unpickler's values into the documented Go types,
// converting each shared container once and refusing cycles. It accounts
// the size of the tree it returns: every value counts the bytes Append
// writes for it (an upper bound), and a container the memo shares counts at
// every reference, as re-encoding expands it. Past limit it fails.
type converter struct {
	limit int
}

func (c *converter) convert(v any, depth int) (any, int, error) {
	if depth > MaxDepth {
		return nil, 0, pickleErr("nested deeper than %d", MaxDepth)
	}
	var cv *conv
	switch x := v.(type) {
	case *pyList:
		cv = x.conv
	case *pyTuple:
		cv = x.conv
	case *pySet:
		cv = x.conv
	case *pyDict:
		cv = x.conv
	case pyTZ:
		return nil, 0, pickleErr("tzinfo outside a datetime")
	case *pyUUID:
		if !x.built {
			return nil, 0, pickleErr("UUID without state")
		}
		return x.v, uuidSize, c.check(uuidSize)
	case global:
		return nil, 0, pickleErr("class %s.%s as a value", x.module, x.name)
	default:
		n := scalarSize(v)
		if n < 0 {
			return nil, 0, pickleErr("unexpected %T", v)
		}
		return v, n, c.check(n)
	}
	if cv != nil { // shared: converted once, and a cycle if met again
		switch cv.state {
		case convInProgress:
			return nil, 0, pickleErr("recursive value")
		case convDone:
			return cv.out, cv.size, nil
		}
		cv.state = convInProgress
	}
	out, size, err := c.container(v, depth)
	if err != nil {
		return nil, 0, err
	}
	if cv != nil {
		cv.state, cv.out, cv.size = convDone, out, size
	}
	return out, size, nil
}

func (c *converter) container(v any, depth int) (out any, size int, err error) {
	switch x := v.(type) {
	case *pyList:
		out, size, err = c.items(x.items, depth)
	case *pyTuple:
		var items []any
		items, size, err = c.items(x.items, depth)
		out = Tuple(items)
	case *pySet:
		var items []any
		items, size, err = c.items(x.items, depth)
		if x.frozen {
			out = FrozenSet(items)
		} else {
			out = Set(items)
		}
	case *pyDict:
		out, size, err = c.dict(x, depth)
	}
	return out, size, err
}

// check fails once a size passes the limit.
func (c *converter) check(size int) error {
	if size > c.limit {
		return &limitError{ErrInvalid, "pickle: value expands beyond the expansion bound"}
	}
	return nil
}

// containerSize is what Append writes around n elements, at most: a list,
// set or dict opener and a MARK and closer per 1,000 elements, or a tuple's
// MARK and closer.
func containerSize(n int) int { return 3 + 2*(n/1000) }

func (c *converter) items(in []any, depth int) ([]any, int, error) {
	out := make([]any, len(in))
	size := containerSize(len(in))
	for i, e := range in {
		v, n, err := c.convert(e, depth+1)
		if err != nil {
			return nil, 0, err
		}
		out[i] = v
		if size += n; size > c.limit {
			return nil, 0, c.check(size)
		}
	}
	return out, size, nil
}

func (c *converter) dict(d *pyDict, depth int) (any, int, error) {
	n := len(d.items) / 2
	size := containerSize(n)
	if d.ordered {
		size += orderedDictSize
	}
	items := make([]any, len(d.items)) // key, value, ...
	kind := keyString
	for i, e := range d.items {
		v, sz, err := c.convert(e, depth+1)
		if err != nil {
			return nil, 0, err
		}
		if i%2 == 0 {
			k := keyKind(v, 0)
			if k == keyRefused {
				return nil, 0, pickleErr("dict key of type %s", goTypeName(v))
			}
			kind = max(kind, k)
		}
		items[i] = v
		if size += sz; size > c.limit {
			return nil, 0, c.check(size)
		}
	}
	switch {
	case d.ordered || kind == keyItems:
		out := make([]DictItem, n)
		for i := range out {
			out[i] = DictItem{items[2*i], items[2*i+1]}
		}
		if d.ordered {
			return OrderedDict(out), size, nil
		}
		return Dict(out), size, nil
	case kind == keyString:
		m := make(map[string]any, n)
		for i := 0; i < len(items); i += 2 {
			m[items[i].(string)] = items[i+1]
		}
		return m, size, nil
	}
	m := make(map[any]any, n)
	for i := 0; i < len(items); i += 2 {
		m[items[i]] = items[i+1]
	}
	return m, size, nil
}

// goTypeName names the Go type of a converted value for an error message.
func goTypeName(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case map[string]any, map[any]any, Dict, OrderedDict:
		return "dict"
	case Set:
		return "set"
	case ByteArray:
		return "bytearray"
	}
	return fmt.Sprintf("%T", v)
}

// Upper bounds of what Append writes for the fixed-size Python types (see
// TestScalarSizes).
const (
	dateSize  = 32
	naiveSize = 48
	awareSize = 256 // a zoneinfo key: at most 64 bytes
	timeSize  = 256
	uuidSize  = 64
	// orderedDictSize is what an OrderedDict writes besides a dict's.
	orderedDictSize = 32
	durationSize    = 48
	decimalSize     = 32 // plus the text's
)

// scalarSize is at least the length Append writes for v, a value the
// unpickler makes that is not a container; -1 for anything else.
func scalarSize(v any) int {
	switch x := v.(type) {
	case nil, bool:
		return 1
	case int64:
		return intSize(x)
	case *big.Int:
		return 5 + x.BitLen()/8 + 1 // LONG4
	case float64:
		return 9
	case string:
		return lenSize(len(x))
	case []byte:
		return lenSize(len(x))
	case ByteArray:
		return 32 + lenSize(len(x))
	case Time:
		return timeSize
	case UUID:
		return uuidSize
	case Date:
		return dateSize
	case NaiveDateTime:
		return naiveSize
	case time.Time:
		return awareSize
	case time.Duration:
		return durationSize
	case Decimal:
		return decimalSize + lenSize(len(x))
	}
	return -1
}

// intSize is what Append writes for i.
func intSize(i int64) int {
	switch {
	case 0 <= i && i < 256:
		return 2
	case 0 <= i && i < 65536:
		return 3
	case -1<<31 <= i && i < 1<<31:
		return 5
	}
	return 10 // LONG1 of 8 bytes
}

// lenSize is what Append writes for a str or bytes of n bytes.
func lenSize(n int) int {
	switch {
	case n < 256:
		return 2 + n
	case n <= 1<<32-1:
		return 5 + n
	}
	return 9 + n
}
