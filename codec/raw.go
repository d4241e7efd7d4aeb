package codec

import "fmt"

// Raw stores values without encryption or serialization, byte for byte, the
// way gocache's plain Redis store does. It is for reading (and, while it
// lasts, writing) an old plaintext alias, never for secrets. It accepts string
// and []byte; Decode returns a string, as gocache's Redis store does. Raw is
// safe for concurrent use.
type Raw struct{}

// Encode returns value's bytes. Other types than string and []byte wrap
// ErrUnsupportedValue.
func (Raw) Encode(_ string, value any) ([]byte, error) {
	switch v := value.(type) {
	case string:
		return []byte(v), nil
	case []byte:
		return append([]byte(nil), v...), nil
	}
	return nil, fmt.Errorf("%w: raw: %T (only string and []byte)", ErrUnsupportedValue, value)
}

// Decode returns data as a string. It never fails.
func (Raw) Decode(_ string, data []byte) (any, error) { return string(data), nil }
