package codec

import (
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"time"

	"github.com/secureredis/secureredis/pickle"
)

// EncodeTyped is Encode for a typed cache (package typed) in the Django
// format: a Go struct becomes a Python dict whose keys are the fields' json
// tag names (encoding/json's rules: `json:"name,omitempty"`, `json:"-"`,
// untagged fields by their Go name, embedded structs inlined), recursively,
// through pointers, slices and maps; everything else is pickled as Encode
// pickles it (see Pickle). So a Django view reads a dict, and a Go struct
// with json tags is the Go side of it. Errors wrap ErrUnsupportedValue.
func (d *Django) EncodeTyped(storageKey string, value any) ([]byte, error) {
	v, err := pyValue(reflect.ValueOf(value), 0)
	if err != nil {
		return nil, err
	}
	return d.Encode(storageKey, v)
}

// DecodeInto decodes a stored Django value into dst, a non-nil pointer: a
// value of dst's type is stored as is, anything else through its JSON form,
// so a dict fills a struct by json tags (a datetime keeps its offset, not its
// zone name). A value that does not decrypt is ErrInvalidToken; one that
// does not fit *dst wraps ErrValueType.
func (d *Django) DecodeInto(storageKey string, data []byte, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("codec: DecodeInto needs a non-nil pointer, got %T", dst)
	}
	v, err := d.Decode(storageKey, data)
	if err != nil {
		return err
	}
	if ap, ok := dst.(*any); ok {
		*ap = v
		return nil
	}
	return assignInto(v, rv)
}

var (
	timeDurationType = reflect.TypeFor[time.Duration]()
	bigIntType       = reflect.TypeFor[big.Int]()
	bigIntPtrType    = reflect.TypeFor[*big.Int]()
	pickleTypes      = reflect.TypeFor[pickle.Tuple]().PkgPath()
)

// pyValue converts structs (at any depth) into map[string]any by json tags;
// other values are returned for the pickler as they are.
func pyValue(rv reflect.Value, depth int) (any, error) {
	if depth > maxWalkDepth {
		return nil, fmt.Errorf("%w: pickle: nested deeper than %d", ErrUnsupportedValue, maxWalkDepth)
	}
	if !rv.IsValid() {
		return nil, nil
	}
	t := rv.Type()
	if t == timeType || t == timeDurationType || t == bigIntType || t == bigIntPtrType ||
		t.PkgPath() == pickleTypes || !hasStruct(t) {
		return rv.Interface(), nil // the pickler's own types
	}
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil, nil
		}
		return pyValue(rv.Elem(), depth+1)
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return nil, nil
		}
		out := make([]any, rv.Len())
		for i := range out {
			e, err := pyValue(rv.Index(i), depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case reflect.Map:
		if rv.IsNil() {
			return nil, nil
		}
		if t.Key().Kind() == reflect.String {
			out := make(map[string]any, rv.Len())
			it := rv.MapRange()
			for it.Next() {
				e, err := pyValue(it.Value(), depth+1)
				if err != nil {
					return nil, err
				}
				out[it.Key().String()] = e
			}
			return out, nil
		}
		out := make(map[any]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			e, err := pyValue(it.Value(), depth+1)
			if err != nil {
				return nil, err
			}
			out[it.Key().Interface()] = e
		}
		return out, nil
	case reflect.Struct:
		out := map[string]any{}
		if err := structFields(rv, out, depth); err != nil {
			return nil, err
		}
		return out, nil
	}
	return rv.Interface(), nil
}

// structFields adds the exported fields of the struct rv to out, keyed as
// encoding/json keys them.
func structFields(rv reflect.Value, out map[string]any, depth int) error {
	t := rv.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		fv := rv.Field(i)
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue
				}
				ft, fv = ft.Elem(), fv.Elem()
			}
			if ft.Kind() == reflect.Struct && ft != timeType {
				if err := structFields(fv, out, depth+1); err != nil {
					return err
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if strings.Contains(","+opts+",", ",omitempty,") && fv.IsZero() && fv.Kind() != reflect.Struct {
			continue
		}
		v, err := pyValue(fv, depth+1)
		if err != nil {
			return err
		}
		out[name] = v
	}
	return nil
}

// hasStruct reports whether a value of type t can hold a struct other than
// time.Time (which pickles as a datetime).
func hasStruct(t reflect.Type) bool {
	return hasStructRec(t, map[reflect.Type]bool{})
}

func hasStructRec(t reflect.Type, seen map[reflect.Type]bool) bool {
	if t == timeType || t == bigIntType || t.PkgPath() == pickleTypes || seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Struct, reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return hasStructRec(t.Elem(), seen)
	case reflect.Map:
		return hasStructRec(t.Elem(), seen)
	}
	return false
}
