package localtier

import (
	"fmt"
	"time"
)

// Defaults of the options.
const (
	// DefaultMaxEntries is how many tokens a Client keeps at most.
	DefaultMaxEntries = 10_000
	// DefaultMaxBytes bounds the estimated memory of the kept tokens and
	// their keys (64 MiB).
	DefaultMaxBytes = 64 << 20
	// DefaultMaxEntryBytes is the largest token a Client keeps (1 MiB);
	// larger ones are read from Redis every time.
	DefaultMaxEntryBytes = 1 << 20
	// DefaultHealthInterval is how often an idle tracking connection is
	// pinged, and how often the data connections' server is compared with
	// the tracking connection's (failover detection).
	DefaultHealthInterval = time.Second
)

type options struct {
	maxEntries     int
	maxBytes       int64
	maxEntryBytes  int
	maxStaleness   time.Duration
	healthInterval time.Duration
	now            func() time.Time
}

func defaultOptions() options {
	return options{
		maxEntries:     DefaultMaxEntries,
		maxBytes:       DefaultMaxBytes,
		maxEntryBytes:  DefaultMaxEntryBytes,
		healthInterval: DefaultHealthInterval,
		now:            time.Now,
	}
}

// Option configures a Client.
type Option func(*options) error

// WithMaxEntries bounds how many tokens the tier keeps; the least recently
// used is dropped first. The default is DefaultMaxEntries; n must be
// positive.
func WithMaxEntries(n int) Option {
	return func(o *options) error {
		if n <= 0 {
			return fmt.Errorf("localtier: max entries must be positive, got %d", n)
		}
		o.maxEntries = n
		return nil
	}
}

// WithMaxBytes bounds the estimated memory of the kept tokens, keys and
// bookkeeping. The default is DefaultMaxBytes; n must be positive.
func WithMaxBytes(n int64) Option {
	return func(o *options) error {
		if n <= 0 {
			return fmt.Errorf("localtier: max bytes must be positive, got %d", n)
		}
		o.maxBytes = n
		return nil
	}
}

// WithMaxEntryBytes sets the largest token kept; larger ones are always read
// from Redis. The default is DefaultMaxEntryBytes; n must be positive.
func WithMaxEntryBytes(n int) Option {
	return func(o *options) error {
		if n <= 0 {
			return fmt.Errorf("localtier: max entry bytes must be positive, got %d", n)
		}
		o.maxEntryBytes = n
		return nil
	}
}

// WithMaxStaleness caps how long a token is served from memory after it was
// read, whatever the invalidations say: a backstop for an invalidation lost
// in a way the Client cannot see (a partitioned network that keeps the TCP
// connection open until the next health check). Zero, the default, keeps a
// token until it is invalidated, evicted or its Redis TTL runs out.
func WithMaxStaleness(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("localtier: negative max staleness %v", d)
		}
		o.maxStaleness = d
		return nil
	}
}

// WithHealthInterval sets how often the idle tracking connection is pinged
// (two intervals without an answer drop it, which flushes the tier) and how
// often the data connections' server is compared with the tracking
// connection's. The default is DefaultHealthInterval; d must be positive.
func WithHealthInterval(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("localtier: health interval must be positive, got %v", d)
		}
		o.healthInterval = d
		return nil
	}
}

// WithClock replaces time.Now for the tier's expiry bookkeeping (tests).
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return fmt.Errorf("localtier: nil clock")
		}
		o.now = now
		return nil
	}
}
