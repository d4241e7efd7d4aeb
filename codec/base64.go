package codec

import (
	"bytes"
	stdbase64 "encoding/base64"
	"strings"

	asmbase64 "github.com/segmentio/asm/base64"
)

// Fernet tokens are padded URL-safe base64. The standard library encodes and
// decodes about 1 byte per nanosecond, which made base64 as costly as AES and
// HMAC together for a 1 KiB value. github.com/segmentio/asm uses AVX2 (and
// NEON on arm64) where the CPU has it and falls back to the standard library
// otherwise and for the last bytes, so the output is the same byte for byte:
// BenchmarkBase64 compares both in one run.
//
// Decoding is strict: non-zero padding bits are refused, so a token has one
// spelling.
var fastBase64 = asmbase64.URLEncoding.Strict()

// encodeBase64 writes the padded URL-safe base64 of src to dst, which must
// hold base64Len(len(src)) bytes.
func encodeBase64(dst, src []byte) { fastBase64.Encode(dst, src) }

// base64Len is the length of the padded base64 of n bytes.
func base64Len(n int) int { return stdbase64.URLEncoding.EncodedLen(n) }

// decodeBase64 decodes strict, padded URL-safe base64 into dst, which must
// hold len(src)/4*3 bytes, and accepts exactly what the standard library's
// strict URL-safe decoding accepts (FuzzBase64 checks it against the standard
// library). The AVX2 decoder of segmentio/asm reads '/' and '+' of the
// standard alphabet as well as '_' and '-', so a token spelled with them is
// refused here first: otherwise a token would have two spellings.
func decodeBase64(dst, src []byte) (int, error) {
	if bytes.IndexByte(src, '/') >= 0 || bytes.IndexByte(src, '+') >= 0 {
		return 0, stdbase64.CorruptInputError(0)
	}
	return fastBase64.Decode(dst, src)
}

// decodeBase64String is decodeBase64 for a token held in a string, as go-redis
// returns a reply: it decodes from the string itself into a new buffer of
// len(src)/4*3 bytes, with no copy of src, and accepts what decodeBase64
// accepts (FuzzBase64).
func decodeBase64String(src string) ([]byte, error) {
	if strings.IndexByte(src, '/') >= 0 || strings.IndexByte(src, '+') >= 0 {
		return nil, stdbase64.CorruptInputError(0)
	}
	return fastBase64.DecodeString(src)
}
