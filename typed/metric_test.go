package typed_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/eko/gocache/lib/v4/cache"
	"github.com/eko/gocache/lib/v4/metrics"
	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/store"
	"github.com/secureredis/secureredis/typed"
)

// The typed cache meters through gocache's MetricCache and Prometheus, and
// an entry of another type is a miss that says so.
func TestMetricAndValueType(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv.Client(t, 0), codec.Msgpack{})
	ctx := t.Context()
	ints, err := typed.New[int](s)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m := cache.NewMetric[int](metrics.NewPrometheus("svc", metrics.WithRegisterer(reg)), ints)
	if err := m.Set(ctx, "n", 7); err != nil {
		t.Fatal(err)
	}
	if n, err := m.Get(ctx, "n"); err != nil || n != 7 {
		t.Fatalf("Get = %v, %v", n, err)
	}
	_, _ = m.Get(ctx, "absent")
	if err := s.Set(ctx, "s", "a string"); err != nil {
		t.Fatal(err)
	}
	_, err = m.Get(ctx, "s")
	var de *store.DecryptError
	if !errors.Is(err, gocachestore.NotFound{}) || !errors.As(err, &de) || de.Class != codec.FailureValueType ||
		!strings.Contains(err.Error(), "does not fit the requested Go type") {
		t.Errorf("Get(string as int) = %v", err)
	}
	// gocache's Prometheus recorder reads the codec's counters on a goroutine
	// and drops a snapshot when it is busy: poll, nudging it with a Set (which
	// records the same hit and miss counts again) until the last one lands.
	gather := func() map[string]float64 {
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, f := range families {
			for _, mt := range f.GetMetric() {
				for _, l := range mt.GetLabel() {
					if l.GetName() == "metric" {
						got[l.GetValue()] = mt.GetGauge().GetValue()
					}
				}
			}
		}
		return got
	}
	var got map[string]float64
	if !testkit.Poll(func() bool {
		got = gather()
		if got["hit_count"] == 1 && got["miss_count"] == 2 {
			return true
		}
		_ = m.Set(ctx, "n", 7)
		return false
	}) {
		t.Errorf("prometheus = %v, want 1 hit, 2 misses", got)
	}
}
