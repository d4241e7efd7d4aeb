package codec

import (
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"time"
)

// Django reads and writes what django-redis with django-redis-secure's
// serializer stores, compress(Fernet(pickle(value))), so that a Go service
// and a Django app share entries (see the package documentation). It writes
// every value encrypted; anything that does not open with a key of the ring
// is ErrInvalidToken, and is never unpickled. Unlike Codec it binds no storage
// key (a token copied to another key reads there), and it reads the integers
// django-redis stores in clear (int64 or *big.Int, KeyIndex -1), which anyone
// who writes Redis can forge, unless WithPlaintextInts(false) or WithMaxAge.
// A Django codec does no I/O, is immutable and is safe for concurrent use.
type Django struct {
	sealer
	compressor Compressor
	plainInts  bool
}

// DjangoOption configures a Django codec (NewDjango): WithCompressor and
// WithPlaintextInts, and the SharedOptions WithMaxAge, WithClock and
// WithRandom. The format is fixed, so the native Codec's options
// (WithSerializer, WithBindingContext) are not DjangoOptions. A nil
// DjangoOption is ignored.
type DjangoOption interface {
	applyDjango(*Django) error
}

// djangoOption is a DjangoOption that applies to Django only.
type djangoOption func(*Django) error

func (o djangoOption) applyDjango(d *Django) error { return o(d) }

// NewDjango returns a codec of the Django format that encrypts with the
// ring's first key and decrypts with any of its keys. It fails on a nil ring
// or an invalid option.
func NewDjango(ring *KeyRing, opts ...DjangoOption) (*Django, error) {
	s, err := newSealer(ring)
	if err != nil {
		return nil, err
	}
	d := &Django{sealer: s, plainInts: true}
	for _, opt := range opts {
		if opt == nil || isNilPointer(opt) {
			continue
		}
		if err := opt.applyDjango(d); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// WithCompressor makes a Django codec compress what it stores with comp, as
// django-redis's COMPRESSOR option does, and decompress what it reads; a
// value that does not decompress is read as it is, so entries written before
// compression was turned on stay readable. nil, the default, means none. The
// token is compressed, not the pickle, so this reveals nothing about the
// value beyond the length Fernet shows (see Compression in the package
// documentation).
func WithCompressor(comp Compressor) DjangoOption {
	return djangoOption(func(d *Django) error {
		if comp != nil && isNilPointer(comp) {
			comp = nil
		}
		d.compressor = comp
		return nil
	})
}

// WithPlaintextInts sets whether a Django codec reads integers stored in
// clear as django-redis writes them (see Django). The default is true, which
// Django compatibility needs; false makes such entries ErrInvalidToken. With
// a maximum age (WithMaxAge) they are ErrInvalidToken whatever this says:
// they carry no timestamp, so nothing shows they are not older than it.
// Either way the codec writes integers encrypted.
func WithPlaintextInts(on bool) DjangoOption {
	return djangoOption(func(d *Django) error {
		d.plainInts = on
		return nil
	})
}

// Ring returns the codec's key ring.
func (d *Django) Ring() *KeyRing { return d.ring }

// Compressor returns the codec's compressor, or nil.
func (d *Django) Compressor() Compressor { return d.compressor }

// Encode returns what django-redis-secure stores for value: the Fernet token
// of its pickle, compressed with the codec's compressor if any. The storage
// key is not used (the format has none). Errors wrap ErrUnsupportedValue
// (see Pickle for the Go types it accepts).
func (d *Django) Encode(_ string, value any) ([]byte, error) {
	bp := plaintextPool.Get().(*[]byte)
	p, err := AppendPickle((*bp)[:0], value)
	tok, err := d.sealPooled(nil, bp, p, err)
	if err != nil || d.compressor == nil {
		return tok, err
	}
	if tok, err = d.compressor.Compress(tok); err != nil {
		return nil, fmt.Errorf("codec: %s: %w", d.compressor.Name(), err)
	}
	return tok, nil
}

// Decode returns the value of a stored entry (see Django for integers in
// clear). The storage key is not used. Every failure is ErrInvalidToken,
// except a value that decrypts but holds a Python type outside package
// pickle's allow-list: an *UnsupportedTypeError (ErrUnsupportedType). The
// data is never modified.
func (d *Django) Decode(storageKey string, data []byte) (any, error) {
	dd, err := d.DecodeDetail(storageKey, data)
	return dd.Value, err
}

// DecodeDetail is Decode, also telling which key opened the token (-1 for an
// integer in clear) and when it was made, also with an
// *UnsupportedTypeError. Kind is always IDPickle.
func (d *Django) DecodeDetail(_ string, data []byte) (Decoded, error) {
	if d.readsPlainInts() {
		if v, ok := ParsePlainInt(data); ok {
			return Decoded{Value: v, KeyIndex: -1, Kind: IDPickle}, nil
		}
	}
	tok, err := d.token(data)
	if err != nil {
		return Decoded{}, err
	}
	plain, idx, signed, err := d.open(tok)
	return d.unpickled(plain, idx, signed, err)
}

// DecodeString is Decode for data held in a string, as go-redis returns
// replies: without a compressor it is decoded from the string itself, with
// no copy. It accepts and returns what Decode does.
func (d *Django) DecodeString(storageKey, data string) (any, error) {
	if d.compressor != nil {
		return d.Decode(storageKey, []byte(data))
	}
	if d.readsPlainInts() {
		if v, ok := parsePlainInt(data); ok {
			return v, nil
		}
	}
	plain, idx, signed, err := d.openString(data)
	dd, err := d.unpickled(plain, idx, signed, err)
	return dd.Value, err
}

// readsPlainInts reports whether Decode reads integers stored in clear:
// WithPlaintextInts, and no maximum age (an int in clear has no timestamp).
func (d *Django) readsPlainInts() bool { return d.plainInts && d.maxAge == 0 }

// unpickled is DecodeDetail after the token is opened.
func (d *Django) unpickled(plain []byte, idx int, signed time.Time, err error) (Decoded, error) {
	if err != nil {
		return Decoded{}, err
	}
	v, err := UnmarshalPickle(plain)
	clear(plain)
	if err != nil {
		return Decoded{KeyIndex: idx, Signed: signed, Kind: IDPickle}, decodeFailure(err)
	}
	return Decoded{Value: v, KeyIndex: idx, Signed: signed, Kind: IDPickle}, nil
}

// Reseal is Codec.Reseal for the Django format: the plaintext (the pickle)
// is sealed again with the first key, byte for byte, with the token's own
// timestamp, and compressed with the codec's compressor, if any (Django reads
// compressed and uncompressed values alike). The storage key is not used.
// An integer stored in clear is ErrPlaintextInt, whatever WithPlaintextInts
// says: it is not a token, and there is nothing authenticated to re-seal.
// Anything else that does not decode is ErrInvalidToken.
func (d *Django) Reseal(_ string, data []byte) (resealed []byte, keyIndex int, err error) {
	if _, ok := ParsePlainInt(data); ok {
		return nil, -1, ErrPlaintextInt
	}
	tok, err := d.token(data)
	if err != nil {
		return nil, -1, err
	}
	plain, idx, signed, err := d.open(tok)
	if err != nil {
		return nil, -1, err
	}
	defer clear(plain)
	out, err := d.reseal(plain, signed)
	if err != nil {
		return nil, -1, err
	}
	if d.compressor != nil {
		if out, err = d.compressor.Compress(out); err != nil {
			return nil, -1, fmt.Errorf("codec: %s: %w", d.compressor.Name(), err)
		}
	}
	return out, idx, nil
}

// token returns the Fernet token in a stored value: the value itself, or,
// with a compressor, what it decompresses to (a value that does not
// decompress is taken as it is, as django-redis does).
func (d *Django) token(data []byte) ([]byte, error) {
	if d.compressor == nil {
		return data, nil
	}
	out, err := d.compressor.Decompress(data)
	switch {
	case err == nil:
		return out, nil
	case errors.Is(err, ErrTooLarge):
		return nil, ErrInvalidToken
	}
	return data, nil
}

// maxIntDigits is Python's default limit on int() of a string
// (sys.get_int_max_str_digits): longer digit strings are not integers to
// django-redis.
const maxIntDigits = 4300

// ParsePlainInt reports whether data is an integer as django-redis stores
// int values (in clear: Python's int() of the bytes, e.g. "42", "-7") and
// returns it as int64, or *big.Int beyond int64. It accepts what Python's
// int() accepts in ASCII: surrounding whitespace, a sign, and underscores
// between digits.
func ParsePlainInt(data []byte) (any, bool) { return parsePlainInt(data) }

// parsePlainInt is ParsePlainInt for bytes and for strings (a go-redis
// reply). It checks the text before it allocates, so a Fernet token, which
// fails at its first byte, costs no allocation.
func parsePlainInt[T string | []byte](s T) (any, bool) {
	for len(s) > 0 && isPySpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isPySpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	start := 0
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		start = 1
	}
	digits := 0
	for i := start; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			digits++
		case c == '_' && i > start && isDigit(s[i-1]) && i+1 < len(s) && isDigit(s[i+1]):
		default:
			return nil, false
		}
	}
	if digits == 0 || digits > maxIntDigits {
		return nil, false
	}
	clean := make([]byte, 0, digits+1)
	if s[0] == '-' {
		clean = append(clean, '-')
	}
	for i := start; i < len(s); i++ {
		if isDigit(s[i]) {
			clean = append(clean, s[i])
		}
	}
	if i, err := strconv.ParseInt(string(clean), 10, 64); err == nil {
		return i, true
	}
	n, ok := new(big.Int).SetString(string(clean), 10)
	return n, ok
}

func isPySpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x1f:
		return true
	}
	return false
}

// PlainPickle is django-redis's default serializer with no encryption: what a
// Django cache alias without django-redis-secure stores (pickles, optionally
// compressed; integers in clear), read and written as django-redis does. It
// exists to read such an alias (as recovery.Migrate's source) and, while it
// lasts, to write it. Nothing it stores is secret or authenticated: whoever
// writes Redis controls what Decode returns (plain types only: it never runs
// code), and Django unpickles what Encode writes. The zero value, with no
// Compressor, is ready to use and safe for concurrent use.
type PlainPickle struct {
	// Compressor is the alias's django-redis COMPRESSOR, or nil.
	Compressor Compressor
}

// Encode returns the stored form of value: digits for an integer, else the
// (compressed) pickle. The storage key is not used. Errors wrap
// ErrUnsupportedValue.
func (p PlainPickle) Encode(_ string, value any) ([]byte, error) {
	if b, ok := plainIntBytes(value); ok {
		return b, nil
	}
	b, err := AppendPickle(nil, value)
	if err != nil {
		return nil, err
	}
	if p.Compressor != nil {
		if b, err = p.Compressor.Compress(b); err != nil {
			return nil, fmt.Errorf("codec: %s: %w", p.Compressor.Name(), err)
		}
	}
	return b, nil
}

// Decode reads a stored value as django-redis does: an integer in clear,
// else the (decompressed) pickle. Errors match ErrPickle, or ErrTooLarge.
func (p PlainPickle) Decode(_ string, data []byte) (any, error) {
	if v, ok := ParsePlainInt(data); ok {
		return v, nil
	}
	if p.Compressor != nil {
		d, err := p.Compressor.Decompress(data)
		switch {
		case err == nil:
			data = d
		case errors.Is(err, ErrTooLarge):
			return nil, err
		}
	}
	return UnmarshalPickle(data)
}

// plainIntBytes returns the digits django-redis stores for an int value.
func plainIntBytes(v any) ([]byte, bool) {
	switch x := v.(type) {
	case bool:
		return nil, false
	case *big.Int:
		if x == nil {
			return nil, false
		}
		return x.Append(nil, 10), true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(nil, rv.Int(), 10), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.AppendUint(nil, rv.Uint(), 10), true
	}
	return nil, false
}
