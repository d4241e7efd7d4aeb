package codec_test

import (
	"crypto/rand"
	"testing"

	"github.com/secureredis/secureredis/internal/cputime"
)

// The codec benchmarks and their baselines over the same bytes, so ratios
// come from one run:
//
//	go test -run '^$' -bench . -count 6 ./codec > bench.txt && benchstat bench.txt
//
// BenchmarkRawAESCBCHMAC is the cryptographic work of a Fernet token and
// nothing else (AES-128-CBC + HMAC-SHA256, binary). BenchmarkRawFernet adds
// URL-safe base64: the floor of any Fernet implementation. Encode and Decode
// add fernet-go's own costs and the codec's envelope and checks.
//
// Each benchmark also reports cpu-ns/op, the process's CPU time per
// operation: on a loaded machine it moves far less than ns/op, which counts
// the wait for a processor too.

var benchSizes = []struct {
	name string
	n    int
}{
	{"size=100B", 100},
	{"size=1KiB", 1 << 10},
	{"size=10KiB", 10 << 10},
	{"size=100KiB", 100 << 10},
}

func benchValue(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

func BenchmarkEncode(b *testing.B) {
	c := newCodec(b, newRing(b, keyA))
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			v := benchValue(size.n)
			b.ReportAllocs()
			b.SetBytes(int64(size.n))
			m := cputime.Start()
			for b.Loop() {
				if _, err := c.Encode(testStorageKey, v); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(m.Per(b.N), "cpu-ns/op")
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	c := newCodec(b, newRing(b, keyA))
	for _, size := range benchSizes {
		b.Run(size.name, func(b *testing.B) {
			tok := encode(b, c, testStorageKey, benchValue(size.n))
			b.ReportAllocs()
			b.SetBytes(int64(size.n))
			m := cputime.Start()
			for b.Loop() {
				if _, err := c.Decode(testStorageKey, tok); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(m.Per(b.N), "cpu-ns/op")
		})
	}
}

func BenchmarkRawAESCBCHMAC(b *testing.B) {
	sign, enc := rawKey(b, keyA)
	for _, size := range benchSizes {
		v := benchValue(size.n)
		b.Run("encrypt/"+size.name, func(b *testing.B) {
			iv := make([]byte, 16)
			b.ReportAllocs()
			b.SetBytes(int64(size.n))
			m := cputime.Start()
			for b.Loop() {
				rand.Read(iv)
				rawSeal(sign, enc, iv, 1700000000, v)
			}
			b.ReportMetric(m.Per(b.N), "cpu-ns/op")
		})
		b.Run("decrypt/"+size.name, func(b *testing.B) {
			tok := rawSeal(sign, enc, make([]byte, 16), 1700000000, v)
			b.ReportAllocs()
			b.SetBytes(int64(size.n))
			m := cputime.Start()
			for b.Loop() {
				if _, ok := rawOpen(sign, enc, tok); !ok {
					b.Fatal("rawOpen failed")
				}
			}
			b.ReportMetric(m.Per(b.N), "cpu-ns/op")
		})
	}
}

func BenchmarkRawFernet(b *testing.B) {
	sign, enc := rawKey(b, keyA)
	for _, size := range benchSizes {
		v := benchValue(size.n)
		b.Run("encrypt/"+size.name, func(b *testing.B) {
			iv := make([]byte, 16)
			b.ReportAllocs()
			b.SetBytes(int64(size.n))
			m := cputime.Start()
			for b.Loop() {
				rand.Read(iv)
				rawFernetSeal(sign, enc, iv, 1700000000, v)
			}
			b.ReportMetric(m.Per(b.N), "cpu-ns/op")
		})
		b.Run("decrypt/"+size.name, func(b *testing.B) {
			tok := rawFernetSeal(sign, enc, make([]byte, 16), 1700000000, v)
			b.ReportAllocs()
			b.SetBytes(int64(size.n))
			m := cputime.Start()
			for b.Loop() {
				if _, ok := rawFernetOpen(sign, enc, tok); !ok {
					b.Fatal("rawFernetOpen failed")
				}
			}
			b.ReportMetric(m.Per(b.N), "cpu-ns/op")
		})
	}
}
