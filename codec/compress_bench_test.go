package codec_test

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand"
	"testing"

	"github.com/pierrec/lz4/v4"

	"github.com/secureredis/secureredis/codec"
)

// Decoding adversarial compressed values of 64 KiB, 256 KiB and 1 MiB, at
// the default cap (32 MiB), to show the cost is linear in the input and
// bounded by the cap:
//
//	go test -run '^$' -bench 'Decompress' -count 5 ./codec | tee bench.txt
//	benchstat bench.txt
//
// "bomb" inputs of at least the given size inflate past the cap (zeros:
// zlib and gzip one stream, lz4 one frame, zstd frames that do not declare
// their size, lzma xz streams that do); "text" inputs are twice the size in
// random letters compressed (between the size and twice it, depending on
// the compressor), under the cap. MB/s is of the compressed input.

var bombSizes = []int{64 << 10, 256 << 10, 1 << 20}

// streamOfZeros writes zeros through w, past the default cap, until buf
// holds at least n bytes.
func streamOfZeros(tb testing.TB, w io.WriteCloser, buf *bytes.Buffer, n int) []byte {
	tb.Helper()
	zeros := make([]byte, 1<<20)
	for written := 0; buf.Len() < n || written <= codec.MaxDecompressedSize; written += len(zeros) {
		if _, err := w.Write(zeros); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// repeatUntil concatenates unit until the result holds at least n bytes.
func repeatUntil(unit []byte, n int) []byte {
	return bytes.Repeat(unit, (n+len(unit)-1)/len(unit))
}

func benchBomb(tb testing.TB, name string, n int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	switch name {
	case "zlib":
		w, _ := zlib.NewWriterLevel(&buf, 6)
		return streamOfZeros(tb, w, &buf, n)
	case "gzip":
		w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		return streamOfZeros(tb, w, &buf, n)
	case "lz4":
		w := lz4.NewWriter(&buf)
		return streamOfZeros(tb, w, &buf, n)
	case "zstd":
		return repeatUntil(zstdNoFCS(tb, make([]byte, 8<<20)), n)
	case "lzma":
		comp, _ := codec.NewCompressor("lzma")
		return repeatUntil(mustCompress(tb, comp, make([]byte, 1<<20)), n)
	}
	tb.Fatalf("no bomb for %s", name)
	return nil
}

func benchText(tb testing.TB, comp codec.Compressor, n int) []byte {
	tb.Helper()
	rng := rand.New(rand.NewSource(1))
	text := make([]byte, 2*n)
	for i := range text {
		text[i] = "abcdefghijklmnop"[rng.Intn(16)]
	}
	return mustCompress(tb, comp, text)
}

func BenchmarkDecompress(b *testing.B) {
	for _, name := range compressorNames {
		comp, err := codec.NewCompressor(name)
		if err != nil {
			b.Fatal(err)
		}
		for _, kind := range []string{"bomb", "text"} {
			for _, size := range bombSizes {
				var in []byte
				if kind == "bomb" {
					in = benchBomb(b, name, size)
				} else {
					in = benchText(b, comp, size)
				}
				b.Run(fmt.Sprintf("%s/%s/size=%dKiB", name, kind, size>>10), func(b *testing.B) {
					b.ReportAllocs()
					b.SetBytes(int64(len(in)))
					for b.Loop() {
						_, err := comp.Decompress(in)
						if (kind == "bomb") != (err != nil) {
							b.Fatalf("%s: %v", kind, err)
						}
					}
				})
			}
		}
	}
}

// xzLying rebuilds the single-block xz stream x (as Compress writes it) with
// no sizes in its block header and an index that records claimed bytes: a
// bomb that xzBlockSizes cannot refuse up front, so the block inflates until
// it passes what the index says.
func xzLying(tb testing.TB, x []byte, claimed uint64) []byte {
	tb.Helper()
	hdrLen := (int(x[12]) + 1) * 4
	footer := x[len(x)-12:]
	indexLen := (int(binary.LittleEndian.Uint32(footer[4:])) + 1) * 4
	index := x[len(x)-12-indexLen:]
	unpadded, _ := binary.Uvarint(index[2:])
	const crc64Len = 8
	data := x[12+hdrLen : 12+int(unpadded)-crc64Len]
	return xzStream(40, [][]byte{data}, []uint64{claimed})
}

// BenchmarkDecompressXZLyingIndex: LZMA-compressed zeros (the 20 KB value
// that cost 6.3 s per Get uncapped) whose index claims the default cap, so
// the block inflates the whole cap before failing: the worst CPU an xz
// value can cost per Get.
func BenchmarkDecompressXZLyingIndex(b *testing.B) {
	comp, err := codec.NewCompressor("lzma")
	if err != nil {
		b.Fatal(err)
	}
	in := xzLying(b, mustCompress(b, comp, make([]byte, 128<<20)), codec.MaxDecompressedSize)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := comp.Decompress(in); err == nil {
			b.Fatal("decompressed")
		}
	}
}
