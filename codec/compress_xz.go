package codec

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"

	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

// xzMagic starts an xz stream; Python's lzma.decompress also reads the older
// .lzma ("alone") format, which has no magic.
var xzMagic = []byte{0xfd, '7', 'z', 'X', 'Z', 0}

type lzmaCompressor struct{ limit int64 }

func (lzmaCompressor) Name() string { return "lzma" }

func (lzmaCompressor) Compress(b []byte) ([]byte, error) {
	if len(b) <= 100 {
		return b, nil
	}
	return compressWith(b, func(buf *bytes.Buffer) (io.WriteCloser, error) {
		return xz.WriterConfig{DictCap: 4 << 20, CheckSum: xz.CRC64}.NewWriter(buf) // preset 4: 4 MiB dictionary
	})
}

// Decompress reads the xz container itself (xzReader) rather than through
// xz.NewReader, which allocates whatever dictionary each block header
// declares (a 72-byte value declaring 1.5 GiB allocated 1.5 GiB).
func (l lzmaCompressor) Decompress(b []byte) ([]byte, error) {
	if bytes.HasPrefix(b, xzMagic) {
		sizes, total, err := xzBlockSizes(b, l.limit)
		if err != nil {
			return nil, err
		}
		r := &xzReader{in: b, sizes: sizes, dictLeft: l.limit + 1 + lzma.MinDictCap + xzBlockState}
		return readCapped(r, l.limit, int(total))
	}
	if len(b) < 13 {
		return nil, errors.New("codec: lzma: too short")
	}
	// The .lzma format has no magic, so any stored value may parse as its
	// header: its dictionary is held to 4 KiB (DictCap is a limit for
	// this format), so a mis-parse costs nothing.
	r, err := lzma.ReaderConfig{DictCap: 1 << 12}.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return readCapped(r, l.limit, sizeHint(len(b)))
}

var errXZ = errors.New("codec: lzma: malformed xz stream")

// xzBlockState is what a block's LZMA2 decoder allocates besides its
// dictionary (probability tables: at most 24 KiB for lc+lp = 4), charged to
// the dictionary budget so that the number of blocks is bounded too.
const xzBlockState = 32 << 10

// xzReader reads the xz container (streams, blocks, index, footer: the
// xz-file-format 1.0.4 layout) from an input held in memory, with a cursor
// into it, and inflates each block's LZMA2 data with lzma.Reader2. It
// accepts what Python's lzma.decompress and xz.NewReader accept with the
// LZMA2 filter alone (the only one either writes), and verifies every CRC,
// check and index record.
//
// Unlike xz.NewReader it bounds the dictionaries it allocates. The indexes
// at the end of the input (read first, by xzBlockSizes) give every block's
// size: a block may output no more than that, its dictionary is no larger
// (at least 4 KiB), and the dictionaries of all blocks, each counted with
// xzBlockState for its decoder's tables, add up to at most the cap plus
// 36 KiB (dictLeft), so neither a header declaring a 4 GiB dictionary nor
// thousands of tiny blocks cost more than the cap.
type xzReader struct {
	in       []byte
	pos      int     // cursor into in
	sizes    []int64 // uncompressed size of every block, from the indexes
	nblock   int     // blocks started
	dictLeft int64   // dictionary bytes blocks may still allocate

	inStream bool // between a stream header and its footer
	streams  int  // streams read
	flags    byte // check type of the current stream
	records  []xzRecord

	block *xzBlock // the block being read, nil between blocks
}

type xzRecord struct{ unpadded, uncompressed int64 }

type xzBlock struct {
	src                  *bytes.Reader // in from the start of the block's data
	data                 io.Reader
	hash                 hash.Hash
	headerLen            int
	compSize, uncompSize int64 // declared, or -1
	n                    int64 // bytes output
}

func (r *xzReader) Read(p []byte) (int, error) {
	for {
		if b := r.block; b != nil {
			n, err := b.data.Read(p)
			b.n += int64(n)
			if b.hash != nil {
				b.hash.Write(p[:n])
			}
			if b.uncompSize >= 0 && b.n > b.uncompSize {
				return n, errXZ
			}
			if err == io.EOF {
				if err := r.endBlock(); err != nil {
					return n, err
				}
				if n == 0 {
					continue
				}
				return n, nil
			}
			return n, err
		}
		if err := r.next(); err != nil {
			return 0, err
		}
	}
}

// next reads the container up to the next block's data (starting r.block),
// or returns io.EOF at the end of the input.
func (r *xzReader) next() error {
	for {
		if !r.inStream {
			if r.streams > 0 {
				for r.pos+4 <= len(r.in) && binary.LittleEndian.Uint32(r.in[r.pos:]) == 0 {
					r.pos += 4 // stream padding
				}
				if r.pos == len(r.in) {
					return io.EOF
				}
			}
			if err := r.streamHeader(); err != nil {
				return err
			}
			continue
		}
		if r.pos >= len(r.in) {
			return io.ErrUnexpectedEOF
		}
		if r.in[r.pos] == 0 { // index indicator
			if err := r.indexAndFooter(); err != nil {
				return err
			}
			continue
		}
		return r.blockHeader()
	}
}

func (r *xzReader) streamHeader() error {
	h := r.in[r.pos:]
	if len(h) < 12 || !bytes.Equal(h[:6], xzMagic) || h[6] != 0 || !xzCheckKnown(h[7]) ||
		crc32.ChecksumIEEE(h[6:8]) != binary.LittleEndian.Uint32(h[8:12]) {
		return errXZ
	}
	r.flags, r.records, r.inStream = h[7], r.records[:0], true
	r.pos += 12
	return nil
}

func xzCheckKnown(flags byte) bool {
	return flags == 0 || flags == 1 || flags == 4 || flags == 0xa
}

func (r *xzReader) newHash() hash.Hash {
	switch r.flags {
	case 1:
		return crc32.NewIEEE()
	case 4:
		return crc64.New(crc64Table)
	case 0xa:
		return sha256.New()
	}
	return nil
}

var crc64Table = crc64.MakeTable(crc64.ECMA)

// checkSum is the check field of a block: CRC32 and CRC64 little-endian.
func checkSum(h hash.Hash) []byte {
	switch h := h.(type) {
	case nil:
		return nil
	case hash.Hash32:
		return binary.LittleEndian.AppendUint32(nil, h.Sum32())
	case hash.Hash64:
		return binary.LittleEndian.AppendUint64(nil, h.Sum64())
	default:
		return h.Sum(nil)
	}
}

func (r *xzReader) blockHeader() error {
	size := (int(r.in[r.pos]) + 1) * 4
	if len(r.in)-r.pos < size {
		return errXZ
	}
	h := r.in[r.pos : r.pos+size]
	if crc32.ChecksumIEEE(h[:size-4]) != binary.LittleEndian.Uint32(h[size-4:]) {
		return errXZ
	}
	flags := h[1]
	if flags&0x3f != 0 { // reserved bits, and more than one filter
		return errXZ
	}
	b := &xzBlock{headerLen: size, compSize: -1, uncompSize: -1, hash: r.newHash()}
	q := 2
	var err error
	if flags&0x40 != 0 {
		if b.compSize, q, err = xzUvarint(h[:size-4], q); err != nil || b.compSize == 0 {
			return errXZ
		}
	}
	if flags&0x80 != 0 {
		if b.uncompSize, q, err = xzUvarint(h[:size-4], q); err != nil {
			return errXZ
		}
	}
	// The one filter: LZMA2 (0x21) with its one property byte.
	if size-4-q < 3 || h[q] != 0x21 || h[q+1] != 1 {
		return errXZ
	}
	declared, err := lzma.DecodeDictCap(h[q+2])
	if err != nil {
		return errXZ
	}
	for _, c := range h[q+3 : size-4] {
		if c != 0 {
			return errXZ
		}
	}
	if r.nblock == len(r.sizes) || (b.uncompSize >= 0 && b.uncompSize != r.sizes[r.nblock]) {
		return errXZ
	}
	b.uncompSize = r.sizes[r.nblock]
	r.nblock++
	dict := max(min(declared, b.uncompSize), lzma.MinDictCap)
	if dict+xzBlockState > r.dictLeft {
		return ErrTooLarge
	}
	r.dictLeft -= dict + xzBlockState
	r.pos += size
	b.src = bytes.NewReader(r.in[r.pos:])
	if b.data, err = (lzma.Reader2Config{DictCap: int(dict)}).NewReader2(b.src); err != nil {
		return errXZ
	}
	r.block = b
	return nil
}

// endBlock checks a block's sizes, padding and check once its data is read.
func (r *xzReader) endBlock() error {
	b := r.block
	r.block = nil
	comp := int64(len(r.in)-r.pos) - int64(b.src.Len())
	if (b.compSize >= 0 && comp != b.compSize) || (b.uncompSize >= 0 && b.n != b.uncompSize) {
		return errXZ
	}
	r.pos += int(comp)
	pad := int((4 - comp%4) % 4)
	sum := checkSum(b.hash)
	if len(r.in)-r.pos < pad+len(sum) {
		return io.ErrUnexpectedEOF
	}
	for _, c := range r.in[r.pos : r.pos+pad] {
		if c != 0 {
			return errXZ
		}
	}
	r.pos += pad
	if !bytes.Equal(r.in[r.pos:r.pos+len(sum)], sum) {
		return errXZ
	}
	r.pos += len(sum)
	r.records = append(r.records, xzRecord{int64(b.headerLen) + comp + int64(len(sum)), b.n})
	return nil
}

// indexAndFooter checks the index against the blocks read, and the footer.
func (r *xzReader) indexAndFooter() error {
	start := r.pos
	q := start + 1
	count, q, err := xzUvarint(r.in, q)
	if err != nil || count != int64(len(r.records)) {
		return errXZ
	}
	for _, rec := range r.records {
		var unpadded, uncompressed int64
		if unpadded, q, err = xzUvarint(r.in, q); err != nil {
			return errXZ
		}
		if uncompressed, q, err = xzUvarint(r.in, q); err != nil {
			return errXZ
		}
		if unpadded != rec.unpadded || uncompressed != rec.uncompressed {
			return errXZ
		}
	}
	pad := (4 - (q-start)%4) % 4
	if len(r.in)-q < pad+4+12 {
		return io.ErrUnexpectedEOF
	}
	for _, c := range r.in[q : q+pad] {
		if c != 0 {
			return errXZ
		}
	}
	q += pad
	if crc32.ChecksumIEEE(r.in[start:q]) != binary.LittleEndian.Uint32(r.in[q:]) {
		return errXZ
	}
	q += 4
	f := r.in[q : q+12]
	if crc32.ChecksumIEEE(f[4:10]) != binary.LittleEndian.Uint32(f) ||
		int64(binary.LittleEndian.Uint32(f[4:]))+1 != int64(q-start)/4 ||
		f[8] != 0 || f[9] != r.flags || f[10] != 'Y' || f[11] != 'Z' {
		return errXZ
	}
	r.pos = q + 12
	r.inStream = false
	r.streams++
	return nil
}

// xzUvarint decodes the xz multibyte integer at b[i:] (at most nine bytes,
// no redundant trailing zero) and returns it with the index after it.
func xzUvarint(b []byte, i int) (int64, int, error) {
	var x uint64
	for k := 0; k < 9 && i < len(b); k++ {
		c := b[i]
		i++
		x |= uint64(c&0x7f) << (7 * k)
		if c&0x80 == 0 {
			if k > 0 && c == 0 {
				return 0, i, errXZ
			}
			return int64(x), i, nil
		}
	}
	return 0, i, errXZ
}

// xzBlockSizes reads the streams of in from its end (stream padding, footer,
// index, stream header), which is what a reader holding the whole input can
// check before inflating anything, and returns the uncompressed size of
// every block as the indexes record them, in order, and their total. A
// total past limit is ErrTooLarge. It reads each index once: linear time.
func xzBlockSizes(in []byte, limit int64) (sizes []int64, total int64, err error) {
	var streams [][]int64
	end := len(in)
	for end > 0 {
		for end >= 4 && binary.LittleEndian.Uint32(in[end-4:end]) == 0 {
			end -= 4 // stream padding
		}
		if end < 12+8+12 { // header, the smallest index, footer
			return nil, 0, errXZ
		}
		f := in[end-12 : end]
		if f[10] != 'Y' || f[11] != 'Z' || f[8] != 0 || !xzCheckKnown(f[9]) ||
			crc32.ChecksumIEEE(f[4:10]) != binary.LittleEndian.Uint32(f) {
			return nil, 0, errXZ
		}
		indexStart := int64(end-12) - (int64(binary.LittleEndian.Uint32(f[4:]))+1)*4
		if indexStart < 12 {
			return nil, 0, errXZ
		}
		idx := in[indexStart : end-12]
		if len(idx) < 8 { // indicator, count, padding, CRC32
			return nil, 0, errXZ
		}
		body := idx[:len(idx)-4]
		if body[0] != 0 || crc32.ChecksumIEEE(body) != binary.LittleEndian.Uint32(idx[len(idx)-4:]) {
			return nil, 0, errXZ
		}
		count, q, err := xzUvarint(body, 1)
		if err != nil || count > int64(len(body)/2) { // a record takes two bytes or more
			return nil, 0, errXZ
		}
		ss := make([]int64, count)
		blocks := int64(0) // bytes of the stream's blocks
		for i := range ss {
			var unpadded int64
			if unpadded, q, err = xzUvarint(body, q); err != nil || unpadded > int64(len(in)) {
				return nil, 0, errXZ
			}
			if ss[i], q, err = xzUvarint(body, q); err != nil {
				return nil, 0, errXZ
			}
			if ss[i] > limit-total {
				return nil, 0, ErrTooLarge
			}
			total += ss[i]
			if blocks += (unpadded + 3) &^ 3; blocks > int64(len(in)) {
				return nil, 0, errXZ
			}
		}
		for _, c := range body[q:] {
			if c != 0 {
				return nil, 0, errXZ
			}
		}
		start := indexStart - blocks - 12
		if start < 0 || !bytes.Equal(in[start:start+6], xzMagic) || in[start+7] != f[9] {
			return nil, 0, errXZ
		}
		streams = append(streams, ss)
		end = int(start)
	}
	for i := len(streams) - 1; i >= 0; i-- {
		sizes = append(sizes, streams[i]...)
	}
	return sizes, total, nil
}
