package recovery

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/secureredis/secureredis/store"
)

// Summary is the part every report of this package shares; MigrateReport,
// RotateReport and AuditReport embed it.
type Summary struct {
	// Scanned counts the keys SCAN returned: under the prefix, or matching a
	// pattern (MigrateFrom). SCAN may return a key twice.
	Scanned int
	// Failed counts the entries a Redis or codec error stopped. Failures
	// lists up to MaxFailures failed keys (with those whose old entry could
	// not be deleted, for Migrate), in the order met; FailuresOmitted counts
	// the rest.
	Failed          int
	Failures        []Failure
	FailuresOmitted int
	// DryRun is true for a run with WithDryRun (never for Audit, which
	// writes nothing anyway).
	DryRun bool
	// Duration is how long the run took.
	Duration time.Duration
}

// job is the runner every recovery job shares: the options, the clock, the
// lock over the report, the failure list and the progress callback. A job
// builds its report, attaches its Summary, scans, accounts each batch under
// mu (calling progress), and returns finish's error.
type job struct {
	name  string
	o     *options
	start time.Time
	sum   *Summary

	mu    sync.Mutex // guards the report, fails and last; serialises progress calls
	fails failures
	last  Progress // totals at the last progress call
	moved bool     // a progress call happened
}

// newJob applies opts for the job called name ("migrate", "rotate",
// "audit") and starts its clock.
func newJob(name string, opts []Option) (*job, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	return &job{name: name, o: o, start: time.Now()}, nil
}

// attach sets the summary the job fills in; the report embeds it.
func (j *job) attach(sum *Summary) {
	j.sum = sum
	sum.DryRun = j.o.dryRun
}

// failure adds a key to the failure list; the caller holds mu and counts
// it where it belongs.
func (j *job) failure(key string, err error) { j.fails.add(key, err) }

// progress calls the WithProgress callback with p if it changed since the
// last call; the caller holds mu.
func (j *job) progress(p Progress) {
	if j.o.progress == nil || (j.moved && p == j.last) {
		return
	}
	j.last, j.moved = p, true
	j.o.progress(p)
}

// scan calls fn with successive batches of s's keys (see scanBatches).
func (j *job) scan(ctx context.Context, s *store.EncryptingStore, fn func(ctx context.Context, keys []string)) error {
	return scanBatches(ctx, s, j.o.batch, fn)
}

// finish fills in the summary's duration and failures and returns err,
// wrapped with the job's name, or nil.
func (j *job) finish(err error) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.sum.Duration = time.Since(j.start)
	j.sum.Failures, j.sum.FailuresOmitted = j.fails.list, j.fails.omitted
	if err != nil {
		return fmt.Errorf("recovery: %s: %w", j.name, err)
	}
	return nil
}
