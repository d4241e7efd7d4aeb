package cputime

import "testing"

// Burning CPU shows in Process; Per divides by the count.
func TestProcessAdvances(t *testing.T) {
	m := Start()
	x := 0
	for i := range 50_000_000 {
		x += i ^ x
	}
	if m.Per(1) <= 0 {
		t.Errorf("no CPU time measured after a busy loop (x=%d)", x)
	}
	if m.Per(0) != 0 {
		t.Error("Per(0) is not 0")
	}
}
