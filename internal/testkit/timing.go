package testkit

import (
	"testing"
	"time"
)

// The tests run on busy machines: two shared vCPUs, the race detector, other
// builds. Any step may take seconds, so no test asserts a wall-clock window.
// A test waiting for a state polls for it until Patience runs out; a test
// checking a TTL that Redis counted down while it ran bounds it by the time
// that really passed (Stopwatch).

// Patience bounds every wait of a test for a state: long enough for a
// saturated machine, far below go test's timeout. A wait that succeeds
// returns as soon as the state holds, so Patience costs only failing tests.
const Patience = 2 * time.Minute

// Poll calls cond, sleeping a little longer each time (up to 100 ms), until
// it reports true or Patience has passed; it reports cond's last result.
// cond runs on the calling goroutine, so it may call tb.Fatal.
func Poll(cond func() bool) bool {
	deadline := time.Now().Add(Patience)
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(wait)
	}
}

// Eventually polls cond like Poll and fails tb with the formatted message
// (tb.Fatalf) if it never reports true.
func Eventually(tb testing.TB, cond func() bool, format string, args ...any) {
	tb.Helper()
	if !Poll(cond) {
		tb.Fatalf(format+" (waited %v)", append(args, Patience)...)
	}
}

// A Stopwatch measures how long part of a test took by the real clock. Start
// it just before writing an entry with a TTL; every TTL read back later, as
// written or as kept by a migration, a rotation, a promotion, is then bounded
// by what can really have elapsed instead of a fixed window.
type Stopwatch struct{ start time.Time }

// StartStopwatch starts a Stopwatch now.
func StartStopwatch() Stopwatch { return Stopwatch{start: time.Now()} }

// Elapsed returns the time since the Stopwatch started.
func (s Stopwatch) Elapsed() time.Duration { return time.Since(s.start) }

// Remains reports whether got, a TTL read now, is what is left of a TTL of
// ttl set after s started: ttl-Elapsed()-1s <= got <= ttl. The upper bound is
// exact, so a TTL reset or lengthened fails; the second of slack below covers
// readers that round to whole seconds (TTL, django-redis's cache.ttl). A ttl
// of zero or less (no expiry, as each caller spells it) must come back
// exactly.
func (s Stopwatch) Remains(got, ttl time.Duration) bool {
	if ttl <= 0 {
		return got == ttl
	}
	return got <= ttl && got >= ttl-s.Elapsed()-time.Second
}
