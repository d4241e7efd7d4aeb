package pickle_test

import (
	"fmt"
	"testing"
	"time"

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

// BenchmarkPyTypes decodes a list of 1,000 values of each Python type
// Django apps cache beyond plain data, with UTC datetimes as the baseline:
//
//	go test -run '^$' -bench PyTypes -count 6 ./pickle
func BenchmarkPyTypes(b *testing.B) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)
	kinds := []struct {
		name string
		at   func(i int) any
	}{
		{"datetime-utc", func(i int) any { return t0.Add(time.Duration(i) * time.Hour) }},
		{"datetime-zoneinfo", func(i int) any { return t0.Add(time.Duration(i) * time.Hour).In(paris) }},
		{"time", func(i int) any { return pickle.Time{Hour: i % 24, Minute: i % 60} }},
		{"uuid", func(i int) any { return pickle.UUID{0: byte(i), 15: byte(i >> 8)} }},
		{"ordereddict", func(i int) any { return pickle.OrderedDict{{Key: "a", Value: i}} }},
		{"tuple-key-dict", func(i int) any { return pickle.Dict{{Key: pickle.Tuple{i, "a"}, Value: i}} }},
	}
	for _, k := range kinds {
		l := make([]any, 1000)
		for i := range l {
			l[i] = k.at(i)
		}
		p, err := pickle.Marshal(l)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(k.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(p)))
			for b.Loop() {
				if _, err := pickle.Unmarshal(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
