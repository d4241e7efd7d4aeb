package otelmetrics_test

import (
	"fmt"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/otelmetrics"
	"github.com/secureredis/secureredis/recovery"
	"github.com/secureredis/secureredis/store"
)

// TestProgress: a real migration's progress reaches the meter, and its last
// points are the report's counts.
func TestProgress(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	oldKeys, err := codec.NewKeyScheme("app1")
	if err != nil {
		t.Fatal(err)
	}
	old, err := store.NewRedis(client, codec.Raw{}, oldKeys)
	if err != nil {
		t.Fatal(err)
	}
	secure, err := store.NewRedis(client, testkit.Codec(t), testkit.Keys(t, "app1:secure"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 250 {
		client.Set(ctx, fmt.Sprintf("app1:1:k%d", i), "v", 0)
	}
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = provider.Shutdown(ctx) })
	progress, err := otelmetrics.Progress(provider.Meter("test"), "migrate", "default")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := recovery.Migrate(ctx, old, secure, recovery.WithBatchSize(100), recovery.WithProgress(progress))
	if err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			g, ok := m.Data.(metricdata.Gauge[int64])
			if !ok || m.Name != "secureredis.job.keys" {
				t.Fatalf("%s is %T", m.Name, m.Data)
			}
			for _, dp := range g.DataPoints {
				job, _ := dp.Attributes.Value("job")
				alias, _ := dp.Attributes.Value("alias")
				state, _ := dp.Attributes.Value("state")
				if job.AsString() != "migrate" || alias.AsString() != "default" {
					t.Errorf("attributes %v", dp.Attributes)
				}
				got[state.AsString()] = dp.Value
			}
		}
	}
	want := map[string]int64{"scanned": int64(rep.Scanned), "done": int64(rep.Migrated), "skipped": int64(rep.Skipped), "failed": int64(rep.Failed)}
	if fmt.Sprint(got) != fmt.Sprint(want) || got["done"] != 250 {
		t.Errorf("gauges %v, want %v", got, want)
	}
	if _, err := otelmetrics.Progress(nil, "migrate", "a"); err == nil {
		t.Error("nil meter accepted")
	}
}
