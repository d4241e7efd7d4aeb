package codec

import (
	"errors"

	"github.com/secureredis/secureredis/pickle"
)

// ErrPickle is matched by every error Pickle's Unmarshal returns: a malformed
// pickle, an opcode package pickle does not implement, a class outside its
// allow-list, or a value too deep. It is pickle.ErrInvalid. The codec itself
// reports all of these as ErrInvalidToken.
var ErrPickle = pickle.ErrInvalid

// ErrUnsupportedType is matched by the decode error of an entry that
// decrypts and authenticates but holds a Python type outside package
// pickle's allow-list (a namedtuple, a model instance, any other class): an
// *UnsupportedTypeError naming the type. It is pickle.ErrUnsupportedType.
// Such an entry is not ErrInvalidToken: the key is right and nobody tampered
// with it, the application cached a type Go cannot read.
var ErrUnsupportedType = pickle.ErrUnsupportedType

// UnsupportedTypeError is pickle.UnsupportedTypeError: its Type names the
// Python class, quoted and clipped, safe to print.
type UnsupportedTypeError = pickle.UnsupportedTypeError

// Pickle is a Serializer speaking Python's pickle through package pickle,
// restricted to plain data, as Django and django-redis write cache values. It
// never runs code: see package pickle for the allow-list and for the Go
// types each Python type decodes to and encodes from (besides plain data:
// datetime.time as Time, an aware datetime in a pytz or zoneinfo zone as a
// time.Time in that zone, OrderedDict as OrderedDict, uuid.UUID as UUID, a
// dict with tuple keys as Dict, bytearray as ByteArray; each written back as
// the same Python type). A pickle of any other class (a namedtuple, a model
// instance) decodes to an *UnsupportedTypeError naming it. Unmarshal errors match
// ErrPickle; Marshal errors match ErrUnsupportedValue (and
// pickle.ErrUnsupportedValue). Pickle is safe for concurrent use.
type Pickle struct{}

// ID implements Serializer: IDPickle. In the native wire format a pickle
// payload sits in the envelope like any serializer's; the Django format
// (NewDjango) has no envelope.
func (Pickle) ID() byte { return IDPickle }

// Name implements Serializer.
func (Pickle) Name() string { return "pickle" }

// Marshal implements Serializer: the pickle, protocol pickle.Protocol, of v.
func (Pickle) Marshal(v any) ([]byte, error) { return AppendPickle(nil, v) }

// Unmarshal implements Serializer. It reads one pickle; bytes after its STOP
// opcode are ignored, as Python's pickle.loads does.
func (Pickle) Unmarshal(data []byte) (any, error) { return UnmarshalPickle(data) }

// AppendPickle appends the pickle of v (protocol pickle.Protocol) to dst, as
// pickle.Append does. Errors match ErrUnsupportedValue.
func AppendPickle(dst []byte, v any) ([]byte, error) {
	b, err := pickle.Append(dst, v)
	if err != nil {
		return nil, unsupportedPickle{err}
	}
	return b, nil
}

// UnmarshalPickle decodes a pickle with pickle.Unmarshal. Errors match
// ErrPickle; it never panics.
func UnmarshalPickle(data []byte) (any, error) { return pickle.Unmarshal(data) }

// unsupportedPickle is a pickle writer error, which also matches the codec's
// ErrUnsupportedValue.
type unsupportedPickle struct{ err error }

func (e unsupportedPickle) Error() string   { return e.err.Error() }
func (e unsupportedPickle) Unwrap() []error { return []error{ErrUnsupportedValue, e.err} }

// decodeFailure is the error of a payload that decrypted but does not
// unmarshal: the *UnsupportedTypeError of a Python type outside the
// allow-list, else ErrInvalidToken.
func decodeFailure(err error) error {
	var ute *UnsupportedTypeError
	if errors.As(err, &ute) {
		return ute
	}
	return ErrInvalidToken
}
