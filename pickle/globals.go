package pickle

import (
	"math"
	"slices"
	"time"
)

// maxGlobalName bounds the module and name of a class: the allow-list's are
// shorter, and a longer one is refused before any copy.
const maxGlobalName = 32

// reducer rebuilds the value a REDUCE of an allowed class or function
// makes in Python.
type reducer func(u *unpickler, args []any) (any, error)

// allowed is the allow-list: the classes and functions a pickle may name,
// each with what REDUCE of it builds. Nothing else is ever called.
var allowed = map[string]reducer{
	"datetime.datetime":  func(_ *unpickler, args []any) (any, error) { return reduceDatetime(args) },
	"datetime.date":      func(_ *unpickler, args []any) (any, error) { return reduceDate(args) },
	"datetime.timedelta": func(_ *unpickler, args []any) (any, error) { return reduceTimedelta(args) },
	"datetime.timezone":  func(_ *unpickler, args []any) (any, error) { return reduceTimezone(args) },
	"pytz._UTC": func(_ *unpickler, args []any) (any, error) {
		if len(args) != 0 {
			return nil, pickleErr("pytz._UTC arguments")
		}
		return pyTZ{loc: time.UTC}, nil
	},
	"datetime.time":           func(_ *unpickler, args []any) (any, error) { return reduceTime(args) },
	"pytz._p":                 (*unpickler).reducePytz,
	"zoneinfo.ZoneInfo":       (*unpickler).reduceZoneInfo,
	"builtins.getattr":        func(_ *unpickler, args []any) (any, error) { return reduceGetattr(args) },
	"collections.OrderedDict": func(_ *unpickler, args []any) (any, error) { return reduceOrderedDict(args) },
	"uuid.UUID":               func(_ *unpickler, args []any) (any, error) { return nil, pickleErr("uuid.UUID called") },
	"builtins.object":         func(_ *unpickler, args []any) (any, error) { return nil, pickleErr("object called") },
	"copyreg._reconstructor":  func(_ *unpickler, args []any) (any, error) { return reduceReconstructor(args) },
	"decimal.Decimal": func(_ *unpickler, args []any) (any, error) {
		if len(args) != 1 {
			return nil, pickleErr("Decimal arguments")
		}
		s, ok := args[0].(string)
		if !ok || !validDecimal(s) {
			return nil, pickleErr("Decimal value")
		}
		return Decimal(s), nil
	},
	"builtins.set":       func(u *unpickler, args []any) (any, error) { return u.reduceSet(args, false) },
	"builtins.frozenset": func(u *unpickler, args []any) (any, error) { return u.reduceSet(args, true) },
	"builtins.bytearray": func(_ *unpickler, args []any) (any, error) {
		b, err := reduceBytes(args)
		if err != nil {
			return nil, err
		}
		return ByteArray(b.([]byte)), nil
	},
	"builtins.bytes": func(_ *unpickler, args []any) (any, error) { return reduceBytes(args) },
	"_codecs.encode": func(_ *unpickler, args []any) (any, error) { return encodeLatin1(args) },
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
	if len(mod) <= maxGlobalName && len(name) <= maxGlobalName {
		if r, ok := allowed[mod+"."+name]; ok {
			return global{mod, name, r}, nil
		}
	}
	return global{}, unsupportedType(mod, name)
}

// call rebuilds the value a REDUCE of g with args makes in Python. Its work
// is at most linear in the length of the str and bytes arguments, which the
// memo can hand it many times: that length is charged to u's budget.
func (g global) call(u *unpickler, args []any) (any, error) {
	n := 0
	for _, a := range args {
		switch a := a.(type) {
		case string:
			n += len(a)
		case []byte:
			n += len(a)
		}
	}
	if err := u.charge(n); err != nil {
		return nil, err
	}
	return g.reduce(u, args)
}

func reduceDate(args []any) (any, error) {
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
}

func reduceTimezone(args []any) (any, error) {
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
		return pyTZ{loc: time.UTC}, nil
	}
	return pyTZ{loc: time.FixedZone(name, int(off/time.Second))}, nil
}

// reduceSet is set() and frozenset() of nothing, a list or a tuple.
func (u *unpickler) reduceSet(args []any, frozen bool) (any, error) {
	switch {
	case len(args) == 0:
		return &pySet{frozen: frozen}, nil
	case len(args) == 1:
		switch it := args[0].(type) {
		case *pyList:
			return u.newSet(it.items, frozen)
		case *pyTuple:
			return u.newSet(it.items, frozen)
		}
	}
	return nil, pickleErr("set arguments")
}

// reduceBytes is bytes() and bytearray() of nothing, bytes, or a str and an
// encoding (latin-1).
func reduceBytes(args []any) (any, error) {
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
	return nil, pickleErr("bytes arguments")
}

// newSet is set(items) or frozenset(items): a copy (every container owns its
// items, so each is converted once), charged to the work budget at the size
// of its slots, as the memo can hand the same list to set() many times.
func (u *unpickler) newSet(items []any, frozen bool) (*pySet, error) {
	if err := u.charge(16 * len(items)); err != nil {
		return nil, err
	}
	return &pySet{items: slices.Clone(items), frozen: frozen}, nil
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
	return wallIn(time.Date(d.Year, d.Month, d.Day, h, mi, s, us*1000, time.UTC), tz, b[2]&0x80 != 0), nil
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
