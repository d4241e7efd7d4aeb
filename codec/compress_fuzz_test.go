package codec_test

import (
	"bytes"
	"testing"

	"github.com/secureredis/secureredis/codec"
)

// fuzzCap is the decompression cap of the fuzz targets: small, so that a
// bomb the fuzzer finds costs little.
const fuzzCap = 1 << 20

// checkDecompress runs comp.Decompress on data: it must not panic, and
// must return an error and no output, or at most the cap. (Round trips are
// TestCompressorsRoundTrip's: the xz writer is too slow to build per input.)
func checkDecompress(t *testing.T, comp codec.Compressor, data []byte) {
	out, err := comp.Decompress(data)
	if err != nil && out != nil {
		t.Fatalf("%s: error %v with %d bytes of output", comp.Name(), err, len(out))
	}
	if len(out) > fuzzCap {
		t.Fatalf("%s: %d bytes, past the %d cap", comp.Name(), len(out), fuzzCap)
	}
}

// FuzzDecompress: every compressor (chosen by the first byte) on arbitrary
// bytes, the unauthenticated path of a Django alias with a COMPRESSOR.
func FuzzDecompress(f *testing.F) {
	comps := make([]codec.Compressor, len(compressorNames))
	for i, name := range compressorNames {
		comps[i] = newCapped(f, name, fuzzCap)
	}
	for i, comp := range comps {
		for _, v := range [][]byte{
			bytes.Repeat([]byte("gAAAAABk fernet token "), 20),
			make([]byte, 2*fuzzCap), // a bomb
		} {
			f.Add(byte(i), mustCompress(f, comp, v))
		}
	}
	f.Add(byte(3), zstdNoFCS(f, make([]byte, 4096)))
	f.Fuzz(func(t *testing.T, which byte, data []byte) {
		checkDecompress(t, comps[int(which)%len(comps)], data)
	})
}

// FuzzDecompressXZ: the xz container reader (codec's own) on arbitrary
// bytes, seeded with streams of several blocks and huge dictionaries.
func FuzzDecompressXZ(f *testing.F) {
	comp := newCapped(f, "lzma", fuzzCap)
	f.Add(mustCompress(f, comp, bytes.Repeat([]byte("xz "), 100)))
	f.Add(xzStream(40, [][]byte{lzma2One([]byte("hello")), lzma2One([]byte("world"))}, []uint64{5, 5}))
	f.Add(xzStream(12, [][]byte{lzma2One(make([]byte, 1000))}, []uint64{1000}))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecompress(t, comp, data)
	})
}
