package codec_test

import (
	"testing"

	"github.com/secureredis/secureredis/codec"
)

// BenchmarkKeyName compares making a clear storage key with making a
// hashed name (HMAC-SHA256 of the clear key).
func BenchmarkKeyName(b *testing.B) {
	clear, err := codec.NewKeyScheme("app1:secure")
	if err != nil {
		b.Fatal(err)
	}
	hashed := hashedScheme(b, "app1:secure")
	for _, tc := range []struct {
		names string
		s     *codec.KeyScheme
	}{{"clear", clear}, {"hashed", hashed}} {
		b.Run("names="+tc.names, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = tc.s.Key("user:alice@example.com:profile")
			}
		})
	}
}
