package recovery_test

import (
	"bytes"
	"strings"
	"testing"

	grcache "github.com/go-redis/cache/v9"
	"github.com/klauspost/compress/s2"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/recovery"
)

// TestFormatHostile feeds the decoders values built to cost memory or time:
// each fails with ErrDecode-matching errors, quickly and within the cap, or
// falls back to the string it is (go-redis/cache's plain strings).
func TestFormatHostile(t *testing.T) {
	bomb := s2.Encode(nil, make([]byte, recovery.MaxDecodedSize+1)) // a real s2 block past the cap
	header := []byte{0x80, 0x80, 0x80, 0x80, 0x04, 0x00, 0x00}      // declares 2^30 bytes
	tests := []struct {
		name   string
		format recovery.Format
		raw    string
		fails  bool
	}{
		{"deep arrays", recovery.FormatGocache, strings.Repeat("\x91", 1<<20) + "\x00", true},
		{"deep maps", recovery.FormatGocache, strings.Repeat("\x81\x00", 1<<19) + "\x00", true},
		{"array claims 2^32", recovery.FormatGocache, "\xdd\xff\xff\xff\xff\x00", true},
		{"str claims 2^32", recovery.FormatGocache, "\xdb\xff\xff\xff\xff", true},
		{"map 32 claims 2^32", recovery.FormatGocache, "\xdf\xff\xff\xff\xff", true},
		{"never used byte", recovery.FormatGocache, "\xc1", true},
		{"empty", recovery.FormatGocache, "", true},
		{"ext 32 truncated", recovery.FormatGocache, "\xc9\x00\x00\x10\x00\x01", true},
		{"s2 past the cap", recovery.FormatGoRedisCache, string(bomb) + "\x01", true},
		{"s2 header past the cap", recovery.FormatGoRedisCache, string(header) + "\x01", true},
		{"deep arrays, go-redis/cache", recovery.FormatGoRedisCache, strings.Repeat("\x91", 1<<20) + "\x00\x00", true},
		{"corrupt s2 is a string", recovery.FormatGoRedisCache, "\x05abc\x01", false},
		{"unknown format byte is a string", recovery.FormatGoRedisCache, "\x93\x01\x02\x03\x07", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := recovery.DecodeFormat(tt.format, tt.raw)
			if tt.fails {
				if err == nil {
					t.Fatalf("decoded %T", v)
				}
				return
			}
			if err != nil || v != tt.raw {
				t.Errorf("= %q, %v, want the string as it is", v, err)
			}
		})
	}
	// Within the cap, go-redis/cache's own compressed bytes decode.
	c := grcache.New(&grcache.Options{})
	b, err := c.Marshal(map[string]any{"k": strings.Repeat("v", 1000)})
	if err != nil || b[len(b)-1] != 1 {
		t.Fatalf("Marshal = %v, %v, want an s2 block", len(b), err)
	}
	v, err := recovery.DecodeFormat(recovery.FormatGoRedisCache, string(b))
	if m, ok := v.(map[string]any); err != nil || !ok || m["k"] != strings.Repeat("v", 1000) {
		t.Errorf("decode = %v, %v", v, err)
	}
}

// FuzzFormats checks that no input makes a decoder panic, that whatever
// decodes for gocache is one well-formed msgpack value, and that the secure
// codec's serializer can store it.
func FuzzFormats(f *testing.F) {
	for _, v := range []any{int64(1), "s", []any{1, "x"}, map[string]any{"a": []byte{1}}, nil, 2.5} {
		b, _ := msgpack.Marshal(v)
		f.Add(b)
		f.Add(append(b, 0))
		f.Add(append(s2.Encode(nil, b), 1))
	}
	f.Add([]byte("\x91\x91\x91\x00"))
	f.Add([]byte("\xdd\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := recovery.DecodeFormat(recovery.FormatGocache, string(b))
		if err == nil {
			if err := msgpack.NewDecoder(bytes.NewReader(b)).Skip(); err != nil {
				t.Errorf("decoded %T from bytes msgpack cannot skip: %v", v, err)
			}
			if _, err := (codec.Msgpack{}).Marshal(v); err != nil {
				t.Errorf("decoded %T that msgpack cannot encode: %v", v, err)
			}
		}
		if _, err := recovery.DecodeFormat(recovery.FormatGoRedisCache, string(b)); err != nil && len(b) > 0 && b[len(b)-1] > 1 {
			t.Errorf("go-redis/cache value with format byte %#x failed: %v", b[len(b)-1], err)
		}
	})
}
