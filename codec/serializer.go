package codec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"github.com/vmihailenco/msgpack/v5"
)

// Serializer turns values other than string and []byte into bytes before
// encryption, and back. Implementations must be safe for concurrent use.
//
// ID is written into every token (see the package's wire format) so a codec
// can always decode entries written with a built-in serializer, whatever
// serializer it encodes with. IDs 2 to 4 are taken by the built-ins
// (2 msgpack, 3 JSON, 4 reserved for Django-compatible pickle); a custom
// serializer uses an ID from 8 to 15.
type Serializer interface {
	ID() byte
	Name() string
	Marshal(v any) ([]byte, error)
	Unmarshal(data []byte) (any, error)
}

// Built-in serializer IDs, as written in the format byte.
const (
	idBytes   byte = 0 // []byte, stored as is
	idString  byte = 1 // string, stored as is
	IDMsgpack byte = 2
	IDJSON    byte = 3
	IDPickle  byte = 4 // reserved for the Django-compatible pickle serializer
	maxID     byte = 15
	minUserID byte = 8
)

// Msgpack is the default serializer, github.com/vmihailenco/msgpack/v5.
// Values decode to nil, bool, int64 (uint64 beyond it), float64, string,
// []byte, []any, map[string]any (map[any]any when a key is not a string)
// and time.Time (in the local zone: the encoder's location is lost). Structs
// encode as maps of their exported fields (msgpack tags honoured) and decode
// as map[string]any; for a typed struct use DecodeInto or gocache's
// marshaler. Unmarshal refuses nesting past 10,000 levels and lengths the
// data does not back, in time linear in the input.
type Msgpack struct{}

// ID implements Serializer.
func (Msgpack) ID() byte { return IDMsgpack }

// Name implements Serializer.
func (Msgpack) Name() string { return "msgpack" }

// Marshal implements Serializer.
func (Msgpack) Marshal(v any) ([]byte, error) {
	b, err := msgpack.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: msgpack: %T", ErrUnsupportedValue, v)
	}
	return b, nil
}

// Unmarshal implements Serializer.
func (Msgpack) Unmarshal(data []byte) (any, error) {
	// msgpack v5.4 allocates an array by its declared length before reading
	// it (vmihailenco/msgpack#376): five bytes can claim 2^32 elements and
	// kill the process; and it recurses once per level of nesting, so a
	// deeply nested value overflows the stack, which kills it too. Walk the
	// value once without building it or recursing, so that every declared
	// length is known to be backed by data and the depth is at most
	// maxMsgpackDepth, then decode.
	n, err := scanMsgpack(data)
	if err != nil {
		return nil, err
	}
	if n != len(data) {
		return nil, fmt.Errorf("codec: msgpack: trailing data")
	}
	d := msgpack.GetDecoder()
	defer msgpack.PutDecoder(d)
	d.Reset(bytes.NewReader(data))
	d.SetMapDecoder(decodeMsgpackMap)
	v, err := d.DecodeInterface()
	if err != nil {
		return nil, err
	}
	return normalize(v), nil
}

// decodeMsgpackMap decodes a map whatever its key types: map[string]any when
// every key is a string, map[any]any otherwise (msgpack's default decoder
// fails on non-string keys). Keys that cannot be map keys are an error.
func decodeMsgpackMap(d *msgpack.Decoder) (any, error) {
	n, err := d.DecodeMapLen()
	if err != nil || n == -1 {
		return nil, err
	}
	keys := make([]any, n)
	vals := make([]any, n)
	allStrings := true
	for i := range n {
		if keys[i], err = d.DecodeInterface(); err != nil {
			return nil, err
		}
		keys[i] = normalize(keys[i])
		switch keys[i].(type) {
		case string:
		case []byte, []any, map[string]any, map[any]any:
			return nil, fmt.Errorf("codec: msgpack: unhashable map key %T", keys[i])
		default:
			allStrings = false
		}
		if vals[i], err = d.DecodeInterface(); err != nil {
			return nil, err
		}
	}
	if allStrings {
		m := make(map[string]any, n)
		for i, k := range keys {
			m[k.(string)] = vals[i]
		}
		return m, nil
	}
	m := make(map[any]any, n)
	for i, k := range keys {
		m[k] = vals[i]
	}
	return m, nil
}

// normalize maps msgpack's compact number types onto int64, uint64 and
// float64, recursively, so callers see one type per kind of value.
func normalize(v any) any {
	switch x := v.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x)
		}
		return x
	case float32:
		return float64(x)
	case []any:
		for i := range x {
			x[i] = normalize(x[i])
		}
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
	case map[any]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
	}
	return v
}

// JSON is an encoding/json serializer, for entries other languages read.
//
// Values decode to: nil, bool, json.Number (numbers keep their exact text, so
// large integers survive), string, []any and map[string]any. []byte encodes
// as a base64 string and so decodes as a string.
type JSON struct{}

// ID implements Serializer.
func (JSON) ID() byte { return IDJSON }

// Name implements Serializer.
func (JSON) Name() string { return "json" }

// Marshal implements Serializer.
func (JSON) Marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: json: %T", ErrUnsupportedValue, v)
	}
	return b, nil
}

// Unmarshal implements Serializer.
func (JSON) Unmarshal(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("codec: json: trailing data")
	}
	return v, nil
}
