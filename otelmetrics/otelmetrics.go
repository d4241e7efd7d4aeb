package otelmetrics

import (
	"context"
	"errors"
	"maps"
	"math"
	"slices"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/store"
)

// Register creates the instruments on meter and a callback that reads the
// counters of each store of stores (keyed by alias name) at every
// collection. Unregister the returned registration to stop. It fails on a
// nil meter, no stores or a nil store, or the meter's error.
func Register(meter metric.Meter, stores map[string]*store.EncryptingStore) (metric.Registration, error) {
	if meter == nil {
		return nil, errors.New("otelmetrics: nil meter")
	}
	if len(stores) == 0 {
		return nil, errors.New("otelmetrics: no stores")
	}
	for name, s := range stores {
		if s == nil {
			return nil, errors.New("otelmetrics: nil store for alias " + name)
		}
	}
	names := slices.Sorted(maps.Keys(stores))
	hits, err := meter.Int64ObservableCounter("secureredis.cache.hits",
		metric.WithDescription("Reads that returned a value."), metric.WithUnit("{read}"))
	if err != nil {
		return nil, err
	}
	misses, err := meter.Int64ObservableCounter("secureredis.cache.misses",
		metric.WithDescription("Reads of a key that does not exist."), metric.WithUnit("{read}"))
	if err != nil {
		return nil, err
	}
	fallback, err := meter.Int64ObservableCounter("secureredis.cache.fallback_reads",
		metric.WithDescription("Values served from the migration fallback (the old alias)."), metric.WithUnit("{read}"))
	if err != nil {
		return nil, err
	}
	failures, err := meter.Int64ObservableCounter("secureredis.cache.decrypt_failures",
		metric.WithDescription("Entries that exist but do not decrypt, by class."), metric.WithUnit("{entry}"))
	if err != nil {
		return nil, err
	}
	return meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for _, name := range names {
			st := stores[name].Stats()
			alias := attribute.String("alias", name)
			o.ObserveInt64(hits, clamp(st.Hits), metric.WithAttributes(alias))
			o.ObserveInt64(misses, clamp(st.Misses), metric.WithAttributes(alias))
			o.ObserveInt64(fallback, clamp(st.FallbackReads), metric.WithAttributes(alias))
			for _, c := range codec.FailureClasses {
				o.ObserveInt64(failures, clamp(st.DecryptFailuresByClass[c]),
					metric.WithAttributes(alias, attribute.String("class", c.String())))
			}
		}
		return nil
	}, hits, misses, fallback, failures)
}

func clamp(n uint64) int64 {
	if n > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(n)
}
