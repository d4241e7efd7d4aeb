package codec

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

// MaxDecompressedSize bounds what a Compressor inflates a stored value to
// (128 MiB). Decompression happens before Fernet authentication, since
// django-redis compresses the token, so a small planted value must not be
// able to claim gigabytes of memory. A larger value fails to decode.
const MaxDecompressedSize = 128 << 20

// ErrTooLarge is returned by Decompress when a value inflates beyond
// MaxDecompressedSize.
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

// NewCompressor returns the compressor named by a short name (zlib, gzip,
// lzma, lz4, zstd) or a django-redis class path
// (django_redis.compressors.zlib.ZlibCompressor, ...GzipCompressor,
// ...LzmaCompressor, ...Lz4Compressor, ...ZStdCompressor). "identity" and
// django_redis.compressors.identity.IdentityCompressor return nil: no
// compression. Other names are an error.
//
// Each writes what its Python counterpart reads (zlib.compress level 6,
// gzip.compress, lzma.compress preset 4 in the xz container, lz4.frame,
// pyzstd.compress frames) and reads what it writes.
func NewCompressor(name string) (Compressor, error) {
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
		return zlibCompressor{}, nil
	case "gzip":
		return gzipCompressor{}, nil
	case "lzma":
		return lzmaCompressor{}, nil
	case "lz4":
		return lz4Compressor{}, nil
	case "zstd":
		return newZstd()
	}
	return nil, fmt.Errorf("codec: unknown compressor %q (want zlib, gzip, lzma, lz4 or zstd)", name)
}

// readLimited reads r to the end, failing with ErrTooLarge past the limit.
func readLimited(r io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, MaxDecompressedSize+1))
	if err != nil {
		return nil, err
	}
	if n > MaxDecompressedSize {
		return nil, ErrTooLarge
	}
	return buf.Bytes(), nil
}

type zlibCompressor struct{}

func (zlibCompressor) Name() string { return "zlib" }

func (zlibCompressor) Compress(b []byte) ([]byte, error) {
	if len(b) <= 15 {
		return b, nil
	}
	return compressWith(b, func(buf *bytes.Buffer) (io.WriteCloser, error) {
		return zlib.NewWriterLevel(buf, 6)
	})
}

func (zlibCompressor) Decompress(b []byte) ([]byte, error) {
	r, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return readLimited(r)
}

type gzipCompressor struct{}

func (gzipCompressor) Name() string { return "gzip" }

func (gzipCompressor) Compress(b []byte) ([]byte, error) {
	if len(b) <= 15 {
		return b, nil
	}
	return compressWith(b, func(buf *bytes.Buffer) (io.WriteCloser, error) {
		return gzip.NewWriterLevel(buf, gzip.BestCompression) // Python's gzip.compress default
	})
}

func (gzipCompressor) Decompress(b []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return readLimited(r)
}

// xzMagic starts an xz stream; Python's lzma.decompress also reads the older
// .lzma ("alone") format, which has no magic.
var xzMagic = []byte{0xfd, '7', 'z', 'X', 'Z', 0}

type lzmaCompressor struct{}

func (lzmaCompressor) Name() string { return "lzma" }

func (lzmaCompressor) Compress(b []byte) ([]byte, error) {
	if len(b) <= 100 {
		return b, nil
	}
	return compressWith(b, func(buf *bytes.Buffer) (io.WriteCloser, error) {
		return xz.WriterConfig{DictCap: 4 << 20, CheckSum: xz.CRC64}.NewWriter(buf) // preset 4: 4 MiB dictionary
	})
}

func (lzmaCompressor) Decompress(b []byte) ([]byte, error) {
	if bytes.HasPrefix(b, xzMagic) {
		r, err := xz.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		return readLimited(r)
	}
	if len(b) < 13 {
		return nil, errors.New("codec: lzma: too short")
	}
	r, err := lzma.ReaderConfig{DictCap: 1 << 12}.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return readLimited(r)
}

type lz4Compressor struct{}

func (lz4Compressor) Name() string { return "lz4" }

func (lz4Compressor) Compress(b []byte) ([]byte, error) {
	if len(b) <= 15 {
		return b, nil
	}
	return compressWith(b, func(buf *bytes.Buffer) (io.WriteCloser, error) {
		w := lz4.NewWriter(buf)
		// lz4.frame.compress stores the content size; so do we.
		return w, w.Apply(lz4.SizeOption(uint64(len(b))), lz4.ConcurrencyOption(1))
	})
}

func (lz4Compressor) Decompress(b []byte) ([]byte, error) {
	// An lz4 frame starts with its magic; anything else is not ours.
	if len(b) < 4 || b[0] != 0x04 || b[1] != 0x22 || b[2] != 0x4d || b[3] != 0x18 {
		return nil, errors.New("codec: lz4: not a frame")
	}
	return readLimited(lz4.NewReader(bytes.NewReader(b)))
}

type zstdCompressor struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
}

func newZstd() (Compressor, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		return nil, err
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(MaxDecompressedSize))
	if err != nil {
		return nil, err
	}
	return &zstdCompressor{enc: enc, dec: dec}, nil
}

func (*zstdCompressor) Name() string { return "zstd" }

func (z *zstdCompressor) Compress(b []byte) ([]byte, error) {
	if len(b) <= 15 {
		return b, nil
	}
	return z.enc.EncodeAll(b, nil), nil // with the frame content size, as pyzstd writes
}

func (z *zstdCompressor) Decompress(b []byte) ([]byte, error) {
	out, err := z.dec.DecodeAll(b, nil)
	if errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded) || len(out) > MaxDecompressedSize {
		return nil, ErrTooLarge
	}
	return out, err
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
