package main

import (
	"strings"
	"testing"
	"time"

	"github.com/secureredis/secureredis/internal/redistest"
)

// TestCacheAPICommands drives ttl, touch, incr, keys, delete and
// delete-pattern end to end on a real Redis, with their exit codes.
func TestCacheAPICommands(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	cfg := writeConfig(t, srv, cliKey)
	ctx := t.Context()
	cli := func(wantCode int, args ...string) string {
		t.Helper()
		out, stderr, code := runCLI(t, append([]string{"-c", cfg}, args...)...)
		noSecrets(t, out, stderr)
		if code != wantCode {
			t.Fatalf("%v: exit %d, want %d (stderr %q, out %q)", args, code, wantCode, stderr, out)
		}
		return out
	}
	cli(0, "set", "--ttl", "10m", "counter", "x")
	cli(0, "set", "--json", "n", "41")
	cli(0, "set", "--ttl", "0", "forever", "x")
	client.Set(ctx, "other:1:n", "keep", 0)

	if out := cli(0, "ttl", "counter"); !strings.HasPrefix(out, "9m") && !strings.HasPrefix(out, "10m") {
		t.Errorf("ttl = %q", out)
	}
	if out := cli(0, "ttl", "forever"); out != "none\n" {
		t.Errorf("ttl of a persistent key = %q", out)
	}
	cli(1, "ttl", "absent")

	cli(0, "touch", "counter", "--ttl", "2h")
	if d := client.PTTL(ctx, "app1:secure:1:counter").Val(); d <= time.Hour {
		t.Errorf("after touch --ttl 2h PTTL = %v", d)
	}
	cli(0, "touch", "counter", "--persist")
	if d := client.PTTL(ctx, "app1:secure:1:counter").Val(); d != -1 {
		t.Errorf("after touch --persist PTTL = %v", d)
	}
	cli(1, "touch", "absent", "--ttl", "1m")
	cli(2, "touch", "counter")
	cli(2, "touch", "counter", "--ttl", "1m", "--persist")

	if out := cli(0, "incr", "n"); out != "42\n" {
		t.Errorf("incr = %q", out)
	}
	if out := cli(0, "incr", "n", "--by", "-50"); out != "-8\n" {
		t.Errorf("incr --by -50 = %q", out)
	}
	if out := cli(0, "get", "n"); out != "-8\n" {
		t.Errorf("get after incr = %q", out)
	}
	cli(1, "incr", "absent")
	if out := cli(0, "incr", "--create", "--by", "3", "new"); out != "3\n" {
		t.Errorf("incr --create = %q", out)
	}
	cli(1, "incr", "counter") // a string
	cli(2, "incr", "n", "--by", "x")

	cli(0, "set", "user:1", "a")
	cli(0, "set", "user:2", "b")
	cli(0, "set", "user:\x1b[2K", "c")
	if out := cli(0, "keys", "user:*"); !sameLines(out, "user:1", "user:2", `"user:\x1b[2K"`) {
		t.Errorf("keys user:* = %q", out)
	}
	if out := cli(0, "keys"); !sameLines(out, "counter", "n", "forever", "new", "user:1", "user:2", `"user:\x1b[2K"`) {
		t.Errorf("keys = %q", out)
	}
	if out := cli(0, "delete-pattern", "--dry-run", "user:[12]"); !sameLines(out, "user:1", "user:2", "would delete 2") {
		t.Errorf("delete-pattern --dry-run = %q", out)
	}
	if out := cli(0, "delete-pattern", "user:[12]"); out != "deleted 2\n" {
		t.Errorf("delete-pattern = %q", out)
	}
	if out := cli(0, "delete", "forever", "absent", "new"); out != "deleted 2 of 3\n" {
		t.Errorf("delete = %q", out)
	}
	if out := cli(0, "keys", "--alias", "default", "*"); !sameLines(out, "counter", "n", `"user:\x1b[2K"`) {
		t.Errorf("keys after deletes = %q", out)
	}
	cli(2, "delete")
	cli(1, "keys", "--alias", "nope")
	if v := client.Get(ctx, "other:1:n").Val(); v != "keep" {
		t.Errorf("a key outside the prefix was touched: %q", v)
	}
}

func sameLines(out string, want ...string) bool {
	got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(got) != len(want) {
		return false
	}
	seen := map[string]int{}
	for _, g := range got {
		seen[g]++
	}
	for _, w := range want {
		if seen[w] == 0 {
			return false
		}
		seen[w]--
	}
	return true
}
