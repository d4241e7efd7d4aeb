package codec

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/pierrec/lz4/v4"
)

// MaxDecompressedSize is the default cap on what a Compressor inflates a
// stored value to: 32 MiB, the Fernet token of a cache value of about 24 MiB.
// Decompression runs before Fernet authentication (django-redis compresses
// the token), on bytes anyone who can write Redis chooses, so every
// Decompress streams through this cap instead of inflating first and
// checking after: a value that would inflate further fails with ErrTooLarge
// once the cap is reached, having cost at most the cap in output buffers
// (the package documentation states the decoders' own state).
// WithMaxDecompressedSize changes it per compressor.
const MaxDecompressedSize = 32 << 20

// maxDecompressedLimit bounds what WithMaxDecompressedSize accepts (1 GiB):
// the cap is a defence, not a way to hold arbitrarily large values.
const maxDecompressedLimit = 1 << 30

// ErrTooLarge is returned by Decompress when a value inflates beyond the
// compressor's cap (MaxDecompressedSize unless WithMaxDecompressedSize says
// otherwise).
var ErrTooLarge = errors.New("codec: decompressed value too large")

// Compressor is a django-redis COMPRESSOR: it runs on what the serializer
// produced (in Django mode, the Fernet token) before it goes to Redis.
// Implementations must be safe for concurrent use.
type Compressor interface {
	// Name is the short name: zlib, gzip, lzma, lz4 or zstd.
	Name() string
	// Compress returns the compressed form of b, or b itself when b is not
	// longer than the compressor's minimum length (15 bytes, lzma 100), as
	// django-redis does.
	Compress(b []byte) ([]byte, error)
	// Decompress inflates b. An error means b was not compressed by this
	// compressor (django-redis then reads the value as it is, and so does
	// the codec), except ErrTooLarge, which fails the read.
	Decompress(b []byte) ([]byte, error)
}

// CompressorOption configures a compressor made by NewCompressor.
type CompressorOption func(*compressorOptions) error

type compressorOptions struct {
	limit int64 // the most bytes Decompress returns
}

// WithMaxDecompressedSize sets the most bytes Decompress returns: a value
// that inflates further fails with ErrTooLarge, having cost at most n bytes
// of output buffers (see the package documentation for the decoders' own
// bounded state). The default is MaxDecompressedSize (32 MiB); n must be
// between 1 and 1 GiB. Raise it only for an alias whose values are larger;
// every Get of a planted bomb costs up to n bytes and the CPU to produce them.
func WithMaxDecompressedSize(n int64) CompressorOption {
	return func(o *compressorOptions) error {
		if n < 1 || n > maxDecompressedLimit {
			return fmt.Errorf("codec: max decompressed size must be between 1 and %d bytes, got %d", maxDecompressedLimit, n)
		}
		o.limit = n
		return nil
	}
}

// NewCompressor returns the compressor named by a short name (zlib, gzip,
// lzma, lz4, zstd) or a django-redis class path
// (django_redis.compressors.zlib.ZlibCompressor, ...GzipCompressor,
// ...LzmaCompressor, ...Lz4Compressor, ...ZStdCompressor); "identity" and
// IdentityCompressor return nil, no compression. Other names and invalid
// options are an error. Each reads and writes what its Python counterpart
// does; Decompress is capped at MaxDecompressedSize unless
// WithMaxDecompressedSize is given. It is safe for concurrent use.
func NewCompressor(name string, opts ...CompressorOption) (Compressor, error) {
	o := compressorOptions{limit: MaxDecompressedSize}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	short := name
	if strings.HasPrefix(name, "django_redis.compressors.") {
		parts := strings.Split(name, ".")
		if len(parts) == 4 {
			short = parts[2]
			want := map[string]string{"zlib": "ZlibCompressor", "gzip": "GzipCompressor", "lzma": "LzmaCompressor",
				"lz4": "Lz4Compressor", "zstd": "ZStdCompressor", "identity": "IdentityCompressor"}[short]
			if parts[3] != want {
				short = ""
			}
		}
	}
	switch short {
	case "identity":
		return nil, nil
	case "zlib":
		return zlibCompressor{limit: o.limit}, nil
	case "gzip":
		return gzipCompressor{limit: o.limit}, nil
	case "lzma":
		return lzmaCompressor{limit: o.limit}, nil
	case "lz4":
		return lz4Compressor{limit: o.limit}, nil
	case "zstd":
		return newZstd(o.limit)
	}
	return nil, fmt.Errorf("codec: unknown compressor %q (want zlib, gzip, lzma, lz4 or zstd)", name)
}

// minChunk is the smallest first buffer readCapped starts with.
const minChunk = 512

// readCapped reads r to its end and returns what it read, failing with
// ErrTooLarge once r yields more than limit bytes. It never allocates more
// than limit+1 bytes of buffers, whatever r would produce: it reads into
// chunks, the first of hint bytes (at least minChunk), each next one twice
// the size of the last, whose sizes add up to at most limit+1, and allocates
// the next chunk only once r has yielded a byte past the full ones; a byte
// past limit+1 is a value too large. Output that fits in the first chunk is
// returned without a copy; otherwise the chunks are joined into one slice of
// the exact length.
func readCapped(r io.Reader, limit int64, hint int) ([]byte, error) {
	room := limit + 1 // buffer bytes not yet allocated
	size := min(int64(max(hint, minChunk)), room)
	chunk := make([]byte, 0, size)
	room -= size
	var full [][]byte
	total, stalls := int64(0), 0
	var probe [1]byte
	for {
		buf := chunk[len(chunk):cap(chunk)]
		if len(buf) == 0 {
			// Full: read one byte before growing, so that output of
			// exactly the hinted size costs no second chunk.
			buf = probe[:]
		}
		n, err := r.Read(buf)
		if n > 0 && len(chunk) == cap(chunk) {
			if room == 0 {
				return nil, ErrTooLarge // limit+1 bytes read
			}
			full = append(full, chunk)
			size = min(2*int64(cap(chunk)), room)
			chunk = make([]byte, 0, size)
			room -= size
			chunk = append(chunk, probe[0])
		} else {
			chunk = chunk[:len(chunk)+n]
		}
		total += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if n > 0 {
			stalls = 0
		} else if stalls++; stalls > 100 {
			return nil, io.ErrNoProgress
		}
	}
	if total > limit {
		return nil, ErrTooLarge
	}
	if len(full) == 0 {
		return chunk, nil
	}
	out := make([]byte, 0, total)
	for _, c := range full {
		out = append(out, c...)
	}
	return append(out, chunk...), nil
}

// sizeHint is readCapped's first chunk for a compressed input of n bytes:
// four times the input, which holds what a cache value usually inflates to.
func sizeHint(n int) int { return 4 * n }

type zlibCompressor struct{ limit int64 }

func (zlibCompressor) Name() string { return "zlib" }

func (zlibCompressor) Compress(b []byte) ([]byte, error) {
	if len(b) <= 15 {
		return b, nil
	}
	return compressWith(b, func(buf *bytes.Buffer) (io.WriteCloser, error) {
		return zlib.NewWriterLevel(buf, 6)
	})
}

func (z zlibCompressor) Decompress(b []byte) ([]byte, error) {
	r, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return readCapped(r, z.limit, sizeHint(len(b)))
}

type gzipCompressor struct{ limit int64 }

func (gzipCompressor) Name() string { return "gzip" }

func (gzipCompressor) Compress(b []byte) ([]byte, error) {
	if len(b) <= 15 {
		return b, nil
	}
	return compressWith(b, func(buf *bytes.Buffer) (io.WriteCloser, error) {
		return gzip.NewWriterLevel(buf, gzip.BestCompression) // Python's gzip.compress default
	})
}

func (g gzipCompressor) Decompress(b []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return readCapped(r, g.limit, sizeHint(len(b)))
}

type lz4Compressor struct{ limit int64 }

func (lz4Compressor) Name() string { return "lz4" }

func (lz4Compressor) Compress(b []byte) ([]byte, error) {
	if len(b) <= 15 {
		return b, nil
	}
	return compressWith(b, func(buf *bytes.Buffer) (io.WriteCloser, error) {
		w := lz4.NewWriter(buf)
		// lz4.frame.compress stores the content size and uses 64 KiB
		// blocks; so do we (the reader holds two buffers of the block
		// size the frame declares, 4 MiB by this library's default).
		return w, w.Apply(lz4.SizeOption(uint64(len(b))), lz4.BlockSizeOption(lz4.Block64Kb), lz4.ConcurrencyOption(1))
	})
}

func (l lz4Compressor) Decompress(b []byte) ([]byte, error) {
	// An lz4 frame starts with its magic; anything else is not ours.
	if len(b) < 4 || b[0] != 0x04 || b[1] != 0x22 || b[2] != 0x4d || b[3] != 0x18 {
		return nil, errors.New("codec: lz4: not a frame")
	}
	// One block at a time (concurrency 1, the default): the reader holds
	// a compressed and an inflated block of the size the frame declares
	// (64 KiB from Python and Compress, at most 4 MiB).
	return readCapped(lz4.NewReader(bytes.NewReader(b)), l.limit, sizeHint(len(b)))
}

// compressWith writes b through the stream compressor newWriter makes over a
// buffer, closes it, and returns what it wrote.
func compressWith(b []byte, newWriter func(*bytes.Buffer) (io.WriteCloser, error)) ([]byte, error) {
	var buf bytes.Buffer
	w, err := newWriter(&buf)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
