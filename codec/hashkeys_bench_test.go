package codec_test

import (
	"testing"

	"github.com/secureredis/secureredis/codec"
)

// BenchmarkKeyName compares making a clear storage key with making a
// hashed name (HMAC-SHA256 of the clear key), and both with
// fn=DjangoKeyFunc, the key function called on its own (what Key cost
// before it concatenated a precomputed "prefix:version:"). fn=KeyBinding
// is what the store's Get and Set call: the storage key and the key tokens
// are bound to.
func BenchmarkKeyName(b *testing.B) {
	const prefix, key = "app1:secure", "user:alice@example.com:profile"
	clear, err := codec.NewKeyScheme(prefix)
	if err != nil {
		b.Fatal(err)
	}
	hashed := hashedScheme(b, prefix)
	b.Run("names=clear/fn=DjangoKeyFunc", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = codec.DjangoKeyFunc(key, prefix, codec.DefaultVersion)
		}
	})
	for _, tc := range []struct {
		names string
		s     *codec.KeyScheme
	}{{"clear", clear}, {"hashed", hashed}} {
		b.Run("names="+tc.names+"/fn=Key", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = tc.s.Key(key)
			}
		})
		b.Run("names="+tc.names+"/fn=KeyBinding", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = tc.s.KeyBinding(key)
			}
		})
	}
}
