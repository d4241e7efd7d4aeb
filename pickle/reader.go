package pickle

import (
	"bytes"
	"fmt"
	"time"
)

// Containers are pointers while the pickle builds them (APPEND and SETITEM
// mutate what MEMOIZE stored), then converted to Go values once. A container
// that has been memoized or duplicated (the only ways to share one or make a
// cycle) carries a conv, where the converter keeps its conversion: converted
// once, while its size counts at every reference (see converter).
type (
	pyList struct {
		items []any
		*conv
	}
	pyTuple struct {
		items []any
		*conv
	}
	pyDict struct {
		items []any // key, value, key, value, ...
		*conv
		ordered bool // a collections.OrderedDict
	}
	pySet struct {
		items []any
		*conv
		frozen bool
	}
	// pyTZ is a tzinfo: a zone, and, for pytz's, the offset it pins.
	pyTZ struct {
		loc    *time.Location
		off    int
		hasOff bool
	}
	global struct {
		module, name string
		reduce       reducer
	}
)

// share gives v, if a container, the conv that marks it shared.
func share(v any) {
	var c **conv
	switch x := v.(type) {
	case *pyList:
		c = &x.conv
	case *pyTuple:
		c = &x.conv
	case *pyDict:
		c = &x.conv
	case *pySet:
		c = &x.conv
	default:
		return
	}
	if *c == nil {
		*c = &conv{}
	}
}

// unpickler is the pickle machine: a cursor into the input (never a copy of
// what is left), the stack, the marks and the memo.
type unpickler struct {
	data  []byte
	pos   int
	stack []any
	marks []int
	// memo holds the indices Python's picklers use, 0, 1, 2, ... in order;
	// sparse holds any other index a hand-made pickle puts. No key is in
	// both, so the memo's length (MEMOIZE's index) is the sum of theirs.
	memo   []any
	sparse map[uint64]any
	// budget is the work left for the copies and scans REDUCE makes of its
	// arguments (which the memo can hand it many times): see charge.
	budget int
	// objects counts what the machine has made: values pushed, memo
	// entries, marks (each costs a few dozen bytes); run stops it past
	// MaxObjects.
	objects int
}

// run executes opcodes up to STOP and returns the value it leaves.
func (u *unpickler) run() (any, error) {
	for {
		op, err := u.byte()
		if err != nil {
			return nil, err
		}
		if op == '.' { // STOP
			if len(u.stack) != 1 || len(u.marks) != 0 {
				return nil, pickleErr("STOP with %d items on the stack", len(u.stack))
			}
			return u.stack[0], nil
		}
		f := opTable[op]
		if f == nil {
			// INST, OBJ, NEWOBJ_EX, EXT1/2/4, PERSID,
			// BINPERSID, NEXT_BUFFER, READONLY_BUFFER build arbitrary
			// objects; anything else is not an opcode.
			return nil, pickleErr("opcode 0x%02x not supported", op)
		}
		if err := f(u, op); err != nil {
			return nil, err
		}
		if u.objects > MaxObjects {
			return nil, &limitError{ErrInvalid, fmt.Sprintf("pickle: more than %d objects", MaxObjects)}
		}
	}
}

// need returns the next n bytes of the input, without copying them.
func (u *unpickler) need(n uint64) ([]byte, error) {
	if n > uint64(len(u.data)-u.pos) {
		return nil, pickleErr("truncated")
	}
	b := u.data[u.pos : u.pos+int(n)]
	u.pos += int(n)
	return b, nil
}

func (u *unpickler) byte() (byte, error) {
	b, err := u.need(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

// uint reads an n-byte little-endian unsigned integer.
func (u *unpickler) uint(n int) (uint64, error) {
	b, err := u.need(uint64(n))
	if err != nil {
		return 0, err
	}
	var x uint64
	for i := n - 1; i >= 0; i-- {
		x = x<<8 | uint64(b[i])
	}
	return x, nil
}

// length reads the length argument of an opcode: n bytes, little-endian; a
// 4-byte length is signed when signed is set (BINSTRING, LONG4).
func (u *unpickler) length(n int, signed bool) (uint64, error) {
	x, err := u.uint(n)
	if err == nil && signed && int32(uint32(x)) < 0 {
		return 0, pickleErr("negative length")
	}
	return x, err
}

// line returns the text argument of a protocol 0 opcode, up to the next
// newline, as a slice of the input: finding it costs the line's length,
// whatever follows.
func (u *unpickler) line() ([]byte, error) {
	i := bytes.IndexByte(u.data[u.pos:], '\n')
	if i < 0 {
		return nil, pickleErr("truncated line")
	}
	s := u.data[u.pos : u.pos+i]
	u.pos += i + 1
	return s, nil
}

// charge spends n bytes of the work budget, failing once it is spent.
func (u *unpickler) charge(n int) error {
	u.budget -= n
	if u.budget < 0 {
		return &limitError{ErrInvalid, "pickle: arguments copied beyond the expansion bound"}
	}
	return nil
}

// push doubles the stack when full (append grows large slices by a quarter,
// which allocates five times the final size on the way).
func (u *unpickler) push(v any) {
	if len(u.stack) == cap(u.stack) {
		s := make([]any, len(u.stack), 2*cap(u.stack)+16)
		copy(s, u.stack)
		u.stack = s
	}
	u.stack = append(u.stack, v)
	u.objects++
}

func (u *unpickler) pop() (any, error) {
	v, err := u.top()
	if err == nil {
		u.stack = u.stack[:len(u.stack)-1]
	}
	return v, err
}

func (u *unpickler) top() (any, error) {
	if len(u.stack) == 0 || (len(u.marks) > 0 && len(u.stack) <= u.marks[len(u.marks)-1]) {
		return nil, pickleErr("stack underflow")
	}
	return u.stack[len(u.stack)-1], nil
}

// topAs returns the top of the stack, which op expects to be a T.
func topAs[T any](u *unpickler, op string) (T, error) {
	var zero T
	v, err := u.top()
	if err != nil {
		return zero, err
	}
	t, ok := v.(T)
	if !ok {
		return zero, pickleErr("%s on %s", op, pyTypeName(v))
	}
	return t, nil
}

// popMark returns the items pushed since the last MARK and removes them and
// the mark. Every item was pushed by one opcode and is popped once, so the
// copies cost the input's length in all.
func (u *unpickler) popMark() ([]any, error) {
	if len(u.marks) == 0 {
		return nil, pickleErr("no mark")
	}
	m := u.marks[len(u.marks)-1]
	u.marks = u.marks[:len(u.marks)-1]
	items := append([]any(nil), u.stack[m:]...)
	clear(u.stack[m:])
	u.stack = u.stack[:m]
	return items, nil
}

func (u *unpickler) setMemo(i uint64) error {
	v, err := u.top()
	if err != nil {
		return err
	}
	share(v)
	switch n := uint64(len(u.memo)); {
	case i < n:
		u.memo[i] = v
	case i == n:
		u.memo = append(u.memo, v)
		delete(u.sparse, i)
		u.objects++
	default:
		if u.sparse == nil {
			u.sparse = map[uint64]any{}
		}
		u.sparse[i] = v
		u.objects++
	}
	return nil
}

func (u *unpickler) getMemo(i uint64) error {
	if i < uint64(len(u.memo)) {
		u.push(u.memo[i])
		return nil
	}
	v, ok := u.sparse[i]
	if !ok {
		return pickleErr("memo %d not found", i)
	}
	u.push(v)
	return nil
}

func (d *pyDict) add(items []any) error {
	if len(items)%2 != 0 {
		return pickleErr("odd number of dict items")
	}
	d.items = append(d.items, items...)
	return nil
}

func pyTypeName(v any) string {
	switch v.(type) {
	case *pyList:
		return "list"
	case *pyTuple:
		return "tuple"
	case *pyDict:
		return "dict"
	case *pySet:
		return "set"
	case *pyUUID:
		return "UUID"
	case global:
		return "class"
	case nil:
		return "None"
	}
	return fmt.Sprintf("%T", v)
}
