package pickle

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
)

func (u *unpickler) step(op byte) error {
	switch op {
	case 0x80: // PROTO
		v, err := u.byte()
		if err != nil {
			return err
		}
		if v > 5 {
			return pickleErr("unsupported protocol %d", v)
		}
	case 0x95: // FRAME: framing is a hint for buffered readers; the data is all here
		n, err := u.uint(8)
		if err != nil {
			return err
		}
		if n > uint64(len(u.data)-u.pos) {
			return pickleErr("truncated frame")
		}
	case '(': // MARK
		u.marks = append(u.marks, len(u.stack))
	case '0': // POP
		if len(u.marks) > 0 && len(u.stack) == u.marks[len(u.marks)-1] {
			u.marks = u.marks[:len(u.marks)-1] // CPython: POP of a mark pops the mark
			return nil
		}
		_, err := u.pop()
		return err
	case '1': // POP_MARK
		_, err := u.popMark()
		return err
	case '2': // DUP
		v, err := u.top()
		if err != nil {
			return err
		}
		u.push(v)
	case 'N':
		u.push(nil)
	case 0x88:
		u.push(true)
	case 0x89:
		u.push(false)
	case 'I': // INT, text
		s, err := u.line()
		if err != nil {
			return err
		}
		switch s {
		case "01":
			u.push(true)
		case "00":
			u.push(false)
		default:
			return u.pushIntText(s)
		}
	case 'L': // LONG, text
		s, err := u.line()
		if err != nil {
			return err
		}
		return u.pushIntText(strings.TrimSuffix(s, "L"))
	case 'J': // BININT
		x, err := u.uint(4)
		if err != nil {
			return err
		}
		u.push(int64(int32(uint32(x))))
	case 'K': // BININT1
		x, err := u.uint(1)
		if err != nil {
			return err
		}
		u.push(int64(x))
	case 'M': // BININT2
		x, err := u.uint(2)
		if err != nil {
			return err
		}
		u.push(int64(x))
	case 0x8a, 0x8b: // LONG1, LONG4
		var n uint64
		var err error
		if op == 0x8a {
			n, err = u.uint(1)
		} else {
			n, err = u.uint(4)
			if err == nil && int32(uint32(n)) < 0 {
				return pickleErr("negative LONG4 length")
			}
		}
		if err != nil {
			return err
		}
		b, err := u.need(n)
		if err != nil {
			return err
		}
		u.push(decodeLong(b))
	case 'F': // FLOAT, text
		s, err := u.line()
		if err != nil {
			return err
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return pickleErr("bad float")
		}
		u.push(f)
	case 'G': // BINFLOAT
		x, err := u.need(8)
		if err != nil {
			return err
		}
		u.push(math.Float64frombits(binary.BigEndian.Uint64(x)))
	case 'S': // STRING: a quoted Python 2 str; Python 3 decodes it as ASCII
		s, err := u.line()
		if err != nil {
			return err
		}
		str, err := unquotePy2(s)
		if err != nil {
			return err
		}
		u.push(str)
	case 'T', 'U': // BINSTRING, SHORT_BINSTRING
		n, err := u.lenArg(op == 'T', 4, 1)
		if err != nil {
			return err
		}
		return u.pushText(n)
	case 'V': // UNICODE, raw-unicode-escape
		s, err := u.line()
		if err != nil {
			return err
		}
		str, err := rawUnicodeEscape(s)
		if err != nil {
			return err
		}
		u.push(str)
	case 'X': // BINUNICODE
		n, err := u.uint(4)
		if err != nil {
			return err
		}
		return u.pushText(n)
	case 0x8c: // SHORT_BINUNICODE
		n, err := u.uint(1)
		if err != nil {
			return err
		}
		return u.pushText(n)
	case 0x8d: // BINUNICODE8
		n, err := u.uint(8)
		if err != nil {
			return err
		}
		return u.pushText(n)
	case 'B', 'C', 0x8e, 0x96: // BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8
		size := 8
		switch op {
		case 'B':
			size = 4
		case 'C':
			size = 1
		}
		n, err := u.uint(size)
		if err != nil {
			return err
		}
		b, err := u.need(n)
		if err != nil {
			return err
		}
		u.push(slices.Clone(b))
	case ']':
		u.push(&pyList{})
	case '}':
		u.push(&pyDict{})
	case ')':
		u.push(&pyTuple{})
	case 0x8f: // EMPTY_SET
		u.push(&pySet{})
	case 'l': // LIST
		items, err := u.popMark()
		if err != nil {
			return err
		}
		u.push(&pyList{items: items})
	case 't': // TUPLE
		items, err := u.popMark()
		if err != nil {
			return err
		}
		u.push(&pyTuple{items: items})
	case 0x85, 0x86, 0x87: // TUPLE1, TUPLE2, TUPLE3
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
	case 0x91: // FROZENSET
		items, err := u.popMark()
		if err != nil {
			return err
		}
		u.push(&pySet{items: items, frozen: true})
	case 'd': // DICT
		items, err := u.popMark()
		if err != nil {
			return err
		}
		d := &pyDict{}
		if err := d.add(items); err != nil {
			return err
		}
		u.push(d)
	case 'a': // APPEND
		v, err := u.pop()
		if err != nil {
			return err
		}
		l, err := u.top()
		if err != nil {
			return err
		}
		pl, ok := l.(*pyList)
		if !ok {
			return pickleErr("APPEND to %s", pyTypeName(l))
		}
		pl.items = append(pl.items, v)
	case 'e': // APPENDS
		items, err := u.popMark()
		if err != nil {
			return err
		}
		l, err := u.top()
		if err != nil {
			return err
		}
		pl, ok := l.(*pyList)
		if !ok {
			return pickleErr("APPENDS to %s", pyTypeName(l))
		}
		pl.items = append(pl.items, items...)
	case 0x90: // ADDITEMS
		items, err := u.popMark()
		if err != nil {
			return err
		}
		s, err := u.top()
		if err != nil {
			return err
		}
		ps, ok := s.(*pySet)
		if !ok {
			return pickleErr("ADDITEMS to %s", pyTypeName(s))
		}
		ps.items = append(ps.items, items...)
	case 's': // SETITEM
		v, err := u.pop()
		if err != nil {
			return err
		}
		k, err := u.pop()
		if err != nil {
			return err
		}
		d, err := u.top()
		if err != nil {
			return err
		}
		pd, ok := d.(*pyDict)
		if !ok {
			return pickleErr("SETITEM on %s", pyTypeName(d))
		}
		return pd.add([]any{k, v})
	case 'u': // SETITEMS
		items, err := u.popMark()
		if err != nil {
			return err
		}
		d, err := u.top()
		if err != nil {
			return err
		}
		pd, ok := d.(*pyDict)
		if !ok {
			return pickleErr("SETITEMS on %s", pyTypeName(d))
		}
		return pd.add(items)
	case 0x94: // MEMOIZE
		return u.setMemo(uint64(len(u.memo)))
	case 'p': // PUT
		s, err := u.line()
		if err != nil {
			return err
		}
		i, err := strconv.ParseUint(s, 10, 63)
		if err != nil {
			return pickleErr("bad PUT index")
		}
		return u.setMemo(i)
	case 'q':
		i, err := u.uint(1)
		if err != nil {
			return err
		}
		return u.setMemo(i)
	case 'r':
		i, err := u.uint(4)
		if err != nil {
			return err
		}
		return u.setMemo(i)
	case 'g': // GET
		s, err := u.line()
		if err != nil {
			return err
		}
		i, err := strconv.ParseUint(s, 10, 63)
		if err != nil {
			return pickleErr("bad GET index")
		}
		return u.getMemo(i)
	case 'h':
		i, err := u.uint(1)
		if err != nil {
			return err
		}
		return u.getMemo(i)
	case 'j':
		i, err := u.uint(4)
		if err != nil {
			return err
		}
		return u.getMemo(i)
	case 'c': // GLOBAL
		mod, err := u.line()
		if err != nil {
			return err
		}
		name, err := u.line()
		if err != nil {
			return err
		}
		g, err := lookupGlobal(mod, name)
		if err != nil {
			return err
		}
		u.push(g)
	case 0x93: // STACK_GLOBAL
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
	case 'R': // REDUCE
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
		v, err := g.call(t.items)
		if err != nil {
			return err
		}
		u.push(v)
	default:
		// INST, OBJ, NEWOBJ, NEWOBJ_EX, BUILD, EXT1/2/4, PERSID, BINPERSID,
		// NEXT_BUFFER, READONLY_BUFFER build arbitrary objects; anything else
		// is not an opcode.
		return pickleErr("opcode 0x%02x not supported", op)
	}
	return nil
}

// lenArg reads a length of size bytes (bigSize if big); a 4-byte length is
