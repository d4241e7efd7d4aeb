package pickle

import (
	"errors"
	"fmt"
)

// ErrInvalid is matched by every error Unmarshal returns: a malformed
// pickle, an opcode this package does not implement, a class outside the
// allow-list, or a value too deep.
var ErrInvalid = errors.New("pickle: unsupported or malformed pickle")

// ErrUnsupportedValue is matched by every error Append and Marshal return: a
// Go value with no Python counterpart (see the package doc), or one nested
// deeper than MaxDepth.
var ErrUnsupportedValue = errors.New("pickle: unsupported value")

// Protocol is the pickle protocol Append writes: 4, which Python 3.4 and
// later read, and the default of Python 3.8 to 3.13 (so what django-redis
// writes there).
const Protocol = 4

// MaxDepth bounds the nesting of containers, both ways (Python's own
// pickler stops near its recursion limit of 1000).
const MaxDepth = 1000

// Marshal returns the pickle of v (protocol Protocol). See Append.
func Marshal(v any) ([]byte, error) { return Append(nil, v) }

// Append appends the pickle of v (protocol Protocol) to dst. See the package
// doc for the types it accepts; others wrap ErrUnsupportedValue.
func Append(dst []byte, v any) ([]byte, error) {
	dst = append(dst, 0x80, Protocol)
	dst, err := appendValue(dst, v, 0)
	if err != nil {
		return nil, err
	}
	return append(dst, '.'), nil
}

// Unmarshal decodes one pickle; bytes after its STOP opcode are ignored, as
// Python's pickle.loads does. See the package doc for the types it returns.
// Errors match ErrInvalid; it never panics.
func Unmarshal(data []byte) (v any, err error) {
	defer func() {
		if r := recover(); r != nil { // a bug, not an input: do not crash the service
			v, err = nil, fmt.Errorf("%w: internal error", ErrInvalid)
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
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}
