package codec_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/pyfernet"
)

func newDjango(tb testing.TB, ring *codec.KeyRing, opts ...codec.DjangoOption) *codec.Django {
	tb.Helper()
	c, err := codec.NewDjango(ring, opts...)
	if err != nil {
		tb.Fatalf("NewDjango: %v", err)
	}
	return c
}

// TestDjangoTokenIsFernetOfPickle checks the format with Python's Fernet: the
// plaintext is exactly the pickle, no envelope, and Python's own pickle
// of a value opens in Go.
func TestDjangoTokenIsFernetOfPickle(t *testing.T) {
	c := newDjango(t, newRing(t, keyA))
	v := map[string]any{"user": "ada", "n": int64(3)}
	tok, err := c.Encode("any:key", v)
	if err != nil {
		t.Fatal(err)
	}
	plain, ok := pyfernet.Decrypt(t, keyA, tok)
	if !ok {
		t.Fatal("Python's Fernet refused the token")
	}
	want, _ := codec.AppendPickle(nil, v)
	if !bytes.Equal(plain, want) {
		t.Errorf("plaintext = %x, want the bare pickle %x", plain, want)
	}
	pyPickle, _ := hex.DecodeString(python(t, `import pickle; print(pickle.dumps({"user": "ada", "n": 3}, 4).hex())`))
	got, err := c.Decode("other:key", pyfernet.Encrypt(t, keyA, pyPickle))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(v, got); d != "" {
		t.Error(d)
	}
}

func TestDjangoCodecRejects(t *testing.T) {
	c := newDjango(t, newRing(t, keyA))
	tok, err := c.Encode("k", "secret")
	if err != nil {
		t.Fatal(err)
	}
	for i := range tok {
		bad := bytes.Clone(tok)
		bad[i] ^= 0x01
		if _, err := c.Decode("k", bad); !errors.Is(err, codec.ErrInvalidToken) {
			t.Fatalf("byte %d flipped: %v", i, err)
		}
	}
	if _, err := newDjango(t, newRing(t, keyB)).Decode("k", tok); !errors.Is(err, codec.ErrInvalidToken) {
		t.Errorf("wrong key: %v", err)
	}
	plainPickle, _ := codec.AppendPickle(nil, "planted")
	if _, err := c.Decode("k", plainPickle); !errors.Is(err, codec.ErrInvalidToken) {
		t.Errorf("plaintext pickle: %v", err)
	}
	// A Fernet token whose plaintext is a hostile pickle: authenticated, but
	// refused by the allow-list.
	evil := pyfernet.Encrypt(t, keyA, []byte(hostilePickles["os.system"]))
	if _, err := c.Decode("k", evil); !errors.Is(err, codec.ErrInvalidToken) {
		t.Errorf("os.system pickle: %v", err)
	}
	// Rotation: a ring with a new first key reads the old token.
	d, err := newDjango(t, newRing(t, keyB, keyA)).DecodeDetail("k", tok)
	if err != nil || d.KeyIndex != 1 || d.Value != "secret" {
		t.Errorf("rotated ring: %+v, %v", d, err)
	}
}

// TestOptionsPerFormat: an option that does not apply to a format cannot be
// passed to its constructor (the compiler refuses it); the shared ones go to
// both.
func TestOptionsPerFormat(t *testing.T) {
	optionT := reflect.TypeFor[codec.Option]()
	djangoT := reflect.TypeFor[codec.DjangoOption]()
	comp, _ := codec.NewCompressor("zlib")
	for name, tc := range map[string]struct {
		opt            any
		native, django bool
	}{
		"WithSerializer":     {codec.WithSerializer(codec.JSON{}), true, false},
		"WithBindingContext": {codec.WithBindingContext("production"), true, false},
		"WithCompressor":     {codec.WithCompressor(comp), false, true},
		"WithPlaintextInts":  {codec.WithPlaintextInts(false), false, true},
		"WithMaxAge":         {codec.WithMaxAge(time.Hour), true, true},
		"WithClock":          {codec.WithClock(time.Now), true, true},
		"WithRandom":         {codec.WithRandom(bytes.NewReader(nil)), true, true},
	} {
		typ := reflect.TypeOf(tc.opt)
		if typ.Implements(optionT) != tc.native || typ.Implements(djangoT) != tc.django {
			t.Errorf("%s (%v): Option %v, DjangoOption %v; want %v, %v", name, typ,
				typ.Implements(optionT), typ.Implements(djangoT), tc.native, tc.django)
		}
	}
	// A zero SharedOption is an error, not a panic; nil options are ignored.
	if _, err := codec.New(newRing(t, keyA), codec.SharedOption{}); err == nil {
		t.Error("New accepted a zero SharedOption")
	}
	if _, err := codec.NewDjango(newRing(t, keyA), codec.SharedOption{}); err == nil {
		t.Error("NewDjango accepted a zero SharedOption")
	}
	if _, err := codec.New(newRing(t, keyA), nil); err != nil {
		t.Errorf("New with a nil option: %v", err)
	}
	if _, err := codec.NewDjango(nil); !errors.Is(err, codec.ErrInvalidKey) {
		t.Errorf("NewDjango(nil ring): %v", err)
	}
}

func TestDjangoPlaintextInts(t *testing.T) {
	c := newDjango(t, newRing(t, keyA))
	d, err := c.DecodeDetail("k", []byte("42"))
	if err != nil || d.Value != int64(42) || d.KeyIndex != -1 {
		t.Errorf("plaintext 42: %+v, %v", d, err)
	}
	tok, err := c.Encode("k", 42)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := codec.ParsePlainInt(tok); ok || bytes.Equal(tok, []byte("42")) {
		t.Error("an int was written in clear")
	}
	if v, err := c.Decode("k", tok); err != nil || v != int64(42) {
		t.Errorf("encrypted int: %v, %v", v, err)
	}
	strict := newDjango(t, newRing(t, keyA), codec.WithPlaintextInts(false))
	if _, err := strict.Decode("k", []byte("42")); !errors.Is(err, codec.ErrInvalidToken) {
		t.Errorf("WithPlaintextInts(false): %v", err)
	}
}

func TestDjangoMaxAge(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	c := newDjango(t, newRing(t, keyA), codec.WithClock(clock), codec.WithMaxAge(time.Minute))
	tok, _ := c.Encode("k", "v")
	intTok, _ := c.Encode("k", 42)
	if v, err := c.Decode("k", intTok); err != nil || v != int64(42) {
		t.Errorf("encrypted int within the max age: %v, %v", v, err)
	}
	now = now.Add(2 * time.Minute)
	if _, err := c.Decode("k", tok); !errors.Is(err, codec.ErrInvalidToken) {
		t.Errorf("expired token: %v", err)
	}
	// An integer in clear has no timestamp: with a max age it is refused,
	// even with WithPlaintextInts(true).
	for _, c := range []*codec.Django{c, newDjango(t, newRing(t, keyA), codec.WithMaxAge(time.Hour), codec.WithPlaintextInts(true))} {
		for _, plain := range []string{"42", "-1", "123456789012345678901234567890"} {
			if v, err := c.Decode("k", []byte(plain)); !errors.Is(err, codec.ErrInvalidToken) || v != nil {
				t.Errorf("plaintext int %s with a max age: %v, %v; want ErrInvalidToken", plain, v, err)
			}
		}
	}
}

func TestCompressorsRoundTrip(t *testing.T) {
	long := strings.Repeat("compress me ", 100)
	for _, name := range []string{"zlib", "gzip", "lzma", "lz4", "zstd"} {
		comp, err := codec.NewCompressor(name)
		if err != nil {
			t.Fatal(err)
		}
		full, err := codec.NewCompressor("django_redis.compressors." + name + "." + map[string]string{
			"zlib": "ZlibCompressor", "gzip": "GzipCompressor", "lzma": "LzmaCompressor", "lz4": "Lz4Compressor", "zstd": "ZStdCompressor"}[name])
		if err != nil || full.Name() != name {
			t.Fatalf("%s by class path: %v", name, err)
		}
		c := newDjango(t, newRing(t, keyA), codec.WithCompressor(comp))
		tok, err := c.Encode("k", long)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := newDjango(t, newRing(t, keyA)).Decode("k", tok); err == nil {
			t.Errorf("%s: token not compressed", name)
		}
		if v, err := c.Decode("k", tok); err != nil || v != long {
			t.Errorf("%s: %v", name, err)
		}
		// Entries written before compression was on read as they are.
		plainTok, _ := newDjango(t, newRing(t, keyA)).Encode("k", "old")
		if v, err := c.Decode("k", plainTok); err != nil || v != "old" {
			t.Errorf("%s: uncompressed entry: %v, %v", name, v, err)
		}
		small := []byte("tiny")
		if out, _ := comp.Compress(small); !bytes.Equal(out, small) {
			t.Errorf("%s compressed a value below its minimum length", name)
		}
		p := codec.PlainPickle{Compressor: comp}
		b, err := p.Encode("k", long)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := p.Decode("k", b); err != nil || v != long {
			t.Errorf("%s PlainPickle: %v, %v", name, v, err)
		}
	}
	for _, bad := range []string{"brotli", "django_redis.compressors.zlib.GzipCompressor"} {
		if _, err := codec.NewCompressor(bad); err == nil {
			t.Errorf("NewCompressor(%q) succeeded", bad)
		}
	}
	if c, err := codec.NewCompressor("django_redis.compressors.identity.IdentityCompressor"); c != nil || err != nil {
		t.Errorf("identity = %v, %v", c, err)
	}
}

func TestCompressorBomb(t *testing.T) {
	comp, _ := codec.NewCompressor("zstd")
	huge := make([]byte, codec.MaxDecompressedSize+1)
	bomb, _ := comp.Compress(huge)
	if _, err := comp.Decompress(bomb); !errors.Is(err, codec.ErrTooLarge) {
		t.Errorf("zstd bomb: %v", err)
	}
	z, _ := codec.NewCompressor("zlib")
	bomb, _ = z.Compress(huge)
	c := newDjango(t, newRing(t, keyA), codec.WithCompressor(z))
	if _, err := c.Decode("k", bomb); !errors.Is(err, codec.ErrInvalidToken) {
		t.Errorf("zlib bomb through the codec: %v", err)
	}
}

// TestCompressorsPython checks each compressor against Python's: what Go
// compresses Python decompresses, and back (python3-lz4 and
// python3-zstandard needed).
func TestCompressorsPython(t *testing.T) {
	data := strings.Repeat("interoperable ", 50)
	for _, name := range []string{"zlib", "gzip", "lzma", "lz4", "zstd"} {
		comp, _ := codec.NewCompressor(name)
		goOut, err := comp.Compress([]byte(data))
		if err != nil {
			t.Fatal(err)
		}
		out := python(t, `
import sys, zlib, gzip, lzma, binascii
name, h, data = sys.argv[1], sys.argv[2], sys.argv[3].encode()
try:
    import lz4.frame, zstandard
except ImportError as e:
    sys.exit("python3-lz4 and python3-zstandard are needed: %s" % e)
dec = {"zlib": zlib.decompress, "gzip": gzip.decompress, "lzma": lzma.decompress,
       "lz4": lz4.frame.decompress, "zstd": lambda b: zstandard.ZstdDecompressor().decompressobj().decompress(b)}[name]
comp = {"zlib": lambda b: zlib.compress(b, 6), "gzip": gzip.compress, "lzma": lambda b: lzma.compress(b, preset=4),
        "lz4": lz4.frame.compress, "zstd": lambda b: zstandard.ZstdCompressor(write_content_size=True).compress(b)}[name]
assert dec(binascii.unhexlify(h)) == data, "python could not read go's " + name
print(comp(data).hex())
`, name, hex.EncodeToString(goOut), data)
		pyOut, _ := hex.DecodeString(out)
		got, err := comp.Decompress(pyOut)
		if err != nil || string(got) != data {
			t.Errorf("%s: Go could not read Python's: %v", name, err)
		}
	}
}
