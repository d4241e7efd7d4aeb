package codec_test

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/fernet/fernet-go"

	"github.com/secureredis/secureredis/codec"
)

type typedPoint struct {
	X    int       `msgpack:"x" json:"x"`
	When time.Time `msgpack:"when" json:"when"`
}

func TestDecodeIntoZones(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2026, 7, 1, 12, 0, 0, 5, paris)
	for _, ser := range []codec.Serializer{codec.Msgpack{}, codec.JSON{}} {
		c := newCodec(t, newRing(t, keyA), codec.WithSerializer(ser))
		tok, err := c.EncodeTyped(testStorageKey, typedPoint{X: -3, When: when})
		if err != nil {
			t.Fatal(err)
		}
		var p typedPoint
		if err := c.DecodeInto(testStorageKey, tok, &p); err != nil {
			t.Fatal(err)
		}
		if p.X != -3 || !p.When.Equal(when) || p.When.Location().String() != "Europe/Paris" {
			t.Errorf("%s: DecodeInto = %+v (%s)", ser.Name(), p, p.When.Location())
		}
		// The untyped Decode reads the same token, zone included.
		v, err := c.Decode(testStorageKey, tok)
		if err != nil {
			t.Fatalf("%s: Decode = %v", ser.Name(), err)
		}
		if ser.Name() == "msgpack" {
			m, _ := v.(map[string]any)
			if w, ok := m["when"].(time.Time); !ok || !w.Equal(when) || w.Location().String() != "Europe/Paris" {
				t.Errorf("Decode = %#v", v)
			}
		}
		// Another storage key, another ring: ErrInvalidToken.
		if err := c.DecodeInto("other", tok, &p); !errors.Is(err, codec.ErrInvalidToken) {
			t.Errorf("DecodeInto(other key) = %v", err)
		}
		other := newCodec(t, newRing(t, keyB), codec.WithSerializer(ser))
		err = other.DecodeInto(testStorageKey, tok, &p)
		if !errors.Is(err, codec.ErrInvalidToken) || codec.ClassOf(err) != codec.FailureWrongKey {
			t.Errorf("DecodeInto(wrong key) = %v, class %s", err, codec.ClassOf(err))
		}
		// A value of another type: ErrValueType, not ErrInvalidToken.
		var s []string
		if err := c.DecodeInto(testStorageKey, tok, &s); !errors.Is(err, codec.ErrValueType) || errors.Is(err, codec.ErrInvalidToken) || codec.ClassOf(err) != codec.FailureValueType {
			t.Errorf("DecodeInto(wrong type) = %v", err)
		}
	}
}

func TestDecodeIntoTargets(t *testing.T) {
	c := newCodec(t, newRing(t, keyA))
	tok := encode(t, c, testStorageKey, "text")
	var s string
	var b []byte
	var a any
	var n int
	type name string
	var nm name
	for _, dst := range []any{&s, &b, &a, &nm} {
		if err := c.DecodeInto(testStorageKey, tok, dst); err != nil {
			t.Errorf("DecodeInto(%T) = %v", dst, err)
		}
	}
	if s != "text" || string(b) != "text" || a != "text" || nm != "text" {
		t.Errorf("got %q %q %#v %q", s, b, a, nm)
	}
	if err := c.DecodeInto(testStorageKey, tok, &n); !errors.Is(err, codec.ErrValueType) {
		t.Errorf("DecodeInto(string into int) = %v", err)
	}
	for _, dst := range []any{nil, n, (*int)(nil)} {
		if err := c.DecodeInto(testStorageKey, tok, dst); err == nil {
			t.Errorf("DecodeInto(%#v) accepted", dst)
		}
	}
}

func TestClassify(t *testing.T) {
	ring := newRing(t, keyA)
	c := newCodec(t, ring)
	tok := encode(t, c, testStorageKey, "v")
	other := encode(t, newCodec(t, newRing(t, keyB)), testStorageKey, "v")
	for name, tc := range map[string]struct {
		data []byte
		want codec.FailureClass
	}{
		"wrong key":  {other, codec.FailureWrongKey},
		"truncated":  {tok[:len(tok)-4], codec.FailureUndecodable},
		"short":      {[]byte("gAAAAABl"), codec.FailureUndecodable},
		"plaintext":  {[]byte(`{"a":1}`), codec.FailurePlaintext},
		"empty":      {nil, codec.FailurePlaintext},
		"integer":    {[]byte("42"), codec.FailurePlaintext},
		"opens fine": {tok, codec.FailureUndecodable},
	} {
		if got := ring.Classify(tc.data); got != tc.want {
			t.Errorf("%s: Classify = %s, want %s", name, got, tc.want)
		}
		if _, err := c.Decode(testStorageKey, tc.data); name != "opens fine" && codec.ClassOf(err) != tc.want {
			t.Errorf("%s: ClassOf(Decode) = %s, want %s", name, codec.ClassOf(err), tc.want)
		}
	}
	if _, err := c.Decode("another", tok); codec.ClassOf(err) != codec.FailureUndecodable || err.Error() != codec.ErrInvalidToken.Error() {
		t.Errorf("moved: %v, class %s", err, codec.ClassOf(err))
	}
}

// FuzzDecodeInto: any zone table and payload under a valid token decodes or
// fails cleanly, never panics.
func FuzzDecodeInto(f *testing.F) {
	k := fernet.MustDecodeKeys(keyA)[0]
	f.Add([]byte{2, 0, 0x80})
	f.Add(append([]byte{2, 6}, binary.AppendVarint(nil, 1)...))
	f.Add([]byte{2, 9, 2, 0, 1, 'X', 0, 2, 0, 0xc0})
	f.Add([]byte{5, 2})
	f.Add([]byte{3, 0, '{', '}'})
	c := newCodec(f, newRing(f, keyA))
	f.Fuzz(func(t *testing.T, payload []byte) {
		tok, err := fernet.EncryptAndSign(envelope(0x21|5<<1, testStorageKey, payload), k)
		if err != nil {
			t.Fatal(err)
		}
		var p typedPoint
		_ = c.DecodeInto(testStorageKey, tok, &p)
		var a any
		_ = c.DecodeInto(testStorageKey, tok, &a)
		_, _ = c.Decode(testStorageKey, tok)
	})
}
