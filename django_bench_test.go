package secureredis_test

import (
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkDjango compares Go's Django mode with the original on the same
// redis-server in one run: testdata/django/djangoctl.py bench measures
// Django's cache API with django-redis and the django-redis-secure serializer
// (pickle + Fernet), single-threaded, 1 KiB strings; the Go sub-benchmarks
// do the same through the store opened from the Django CACHES JSON and
// report their rate and its ratio to Python's ("x-python").
//
//	go test -run '^$' -bench BenchmarkDjango -count 3 .
func BenchmarkDjango(b *testing.B) {
	e := newDjangoEnv(b, "", "")
	var py struct {
		Set     float64 `json:"set_per_s"`
		Get     float64 `json:"get_per_s"`
		GetMany float64 `json:"get_many_keys_per_s"`
	}
	b.Run("python", func(b *testing.B) {
		e.django(b, &py, "bench", "3000")
		for b.Loop() {
		}
		b.ReportMetric(py.Set, "set/s")
		b.ReportMetric(py.Get, "get/s")
		b.ReportMetric(py.GetMany, "get_many-keys/s")
	})
	s, err := e.caches.Secure()
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	value := strings.Repeat("x", 1024)
	keys := make([]string, 100)
	for i := range keys {
		keys[i] = "bench:" + strconv.Itoa(i)
		if err := s.Set(ctx, keys[i], value); err != nil {
			b.Fatal(err)
		}
	}
	report := func(b *testing.B, perOp, baseline float64, unit string) {
		rate := perOp * float64(b.N) / b.Elapsed().Seconds()
		b.ReportMetric(rate, unit)
		if baseline > 0 {
			b.ReportMetric(rate/baseline, "x-python")
		}
	}
	b.Run("go/set", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(value)))
		i := 0
		for b.Loop() {
			if err := s.Set(ctx, keys[i%100], value); err != nil {
				b.Fatal(err)
			}
			i++
		}
		report(b, 1, py.Set, "set/s")
	})
	b.Run("go/get", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(value)))
		i := 0
		for b.Loop() {
			v, err := s.Get(ctx, keys[i%100])
			if err != nil || v != value {
				b.Fatalf("get: %v", err)
			}
			i++
		}
		report(b, 1, py.Get, "get/s")
	})
	getMany := func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(100 * len(value)))
		for b.Loop() {
			res, err := s.GetMany(ctx, keys)
			if err != nil || len(res) != 100 || res[99].Value != value {
				b.Fatalf("get many: %v", err)
			}
		}
		report(b, 100, py.GetMany, "get_many-keys/s")
	}
	b.Run("go/get_many_100", getMany)
	b.Run("go/get_many_100_1cpu", func(b *testing.B) { // decoding on one core, as Python
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
		getMany(b)
	})
}
