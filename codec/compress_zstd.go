package codec

import (
	"bytes"
	"errors"

	"github.com/klauspost/compress/zstd"
)

// zstdMaxBlock is the most a zstd block inflates to (128 KiB); with
// zstdSlack more, an output buffer never has to grow while the decoder
// overshoots its bound by one block before noticing.
const (
	zstdMaxBlock = 128 << 10
	zstdSlack    = zstdMaxBlock + 64
)

type zstdCompressor struct {
	limit int64
	enc   *zstd.Encoder
	// dec decodes into the buffer it is given and never grows it
	// (WithDecodeAllCapLimit), and never past limit.
	dec *zstd.Decoder
}

func newZstd(limit int64) (Compressor, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		return nil, err
	}
	dec, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(0),
		// The output, checked after each block, and the window: a frame
		// declaring a window larger than the cap is refused (at the
		// default cap, only zstd --long and --ultra levels write one).
		zstd.WithDecoderMaxMemory(uint64(limit)),
		zstd.WithDecoderMaxWindow(uint64(max(limit, zstd.MinWindowSize))),
		zstd.WithDecodeAllCapLimit(true))
	if err != nil {
		return nil, err
	}
	return &zstdCompressor{limit: limit, enc: enc, dec: dec}, nil
}

func (*zstdCompressor) Name() string { return "zstd" }

func (z *zstdCompressor) Compress(b []byte) ([]byte, error) {
	if len(b) <= 15 {
		return b, nil
	}
	return z.enc.EncodeAll(b, nil), nil // with the frame content size, as pyzstd writes
}

// Decompress sizes the output buffer before decoding: to the content sizes
// the frames declare (pyzstd and Compress always declare it), refusing a
// total past the cap without decoding anything; for one frame that does not
// declare it, first to a small multiple of the input, then once to the cap.
// The decoder never grows the buffer, so a bomb costs at most the cap plus
// one zstd block (zstdSlack) of output buffer. Several frames not all
// declaring their size are streamed through readCapped instead (DecodeAll
// checks its bound per frame, so a later frame could grow the buffer): a
// bomb then costs the cap plus the window the frame declares (at most the
// cap).
func (z *zstdCompressor) Decompress(b []byte) ([]byte, error) {
	declared, frames, known, err := zstdContentSize(b, z.limit)
	switch {
	case err != nil:
		return nil, err
	case known:
		size := declared
		if size >= 1<<20 {
			size += zstdSlack // a frame that lies overshoots by a block
		}
		return z.decodeInto(b, size)
	case frames > 1:
		return z.stream(b)
	}
	first := min(int64(sizeHint(len(b))), 1<<20, z.limit+1)
	out, err := z.decodeInto(b, first)
	if !errors.Is(err, ErrTooLarge) || first > z.limit {
		return out, err
	}
	return z.decodeInto(b, z.limit+zstdSlack)
}

// stream decodes b with a streaming decoder of its own (a Decoder's stream
// is not safe for concurrent use) through readCapped.
func (z *zstdCompressor) stream(b []byte) ([]byte, error) {
	d, err := zstd.NewReader(bytes.NewReader(b),
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxMemory(uint64(z.limit)),
		zstd.WithDecoderMaxWindow(uint64(max(z.limit, zstd.MinWindowSize))))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	out, err := readCapped(d, z.limit, sizeHint(len(b)))
	if errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded) {
		return nil, ErrTooLarge
	}
	return out, err
}

// decodeInto decodes b into a buffer of size bytes.
func (z *zstdCompressor) decodeInto(b []byte, size int64) ([]byte, error) {
	out, err := z.dec.DecodeAll(b, make([]byte, 0, size))
	switch {
	case errors.Is(err, zstd.ErrDecoderSizeExceeded), errors.Is(err, zstd.ErrWindowSizeExceeded):
		return nil, ErrTooLarge
	case err != nil:
		return nil, err
	case int64(len(out)) > z.limit:
		return nil, ErrTooLarge
	}
	return out, nil
}

var errZstdFrame = errors.New("codec: zstd: not a frame")

// zstdContentSize walks the frames of b (headers and block headers only,
// linear in their number) and returns the total content size they declare
// and the number of frames (skippable ones aside); known is false when a
// frame does not declare its size. A declared total past limit is
// ErrTooLarge; bytes that are not zstd frames are an error.
func zstdContentSize(b []byte, limit int64) (total int64, frames int, known bool, err error) {
	if len(b) == 0 {
		return 0, 0, false, errZstdFrame
	}
	known = true
	for len(b) > 0 {
		var h zstd.Header
		if err := h.Decode(b); err != nil {
			return 0, 0, false, errZstdFrame
		}
		if h.Skippable {
			n := int64(h.HeaderSize) + int64(h.SkippableSize)
			if n > int64(len(b)) {
				return 0, 0, false, errZstdFrame
			}
			b = b[n:]
			continue
		}
		frames++
		if !h.HasFCS {
			known = false
		} else if h.FrameContentSize > uint64(limit-total) {
			return 0, 0, false, ErrTooLarge
		} else {
			total += int64(h.FrameContentSize)
		}
		p := h.HeaderSize
		for last := false; !last; {
			if len(b)-p < 3 {
				return 0, 0, false, errZstdFrame
			}
			bh := uint32(b[p]) | uint32(b[p+1])<<8 | uint32(b[p+2])<<16
			last = bh&1 == 1
			n := int(bh >> 3)
			switch (bh >> 1) & 3 {
			case 1: // RLE: one byte repeated n times
				n = 1
			case 3:
				return 0, 0, false, errZstdFrame
			}
			if len(b)-p-3 < n {
				return 0, 0, false, errZstdFrame
			}
			p += 3 + n
		}
		if h.HasCheckSum {
			p += 4
		}
		if p > len(b) {
			return 0, 0, false, errZstdFrame
		}
		b = b[p:]
	}
	return total, frames, known, nil
}
