package codec

import (
	"bytes"
	stdbase64 "encoding/base64"
	"testing"
)

// FuzzBase64 checks the fast base64 against the standard library: encoding
// gives the same bytes, and decoding accepts exactly the inputs the strict
// URL-safe decoder accepts (no '+' or '/', no non-zero padding bits), with the
// same output.
func FuzzBase64(f *testing.F) {
	for _, s := range []string{
		"", "gA==", "gB==", "gAA=", "gAB=", "AAAA", "////", "++++", "____", "----",
		"gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==",
		"gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ/eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==",
		"gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ+eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDB==",
		"gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA=A",
		"gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF\n5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==",
		"gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqD\x00==",
	} {
		f.Add([]byte(s))
	}
	std := stdbase64.URLEncoding.Strict()
	f.Fuzz(func(t *testing.T, in []byte) {
		want := make([]byte, len(in))
		got := make([]byte, len(in))
		wn, werr := std.Decode(want, in)
		gn, gerr := decodeBase64(got, in)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("decode %q: standard library err %v, fast err %v", in, werr, gerr)
		}
		if werr == nil && !bytes.Equal(want[:wn], got[:gn]) {
			t.Fatalf("decode %q: standard library %x, fast %x", in, want[:wn], got[:gn])
		}
		sgot, serr := decodeBase64String(string(in))
		if (werr == nil) != (serr == nil) || werr == nil && !bytes.Equal(want[:wn], sgot) {
			t.Fatalf("decode string %q: standard library %x, %v; fast %x, %v", in, want[:wn], werr, sgot, serr)
		}
		enc := make([]byte, base64Len(len(in)))
		encodeBase64(enc, in)
		if w := stdbase64.URLEncoding.EncodeToString(in); string(enc) != w {
			t.Fatalf("encode %x: fast %q, standard library %q", in, enc, w)
		}
	})
}

// BenchmarkBase64 compares the standard library with the base64 the codec
// uses, on the body of a token of a 1 KiB value (1,145 bytes, 1,528 of
// base64):
//
//	go test -run '^$' -bench Base64 -count 10 ./codec | benchstat -col /impl -
func BenchmarkBase64(b *testing.B) {
	const n = 1145
	bin := make([]byte, n)
	for i := range bin {
		bin[i] = byte(i * 7)
	}
	tok := make([]byte, base64Len(n))
	std := stdbase64.URLEncoding.Strict()
	std.Encode(tok, bin)
	out := make([]byte, len(tok)/4*3)
	for _, impl := range []string{"std", "codec"} {
		b.Run("op=encode/impl="+impl, func(b *testing.B) {
			b.SetBytes(n)
			b.ReportAllocs()
			for b.Loop() {
				if impl == "std" {
					std.Encode(tok, bin)
				} else {
					encodeBase64(tok, bin)
				}
			}
		})
		b.Run("op=decode/impl="+impl, func(b *testing.B) {
			b.SetBytes(n)
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if impl == "std" {
					_, err = std.Decode(out, tok)
				} else {
					_, err = decodeBase64(out, tok)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
