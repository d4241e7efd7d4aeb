package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/secureredis/secureredis/internal/redistest"
)

func TestBench(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	cfg := writeConfig(t, srv, cliKey)
	client.Set(t.Context(), "app10:1:k", "other app", 0)

	out, stderr, code := runCLI(t, "-c", cfg, "bench", "--ops", "200", "--concurrency", "4", "--batch", "10", "--size", "256")
	noSecrets(t, out, stderr)
	if code != 0 {
		t.Fatalf("bench: exit %d, stderr %q, out %q", code, stderr, out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if !strings.HasPrefix(lines[0], `bench: alias default (prefix "app1:secure"), 256-byte values, 200 ops, concurrency 4, batch 10`) {
		t.Errorf("header = %q", lines[0])
	}
	row := regexp.MustCompile(`^\s*(set|get|getmany)\s+(plain|encrypted)\s+\d+\s+\d+\s+\S+s\s+\S+s\s*$`)
	rows := 0
	for _, l := range lines[1 : len(lines)-1] {
		if row.MatchString(l) {
			rows++
		}
	}
	if rows != 6 {
		t.Errorf("want 6 result rows, got %d:\n%s", rows, out)
	}
	last := lines[len(lines)-1]
	if !regexp.MustCompile(`^ratio get=\d+\.\d\d set=\d+\.\d\d getmany=\d+\.\d\d$`).MatchString(last) {
		t.Errorf("last line = %q", last)
	}
	if strings.Count(out, "ratio ") != 1 {
		t.Errorf("ratio line printed %d times", strings.Count(out, "ratio "))
	}
	// The bench keys are gone; other keys untouched.
	if keys := redistest.Keys(t, client); len(keys) != 1 || keys[0] != "app10:1:k" {
		t.Errorf("after bench the server holds %v", keys)
	}

	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"no config", []string{"bench"}, 2},
		{"zero ops", []string{"-c", cfg, "bench", "--ops", "0"}, 2},
		{"negative size", []string{"-c", cfg, "bench", "--size", "-1"}, 2},
		{"argument", []string{"-c", cfg, "bench", "extra"}, 2},
		{"unknown alias", []string{"-c", cfg, "bench", "--alias", "nope"}, 1},
	} {
		out, stderr, code := runCLI(t, tc.args...)
		noSecrets(t, out, stderr)
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d (stderr %q)", tc.name, code, tc.code, stderr)
		}
	}
	// Against a stopped server: exit 1.
	srv.Stop()
	if _, stderr, code := runCLI(t, "-c", cfg, "bench", "--ops", "10"); code != 1 {
		t.Errorf("stopped server: exit %d, stderr %q", code, stderr)
	}
}
