package recovery

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// MigrateReport is the outcome of Migrate and MigrateFrom. Scanned equals
// Migrated + Skipped + Failed. It holds counts and key names, never values.
// A key SCAN returns twice is skipped the second time (SkipExists, or
// SkipExpired once cleared).
type MigrateReport struct {
	Summary
	// Migrated counts the entries written to the secure alias (in a dry
	// run: those whose secure key did not exist). When the client retries a
	// pipeline that timed out after Redis ran it, the retried writes find
	// their own copies and count as SkipExists instead: the data is right,
	// the split between the two counts is not.
	Migrated int
	// Skipped counts the keys left alone; SkippedBy breaks it down.
	Skipped   int
	SkippedBy map[SkipReason]int
	// Failed (in Summary) counts the entries that could not be migrated;
	// their old entries are never deleted.
	// Deleted counts the old entries deleted (WithClearOld), including
	// those already gone when their turn came.
	Deleted int
	// Kept counts the old entries WithClearOld left in place because they
	// changed after being read, or because their secure copy vanished
	// before they could be deleted. A later run handles them: it copies
	// them again, or reports them as Conflicts.
	Kept int
	// Conflicts counts the old entries WithClearOld left in place because
	// their value differs from the one their existing secure copy holds:
	// the application wrote the secure alias, or writers updated the old
	// alias after it was copied. Both values are kept; WithPrefer resolves
	// them on a later run. In a dry run: the conflicts a real run would
	// report. A key SCAN returns twice is counted twice.
	Conflicts int
	// Resolved counts the conflicts WithPrefer resolved (in a dry run: would
	// resolve): the old entry was deleted, after its value replaced the
	// secure copy's with PreferOld.
	Resolved int
	// ConflictKeys lists up to WithSamples (default DefaultSamples) old
	// storage keys counted in Conflicts or Kept, in the order met.
	ConflictKeys []string
	// DeleteFailed counts the old entries whose delete (or the check
	// before it) failed although their encrypted copy is in place; they
	// are also in Failures.
	DeleteFailed int
}

// Clean reports whether the run left nothing to do: no entry failed, no
// delete failed, and (with WithClearOld) no old entry was kept, as a
// conflict or because it changed during the run. A run that stopped early
// (Migrate returned an error) is not complete whatever Clean says. A command
// line tool should exit non-zero when Clean is false.
func (r *MigrateReport) Clean() bool {
	return r.Failed == 0 && r.DeleteFailed == 0 && r.Conflicts == 0 && r.Kept == 0
}

// String summarises the report on one line, without values; conflicting
// keys follow on a second line.
func (r *MigrateReport) String() string {
	var b strings.Builder
	if r.DryRun {
		b.WriteString("dry run: ")
	}
	fmt.Fprintf(&b, "scanned %d, migrated %d, skipped %d", r.Scanned, r.Migrated, r.Skipped)
	if len(r.SkippedBy) > 0 {
		reasons := make([]string, 0, len(r.SkippedBy))
		for reason, n := range r.SkippedBy {
			reasons = append(reasons, fmt.Sprintf("%s %d", reason, n))
		}
		sort.Strings(reasons)
		fmt.Fprintf(&b, " (%s)", strings.Join(reasons, ", "))
	}
	fmt.Fprintf(&b, ", failed %d", r.Failed)
	if r.Deleted > 0 || r.Kept > 0 || r.DeleteFailed > 0 {
		fmt.Fprintf(&b, ", old entries deleted %d, kept %d, delete failed %d", r.Deleted, r.Kept, r.DeleteFailed)
	}
	if r.Conflicts > 0 || r.Resolved > 0 {
		fmt.Fprintf(&b, ", conflicts %d, resolved %d", r.Conflicts, r.Resolved)
	}
	fmt.Fprintf(&b, " in %v", r.Duration.Round(time.Millisecond))
	if len(r.ConflictKeys) > 0 {
		fmt.Fprintf(&b, "\n  kept old entries: %s", strings.Join(quoteKeys(r.ConflictKeys), " "))
	}
	return b.String()
}

// quoteKeys quotes keys that hold spaces, quotes or control characters, so
// that a hostile key name cannot forge output or drive a terminal.
func quoteKeys(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k
		for _, c := range k {
			if c <= ' ' || c == '"' || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\uFFFD' {
				out[i] = fmt.Sprintf("%q", k)
				break
			}
		}
	}
	return out
}
