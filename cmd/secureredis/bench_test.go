package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

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

func TestBenchFlagsBounded(t *testing.T) {
	srv := redistest.Start(t)
	cfg := writeConfig(t, srv, cliKey)
	for _, args := range [][]string{
		{"--size", "1000000000000"},
		{"--size", "1048577"},
		{"--batch", "100000000000"},
		{"--batch", "1001"},
		{"--concurrency", "1000000000"},
		{"--ops", "10000000000"},
		{"--ops", "99999999999999999999999"}, // past int64
		{"--batch", "0"},
		{"--concurrency", "-5"},
	} {
		out, stderr, code := runCLI(t, append([]string{"-c", cfg, "bench"}, args...)...)
		if code != 2 || !strings.Contains(stderr, strings.TrimLeft(args[0], "-")) || out != "" {
			t.Errorf("%v: exit %d, out %q, stderr %q", args, code, out, stderr)
		}
	}
	if keys := redistest.Keys(t, srv.Client(t, 0)); len(keys) != 0 {
		t.Errorf("a refused bench wrote %v", keys)
	}
}

// benchKeysIn returns the bench keys on the server and fails the test if one
// of them has no expiration.
func benchKeysIn(t *testing.T, client *redis.Client) []string {
	t.Helper()
	var keys []string
	for _, k := range redistest.Keys(t, client) {
		if !strings.HasPrefix(k, "app1:secure:1:secureredis-bench:") {
			continue
		}
		keys = append(keys, k)
		if ttl := client.PTTL(context.Background(), k).Val(); ttl <= 0 && ttl != -2 {
			t.Errorf("bench key %s is persistent (PTTL %v)", k, ttl)
		}
	}
	return keys
}

// TestBenchInterrupted stops a running bench: by ctx in process, and by
// SIGINT and SIGTERM on a real process. Until its cleanup every bench key has
// a TTL (so a SIGKILL leaves nothing persistent); after it, none is left.
func TestBenchInterrupted(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	cfg := writeConfig(t, srv, cliKey)
	client.Set(t.Context(), "app10:1:k", "other app", 0)
	args := []string{"-c", cfg, "bench", "--ops", "10000000", "--concurrency", "2"}

	waitRunning := func() {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for len(benchKeysIn(t, client)) < 2*benchKeys {
			if time.Now().After(deadline) {
				t.Fatalf("bench did not start: %v", redistest.Keys(t, client))
			}
			time.Sleep(20 * time.Millisecond)
		}
		// Mid-run, Sets rewrite keys: each still has its TTL.
		benchKeysIn(t, client)
	}
	checkClean := func(what string) {
		t.Helper()
		if keys := redistest.Keys(t, client); len(keys) != 1 || keys[0] != "app10:1:k" {
			t.Errorf("%s: after bench the server holds %d keys: %.5v", what, len(keys), keys)
		}
	}

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int)
	var out, errOut bytes.Buffer
	go func() { done <- exitCode(run(ctx, args, strings.NewReader(""), &out, &errOut)) }()
	waitRunning()
	cancel()
	if code := <-done; code != 1 || !strings.Contains(errOut.String(), "canceled") {
		t.Errorf("canceled bench: exit %d, stderr %q", code, errOut.String())
	}
	checkClean("ctx canceled")

	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		cmd := cliCommand(t, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitRunning()
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Errorf("%v: %v, stderr %q", sig, err, stderr.String())
		}
		checkClean(sig.String())
	}
}
