package codec_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	"github.com/secureredis/secureredis/codec"
)

var compressorNames = []string{"zlib", "gzip", "lzma", "lz4", "zstd"}

// testCap is the decompression cap of the bomb tests: small, so bombs are
// cheap to build, and large against the decoders' own state.
const testCap = 4 << 20

// bombSlack bounds what one Decompress of a bomb allocates beyond the cap,
// for every compressor: 1 MiB (measured at a 4 MiB cap: zlib 48 KiB, gzip
// 57 KiB, lz4 145 KiB, zstd 0 for an honest frame, 144 KiB for a lying one
// and 380 KiB for streamed frames, lzma 16 bytes for an honest index). An xz block whose index lies
// also holds its dictionary, at most the cap, and ulikunitz's reader takes
// a 32 KiB copy buffer per uncompressed LZMA2 chunk (half the input at
// most): its bound is twice the cap, plus half the input, plus bombSlack.
// An lz4 frame declaring 4 MiB blocks (pierrec's default, and what this
// library wrote before it chose Python's 64 KiB) holds a compressed and an
// inflated block: lz4BlockSlack more.
const (
	bombSlack     = 1 << 20
	lz4BlockSlack = 8 << 20
)

func newCapped(tb testing.TB, name string, limit int64) codec.Compressor {
	tb.Helper()
	c, err := codec.NewCompressor(name, codec.WithMaxDecompressedSize(limit))
	if err != nil {
		tb.Fatalf("NewCompressor(%s): %v", name, err)
	}
	return c
}

func mustCompress(tb testing.TB, c codec.Compressor, b []byte) []byte {
	tb.Helper()
	out, err := c.Compress(b)
	if err != nil {
		tb.Fatalf("%s: Compress: %v", c.Name(), err)
	}
	return out
}

// allocated returns the bytes f allocates on the heap (TotalAlloc delta):
// everything, not just what is live at the end, so a buffer that doubles
// counts each time.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// zstdNoFCS is a zstd frame of b that does not declare its content size,
// as a streaming compressor writes it.
func zstdNoFCS(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w, err := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(64<<10))
	if err != nil {
		tb.Fatal(err)
	}
	// Two writes with a flush between: the frame cannot declare a size.
	if _, err := w.Write(b[:len(b)/2]); err != nil {
		tb.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if _, err := w.Write(b[len(b)/2:]); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	var h zstd.Header
	if err := h.Decode(buf.Bytes()); err != nil || h.HasFCS {
		tb.Fatalf("streaming zstd frame: %v, declares its size: %v", err, h.HasFCS)
	}
	return buf.Bytes()
}

// bombs returns, per compressor, values that inflate past testCap: honest
// ones (what the compressor writes for 16 MiB of zeros), and ones whose
// headers lie about their size.
func bombs(tb testing.TB) map[string][]byte {
	tb.Helper()
	zeros := make([]byte, 4*testCap)
	out := map[string][]byte{}
	for _, name := range compressorNames {
		out[name] = mustCompress(tb, newCapped(tb, name, testCap), zeros)
	}
	out["zstd/no-size"] = zstdNoFCS(tb, zeros)
	// 4 MiB blocks, the largest lz4 frames declare.
	var lz4buf bytes.Buffer
	w := lz4.NewWriter(&lz4buf)
	if err := w.Apply(lz4.BlockSizeOption(lz4.Block4Mb)); err != nil {
		tb.Fatal(err)
	}
	if _, err := w.Write(zeros); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	out["lz4/4MiB-blocks"] = lz4buf.Bytes()
	// Frames that do not declare their size, each under the cap.
	out["zstd/frames-no-size"] = bytes.Repeat(zstdNoFCS(tb, make([]byte, 1<<20)), 8)
	// A first frame declaring 16 bytes, then one that does not declare.
	out["zstd/small-then-no-size"] = append(mustCompress(tb, newCapped(tb, "zstd", testCap), make([]byte, 16)), out["zstd/no-size"]...)
	// The frame content size of an honest frame rewritten to 1000.
	lying := bytes.Clone(out["zstd"])
	var h zstd.Header
	if err := h.Decode(lying); err != nil || !h.HasFCS || h.HeaderSize != 10 {
		tb.Fatalf("zstd header: %+v, %v", h, err)
	}
	binary.LittleEndian.PutUint32(lying[6:], 1000) // 4-byte FCS field after magic, descriptor, window
	out["zstd/lying-size"] = lying
	// An xz block whose index records the cap but which inflates past it.
	var chunks []byte
	for i := range 4 * testCap / (64 << 10) {
		chunks = append(chunks, lzma2Chunk(i == 0, make([]byte, 64<<10))...)
	}
	out["lzma/lying-index"] = xzStream(40, [][]byte{append(chunks, 0)}, []uint64{testCap})
	return out
}

// TestDecompressBombs: every compressor's bomb, honest or lying about its
// size, fails with ErrTooLarge having allocated no more than the cap plus
// a stated constant, measured in bytes (TotalAlloc), warm or cold.
func TestDecompressBombs(t *testing.T) {
	for name, bomb := range bombs(t) {
		t.Run(name, func(t *testing.T) {
			base, _, _ := strings.Cut(name, "/")
			comp := newCapped(t, base, testCap)
			bound := uint64(testCap + bombSlack)
			switch name {
			case "lzma/lying-index":
				bound += testCap + uint64(len(bomb)/2)
			case "lz4/4MiB-blocks":
				bound += lz4BlockSlack
			}
			for _, round := range []string{"cold", "warm"} {
				var err error
				n := allocated(func() { _, err = comp.Decompress(bomb) })
				if name == "lzma/lying-index" {
					// The block outputs past what the index records.
					if err == nil || errors.Is(err, codec.ErrTooLarge) {
						t.Fatalf("%s: err = %v, want a malformed stream", round, err)
					}
				} else if !errors.Is(err, codec.ErrTooLarge) {
					t.Fatalf("%s: err = %v, want ErrTooLarge", round, err)
				}
				t.Logf("%s: %d-byte bomb: %v, allocated %d bytes (cap %+d)", round, len(bomb), err, n, int64(n)-testCap)
				if n > bound {
					t.Errorf("%s: allocated %d bytes, want at most %d", round, n, bound)
				}
			}
		})
	}
}

// TestDecompressAtTheCap: a value of exactly the cap decompresses, one byte
// more is ErrTooLarge, for every compressor.
func TestDecompressAtTheCap(t *testing.T) {
	const limit = 64 << 10
	for _, name := range compressorNames {
		comp := newCapped(t, name, limit)
		for _, n := range []int{limit, limit + 1} {
			in := bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n]
			got, err := comp.Decompress(mustCompress(t, comp, in))
			switch {
			case n == limit && (err != nil || !bytes.Equal(got, in)):
				t.Errorf("%s: %d bytes at a %d cap: %v", name, n, limit, err)
			case n > limit && !errors.Is(err, codec.ErrTooLarge):
				t.Errorf("%s: %d bytes at a %d cap: %v, want ErrTooLarge", name, n, limit, err)
			}
		}
	}
	got, err := newCapped(t, "zstd", limit).Decompress(zstdNoFCS(t, make([]byte, limit)))
	if err != nil || len(got) != limit {
		t.Errorf("zstd without content size at the cap: %d bytes, %v", len(got), err)
	}
}

func TestWithMaxDecompressedSize(t *testing.T) {
	for _, n := range []int64{0, -1, 1<<30 + 1} {
		if _, err := codec.NewCompressor("zlib", codec.WithMaxDecompressedSize(n)); err == nil {
			t.Errorf("WithMaxDecompressedSize(%d) accepted", n)
		}
	}
	// The default is MaxDecompressedSize.
	z := newCapped(t, "zlib", codec.MaxDecompressedSize)
	def, _ := codec.NewCompressor("zlib")
	big := mustCompress(t, z, make([]byte, codec.MaxDecompressedSize+1))
	if _, err := def.Decompress(big); !errors.Is(err, codec.ErrTooLarge) {
		t.Errorf("default cap: %v", err)
	}
}

// xzStream builds an xz stream (no check) from LZMA2 block data, each block
// header declaring the dictionary code dictByte.
func xzStream(dictByte byte, blocks [][]byte, sizes []uint64) []byte {
	out := []byte{0xfd, '7', 'z', 'X', 'Z', 0, 0, 0}
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE([]byte{0, 0}))
	var index []byte
	index = append(index, 0)
	index = binary.AppendUvarint(index, uint64(len(blocks)))
	for i, data := range blocks {
		h := []byte{2, 0, 0x21, 1, dictByte, 0, 0, 0} // (2+1)*4 bytes with the CRC
		h = binary.LittleEndian.AppendUint32(h, crc32.ChecksumIEEE(h))
		out = append(out, h...)
		out = append(out, data...)
		for k := len(data); k%4 != 0; k++ {
			out = append(out, 0)
		}
		index = binary.AppendUvarint(index, uint64(len(h)+len(data)))
		index = binary.AppendUvarint(index, sizes[i])
	}
	for len(index)%4 != 0 {
		index = append(index, 0)
	}
	index = binary.LittleEndian.AppendUint32(index, crc32.ChecksumIEEE(index))
	out = append(out, index...)
	f := binary.LittleEndian.AppendUint32(nil, uint32(len(index)/4-1))
	f = append(f, 0, 0)
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(f))
	return append(append(out, f...), 'Y', 'Z')
}

// lzma2Chunk is an LZMA2 uncompressed chunk holding b (1 to 64 KiB), with
// a dictionary reset if reset.
func lzma2Chunk(reset bool, b []byte) []byte {
	ctl := byte(2)
	if reset {
		ctl = 1
	}
	return append([]byte{ctl, byte((len(b) - 1) >> 8), byte(len(b) - 1)}, b...)
}

// lzma2One is LZMA2 data of one chunk holding b, and the end marker.
func lzma2One(b []byte) []byte { return append(lzma2Chunk(true, b), 0) }

// TestXZHugeDictionary: a block header declaring a 4 GiB dictionary (the
// 72-byte value that made xz.NewReader allocate 1.5 GiB) costs what its
// content needs; thousands of such blocks stop at the cap.
func TestXZHugeDictionary(t *testing.T) {
	comp := newCapped(t, "lzma", testCap)
	one := xzStream(40, [][]byte{lzma2One([]byte("hello"))}, []uint64{5})
	var got []byte
	var err error
	n := allocated(func() { got, err = comp.Decompress(one) })
	if err != nil || string(got) != "hello" {
		t.Fatalf("Decompress = %q, %v", got, err)
	}
	if n > 256<<10 {
		t.Errorf("a 4 GiB dictionary declared, %d bytes allocated; want at most 256 KiB", n)
	}
	t.Logf("%d-byte stream declaring a 4 GiB dictionary: %d bytes allocated", len(one), n)

	const count = 5000
	blocks, sizes := make([][]byte, count), make([]uint64, count)
	for i := range blocks {
		blocks[i], sizes[i] = lzma2One([]byte{'x'}), 1
	}
	many := xzStream(40, blocks, sizes)
	n = allocated(func() { _, err = comp.Decompress(many) })
	if !errors.Is(err, codec.ErrTooLarge) {
		t.Errorf("%d blocks: %v, want ErrTooLarge", count, err)
	}
	if n > 2*testCap+bombSlack {
		t.Errorf("%d blocks: %d bytes allocated, want at most %d", count, n, 2*testCap+bombSlack)
	}
	t.Logf("%d-byte stream of %d blocks: %v, %d bytes allocated", len(many), count, err, n)
	// The same count within the budget decodes.
	few := xzStream(40, blocks[:50], sizes[:50])
	if got, err := comp.Decompress(few); err != nil || len(got) != 50 {
		t.Errorf("50 blocks: %d bytes, %v", len(got), err)
	}
}

// TestXZMalformed: truncations and flipped bytes of an xz stream are errors
// (never a panic, never a wrong value), as each CRC and the index catch them.
func TestXZMalformed(t *testing.T) {
	comp := newCapped(t, "lzma", testCap)
	want := bytes.Repeat([]byte("xz container "), 40)
	x := mustCompress(t, comp, want)
	x = append(x, 0, 0, 0, 0) // stream padding is allowed
	if got, err := comp.Decompress(x); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("round trip with padding: %v", err)
	}
	two := append(bytes.Clone(x), x...) // concatenated streams, as Python reads them
	if got, err := comp.Decompress(two); err != nil || !bytes.Equal(got, append(bytes.Clone(want), want...)) {
		t.Fatalf("two streams: %v", err)
	}
	for i := range x[:len(x)-4] {
		if _, err := comp.Decompress(x[:i]); err == nil {
			t.Errorf("truncated to %d bytes: decompressed", i)
		}
		flipped := bytes.Clone(x)
		flipped[i] ^= 0x01
		if got, err := comp.Decompress(flipped); err == nil && !bytes.Equal(got, want) {
			t.Errorf("byte %d flipped: decompressed to another value", i)
		}
	}
}
