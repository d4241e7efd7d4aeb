package typed

import "reflect"

// isNil reports whether v is nil or a nil pointer, slice, map or interface.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface, reflect.Func, reflect.Chan:
		return r.IsNil()
	}
	return false
}
