package main

import (
	"strings"
	"testing"
)

// TestFlagValuesNeverEchoed: a secret pasted into the wrong flag, or typed as
// a flag, is refused with exit 2 and appears nowhere in the output.
func TestFlagValuesNeverEchoed(t *testing.T) {
	for _, args := range [][]string{
		{"set", "--ttl", cliKey, "k", "v"},
		{"--timeout", cliKey, "get", "k"},
		{"get", "--" + cliKey, "k"},
		{"get", "--json=" + cliKey, "k"},
		{"bench", "--size", cliKey},
		{"bench", "--concurrency=" + cliKey[:20]},
		{"audit", "--samples", cliKey[:30]},
		{"migrate", "--dry-run=" + cliKey},
	} {
		out, stderr, code := runCLI(t, args...)
		if code != 2 {
			t.Errorf("%q: exit %d, want 2 (stderr %q)", args, code, stderr)
		}
		noSecrets(t, out, stderr)
		if !strings.Contains(stderr, "flag") {
			t.Errorf("%q: stderr %q does not name the flag", args, stderr)
		}
	}
}
