package codec_test

import (
	"errors"
	"testing"

	"github.com/secureredis/secureredis/codec"
)

func TestRaw(t *testing.T) {
	var r codec.Raw
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"string", "plain", "plain"},
		{"empty string", "", ""},
		{"bytes", []byte{0, 'a', 0xff}, "\x00a\xff"},
		{"nil bytes", []byte(nil), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := r.Encode(testStorageKey, tt.in)
			if err != nil || string(b) != tt.want {
				t.Fatalf("Encode = %q, %v; want %q", b, err, tt.want)
			}
			v, err := r.Decode(testStorageKey, b)
			if err != nil || v != tt.want {
				t.Errorf("Decode = %#v, %v; want the string %q", v, err, tt.want)
			}
		})
	}

	in := []byte("abc")
	b, _ := r.Encode("k", in)
	in[0] = 'X'
	if string(b) != "abc" {
		t.Errorf("Encode keeps the caller's slice: %q", b)
	}
	data := []byte("xyz")
	v, _ := r.Decode("k", data)
	data[0] = 'X'
	if v != "xyz" {
		t.Errorf("Decode result aliases its input: %#v", v)
	}

	for _, bad := range []any{nil, 42, map[string]any{}, []string{"a"}} {
		if b, err := r.Encode("k", bad); b != nil || !errors.Is(err, codec.ErrUnsupportedValue) {
			t.Errorf("Encode(%#v) = %q, %v; want ErrUnsupportedValue", bad, b, err)
		}
	}
}
