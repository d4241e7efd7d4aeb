package codec_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/secureredis/secureredis/codec"
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

// BenchmarkDecodeDistinct decodes 1,000 different 1 KiB tokens in turn, as
// a store serving 1,000 keys does (store's BenchmarkMemoryParallel50),
// where BenchmarkDecode decodes one token again and again from the CPU's
// caches.
func BenchmarkDecodeDistinct(b *testing.B) {
	c := newCodec(b, newRing(b, keyA))
	const n = 1000
	toks := make([][]byte, n)
	for i := range toks {
		toks[i] = encode(b, c, testStorageKey, benchValue(1<<10))
	}
	b.ReportAllocs()
	b.SetBytes(1 << 10)
	m := cputime.Start()
	i := 0
	for b.Loop() {
		if _, err := c.Decode(testStorageKey, toks[i%n]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(m.Per(b.N), "cpu-ns/op")
}

// BenchmarkDecodeString is BenchmarkDecodeDistinct for tokens held in
// strings, as go-redis returns MGET's replies to the store's GetMany:
// from=string decodes the string itself, from=copy is Decode of a copy of
// it (what a codec without DecodeString costs the store; GetMany used to copy
// all the tokens of a batch into one pooled buffer, which cost the memmove
// but not the allocation). codec=django is the Django format with
// django-redis's plaintext integers read (its default), so each token is
// first checked for an integer, which allocates nothing.
func BenchmarkDecodeString(b *testing.B) {
	django, err := codec.NewDjango(newRing(b, keyA))
	if err != nil {
		b.Fatal(err)
	}
	type decoder interface {
		Decode(storageKey string, token []byte) (any, error)
		DecodeString(storageKey, token string) (any, error)
	}
	for _, c := range []struct {
		name string
		dec  interface {
			decoder
			Encode(storageKey string, value any) ([]byte, error)
		}
	}{{"native", newCodec(b, newRing(b, keyA))}, {"django", django}} {
		const n = 1000
		toks := make([]string, n)
		value := strings.Repeat("v", 1<<10)
		for i := range toks {
			tok, err := c.dec.Encode(testStorageKey, value)
			if err != nil {
				b.Fatal(err)
			}
			toks[i] = string(tok)
		}
		for _, how := range []string{"copy", "string"} {
			b.Run("codec="+c.name+"/from="+how, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(1 << 10)
				m := cputime.Start()
				i := 0
				for b.Loop() {
					var err error
					if how == "copy" {
						_, err = c.dec.Decode(testStorageKey, []byte(toks[i%n]))
					} else {
						_, err = c.dec.DecodeString(testStorageKey, toks[i%n])
					}
					if err != nil {
						b.Fatal(err)
					}
					i++
				}
				b.ReportMetric(m.Per(b.N), "cpu-ns/op")
			})
		}
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

// BenchmarkRawAESCBCHMACKeyed is BenchmarkRawAESCBCHMAC with the AES cipher,
// its CBC modes, the HMAC state and the buffers set up once, outside the
// loop: the work no Fernet implementation can skip (AES-128-CBC and
// HMAC-SHA256 of the token, nothing allocated, no base64). BenchmarkRawAESCBCHMAC builds its cipher and
// HMAC per call, as fernet-go does.
func BenchmarkRawAESCBCHMACKeyed(b *testing.B) {
	sign, enc := rawKey(b, keyA)
	block, err := aes.NewCipher(enc)
	if err != nil {
		b.Fatal(err)
	}
	mac := hmac.New(sha256.New, sign)
	type ivSetter interface {
		cipher.BlockMode
		SetIV([]byte)
	}
	encrypter := cipher.NewCBCEncrypter(block, make([]byte, aes.BlockSize)).(ivSetter)
	decrypter := cipher.NewCBCDecrypter(block, make([]byte, aes.BlockSize)).(ivSetter)
	for _, size := range benchSizes {
		v := benchValue(size.n)
		padded := len(v)/aes.BlockSize*aes.BlockSize + aes.BlockSize
		tok := make([]byte, fernetHeader+padded, fernetOverhead+padded)
		sum := make([]byte, 0, sha256.Size)
		b.Run("encrypt/"+size.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size.n))
			m := cputime.Start()
			for b.Loop() {
				tok[0] = fernetVersion
				binary.BigEndian.PutUint64(tok[1:9], 1700000000)
				iv := tok[9:fernetHeader]
				rand.Read(iv)
				ct := tok[fernetHeader:]
				copy(ct, v)
				for i := len(v); i < padded; i++ {
					ct[i] = byte(padded - len(v))
				}
				encrypter.SetIV(iv)
				encrypter.CryptBlocks(ct, ct)
				mac.Reset()
				mac.Write(tok)
				sum = mac.Sum(sum[:0])
			}
			b.ReportMetric(m.Per(b.N), "cpu-ns/op")
		})
		b.Run("decrypt/"+size.name, func(b *testing.B) {
			sealed := rawSeal(sign, enc, make([]byte, 16), 1700000000, v)
			n := len(sealed) - sha256.Size
			pt := make([]byte, n-fernetHeader)
			b.ReportAllocs()
			b.SetBytes(int64(size.n))
			m := cputime.Start()
			for b.Loop() {
				mac.Reset()
				mac.Write(sealed[:n])
				if !hmac.Equal(mac.Sum(sum[:0]), sealed[n:]) {
					b.Fatal("HMAC mismatch")
				}
				decrypter.SetIV(sealed[9:fernetHeader])
				decrypter.CryptBlocks(pt, sealed[fernetHeader:n])
			}
			b.ReportMetric(m.Per(b.N), "cpu-ns/op")
		})
	}
}
