package pickle

import (
	"math/big"
	"time"
)

// pyUUID is a uuid.UUID that NEWOBJ (or copyreg._reconstructor) made and
// BUILD has yet to fill: Python pickles a UUID as uuid.UUID.__new__ then
// __setstate__({"int": n}). BUILD of anything else is refused.
type pyUUID struct {
	v     UUID
	built bool
}

// opByteArray8 is BYTEARRAY8: an eight-byte length, then a bytearray.
func opByteArray8(u *unpickler, op byte) error {
	if err := opBinBytes(8)(u, op); err != nil {
		return err
	}
	u.stack[len(u.stack)-1] = ByteArray(u.stack[len(u.stack)-1].([]byte))
	return nil
}

// reduceOrderedDict is OrderedDict(): Python pickles an OrderedDict as an
// empty one, then SETITEMS.
func reduceOrderedDict(args []any) (any, error) {
	if len(args) != 0 {
		return nil, pickleErr("OrderedDict arguments")
	}
	return &pyDict{ordered: true}, nil
}

// reduceReconstructor is copyreg._reconstructor(uuid.UUID, object, None),
// as protocols 0 and 1 pickle a UUID.
func reduceReconstructor(args []any) (any, error) {
	if len(args) == 3 && args[2] == nil {
		cls, ok1 := args[0].(global)
		base, ok2 := args[1].(global)
		if ok1 && ok2 && cls.module == "uuid" && cls.name == "UUID" && base.module == "builtins" && base.name == "object" {
			return &pyUUID{}, nil
		}
	}
	return nil, pickleErr("_reconstructor arguments")
}

// opNewObj is NEWOBJ: cls.__new__(cls, *args), for uuid.UUID only.
func opNewObj(u *unpickler, _ byte) error {
	args, err := u.pop()
	if err != nil {
		return err
	}
	cls, err := u.pop()
	if err != nil {
		return err
	}
	g, ok := cls.(global)
	t, ok2 := args.(*pyTuple)
	if !ok || !ok2 || g.module != "uuid" || g.name != "UUID" || len(t.items) != 0 {
		return pickleErr("NEWOBJ of %s", pyTypeName(cls))
	}
	u.push(&pyUUID{})
	return nil
}

// opBuild is BUILD: obj.__setstate__(state), for a new uuid.UUID only,
// with the state Python writes: {"int": n} and maybe "is_safe".
func opBuild(u *unpickler, _ byte) error {
	state, err := u.pop()
	if err != nil {
		return err
	}
	obj, err := topAs[*pyUUID](u, "BUILD")
	if err != nil {
		return err
	}
	d, ok := state.(*pyDict)
	if !ok || obj.built || len(d.items) == 0 || len(d.items) > 4 {
		return pickleErr("UUID state")
	}
	var n *big.Int
	for i := 0; i < len(d.items); i += 2 {
		switch d.items[i] {
		case "int":
			switch x := d.items[i+1].(type) {
			case int64:
				if x >= 0 {
					n = big.NewInt(x)
				}
			case *big.Int:
				if x.Sign() >= 0 && x.BitLen() <= 128 {
					n = x
				}
			}
		case "is_safe": // uuid.SafeUUID's value: 0, -1 or None
			switch x := d.items[i+1].(type) {
			case nil:
			case int64:
				if x < -1 || x > 0 {
					return pickleErr("UUID state")
				}
			default:
				return pickleErr("UUID state")
			}
		default:
			return pickleErr("UUID state")
		}
	}
	if n == nil {
		return pickleErr("UUID state")
	}
	n.FillBytes(obj.v[:])
	obj.built = true
	return nil
}

// keyKind is what a converted dict key asks of the Go value: keyString
// (map[string]any), keyComparable (map[any]any), keyItems (Dict: a Python
// hashable that Go cannot compare), or keyRefused (not hashable in Python,
// or a NaN).
func keyKind(v any, depth int) int {
	switch k := v.(type) {
	case string:
		return keyString
	case nil, bool, int64, Decimal, Date, NaiveDateTime, time.Time, time.Duration, Time, UUID:
		return keyComparable
	case float64:
		if k != k {
			return keyRefused
		}
		return keyComparable
	case *big.Int, []byte:
		return keyItems
	case Tuple:
		return elemsKind(k, depth)
	case FrozenSet:
		return elemsKind(k, depth)
	}
	return keyRefused
}

func elemsKind(items []any, depth int) int {
	if depth > MaxDepth {
		return keyRefused
	}
	for _, e := range items {
		if keyKind(e, depth+1) == keyRefused {
			return keyRefused
		}
	}
	return keyItems
}

const (
	keyRefused = iota
	keyString
	keyComparable
	keyItems
)
