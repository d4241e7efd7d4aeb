package store

import (
	"errors"
	"sync/atomic"

	gocachestore "github.com/eko/gocache/lib/v4/store"

	"github.com/secureredis/secureredis/codec"
)

type readCounters struct {
	hits, misses, fallback atomic.Uint64
}

// Stats are the store's read counters since it was built, for metrics
// (package otelmetrics exports them to OpenTelemetry; gocache's MetricCache
// and its Prometheus collector keep counting at the cache level).
type Stats struct {
	// Hits counts reads (Get, GetWithTTL, GetInto, GetWithTTLInto, each key
	// of GetMany) that returned a value.
	Hits uint64
	// Misses counts reads of a key that does not exist (or that the
	// fallback did not have either).
	Misses uint64
	// FallbackReads counts values found in the fallback of WithFallback
	// (each is also a hit when it is served).
	FallbackReads uint64
	// DecryptFailures counts entries that exist but did not decode (also
	// misses for the application, not counted in Misses), by class.
	DecryptFailures        uint64
	DecryptFailuresByClass map[codec.FailureClass]uint64
}

// Stats returns the read counters. It is safe for concurrent use; the
// counters are read one by one, not as one snapshot.
func (s *EncryptingStore) Stats() Stats {
	return Stats{
		Hits:                   s.reads.hits.Load(),
		Misses:                 s.reads.misses.Load(),
		FallbackReads:          s.reads.fallback.Load(),
		DecryptFailures:        s.failures.Load(),
		DecryptFailuresByClass: s.DecryptFailuresByClass(),
	}
}

// countRead counts the outcome of one read.
func (s *EncryptingStore) countRead(err error) {
	switch {
	case err == nil:
		s.reads.hits.Add(1)
	case isDecryptError(err): // counted by failed
	case errors.Is(err, gocachestore.NotFound{}):
		s.reads.misses.Add(1)
	}
}

// isDecryptError reports whether err is a *DecryptError. It is a function of
// its own so that the variable errors.As needs, which escapes to the heap, is
// allocated only for an error, not on every hit.
func isDecryptError(err error) bool {
	var de *DecryptError
	return errors.As(err, &de)
}
