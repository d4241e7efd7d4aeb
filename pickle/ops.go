package pickle

import (
	"encoding/binary"
	"math"
	"strconv"
)

// opFunc executes one opcode, whose byte it is given, after reading its
// arguments from the input.
type opFunc func(u *unpickler, op byte) error

// opTable maps every opcode this package implements to its function; STOP
// is run's. A nil entry is an opcode that is refused.
var opTable = [256]opFunc{
	// control
	0x80: opProto,
	0x95: opFrame,
	'(':  opMark,
	'0':  opPop,
	'1':  opPopMark,
	'2':  opDup,
	// constants and numbers
	'N':  pushConst(nil),
	0x88: pushConst(true),  // NEWTRUE
	0x89: pushConst(false), // NEWFALSE
	'I':  opIntText,        // INT
	'L':  opLongText,       // LONG
	'J':  opBinInt(4),      // BININT, signed
	'K':  opBinInt(1),      // BININT1
	'M':  opBinInt(2),      // BININT2
	0x8a: opLong(1, false), // LONG1
	0x8b: opLong(4, true),  // LONG4
	'F':  opFloatText,      // FLOAT
	'G':  opBinFloat,       // BINFLOAT
	// text and bytes
	'S':  opStringText,       // STRING
	'V':  opUnicodeText,      // UNICODE
	'T':  opBinText(4, true), // BINSTRING
	'U':  opBinText(1, false),
	'X':  opBinText(4, false), // BINUNICODE
	0x8c: opBinText(1, false), // SHORT_BINUNICODE
	0x8d: opBinText(8, false), // BINUNICODE8
	'B':  opBinBytes(4),       // BINBYTES
	'C':  opBinBytes(1),       // SHORT_BINBYTES
	0x8e: opBinBytes(8),       // BINBYTES8
	0x96: opByteArray8,
	// containers
	']':  pushNew(func() any { return &pyList{} }),
	'}':  pushNew(func() any { return &pyDict{} }),
	')':  pushNew(func() any { return &pyTuple{} }),
	0x8f: pushNew(func() any { return &pySet{} }), // EMPTY_SET
	'l':  fromMark(func(items []any) (any, error) { return &pyList{items: items}, nil }),
	't':  fromMark(func(items []any) (any, error) { return &pyTuple{items: items}, nil }),
	0x91: fromMark(func(items []any) (any, error) { return &pySet{items: items, frozen: true}, nil }), // FROZENSET
	'd':  fromMark(func(items []any) (any, error) { d := &pyDict{}; return d, d.add(items) }),
	0x85: opTupleN, // TUPLE1
	0x86: opTupleN, // TUPLE2
	0x87: opTupleN, // TUPLE3
	'a':  opAppend,
	'e':  opAppends,
	0x90: opAddItems,
	's':  opSetItem,
	'u':  opSetItems,
	// memo: MEMOIZE, then PUT, BINPUT, LONG_BINPUT and GET, BINGET,
	// LONG_BINGET, whose index is text, one byte or four bytes.
	0x94: func(u *unpickler, _ byte) error { return u.setMemo(uint64(len(u.memo) + len(u.sparse))) },
	'p':  memoOp(0, (*unpickler).setMemo),
	'q':  memoOp(1, (*unpickler).setMemo),
	'r':  memoOp(4, (*unpickler).setMemo),
	'g':  memoOp(0, (*unpickler).getMemo),
	'h':  memoOp(1, (*unpickler).getMemo),
	'j':  memoOp(4, (*unpickler).getMemo),
	// classes (from the allow-list only) and calls
	'c':  opGlobal,
	0x93: opStackGlobal,
	'R':  opReduce,
	0x81: opNewObj, // uuid.UUID only
	'b':  opBuild,  // a new uuid.UUID only
}

func opProto(u *unpickler, _ byte) error {
	v, err := u.byte()
	if err == nil && v > 5 {
		return pickleErr("unsupported protocol %d", v)
	}
	return err
}

// opFrame checks a FRAME's length: framing is a hint for buffered readers,
// and the data is all here.
func opFrame(u *unpickler, _ byte) error {
	n, err := u.uint(8)
	if err == nil && n > uint64(len(u.data)-u.pos) {
		return pickleErr("truncated frame")
	}
	return err
}

func opMark(u *unpickler, _ byte) error {
	u.marks = append(u.marks, len(u.stack))
	u.objects++
	return nil
}

func opPop(u *unpickler, _ byte) error {
	if len(u.marks) > 0 && len(u.stack) == u.marks[len(u.marks)-1] {
		u.marks = u.marks[:len(u.marks)-1] // CPython: POP of a mark pops the mark
		return nil
	}
	_, err := u.pop()
	return err
}

func opPopMark(u *unpickler, _ byte) error {
	_, err := u.popMark()
	return err
}

func opDup(u *unpickler, _ byte) error {
	v, err := u.top()
	if err == nil {
		share(v)
		u.push(v)
	}
	return err
}

func pushConst(v any) opFunc {
	return func(u *unpickler, _ byte) error {
		u.push(v)
		return nil
	}
}

func pushNew(f func() any) opFunc {
	return func(u *unpickler, _ byte) error {
		u.push(f())
		return nil
	}
}

// opBinInt reads a little-endian integer of size bytes: signed for 4
// (BININT), unsigned for 1 and 2 (BININT1, BININT2).
func opBinInt(size int) opFunc {
	return func(u *unpickler, _ byte) error {
		x, err := u.uint(size)
		if err != nil {
			return err
		}
		if size == 4 {
			u.push(int64(int32(uint32(x))))
		} else {
			u.push(int64(x))
		}
		return nil
	}
}

// opLong reads LONG1 and LONG4: a length of size bytes, then a two's
// complement little-endian integer.
func opLong(size int, signed bool) opFunc {
	return func(u *unpickler, _ byte) error {
		n, err := u.length(size, signed)
		if err != nil {
			return err
		}
		b, err := u.need(n)
		if err != nil {
			return err
		}
		u.push(decodeLong(b))
		return nil
	}
}

func opBinFloat(u *unpickler, _ byte) error {
	x, err := u.need(8)
	if err != nil {
		return err
	}
	u.push(math.Float64frombits(binary.BigEndian.Uint64(x)))
	return nil
}

// opBinText reads a length of size bytes, then that much UTF-8 text.
func opBinText(size int, signed bool) opFunc {
	return func(u *unpickler, _ byte) error {
		n, err := u.length(size, signed)
		if err != nil {
			return err
		}
		return u.pushText(n)
	}
}

// opBinBytes reads a length of size bytes, then that many bytes.
func opBinBytes(size int) opFunc {
	return func(u *unpickler, _ byte) error {
		n, err := u.length(size, false)
		if err != nil {
			return err
		}
		b, err := u.need(n)
		if err != nil {
			return err
		}
		u.push(append([]byte{}, b...))
		return nil
	}
}

// fromMark builds a container of the items since the last MARK.
func fromMark(build func(items []any) (any, error)) opFunc {
	return func(u *unpickler, _ byte) error {
		items, err := u.popMark()
		if err != nil {
			return err
		}
		v, err := build(items)
		if err != nil {
			return err
		}
		u.push(v)
		return nil
	}
}

// opTupleN is TUPLE1, TUPLE2 and TUPLE3: a tuple of the top 1 to 3 items.
func opTupleN(u *unpickler, op byte) error {
	n := int(op - 0x84)
	items := make([]any, n)
	for i := n - 1; i >= 0; i-- {
		v, err := u.pop()
		if err != nil {
			return err
		}
		items[i] = v
	}
	u.push(&pyTuple{items: items})
	return nil
}

func opAppend(u *unpickler, _ byte) error {
	v, err := u.pop()
	if err != nil {
		return err
	}
	l, err := topAs[*pyList](u, "APPEND")
	if err != nil {
		return err
	}
	l.items = append(l.items, v)
	return nil
}

func opAppends(u *unpickler, _ byte) error {
	items, err := u.popMark()
	if err != nil {
		return err
	}
	l, err := topAs[*pyList](u, "APPENDS")
	if err != nil {
		return err
	}
	l.items = append(l.items, items...)
	return nil
}

func opAddItems(u *unpickler, _ byte) error {
	items, err := u.popMark()
	if err != nil {
		return err
	}
	s, err := topAs[*pySet](u, "ADDITEMS")
	if err != nil {
		return err
	}
	s.items = append(s.items, items...)
	return nil
}

func opSetItem(u *unpickler, _ byte) error {
	v, err := u.pop()
	if err != nil {
		return err
	}
	k, err := u.pop()
	if err != nil {
		return err
	}
	d, err := topAs[*pyDict](u, "SETITEM")
	if err != nil {
		return err
	}
	return d.add([]any{k, v})
}

func opSetItems(u *unpickler, _ byte) error {
	items, err := u.popMark()
	if err != nil {
		return err
	}
	d, err := topAs[*pyDict](u, "SETITEMS")
	if err != nil {
		return err
	}
	return d.add(items)
}

// memoOp reads a memo index (size 0: a decimal line; else size bytes,
// little-endian) and applies f to it: setMemo for the PUTs, getMemo for the
// GETs.
func memoOp(size int, f func(*unpickler, uint64) error) opFunc {
	return func(u *unpickler, _ byte) error {
		var i uint64
		if size == 0 {
			s, err := u.line()
			if err != nil {
				return err
			}
			if i, err = strconv.ParseUint(string(s), 10, 63); err != nil {
				return pickleErr("bad memo index")
			}
		} else {
			var err error
			if i, err = u.uint(size); err != nil {
				return err
			}
		}
		return f(u, i)
	}
}

func opGlobal(u *unpickler, _ byte) error {
	mod, err := u.line()
	if err != nil {
		return err
	}
	name, err := u.line()
	if err != nil {
		return err
	}
	g, err := lookupGlobal(string(mod), string(name))
	if err != nil {
		return err
	}
	u.push(g)
	return nil
}

func opStackGlobal(u *unpickler, _ byte) error {
	name, err := u.pop()
	if err != nil {
		return err
	}
	mod, err := u.pop()
	if err != nil {
		return err
	}
	ms, ok1 := mod.(string)
	ns, ok2 := name.(string)
	if !ok1 || !ok2 {
		return pickleErr("STACK_GLOBAL of non-strings")
	}
	g, err := lookupGlobal(ms, ns)
	if err != nil {
		return err
	}
	u.push(g)
	return nil
}

func opReduce(u *unpickler, _ byte) error {
	args, err := u.pop()
	if err != nil {
		return err
	}
	fn, err := u.pop()
	if err != nil {
		return err
	}
	g, ok := fn.(global)
	t, ok2 := args.(*pyTuple)
	if !ok || !ok2 {
		return pickleErr("REDUCE of %s", pyTypeName(fn))
	}
	v, err := g.call(u, t.items)
	if err != nil {
		return err
	}
	u.push(v)
	return nil
}
