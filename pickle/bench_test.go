package pickle_test

import (
	"fmt"
	"testing"

	"github.com/secureredis/secureredis/pickle"
)

// benchGens are the hostile classes BenchmarkHostilePickle times, and a
// valid baseline: a protocol 4 list of short strings, as Python writes it.
var benchGens = []string{"valid", "text-int", "text-string", "text-global", "bin-ints", "empty-lists", "deep-tuples", "memo-wide", "reduce-latin1"}

func benchGen(name string) func(int) []byte {
	if name == "valid" {
		return func(n int) []byte { return repeat("\x80\x04](", "\x8c\x05hello\x94", "e.", n) }
	}
	return hostileGens[name]
}

// BenchmarkHostilePickle decodes hostile pickles of 64 KiB, 256 KiB and
// 1 MiB: with SetBytes, a constant MB/s across sizes shows time linear in
// the input.
//
//	go test -run '^$' -bench HostilePickle -count 6 ./pickle
func BenchmarkHostilePickle(b *testing.B) {
	for _, name := range benchGens {
		for _, size := range []int{64 << 10, 256 << 10, 1 << 20} {
			p := benchGen(name)(size)
			b.Run(fmt.Sprintf("%s-%dK", name, size>>10), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(p)))
				for b.Loop() {
					_, _ = pickle.Unmarshal(p)
				}
			})
		}
	}
}
