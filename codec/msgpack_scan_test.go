package codec_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/secureredis/secureredis/codec"
)

// TestMsgpackDepth decodes msgpack nested up to the limit of 10,000 levels
// and refuses deeper values, up to 16 Mi levels (which used to overflow
// msgpack's recursive Skip, killing the process), quickly and cleanly.
func TestMsgpackDepth(t *testing.T) {
	nested := func(depth int, leaf string) []byte {
		return []byte(strings.Repeat("\x91", depth) + leaf)
	}
	if _, err := (codec.Msgpack{}).Unmarshal(nested(10000, "\xc0")); err != nil {
		t.Errorf("10,000 levels: %v", err)
	}
	for _, p := range [][]byte{
		nested(10001, "\xc0"),
		nested(1<<24, "\xc0"),
		[]byte(strings.Repeat("\x81\xa1k", 20000) + "\xc0"), // maps
		[]byte(strings.Repeat("\xdd\x00\x00\x00\x01", 20000) + "\xc0"),
	} {
		if _, err := (codec.Msgpack{}).Unmarshal(p); err == nil || !strings.Contains(err.Error(), "deeper") {
			t.Errorf("%d bytes of nesting: %v, want a depth error", len(p), err)
		}
	}
}

// TestMsgpackScan checks the scan against msgpack's own encoding of every
// kind of value, then against truncation and trailing bytes.
func TestMsgpackScan(t *testing.T) {
	v := map[string]any{
		"nil": nil, "t": true, "i8": int8(-5), "u64": uint64(1 << 63), "i64": int64(-1 << 40),
		"f32": float32(1.5), "f64": 2.5, "s": "x", "s8": strings.Repeat("s", 40), "s16": strings.Repeat("s", 300),
		"s32": strings.Repeat("s", 70000), "b": []byte("b"), "b16": bytes.Repeat([]byte("b"), 300),
		"a16": make([]any, 20), "m16": func() map[string]any {
			m := map[string]any{}
			for i := range 20 {
				m[strings.Repeat("k", i+1)] = i
			}
			return m
		}(),
		"list": []any{1, []any{2, map[string]any{"x": []any{}}}}, "empty": map[string]any{},
	}
	b, err := msgpack.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (codec.Msgpack{}).Unmarshal(b); err != nil {
		t.Fatalf("valid: %v", err)
	}
	for i := range len(b) {
		if _, err := (codec.Msgpack{}).Unmarshal(b[:i]); err == nil {
			t.Fatalf("truncated to %d of %d bytes: no error", i, len(b))
		}
	}
	if _, err := (codec.Msgpack{}).Unmarshal(append(b, 0)); err == nil {
		t.Error("trailing byte: no error")
	}
	for _, p := range []string{"\xc1", "\xdd\xff\xff\xff\xff", "\xdf\xff\xff\xff\xff", "\xc9\xff\xff\xff\xff\x01", "\xdb\x7f\xff\xff\xff"} {
		if _, err := (codec.Msgpack{}).Unmarshal([]byte(p)); err == nil {
			t.Errorf("%q: no error", p)
		}
	}
}

// FuzzMsgpackUnmarshal feeds arbitrary bytes to the msgpack serializer: it
// must never panic or overflow the stack.
//
//	go test -fuzz=FuzzMsgpackUnmarshal -fuzztime=30s ./codec
func FuzzMsgpackUnmarshal(f *testing.F) {
	for _, v := range []any{nil, 1, "s", []any{1, "a", []byte("b")}, map[string]any{"a": map[string]any{"b": 1.5}}} {
		b, err := msgpack.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(strings.Repeat("\x91", 10001) + "\xc0"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = codec.Msgpack{}.Unmarshal(data)
	})
}
