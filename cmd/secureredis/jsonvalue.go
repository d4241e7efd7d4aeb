package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/secureredis/secureredis/codec"
)

// The CLI's JSON shape of a cache value (`get --json` writes it, `set --json`
// reads it back):
//
//   - null, true/false, strings, arrays and objects as themselves;
//   - integers exactly, whatever their size (int64, uint64, or a big integer
//     where the alias's serializer keeps one: pickle and JSON do, msgpack
//     does not);
//   - other numbers as float64; a number a float64 cannot hold (1e400) is
//     refused, never rounded to infinity;
//   - bytes as {"$bytes": "<standard base64>"}, and a string that is not
//     valid UTF-8 (JSON cannot hold it) as {"$string": "<standard base64>"};
//   - NaN and the infinities as {"$float": "NaN" | "Infinity" | "-Infinity"};
//   - an object with a single key that starts with "$" as {"$map": {...}}, so
//     that no stored map is mistaken for a tag (other single "$" keys are
//     refused on input);
//   - Python kinds JSON lacks print readably and read back as their nearest
//     JSON kind: tuples and sets as arrays, Decimal, dates and times as
//     strings, maps with non-string keys with the keys' text.

// Tags of the JSON shape.
const (
	tagBytes  = "$bytes"
	tagString = "$string"
	tagFloat  = "$float"
	tagMap    = "$map"
)

// maxJSONInput bounds what `set --json` reads (a value, on argv or stdin).
const maxJSONInput = 64 << 20

// parseJSON decodes one JSON value in the CLI's shape.
func parseJSON(r io.Reader) (any, error) {
	d := json.NewDecoder(io.LimitReader(r, maxJSONInput))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the value")
	}
	return fromJSON(v, 0)
}

// maxJSONDepth bounds nesting, as encoding/json does (10000).
const maxJSONDepth = 10000

func fromJSON(v any, depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, errors.New("nested too deeply")
	}
	switch x := v.(type) {
	case json.Number:
		return number(x)
	case []any:
		for i := range x {
			e, err := fromJSON(x[i], depth+1)
			if err != nil {
				return nil, err
			}
			x[i] = e
		}
		return x, nil
	case map[string]any:
		if len(x) == 1 {
			for k, e := range x {
				if strings.HasPrefix(k, "$") {
					return tagged(k, e, depth)
				}
			}
		}
		return objectFromJSON(x, depth)
	}
	return v, nil
}

func objectFromJSON(m map[string]any, depth int) (map[string]any, error) {
	for k, e := range m {
		v, err := fromJSON(e, depth+1)
		if err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, nil
}

// tagged decodes {"$tag": e}.
func tagged(tag string, e any, depth int) (any, error) {
	switch tag {
	case tagBytes, tagString:
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("%q takes a base64 string", tag)
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", tag, err)
		}
		if tag == tagString {
			return string(b), nil
		}
		return b, nil
	case tagFloat:
		switch e {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
		return nil, errors.New(`"$float" takes "NaN", "Infinity" or "-Infinity"`)
	case tagMap:
		m, ok := e.(map[string]any)
		if !ok {
			return nil, errors.New(`"$map" takes an object`)
		}
		return objectFromJSON(m, depth)
	}
	return nil, fmt.Errorf("unknown tag %s (wrap an object whose only key starts with $ in {%q: ...})", strconv.Quote(tag), tagMap)
}

// number converts a JSON number exactly: an integer to int64, uint64 or
// *big.Int, anything else to a float64 if one holds it.
func number(n json.Number) (any, error) {
	s := n.String()
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return u, nil
		}
		if b, ok := new(big.Int).SetString(s, 10); ok {
			return b, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	mantissa, _, _ := strings.Cut(strings.ToLower(s), "e")
	if err != nil || (f == 0 && strings.ContainsAny(mantissa, "123456789")) {
		return nil, fmt.Errorf("number %.40s does not fit a float64", s)
	}
	return f, nil
}

// toJSON converts a value the serializers return into the CLI's JSON shape
// (see above), ready for json.Marshal.
func toJSON(v any) (any, error) {
	switch x := v.(type) {
	case []byte:
		return map[string]any{tagBytes: base64.StdEncoding.EncodeToString(x)}, nil
	case string:
		if !utf8.ValidString(x) {
			return map[string]any{tagString: base64.StdEncoding.EncodeToString([]byte(x))}, nil
		}
		return x, nil
	case float64:
		switch {
		case math.IsNaN(x):
			return map[string]any{tagFloat: "NaN"}, nil
		case math.IsInf(x, 1):
			return map[string]any{tagFloat: "Infinity"}, nil
		case math.IsInf(x, -1):
			return map[string]any{tagFloat: "-Infinity"}, nil
		}
		return x, nil
	case []any:
		return listToJSON(x)
	case codec.Tuple:
		return listToJSON(x)
	case codec.Set:
		return listToJSON(x)
	case codec.FrozenSet:
		return listToJSON(x)
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			if !utf8.ValidString(k) {
				return nil, fmt.Errorf("map key %s is not UTF-8", display(k))
			}
			j, err := toJSON(e)
			if err != nil {
				return nil, err
			}
			m[k] = j
		}
		return wrapMap(m), nil
	case codec.ByteArray:
		return toJSON([]byte(x))
	case codec.OrderedDict:
		return itemsToJSON(x)
	case codec.Dict:
		return itemsToJSON(x)
	case map[any]any:
		items := make([]codec.DictItem, 0, len(x))
		for k, e := range x {
			items = append(items, codec.DictItem{Key: k, Value: e})
		}
		return itemsToJSON(items)
	case time.Time:
		return x.Format(time.RFC3339Nano), nil
	case codec.NaiveDateTime:
		return x.String(), nil
	case codec.Date:
		return x.String(), nil
	case codec.Decimal:
		return string(x), nil
	}
	return v, nil
}

// itemsToJSON is a dict with keys of any type, each key as its text (in
// Python's str form for Decimal, dates, times and UUIDs).
func itemsToJSON(items []codec.DictItem) (any, error) {
	m := make(map[string]any, len(items))
	for _, it := range items {
		ks, ok := it.Key.(string)
		if !ok {
			ks = fmt.Sprint(it.Key)
		}
		if !utf8.ValidString(ks) {
			return nil, fmt.Errorf("map key %s is not UTF-8", display(ks))
		}
		if _, dup := m[ks]; dup {
			return nil, fmt.Errorf("two map keys print as %s", display(ks))
		}
		j, err := toJSON(it.Value)
		if err != nil {
			return nil, err
		}
		m[ks] = j
	}
	return wrapMap(m), nil
}

func listToJSON(l []any) ([]any, error) {
	out := make([]any, len(l))
	for i, e := range l {
		j, err := toJSON(e)
		if err != nil {
			return nil, err
		}
		out[i] = j
	}
	return out, nil
}

// wrapMap wraps an object that would read back as a tag.
func wrapMap(m map[string]any) any {
	if len(m) == 1 {
		for k := range m {
			if strings.HasPrefix(k, "$") {
				return map[string]any{tagMap: m}
			}
		}
	}
	return m
}

// marshalJSON returns v in the CLI's JSON shape, without HTML escaping.
func marshalJSON(v any) ([]byte, error) {
	j, err := toJSON(v)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(j); err != nil {
		return nil, err
	}
	return jsonSafe(bytes.TrimSuffix(b.Bytes(), []byte("\n"))), nil
}

// jsonSafe escapes, as \uXXXX, every rune of a JSON text that does not print
// (DEL, C1 controls, bidi and other format characters, line separators):
// encoding/json lets them through, and they occur only inside strings, where
// the escape means the same. The text is valid UTF-8 (toJSON saw to it).
func jsonSafe(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError && (r == ' ' || strconv.IsPrint(r)) || r < ' ' {
			out = append(out, b[i:i+n]...) // encoding/json escaped controls
		} else if r > 0xffff {
			r1, r2 := utf16.EncodeRune(r)
			out = fmt.Appendf(out, "\\u%04x\\u%04x", r1, r2)
		} else {
			out = fmt.Appendf(out, "\\u%04x", r)
		}
		i += n
	}
	return out
}
