package store

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/cputime"
	"github.com/secureredis/secureredis/internal/parallel"
)

// batchCodec returns a native codec with a fixed key.
func batchCodec(tb testing.TB) *codec.Codec {
	tb.Helper()
	ring, err := codec.NewKeyRing("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=")
	if err != nil {
		tb.Fatal(err)
	}
	c, err := codec.New(ring)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// BenchmarkDecodeMany measures decoding n tokens of size-byte values as
// GetMany does (workers=auto: parallel.ForWork, by bytes of token, up to
// GOMAXPROCS goroutines), as it did before (workers=count: parallel.For, by
// number of tokens), on the calling goroutine only (workers=1) and split
// over two or three goroutines, to choose decodeFixed and minDecodeWork:
// splitting pays once each goroutine's share outweighs the hand-off.
// cpu-ns/op is the process's CPU time per batch. Over -cpu 1,2,4,
// workers=auto is how batch decoding scales with the processors, with no
// Redis sharing them (procs is the GOMAXPROCS it really ran at).
//
//	go test -run '^$' -bench 'DecodeMany/size=1024/n=100/workers=auto' -cpu 1,2,4 -count 6 ./store
func BenchmarkDecodeMany(b *testing.B) {
	c := batchCodec(b)
	for _, tc := range []struct {
		size int
		ns   []int
	}{
		{64, []int{100, 1000}},
		{1024, []int{2, 4, 8, 16, 32, 64, 100, 128, 1000}},
		{16 << 10, []int{8, 100}},
	} {
		value := make([]byte, tc.size)
		for _, n := range tc.ns {
			sks := make([]string, n)
			toks := make([]string, n)
			got := make([]bool, n)
			for i := range n {
				sks[i] = fmt.Sprintf("app1:secure:1:k%d", i)
				tok, err := c.Encode(sks[i], value)
				if err != nil {
					b.Fatal(err)
				}
				toks[i], got[i] = string(tok), true
			}
			out := make([]any, n)
			fn := func(lo, hi int) {
				for i := lo; i < hi; i++ {
					out[i], _ = c.DecodeString(sks[i], toks[i])
				}
			}
			for _, mode := range []struct {
				workers string
				split   func()
			}{
				{"auto", func() { parallel.ForWork(n, decodeWork(toks, got), minDecodeWork, fn) }},
				{"count", func() { parallel.For(n, fn) }},
				{"1", func() { parallel.Split(n, 1, fn) }},
				{"2", func() { parallel.Split(n, 2, fn) }},
				{"3", func() { parallel.Split(n, 3, fn) }},
			} {
				b.Run(fmt.Sprintf("size=%d/n=%d/workers=%s", tc.size, n, mode.workers), func(b *testing.B) {
					b.ReportAllocs()
					b.SetBytes(int64(n * tc.size))
					m := cputime.Start()
					for range b.N { // not b.Loop: see procsMetric
						mode.split()
					}
					b.ReportMetric(m.Per(b.N), "cpu-ns/op")
					b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
				})
			}
		}
	}
}

// GetMany and SetMany split batches by their work, not their count: 100
// values of 1 KiB make three goroutines' worth, as parallel.MinPerWorker
// made of 100 keys; 100 of 64 bytes not two; 100 of 16 KiB more than 16.
// Only the tokens read count, and values whose length is not known count
// as 1 KiB.
func TestBatchWork(t *testing.T) {
	c := batchCodec(t)
	batch := func(size int) ([]string, []bool, []Entry) {
		toks, got, entries := make([]string, 100), make([]bool, 100), make([]Entry, 100)
		for i := range toks {
			value := make([]byte, size)
			tok, err := c.Encode("app1:secure:1:k", value)
			if err != nil {
				t.Fatal(err)
			}
			toks[i], got[i], entries[i] = string(tok), true, Entry{Key: "k", Value: value}
		}
		return toks, got, entries
	}
	for _, tt := range []struct{ size, goroutines int }{{64, 1}, {1024, 3}, {16 << 10, 16}} {
		toks, got, entries := batch(tt.size)
		if g := max(1, decodeWork(toks, got)/minDecodeWork); g != tt.goroutines && (tt.goroutines < 16 || g < 16) {
			t.Errorf("GetMany of 100 x %d bytes: work for %d goroutines, want %d", tt.size, g, tt.goroutines)
		}
		if g := max(1, encodeWork(entries)/minEncodeWork); g != tt.goroutines && (tt.goroutines < 16 || g < 16) {
			t.Errorf("SetMany of 100 x %d bytes: work for %d goroutines, want %d", tt.size, g, tt.goroutines)
		}
	}
	toks, got, _ := batch(1024)
	full := decodeWork(toks, got)
	for i := range 50 {
		got[i] = false // a miss, or an error
	}
	if half := decodeWork(toks, got); half != full/2 {
		t.Errorf("half the tokens read: work %d, want %d", half, full/2)
	}
	if w := encodeWork([]Entry{{Value: map[string]int{"a": 1}}}); w != 1024+encodeFixed {
		t.Errorf("a value of unknown length: work %d, want 1 KiB's %d", w, 1024+encodeFixed)
	}
	if w := encodeWork([]Entry{{Value: "abc"}, {Value: []byte("de")}}); w != 5+2*encodeFixed {
		t.Errorf("a string and bytes: work %d, want %d", w, 5+2*encodeFixed)
	}
}
