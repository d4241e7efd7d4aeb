//go:build !unix

package cputime

import "time"

// Process returns 0: the platform's CPU time is not read.
func Process() time.Duration { return 0 }
