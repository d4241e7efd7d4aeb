package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrPickle is matched by every error Pickle's Unmarshal returns: a malformed
// pickle, an opcode this package does not implement, a class outside the
// allow-list (see Pickle), or a value too deep. The codec itself reports all
// of these as ErrInvalidToken.
var ErrPickle = errors.New("codec: unsupported or malformed pickle")

// PickleProtocol is the pickle protocol Pickle writes: 4, which Python 3.4
// and later read, and the default of Python 3.8 to 3.13 (so what django-redis
// writes there).
const PickleProtocol = 4

// maxPickleDepth bounds the nesting of containers, both ways (Python's own
// pickler stops near its recursion limit of 1000).
const maxPickleDepth = 1000

// Pickle is a Serializer speaking Python's pickle, restricted to plain data,
// as Django and django-redis write cache values. It never runs code: instead
// of importing the classes a pickle names, it recognises a fixed allow-list
// and rebuilds those values itself. Any other class, and every opcode that
// builds arbitrary objects (INST, OBJ, NEWOBJ, NEWOBJ_EX, BUILD, extension
// registry, persistent IDs, out-of-band buffers), is an error matching
// ErrPickle, as is any malformed input. It reads protocols 0 to 5 and writes
// PickleProtocol. Pickle is safe for concurrent use.
//
// Python to Go (Unmarshal):
//
//	None                         nil
//	bool                         bool
//	int                          int64, or *big.Int beyond int64
//	float                        float64
//	str                          string
//	bytes, bytearray             []byte
//	list                         []any
//	tuple                        Tuple
//	dict                         map[string]any when every key is a str, else
//	                             map[any]any (keys: None, bool, int within
//	                             int64, float, str, Decimal, date, datetime)
//	set                          Set
//	frozenset                    FrozenSet
//	datetime.datetime, naive     NaiveDateTime
//	datetime.datetime, aware     time.Time: time.UTC for datetime.timezone.utc
//	                             and pytz.utc, time.FixedZone for another
//	                             datetime.timezone offset
//	datetime.date                Date
//	datetime.timedelta           time.Duration
//	decimal.Decimal              Decimal
//
// Go to Python (Marshal):
//
//	nil, nil pointer             None
//	bool                         bool
//	int*, uint*, *big.Int        int
//	float32, float64             float
//	string (valid UTF-8)         str
//	[]byte                       bytes
//	Tuple                        tuple
//	Set                          set
//	FrozenSet                    frozenset
//	other slices and arrays      list
//	maps                         dict
//	time.Time                    aware datetime.datetime: datetime.timezone.utc
//	                             for UTC, else a fixed datetime.timezone of the
//	                             time's offset (microseconds; nanoseconds are
//	                             truncated)
//	NaiveDateTime                naive datetime.datetime
//	Date                         datetime.date
//	time.Duration                datetime.timedelta (microseconds)
//	Decimal                      decimal.Decimal (must be Valid)
//	pointers                     what they point to
//
// Structs, channels, functions and other types are refused with
// ErrUnsupportedValue (store structs with gocache's marshaler, which stores
// bytes, or convert them to maps).
type Pickle struct{}

// ID implements Serializer: IDPickle. In the native wire format a pickle
// payload sits in the envelope like any serializer's; the Django format
// (NewDjango) has no envelope.
func (Pickle) ID() byte { return IDPickle }

// Name implements Serializer.
func (Pickle) Name() string { return "pickle" }

// Marshal implements Serializer: the pickle, protocol PickleProtocol, of v.
func (Pickle) Marshal(v any) ([]byte, error) { return AppendPickle(nil, v) }

// Unmarshal implements Serializer. It reads one pickle; bytes after its STOP
// opcode are ignored, as Python's pickle.loads does.
func (Pickle) Unmarshal(data []byte) (any, error) { return UnmarshalPickle(data) }

// AppendPickle appends the pickle of v (protocol PickleProtocol) to dst. See
// Pickle for the types it accepts; others wrap ErrUnsupportedValue.
func AppendPickle(dst []byte, v any) ([]byte, error) {
	dst = append(dst, 0x80, PickleProtocol)
	dst, err := appendPickleValue(dst, v, 0)
	if err != nil {
		return nil, err
	}
	return append(dst, '.'), nil
}

// UnmarshalPickle decodes a pickle. See Pickle for the types it returns.
// Errors match ErrPickle; it never panics.
func UnmarshalPickle(data []byte) (v any, err error) {
	defer func() {
		if r := recover(); r != nil { // a bug, not an input: do not crash the service
			v, err = nil, fmt.Errorf("%w: internal error", ErrPickle)
		}
	}()
	u := unpickler{data: data}
	raw, err := u.run()
	if err != nil {
		return nil, err
	}
	cv := converter{seen: map[any]any{}}
	return cv.convert(raw, 0)
}

func pickleErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrPickle}, args...)...)
}

// ---- decoding ----

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

// lookupGlobal resolves a class or function name against the allow-list,
// mapping Python 2 module names as Python 3's unpickler does.
func lookupGlobal(mod, name string) (global, error) {
	switch mod {
	case "__builtin__":
		mod = "builtins"
	case "copy_reg":
		mod = "copyreg"
	}
	g := global{mod, name}
	switch mod + "." + name {
	case "datetime.datetime", "datetime.date", "datetime.timedelta", "datetime.timezone",
		"pytz._UTC", "decimal.Decimal", "builtins.set", "builtins.frozenset",
		"builtins.bytearray", "builtins.bytes", "_codecs.encode":
		return g, nil
	}
	return global{}, pickleErr("class %s.%s not allowed", mod, name)
}

// call rebuilds the value a REDUCE of g with args makes in Python.
func (g global) call(args []any) (any, error) {
	switch g.module + "." + g.name {
	case "datetime.datetime":
		return reduceDatetime(args)
	case "datetime.date":
		if len(args) != 1 {
			return nil, pickleErr("date arguments")
		}
		b, ok := stateBytes(args[0])
		if !ok || len(b) != 4 {
			return nil, pickleErr("date state")
		}
		d := Date{Year: int(b[0])<<8 | int(b[1]), Month: time.Month(b[2]), Day: int(b[3])}
		if !validDate(d) {
			return nil, pickleErr("date out of range")
		}
		return d, nil
	case "datetime.timedelta":
		return reduceTimedelta(args)
	case "datetime.timezone":
		if len(args) < 1 || len(args) > 2 {
			return nil, pickleErr("timezone arguments")
		}
		off, ok := args[0].(time.Duration)
		if !ok || off%time.Second != 0 || off <= -24*time.Hour || off >= 24*time.Hour {
			return nil, pickleErr("timezone offset")
		}
		name := ""
		if len(args) == 2 {
			if name, ok = args[1].(string); !ok {
				return nil, pickleErr("timezone name")
			}
		}
		if off == 0 && name == "" {
			return pyTZ{time.UTC}, nil
		}
		return pyTZ{time.FixedZone(name, int(off/time.Second))}, nil
	case "pytz._UTC":
		if len(args) != 0 {
			return nil, pickleErr("pytz._UTC arguments")
		}
		return pyTZ{time.UTC}, nil
	case "decimal.Decimal":
		if len(args) != 1 {
			return nil, pickleErr("Decimal arguments")
		}
		s, ok := args[0].(string)
		if !ok || !validDecimal(s) {
			return nil, pickleErr("Decimal value")
		}
		return Decimal(s), nil
	case "builtins.set", "builtins.frozenset":
		frozen := g.name == "frozenset"
		switch {
		case len(args) == 0:
			return &pySet{frozen: frozen}, nil
		case len(args) == 1:
			switch it := args[0].(type) {
			case *pyList:
				return &pySet{items: slices.Clone(it.items), frozen: frozen}, nil
			case *pyTuple:
				return &pySet{items: slices.Clone(it.items), frozen: frozen}, nil
			}
		}
		return nil, pickleErr("set arguments")
	case "builtins.bytearray", "builtins.bytes":
		switch len(args) {
		case 0:
			return []byte{}, nil
		case 1:
			if b, ok := args[0].([]byte); ok {
				return b, nil
			}
		case 2:
			return encodeLatin1(args)
		}
		return nil, pickleErr("%s arguments", g.name)
	case "_codecs.encode":
		return encodeLatin1(args)
	}
	return nil, pickleErr("class %s.%s not callable", g.module, g.name)
}

// encodeLatin1 is _codecs.encode(str, "latin1"), which Python uses to pickle
// bytes at protocols 0 to 2.
func encodeLatin1(args []any) (any, error) {
	if len(args) != 2 {
		return nil, pickleErr("encode arguments")
	}
	s, ok1 := args[0].(string)
	enc, ok2 := args[1].(string)
	if !ok1 || !ok2 || (enc != "latin1" && enc != "latin-1" && enc != "iso-8859-1") {
		return nil, pickleErr("encode arguments")
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return nil, pickleErr("not latin-1")
		}
		b = append(b, byte(r))
	}
	return b, nil
}

// stateBytes returns a date or datetime state: bytes, or (from Python 2 era
// pickles) a str of code points below 256.
func stateBytes(v any) ([]byte, bool) {
	switch s := v.(type) {
	case []byte:
		return s, true
	case string:
		b, err := encodeLatin1([]any{s, "latin1"})
		if err != nil {
			return nil, false
		}
		return b.([]byte), true
	}
	return nil, false
}

func validDate(d Date) bool {
	if d.Year < 1 || d.Year > 9999 || d.Month < 1 || d.Month > 12 || d.Day < 1 {
		return false
	}
	return d.Day <= time.Date(d.Year, d.Month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func reduceDatetime(args []any) (any, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, pickleErr("datetime arguments")
	}
	b, ok := stateBytes(args[0])
	if !ok || len(b) != 10 {
		return nil, pickleErr("datetime state")
	}
	d := Date{Year: int(b[0])<<8 | int(b[1]), Month: time.Month(b[2] & 0x7f), Day: int(b[3])} // bit 7 of the month is fold
	h, mi, s := int(b[4]), int(b[5]), int(b[6])
	us := int(b[7])<<16 | int(b[8])<<8 | int(b[9])
	if !validDate(d) || h > 23 || mi > 59 || s > 59 || us > 999999 {
		return nil, pickleErr("datetime out of range")
	}
	if len(args) == 1 || args[1] == nil {
		return NaiveDateTime{time.Date(d.Year, d.Month, d.Day, h, mi, s, us*1000, time.UTC)}, nil
	}
	tz, ok := args[1].(pyTZ)
	if !ok {
		return nil, pickleErr("datetime tzinfo")
	}
	return time.Date(d.Year, d.Month, d.Day, h, mi, s, us*1000, tz.loc), nil
}

func reduceTimedelta(args []any) (any, error) {
	if len(args) != 3 {
		return nil, pickleErr("timedelta arguments")
	}
	var n [3]int64
	for i, a := range args {
		x, ok := a.(int64)
		if !ok {
			return nil, pickleErr("timedelta arguments")
		}
		n[i] = x
	}
	const maxDays = math.MaxInt64 / int64(24*time.Hour)
	if n[0] > maxDays || n[0] < -maxDays || n[1] < 0 || n[1] >= 86400 || n[2] < 0 || n[2] >= 1e6 {
		return nil, pickleErr("timedelta out of time.Duration's range")
	}
	d := time.Duration(n[0]) * 24 * time.Hour
	rest := time.Duration(n[1])*time.Second + time.Duration(n[2])*time.Microsecond
	if d > 0 && d > math.MaxInt64-rest {
		return nil, pickleErr("timedelta out of time.Duration's range")
	}
	return d + rest, nil
}

// unquotePy2 reads the argument of STRING: a repr() of a Python 2 str.
func unquotePy2(s string) (string, error) {
	s = strings.TrimRight(s, " \r")
	if len(s) < 2 || (s[0] != '\'' && s[0] != '"') || s[len(s)-1] != s[0] {
		return "", pickleErr("bad STRING quoting")
	}
	s = s[1 : len(s)-1]
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		if i++; i == len(s) {
			return "", pickleErr("bad STRING escape")
		}
		switch c = s[i]; c {
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case '\\', '\'', '"':
			b = append(b, c)
		case 'x':
			if i+3 > len(s) {
				return "", pickleErr("bad STRING escape")
			}
			x, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return "", pickleErr("bad STRING escape")
			}
			b = append(b, byte(x))
			i += 2
		default:
			return "", pickleErr("bad STRING escape")
		}
	}
	if !utf8.Valid(b) {
		return "", pickleErr("STRING is not text")
	}
	return string(b), nil
}

// rawUnicodeEscape decodes Python's raw-unicode-escape (the UNICODE opcode):
// latin-1 bytes, with \uXXXX and \UXXXXXXXX escapes.
func rawUnicodeEscape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && (s[i+1] == 'u' || s[i+1] == 'U') {
			n := 4
			if s[i+1] == 'U' {
				n = 8
			}
			if i+2+n > len(s) {
				return "", pickleErr("bad UNICODE escape")
			}
			x, err := strconv.ParseUint(s[i+2:i+2+n], 16, 32)
			if err != nil || x > utf8.MaxRune || (x >= 0xd800 && x < 0xe000) {
				return "", pickleErr("bad UNICODE escape")
			}
			b.WriteRune(rune(x))
			i += 1 + n
			continue
		}
		b.WriteRune(rune(c)) // latin-1
	}
	return b.String(), nil
}

// converter turns the unpickler's values into the documented Go types,
// converting each shared container once and refusing cycles.
type converter struct {
	seen map[any]any // container pointer → converted value, or inProgress
}

type inProgressT struct{}

var inProgress = inProgressT{}

func (c *converter) convert(v any, depth int) (any, error) {
	if depth > maxPickleDepth {
		return nil, pickleErr("nested deeper than %d", maxPickleDepth)
	}
	switch x := v.(type) {
	case nil, bool, int64, *big.Int, float64, string, []byte,
		time.Time, NaiveDateTime, Date, Decimal, time.Duration:
		return v, nil
	case pyTZ:
		return nil, pickleErr("tzinfo outside a datetime")
	case global:
		return nil, pickleErr("class %s.%s as a value", x.module, x.name)
	}
	if done, ok := c.seen[v]; ok {
		if done == inProgress {
			return nil, pickleErr("recursive value")
		}
		return done, nil
	}
	c.seen[v] = inProgress
	var out any
	var err error
	switch x := v.(type) {
	case *pyList:
		out, err = c.items(x.items, depth)
	case *pyTuple:
		var items []any
		items, err = c.items(x.items, depth)
		out = Tuple(items)
	case *pySet:
		var items []any
		items, err = c.items(x.items, depth)
		if x.frozen {
			out = FrozenSet(items)
		} else {
			out = Set(items)
		}
	case *pyDict:
		out, err = c.dict(x, depth)
	default:
		err = pickleErr("unexpected %T", v)
	}
	if err != nil {
		return nil, err
	}
	c.seen[v] = out
	return out, nil
}

func (c *converter) items(in []any, depth int) ([]any, error) {
	out := make([]any, len(in))
	for i, e := range in {
		v, err := c.convert(e, depth+1)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (c *converter) dict(d *pyDict, depth int) (any, error) {
	allStrings := true
	keys := make([]any, len(d.keys))
	for i, k := range d.keys {
		v, err := c.convert(k, depth+1)
		if err != nil {
			return nil, err
		}
		switch v.(type) {
		case string:
		case nil, bool, int64, float64, Decimal, Date, NaiveDateTime, time.Time, time.Duration:
			allStrings = false
		default:
			return nil, pickleErr("dict key of type %T", v)
		}
		keys[i] = v
	}
	if allStrings {
		m := make(map[string]any, len(keys))
		for i, k := range keys {
			v, err := c.convert(d.vals[i], depth+1)
			if err != nil {
				return nil, err
			}
			m[k.(string)] = v
		}
		return m, nil
	}
	m := make(map[any]any, len(keys))
	for i, k := range keys {
		v, err := c.convert(d.vals[i], depth+1)
		if err != nil {
			return nil, err
		}
		if f, ok := k.(float64); ok && f != f {
			return nil, pickleErr("NaN dict key")
		}
		m[k] = v
	}
	return m, nil
}

// ---- encoding ----

func appendPickleValue(dst []byte, v any, depth int) ([]byte, error) {
	if depth > maxPickleDepth {
		return nil, fmt.Errorf("%w: pickle: nested deeper than %d", ErrUnsupportedValue, maxPickleDepth)
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
		return appendPickleInt(dst, int64(x)), nil
	case int64:
		return appendPickleInt(dst, x), nil
	case int32:
		return appendPickleInt(dst, int64(x)), nil
	case string:
		return appendPickleString(dst, x)
	case []byte:
		return appendPickleBytes(dst, x), nil
	case float64:
		dst = append(dst, 'G')
		return binary.BigEndian.AppendUint64(dst, math.Float64bits(x)), nil
	case float32:
		return appendPickleValue(dst, float64(x), depth)
	case *big.Int:
		if x == nil {
			return append(dst, 'N'), nil
		}
		return appendPickleBig(dst, x), nil
	case big.Int:
		return appendPickleBig(dst, &x), nil
	case []any:
		return appendPickleList(dst, len(x), func(i int) any { return x[i] }, depth)
	case Tuple:
		return appendPickleTuple(dst, x, depth)
	case Set:
		dst = append(dst, 0x8f)
		for lo := 0; lo < len(x); lo += 1000 {
			dst = append(dst, '(')
			for _, e := range x[lo:min(lo+1000, len(x))] {
				var err error
				if dst, err = appendPickleValue(dst, e, depth+1); err != nil {
					return nil, err
				}
			}
			dst = append(dst, 0x90)
		}
		return dst, nil
	case FrozenSet:
		dst = append(dst, '(')
		for _, e := range x {
			var err error
			if dst, err = appendPickleValue(dst, e, depth+1); err != nil {
				return nil, err
			}
		}
		return append(dst, 0x91), nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys) // deterministic output
		return appendPickleDict(dst, len(keys), func(i int) (any, any) { return keys[i], x[keys[i]] }, depth)
	case time.Time:
		return appendPickleTime(dst, x)
	case NaiveDateTime:
		return appendPickleDatetime(dst, x.Time, false)
	case Date:
		if !validDate(x) {
			return nil, fmt.Errorf("%w: pickle: date %v out of Python's range", ErrUnsupportedValue, x)
		}
		dst = appendPickleGlobal(dst, "datetime", "date")
		dst = appendPickleBytes(dst, []byte{byte(x.Year >> 8), byte(x.Year), byte(x.Month), byte(x.Day)})
		return append(dst, 0x85, 'R'), nil
	case time.Duration:
		us := int64(x / time.Microsecond)
		days := us / 86400e6
		rem := us % 86400e6
		if rem < 0 {
			days, rem = days-1, rem+86400e6
		}
		dst = appendPickleGlobal(dst, "datetime", "timedelta")
		dst = appendPickleInt(dst, days)
		dst = appendPickleInt(dst, rem/1e6)
		dst = appendPickleInt(dst, rem%1e6)
		return append(dst, 0x87, 'R'), nil
	case Decimal:
		if !x.Valid() {
			return nil, fmt.Errorf("%w: pickle: %q is not a Python Decimal", ErrUnsupportedValue, string(x))
		}
		dst = appendPickleGlobal(dst, "decimal", "Decimal")
		dst, _ = appendPickleString(dst, string(x))
		return append(dst, 0x85, 'R'), nil
	}
	return appendPickleReflect(dst, reflect.ValueOf(v), depth)
}

func appendPickleReflect(dst []byte, rv reflect.Value, depth int) ([]byte, error) {
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return appendPickleInt(dst, rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u <= math.MaxInt64 {
			return appendPickleInt(dst, int64(u)), nil
		}
		return appendPickleBig(dst, new(big.Int).SetUint64(u)), nil
	case reflect.Float32, reflect.Float64:
		return appendPickleValue(dst, rv.Float(), depth)
	case reflect.Bool:
		return appendPickleValue(dst, rv.Bool(), depth)
	case reflect.String:
		return appendPickleString(dst, rv.String())
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return append(dst, 'N'), nil
		}
		return appendPickleValue(dst, rv.Elem().Interface(), depth+1)
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return appendPickleList(dst, 0, nil, depth)
		}
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			b := make([]byte, rv.Len())
			reflect.Copy(reflect.ValueOf(b), rv)
			return appendPickleBytes(dst, b), nil
		}
		return appendPickleList(dst, rv.Len(), func(i int) any { return rv.Index(i).Interface() }, depth)
	case reflect.Map:
		keys := rv.MapKeys()
		if rv.Type().Key().Kind() == reflect.String {
			slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		}
		return appendPickleDict(dst, len(keys), func(i int) (any, any) {
			return keys[i].Interface(), rv.MapIndex(keys[i]).Interface()
		}, depth)
	}
	if !rv.IsValid() {
		return append(dst, 'N'), nil
	}
	return nil, fmt.Errorf("%w: pickle: %s (use a map, or gocache's marshaler for structs)", ErrUnsupportedValue, rv.Type())
}

func appendPickleInt(dst []byte, i int64) []byte {
	switch {
	case 0 <= i && i < 256:
		return append(dst, 'K', byte(i))
	case 0 <= i && i < 65536:
		return append(dst, 'M', byte(i), byte(i>>8))
	case math.MinInt32 <= i && i <= math.MaxInt32:
		dst = append(dst, 'J')
		return binary.LittleEndian.AppendUint32(dst, uint32(int32(i)))
	}
	return appendPickleBig(dst, big.NewInt(i))
}

// appendPickleBig writes LONG1 or LONG4: little-endian two's complement, as
// few bytes as keep the sign.
func appendPickleBig(dst []byte, n *big.Int) []byte {
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

func appendPickleString(dst []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("%w: pickle: string is not valid UTF-8 (use []byte for bytes)", ErrUnsupportedValue)
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

func appendPickleBytes(dst []byte, b []byte) []byte {
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

func appendPickleGlobal(dst []byte, mod, name string) []byte {
	dst, _ = appendPickleString(dst, mod)
	dst, _ = appendPickleString(dst, name)
	return append(dst, 0x93)
}

func appendPickleList(dst []byte, n int, at func(int) any, depth int) ([]byte, error) {
	dst = append(dst, ']')
	for lo := 0; lo < n; lo += 1000 {
		dst = append(dst, '(')
		for i := lo; i < min(lo+1000, n); i++ {
			var err error
			if dst, err = appendPickleValue(dst, at(i), depth+1); err != nil {
				return nil, err
			}
		}
		dst = append(dst, 'e')
	}
	return dst, nil
}

func appendPickleTuple(dst []byte, t Tuple, depth int) ([]byte, error) {
	if len(t) == 0 {
		return append(dst, ')'), nil
	}
	if len(t) > 3 {
		dst = append(dst, '(')
	}
	for _, e := range t {
		var err error
		if dst, err = appendPickleValue(dst, e, depth+1); err != nil {
			return nil, err
		}
	}
	if len(t) > 3 {
		return append(dst, 't'), nil
	}
	return append(dst, 0x84+byte(len(t))), nil
}

func appendPickleDict(dst []byte, n int, at func(int) (any, any), depth int) ([]byte, error) {
	dst = append(dst, '}')
	for lo := 0; lo < n; lo += 1000 {
		dst = append(dst, '(')
		for i := lo; i < min(lo+1000, n); i++ {
			k, v := at(i)
			var err error
			if dst, err = appendPickleValue(dst, k, depth+1); err != nil {
				return nil, err
			}
			if dst, err = appendPickleValue(dst, v, depth+1); err != nil {
				return nil, err
			}
		}
		dst = append(dst, 'u')
	}
	return dst, nil
}

// appendPickleTime writes an aware datetime: datetime.timezone.utc for UTC,
// a fixed datetime.timezone for any other offset.
func appendPickleTime(dst []byte, t time.Time) ([]byte, error) {
	dst, err := appendPickleDatetime(dst, t, true)
	if err != nil {
		return nil, err
	}
	_, off := t.Zone()
	dst = appendPickleGlobal(dst, "datetime", "timezone")
	dst = appendPickleGlobal(dst, "datetime", "timedelta")
	days, secs := int64(0), int64(off)
	if secs < 0 {
		days, secs = -1, secs+86400
	}
	dst = appendPickleInt(dst, days)
	dst = appendPickleInt(dst, secs)
	dst = appendPickleInt(dst, 0)
	dst = append(dst, 0x87, 'R') // timedelta(days, secs, 0)
	dst = append(dst, 0x85, 'R') // timezone(delta)
	return append(dst, 0x86, 'R'), nil
}

// appendPickleDatetime writes datetime.datetime with its 10-byte state, and,
// when aware, leaves the REDUCE to the caller, which pushes the tzinfo first.
func appendPickleDatetime(dst []byte, t time.Time, aware bool) ([]byte, error) {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	if y < 1 || y > 9999 {
		return nil, fmt.Errorf("%w: pickle: year %d out of Python's range", ErrUnsupportedValue, y)
	}
	us := t.Nanosecond() / 1000
	dst = appendPickleGlobal(dst, "datetime", "datetime")
	dst = appendPickleBytes(dst, []byte{byte(y >> 8), byte(y), byte(mo), byte(d), byte(h), byte(mi), byte(s), byte(us >> 16), byte(us >> 8), byte(us)})
	if aware {
		return dst, nil
	}
	return append(dst, 0x85, 'R'), nil
}
