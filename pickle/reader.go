package pickle

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Containers are pointers while the pickle builds them (APPEND and SETITEM
// mutate what MEMOIZE stored), then converted to Go values once.
type (
	pyList  struct{ items []any }
	pyTuple struct{ items []any }
	pyDict  struct{ keys, vals []any }
	pySet   struct {
		items  []any
		frozen bool
	}
	pyTZ   struct{ loc *time.Location }
	global struct{ module, name string }
)

type unpickler struct {
	data  []byte
	pos   int
	stack []any
	marks []int
	memo  map[uint64]any
}

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

func (u *unpickler) line() (string, error) {
	i := strings.IndexByte(string(u.data[u.pos:]), '\n')
	if i < 0 {
		return "", pickleErr("truncated line")
	}
	s := string(u.data[u.pos : u.pos+i])
	u.pos += i + 1
	return s, nil
}

func (u *unpickler) push(v any) { u.stack = append(u.stack, v) }

func (u *unpickler) pop() (any, error) {
	if len(u.stack) == 0 || (len(u.marks) > 0 && len(u.stack) <= u.marks[len(u.marks)-1]) {
		return nil, pickleErr("stack underflow")
	}
	v := u.stack[len(u.stack)-1]
	u.stack = u.stack[:len(u.stack)-1]
	return v, nil
}

func (u *unpickler) top() (any, error) {
	if len(u.stack) == 0 || (len(u.marks) > 0 && len(u.stack) <= u.marks[len(u.marks)-1]) {
		return nil, pickleErr("stack underflow")
	}
	return u.stack[len(u.stack)-1], nil
}

// popMark returns the items pushed since the last MARK and removes them and
// the mark.
func (u *unpickler) popMark() ([]any, error) {
	if len(u.marks) == 0 {
		return nil, pickleErr("no mark")
	}
	m := u.marks[len(u.marks)-1]
	u.marks = u.marks[:len(u.marks)-1]
	items := slices.Clone(u.stack[m:])
	u.stack = u.stack[:m]
	return items, nil
}

func (u *unpickler) setMemo(i uint64) error {
	v, err := u.top()
	if err != nil {
		return err
	}
	if u.memo == nil {
		u.memo = map[uint64]any{}
	}
	u.memo[i] = v
	return nil
}

func (u *unpickler) getMemo(i uint64) error {
	v, ok := u.memo[i]
	if !ok {
		return pickleErr("memo %d not found", i)
	}
	u.push(v)
	return nil
}

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
		if err := u.step(op); err != nil {
			return nil, err
		}
	}
}

// signed, as in BINSTRING.
func (u *unpickler) lenArg(big bool, bigSize, smallSize int) (uint64, error) {
	if !big {
		return u.uint(smallSize)
	}
	n, err := u.uint(bigSize)
	if err == nil && int32(uint32(n)) < 0 {
		return 0, pickleErr("negative length")
	}
	return n, err
}

func (u *unpickler) pushText(n uint64) error {
	b, err := u.need(n)
	if err != nil {
		return err
	}
	if !utf8.Valid(b) {
		return pickleErr("str is not valid UTF-8")
	}
	u.push(string(b))
	return nil
}

func (u *unpickler) pushIntText(s string) error {
	s = strings.TrimSpace(s)
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		u.push(i)
		return nil
	}
	b, ok := new(big.Int).SetString(s, 10)
	if !ok || len(s) > 5000 {
		return pickleErr("bad int")
	}
	u.push(b)
	return nil
}

// decodeLong reads a little-endian two's complement integer (LONG1, LONG4).
func decodeLong(b []byte) any {
	if len(b) == 0 {
		return int64(0)
	}
	if len(b) <= 8 {
		var x uint64
		for i := len(b) - 1; i >= 0; i-- {
			x = x<<8 | uint64(b[i])
		}
		shift := 64 - 8*uint(len(b))
		return int64(x<<shift) >> shift
	}
	be := make([]byte, len(b))
	for i, c := range b {
		be[len(b)-1-i] = c
	}
	n := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	if n.IsInt64() {
		return n.Int64()
	}
	return n
}

func (d *pyDict) add(items []any) error {
	if len(items)%2 != 0 {
		return pickleErr("odd number of dict items")
	}
	for i := 0; i < len(items); i += 2 {
		d.keys = append(d.keys, items[i])
		d.vals = append(d.vals, items[i+1])
	}
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
	case global:
		return "class"
	case nil:
		return "None"
	}
	return fmt.Sprintf("%T", v)
}
