package otelmetrics_test

import (
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/otelmetrics"
	"github.com/secureredis/secureredis/store"
)

func TestRegister(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	s, err := store.NewRedis(client, testkit.Codec(t), testkit.Keys(t, "app1:secure"))
	if err != nil {
		t.Fatal(err)
	}
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = provider.Shutdown(ctx) })
	reg, err := otelmetrics.Register(provider.Meter("test"), map[string]*store.EncryptingStore{"default": s})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Unregister() })

	if err := s.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		_, _ = s.Get(ctx, "k")
	}
	_, _ = s.Get(ctx, "absent")
	client.Set(ctx, "app1:secure:1:plain", "plain", 0)
	_, _ = s.Get(ctx, "plain")
	_, _ = s.GetMany(ctx, []string{"k", "absent", "plain"})

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok || !sum.IsMonotonic {
				t.Errorf("%s is %T, want a monotonic sum", m.Name, m.Data)
				continue
			}
			for _, dp := range sum.DataPoints {
				if a, _ := dp.Attributes.Value("alias"); a.AsString() != "default" {
					t.Errorf("%s: alias %v", m.Name, a)
				}
				name := m.Name
				if c, ok := dp.Attributes.Value("class"); ok {
					name += "/" + c.AsString()
				}
				got[name] = dp.Value
			}
		}
	}
	want := map[string]int64{
		"secureredis.cache.hits":                         4,
		"secureredis.cache.misses":                       2,
		"secureredis.cache.fallback_reads":               0,
		"secureredis.cache.decrypt_failures/plaintext":   2,
		"secureredis.cache.decrypt_failures/wrong-key":   0,
		"secureredis.cache.decrypt_failures/undecodable": 0,
		"secureredis.cache.decrypt_failures/value-type":  0,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	if _, err := otelmetrics.Register(nil, nil); err == nil {
		t.Error("Register(nil) accepted")
	}
}
