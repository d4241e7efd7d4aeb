// Package cputime reads the CPU time the process has used, for benchmarks
// that report client CPU per operation: on a machine shared with other
// work, wall-clock ns/op measures the queue for a processor as much as the
// code, while the process's own CPU time does not.
package cputime

import "time"

// Meter reports CPU time per operation: call Start before the timed loop and
// Per after it.
type Meter struct{ start time.Duration }

// Start returns a Meter started now.
func Start() Meter { return Meter{start: Process()} }

// Per returns the CPU time used since Start divided by n, in nanoseconds, or
// 0 when n is not positive or the platform does not tell.
func (m Meter) Per(n int) float64 {
	if n <= 0 {
		return 0
	}
	return float64(Process()-m.start) / float64(n)
}
