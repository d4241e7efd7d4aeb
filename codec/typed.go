package codec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/vmihailenco/msgpack/v5"
)

// ErrValueType is returned (wrapped, with the Go type names) by DecodeInto
// for an entry that decrypts but whose value does not decode into the
// target's type: an entry written with another type or schema.
var ErrValueType = errors.New("codec: stored value does not fit the target type")

// EncodeTyped is Encode for a typed cache (package typed): value, of any
// type the serializer can carry (structs with their tags, named types,
// pointers, slices, maps), is serialized as it is, and a time.Time anywhere
// in it keeps its zone. A string or []byte (the exact types) is stored as by
// Encode. When the value holds a time.Time, a zone table goes in front of the serializer's payload (kind 5, see
// zones.go): the instant is still the serializer's own (msgpack's timestamp,
// JSON's RFC 3339 text), and the table records each instant's zone name,
// abbreviation and offset, which DecodeInto restores. Errors wrap
// ErrUnsupportedValue.
func (c *Codec) EncodeTyped(storageKey string, value any) ([]byte, error) {
	switch value.(type) {
	case string, []byte, nil:
		return c.Encode(storageKey, value)
	}
	b, err := c.serializer.Marshal(value)
	if err != nil {
		if !errors.Is(err, ErrUnsupportedValue) {
			err = fmt.Errorf("%w: %s: %w", ErrUnsupportedValue, c.serializer.Name(), err)
		}
		return nil, err
	}
	kind := c.serializer.ID()
	zones := appendZones([]byte{kind}, value)
	if len(zones) > 1 {
		kind, b = idZoned, append(zones, b...)
	}
	bp := plaintextPool.Get().(*[]byte)
	p := c.appendHeader((*bp)[:0], kind, storageKey, len(b))
	p = append(p, b...)
	return c.sealPooled(nil, bp, p, nil)
}

// DecodeInto decodes a token read from storageKey into dst, a non-nil
// pointer: a payload straight into *dst (msgpack or json tags name the
// fields, and json tags a pickled dict's keys), a string or []byte entry into
// a string, a []byte (or a named type of either) or any, and times in the
// zone EncodeTyped recorded; with dst of type *any the value is Decode's. A
// token that does not open is ErrInvalidToken; a value that does not fit
// *dst is an error wrapping ErrValueType, naming only Go types. dst is left
// in an unspecified state on error. The token is never modified.
func (c *Codec) DecodeInto(storageKey string, token []byte, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("codec: DecodeInto needs a non-nil pointer, got %T", dst)
	}
	plain, _, _, err := c.open(token)
	if err != nil {
		return err
	}
	kind, payload, ok := c.parseEnvelope(plain, storageKey)
	if !ok {
		return ErrInvalidToken
	}
	if ap, ok := dst.(*any); ok {
		v, err := c.unmarshal(kind, payload)
		if err != nil {
			return ErrInvalidToken
		}
		*ap = v
		return nil
	}
	return c.unmarshalInto(kind, payload, rv)
}

func (c *Codec) unmarshalInto(kind byte, payload []byte, dst reflect.Value) error {
	switch kind {
	case idBytes, idString:
		return setBytes(dst.Elem(), payload, kind == idString)
	case idZoned:
		if len(payload) < 1 {
			return ErrInvalidToken
		}
		inner := payload[0]
		zones, rest, err := cutZones(payload[1:])
		if err != nil || inner == idZoned || inner <= idString {
			return ErrInvalidToken
		}
		if err := c.unmarshalInto(inner, rest, dst); err != nil {
			return err
		}
		applyZones(dst, zones)
		return nil
	case IDMsgpack:
		return unmarshalMsgpackInto(payload, dst)
	case IDJSON:
		return unmarshalJSONInto(payload, dst)
	}
	v, err := c.unmarshal(kind, payload) // pickle or a custom serializer
	if err != nil {
		return ErrInvalidToken
	}
	return assignInto(v, dst)
}

// unmarshalZoned is the untyped reading of a kind 5 payload: the zone table
// is applied to the serializer's value.
func (c *Codec) unmarshalZoned(payload []byte) (any, error) {
	if len(payload) < 1 || payload[0] == idZoned || payload[0] <= idString {
		return nil, ErrInvalidToken
	}
	zones, rest, err := cutZones(payload[1:])
	if err != nil {
		return nil, err
	}
	v, err := c.unmarshal(payload[0], rest)
	if err != nil {
		return nil, err
	}
	applyZones(reflect.ValueOf(&v), zones)
	return v, nil
}

func setBytes(e reflect.Value, b []byte, isString bool) error {
	switch {
	case e.Kind() == reflect.String:
		e.SetString(string(b))
	case e.Kind() == reflect.Slice && e.Type().Elem().Kind() == reflect.Uint8:
		e.SetBytes(bytes.Clone(b))
	case e.Kind() == reflect.Interface && e.NumMethod() == 0:
		if isString {
			e.Set(reflect.ValueOf(string(b)))
		} else {
			e.Set(reflect.ValueOf(bytes.Clone(b)))
		}
	default:
		from := "[]byte"
		if isString {
			from = "string"
		}
		return fmt.Errorf("%w: a %s into %s", ErrValueType, from, e.Type())
	}
	return nil
}

func unmarshalMsgpackInto(payload []byte, dst reflect.Value) error {
	// The same guard as Msgpack.Unmarshal: every declared length backed by
	// data, bounded depth, before msgpack allocates anything.
	n, err := scanMsgpack(payload)
	if err != nil || n != len(payload) {
		return ErrInvalidToken
	}
	d := msgpack.GetDecoder()
	defer msgpack.PutDecoder(d)
	d.Reset(bytes.NewReader(payload))
	d.SetMapDecoder(decodeMsgpackMap)
	if err := d.DecodeValue(dst.Elem()); err != nil {
		return fmt.Errorf("%w: msgpack into %s", ErrValueType, dst.Elem().Type())
	}
	return nil
}

func unmarshalJSONInto(payload []byte, dst reflect.Value) error {
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	if err := d.Decode(dst.Interface()); err != nil {
		return fmt.Errorf("%w: json into %s", ErrValueType, dst.Elem().Type())
	}
	if d.More() {
		return ErrInvalidToken
	}
	return nil
}

// assignInto stores v, an untyped value (pickle's, a custom serializer's),
// in *dst: directly when its type fits, else through its JSON form, so that
// json tags map a dict's keys onto struct fields.
func assignInto(v any, dst reflect.Value) error {
	e := dst.Elem()
	if v != nil && reflect.TypeOf(v).AssignableTo(e.Type()) {
		e.Set(reflect.ValueOf(v))
		return nil
	}
	b, err := json.Marshal(jsonable(v, 0))
	if err != nil {
		return fmt.Errorf("%w: %T into %s", ErrValueType, v, e.Type())
	}
	if err := json.Unmarshal(b, dst.Interface()); err != nil {
		return fmt.Errorf("%w: %T into %s", ErrValueType, v, e.Type())
	}
	return nil
}

// jsonable turns map[any]any (which encoding/json refuses) into
// map[string]any where its keys are strings, recursively.
func jsonable(v any, depth int) any {
	if depth > maxWalkDepth {
		return v
	}
	switch x := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			ks, ok := k.(string)
			if !ok {
				ks = fmt.Sprint(k)
			}
			m[ks] = jsonable(e, depth+1)
		}
		return m
	case map[string]any:
		for k, e := range x {
			x[k] = jsonable(e, depth+1)
		}
	case []any:
		for i := range x {
			x[i] = jsonable(x[i], depth+1)
		}
	}
	return v
}
