package otelmetrics

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/secureredis/secureredis/recovery"
)

// Progress returns a callback for recovery.WithProgress that records a
// migration's, rotation's or audit's progress on meter as the gauge
// secureredis.job.keys, one data point per state ("scanned", "done",
// "skipped", "failed"), with the attributes job (e.g. "migrate") and alias.
// The values are the job's running totals, so the last point of a finished
// job is its report's counts. The callback is safe for concurrent use. It
// fails on a nil meter, an empty job name, or the meter's error.
func Progress(meter metric.Meter, job, alias string) (func(recovery.Progress), error) {
	if meter == nil {
		return nil, errors.New("otelmetrics: nil meter")
	}
	if job == "" {
		return nil, errors.New("otelmetrics: empty job name")
	}
	keys, err := meter.Int64Gauge("secureredis.job.keys",
		metric.WithDescription("Keys a migration, rotation or audit has met so far, by state."), metric.WithUnit("{key}"))
	if err != nil {
		return nil, err
	}
	base := []attribute.KeyValue{attribute.String("job", job), attribute.String("alias", alias)}
	with := func(state string) metric.RecordOption {
		return metric.WithAttributes(append(base[:len(base):len(base)], attribute.String("state", state))...)
	}
	scanned, done, skipped, failed := with("scanned"), with("done"), with("skipped"), with("failed")
	return func(p recovery.Progress) {
		ctx := context.Background()
		keys.Record(ctx, int64(p.Scanned), scanned)
		keys.Record(ctx, int64(p.Done), done)
		keys.Record(ctx, int64(p.Skipped), skipped)
		keys.Record(ctx, int64(p.Failed), failed)
	}, nil
}
