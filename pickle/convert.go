package pickle

import (
	"math/big"
	"time"
)

// converter turns the unpickler's values into the documented Go types,
// converting each shared container once and refusing cycles.
type converter struct {
	seen map[any]any // container pointer → converted value, or inProgress
}

type inProgressT struct{}

var inProgress = inProgressT{}

func (c *converter) convert(v any, depth int) (any, error) {
	if depth > MaxDepth {
		return nil, pickleErr("nested deeper than %d", MaxDepth)
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
