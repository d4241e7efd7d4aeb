package pickle_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/secureredis/secureredis/pickle"
)

var update = flag.Bool("update", false, "rewrite testdata/hostile from the generators")

// hostileDir holds the committed corpus of hostile pickles, one file per
// generator of hostileGens at corpusSize bytes: store and recovery paths and
// the fuzzers read them as they are, without this file's code.
const (
	hostileDir = "testdata/hostile"
	corpusSize = 64 << 10
)

// repeat returns head, then body repeated until the total reaches about n
// bytes, then tail.
func repeat(head, body, tail string, n int) []byte {
	k := max(1, (n-len(head)-len(tail))/len(body))
	return []byte(head + strings.Repeat(body, k) + tail)
}

// le4 is a little-endian uint32.
func le4(n int) string { return string(binary.LittleEndian.AppendUint32(nil, uint32(n))) }

// hostileGens make hostile pickles of about n bytes. Every one is refused
// (an error matching pickle.ErrInvalid) after the reader has done all the
// work its class costs: the text ones end without STOP, so the whole input
// is parsed first. They cover every opcode class: text (protocol 0)
// opcodes, binary scalars, huge length prefixes, containers, marks, memo
// and REDUCE bombs, nesting.
var hostileGens = map[string]func(n int) []byte{
	// Protocol 0 text opcodes, each of which used to copy the rest of the
	// input: a list of many, never closed.
	"text-int":     func(n int) []byte { return repeat("(", "I12345\n", "l", n) },
	"text-long":    func(n int) []byte { return repeat("(", "L12345L\n", "l", n) },
	"text-float":   func(n int) []byte { return repeat("(", "F1.5\n", "l", n) },
	"text-string":  func(n int) []byte { return repeat("(", "S'ab'\n", "l", n) },
	"text-unicode": func(n int) []byte { return repeat("(", "Vab\\u00e9\n", "l", n) },
	"text-memo":    func(n int) []byte { return repeat("(I1\np0\n", "g0\n", "l", n) },
	"text-put":     func(n int) []byte { return repeat("(I1\n", "p0\n", "l", n) },
	"text-global":  func(n int) []byte { return repeat("(", "cdatetime\ndate\n", "1", n) },
	// One huge text argument: digits past the limit before any parsing, a
	// float, a line that never ends.
	"int-digits":   func(n int) []byte { return repeat("I", "9", "\n.", n) },
	"long-digits":  func(n int) []byte { return repeat("L", "9", "L\n.", n) },
	"float-digits": func(n int) []byte { return repeat("(F", "1", "\nl", n) },
	"no-newline":   func(n int) []byte { return repeat("S'", "a", "", n) },
	// Binary scalars, a stack of many, never closed.
	"bin-ints":    func(n int) []byte { return repeat("\x80\x04(", "K\x01M\x02\x03J\x04\x05\x06\x07", "l", n) },
	"bin-strings": func(n int) []byte { return repeat("\x80\x04(", "\x8c\x02abC\x01c", "l", n) },
	"none-stack":  func(n int) []byte { return repeat("\x80\x04", "N", ".", n) },
	"long4":       func(n int) []byte { return append([]byte("\x80\x04\x8b"+le4(n)), make([]byte, n)...) },
	// Huge length prefixes: declared, not backed.
	"huge-lengths": func(n int) []byte {
		return repeat("\x80\x04(", "C\x01a", "\x8d\xff\xff\xff\xff\xff\xff\xff\x7f", n)
	},
	"huge-frame": func(n int) []byte { return repeat("\x80\x04\x95\xff\xff\xff\xff\xff\xff\x00\x00(", "N", "l.", n) },
	// Containers and marks, many of them.
	"empty-lists": func(n int) []byte { return repeat("\x80\x04", "]", ".", n) },
	"empty-dicts": func(n int) []byte { return repeat("\x80\x04", "}", ".", n) },
	"empty-sets":  func(n int) []byte { return repeat("\x80\x04", "\x8f", ".", n) },
	"marks":       func(n int) []byte { return repeat("\x80\x04", "(", "N.", n) },
	"memoize":     func(n int) []byte { return repeat("\x80\x04]", "\x94", "\x94h\x00a.", n) },
	"dup-append":  func(n int) []byte { return repeat("\x80\x04]", "2", "a.", n) },
	// Nesting past MaxDepth.
	"deep-lists": func(n int) []byte {
		k := n / 2
		return []byte("\x80\x04" + strings.Repeat("]", k) + strings.Repeat("a", k-1) + ".")
	},
	"deep-tuples": func(n int) []byte { return repeat("\x80\x04N", "\x85", ".", n) },
	// Memo bombs: small pickles whose value is a huge tree.
	"memo-dag": func(int) []byte {
		p := "\x80\x04]\x940"
		for i := range 60 {
			p += "h" + string(rune(i)) + "h" + string(rune(i)) + "\x86\x940"
		}
		return []byte(p + "h<.")
	},
	"memo-wide": func(n int) []byte {
		return repeat("\x80\x04X"+le4(4096)+strings.Repeat("x", 4096)+"\x940](", "h\x00", "e.", n)
	},
	// REDUCE bombs: each call handed a memoized argument again.
	"reduce-latin1": func(n int) []byte {
		return repeat("\x80\x04(\x8c\x07_codecs\x8c\x06encode\x93\x94X"+le4(4096)+strings.Repeat("x", 4096)+"\x94\x8c\x06latin1\x94", "h\x00h\x01h\x02\x86R0", "l", n)
	},
	"reduce-decimal": func(n int) []byte {
		return repeat("\x80\x04(\x8c\x07decimal\x8c\x07Decimal\x93\x94X"+le4(4096)+strings.Repeat("1", 4096)+"\x94", "h\x00h\x01\x85R0", "l", n)
	},
	"reduce-set": func(n int) []byte {
		return repeat("\x80\x04(\x8c\x08builtins\x8c\x03set\x93\x94]\x94(K\x01K\x02K\x03K\x04e(", "h\x00h\x01\x85R", "l", n)
	},
	"reduce-set-wide": func(n int) []byte {
		return repeat("\x80\x04(\x8c\x08builtins\x8c\x03set\x93\x94]("+strings.Repeat("N", 2000)+"e\x94", "h\x00h\x01\x85R", "l", n)
	},
	"global-names": func(n int) []byte {
		return repeat("\x80\x04(X"+le4(4096)+strings.Repeat("m", 4096)+"\x94\x8c\x01n\x94", "h\x00h\x01\x93", "l", n)
	},
}

func corpusPath(name string) string { return filepath.Join(hostileDir, name+".pickle") }

// TestHostileCorpusUpToDate checks the committed corpus against the
// generators (go test ./pickle -run HostileCorpusUpToDate -update rewrites
// it).
func TestHostileCorpusUpToDate(t *testing.T) {
	if *update {
		if err := os.MkdirAll(hostileDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, gen := range hostileGens {
		want := gen(corpusSize)
		if *update {
			if err := os.WriteFile(corpusPath(name), want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(corpusPath(name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: corpus file differs from its generator (%v): run go test ./pickle -run HostileCorpusUpToDate -update", name, err)
		}
	}
}

// readCorpus returns the committed hostile pickles by name.
func readCorpus(tb testing.TB) map[string][]byte {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(hostileDir, "*.pickle"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no corpus in %s: %v", hostileDir, err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".pickle")] = b
	}
	return out
}

// heapPerByte and heapSlack bound what decoding one value allocates in all
// (so its peak heap): heapPerByte times its length plus heapSlack. The
// package doc states the same bound.
const (
	heapPerByte = 256
	heapSlack   = 1 << 20
)

// allocated returns the bytes f allocates (runtime.MemStats.TotalAlloc).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHostileCorpus decodes every committed hostile pickle: each is
// refused, and allocates at most heapPerByte times its length plus
// heapSlack.
func TestHostileCorpus(t *testing.T) {
	corpus := readCorpus(t)
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range corpus {
			if !yield(k) {
				return
			}
		}
	})
	for _, name := range names {
		p := corpus[name]
		var err error
		n := allocated(func() { _, err = pickle.Unmarshal(p) })
		if !errors.Is(err, pickle.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
		if bound := uint64(heapPerByte*len(p) + heapSlack); n > bound {
			t.Errorf("%s: %d bytes allocated for %d bytes of pickle, over %d", name, n, len(p), bound)
		}
		t.Logf("%-15s %7d bytes: %6.1f bytes allocated per byte; %v", name, len(p), float64(n)/float64(len(p)), err)
	}
}

// TestHostileLinear decodes every generator's pickle at 256 KiB, four times
// the corpus: it allocates at most heapPerByte times its length plus
// heapSlack too (a quadratic reader allocates far more: the text opcodes
// used to copy the rest of the input, 8.4 GB for 256 KiB).
func TestHostileLinear(t *testing.T) {
	for name, gen := range hostileGens {
		p := gen(256 << 10)
		var err error
		n := allocated(func() { _, err = pickle.Unmarshal(p) })
		if !errors.Is(err, pickle.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
		if bound := uint64(heapPerByte*len(p) + heapSlack); n > bound {
			t.Errorf("%s: %d bytes allocated for %d bytes of pickle, over %d", name, n, len(p), bound)
		}
	}
}

// denseGens make valid pickles of about n bytes that cost the most memory
// per byte: one small object per byte or two.
var denseGens = map[string]func(n int) []byte{
	"lists":     func(n int) []byte { return repeat("\x80\x04](", "]", "e.", n) },
	"dicts":     func(n int) []byte { return repeat("\x80\x04](", "}", "e.", n) },
	"sets":      func(n int) []byte { return repeat("\x80\x04](", "\x8f", "e.", n) },
	"tuples":    func(n int) []byte { return repeat("\x80\x04](", "N\x85", "e.", n) },
	"memoized":  func(n int) []byte { return repeat("\x80\x04](", "]\x94", "e.", n) },
	"dict-ints": func(n int) []byte { return repeat("\x80\x04}(", "K\x01K\x02", "u.", n) },
	"shared":    func(n int) []byte { return repeat("\x80\x04](]\x94", "h\x00", "e.", n) },
}

// TestDenseAllocations decodes valid pickles dense in objects: each
// allocates at most heapPerByte times its length plus heapSlack, and
// re-encodes within MaxExpansion times its length plus ExpansionSlack.
func TestDenseAllocations(t *testing.T) {
	for name, gen := range denseGens {
		for _, size := range []int{64 << 10, 256 << 10} {
			p := gen(size)
			var v any
			var err error
			n := allocated(func() { v, err = pickle.Unmarshal(p) })
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if bound := uint64(heapPerByte*len(p) + heapSlack); n > bound {
				t.Errorf("%s, %d bytes: %d bytes allocated, over %d", name, len(p), n, bound)
			}
			b, err := pickle.Marshal(v)
			if err != nil || len(b) > pickle.MaxExpansion*len(p)+pickle.ExpansionSlack {
				t.Errorf("%s: re-encoded to %d bytes (%v), from %d", name, len(b), err, len(p))
			}
			t.Logf("%-10s %7d bytes: %6.1f bytes allocated per byte", name, len(p), float64(n)/float64(len(p)))
		}
	}
}
