// Package otelmetrics exports the read counters of encrypting stores
// (store.EncryptingStore.Stats) as OpenTelemetry metrics: hits, misses,
// fallback reads and decrypt failures by class, as observable counters read
// at each collection, so the store itself does not depend on OpenTelemetry.
//
//	reg, err := otelmetrics.Register(otel.Meter("myservice"),
//		map[string]*store.EncryptingStore{"default": secure})
//	defer reg.Unregister()
//
// Instruments (all Int64ObservableCounter, unit "{read}" or "{entry}"), each
// with the attribute alias (the map key):
//
//	secureredis.cache.hits
//	secureredis.cache.misses
//	secureredis.cache.fallback_reads
//	secureredis.cache.decrypt_failures   (and the attribute class: wrong-key, undecodable, plaintext, value-type, unsupported-type)
//
// Progress records a migration's, rotation's or audit's running totals as
// the gauge secureredis.job.keys (attributes job, alias and state:
// scanned, done, skipped, failed), through recovery.WithProgress.
//
// Prometheus users who already meter through gocache's cache.NewMetric keep
// that; both can run side by side.
//
// # Security considerations
//
// Only counts and alias names are exported: never a key, a value or key
// material.
package otelmetrics
