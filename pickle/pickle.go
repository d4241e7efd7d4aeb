package pickle

import (
	"errors"
	"fmt"
)

// ErrInvalid is matched by every error Unmarshal returns: a malformed
// pickle, an opcode this package does not implement, a class outside the
// allow-list, or a value too deep.
var ErrInvalid = errors.New("pickle: unsupported or malformed pickle")

// ErrUnsupportedType is matched by the errors of Unmarshal for a pickle of
// a Python type outside the allow-list (a namedtuple, any other class): an
// *UnsupportedTypeError, which names the type. These also match ErrInvalid.
var ErrUnsupportedType = errors.New("pickle: unsupported Python type")

// ErrUnsupportedValue is matched by every error Append and Marshal return: a
// Go value with no Python counterpart (see the package doc), or one nested
// deeper than MaxDepth.
var ErrUnsupportedValue = errors.New("pickle: unsupported value")

// ErrTooLarge is matched by the errors of Unmarshal for a pickle whose
// value expands beyond MaxExpansion times its length plus ExpansionSlack,
// or that makes more than MaxObjects objects (these also match ErrInvalid),
// and of Append for a pickle longer than MaxSize (these also match
// ErrUnsupportedValue).
var ErrTooLarge = errors.New("pickle: too large")

// MaxExpansion and ExpansionSlack bound what Unmarshal returns: the pickle
// Append writes for it is at most MaxExpansion times the length of the input
// plus ExpansionSlack bytes. Python's pickles share an object referenced
// twice through the memo, so the value of a small pickle can be a large
// tree; past the bound, Unmarshal fails (ErrTooLarge) instead of returning
// it. The same bound holds for the copies Unmarshal makes.
const (
	MaxExpansion   = 64
	ExpansionSlack = 1 << 20
)

// MaxObjects bounds what the reader makes for one pickle: values pushed,
// memo entries and marks, about a million. Each costs at most a few hundred
// bytes of heap, so decoding one value never takes more than about 200 MiB
// besides its strings and bytes, whatever the input's length (a compressed
// pickle inflates up to the codec's 128 MiB). Past it, Unmarshal fails
// (ErrTooLarge).
const MaxObjects = 1 << 20

// MaxSize bounds the pickle Append writes (the bytes it appends): 128 MiB,
// the largest value the codec package inflates. Past it, Append fails
// (ErrTooLarge) instead of growing its output further.
const MaxSize = 128 << 20

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
	e := encoder{start: len(dst), limit: MaxSize}
	dst = append(dst, 0x80, Protocol)
	dst, err := e.appendValue(dst, v, 0)
	if err == nil {
		err = e.room(dst, 1)
	}
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
	limit := MaxExpansion*len(data) + ExpansionSlack
	u := unpickler{data: data, budget: limit}
	raw, err := u.run()
	if err != nil {
		return nil, err
	}
	cv := converter{limit: limit}
	v, _, err = cv.convert(raw, 0)
	return v, err
}

func pickleErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// limitError is a bound reached: it matches ErrTooLarge and kind
// (ErrInvalid for the reader, ErrUnsupportedValue for the writer).
type limitError struct {
	kind error
	msg  string
}

func (e *limitError) Error() string { return e.msg }

func (e *limitError) Is(target error) bool { return target == ErrTooLarge || target == e.kind }
