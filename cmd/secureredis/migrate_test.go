package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
)

// writeBareConfig writes a config whose secure alias recovers the bare keys
// user:* and session:* of gocache's Redis store (raw values) on srv.
func writeBareConfig(t *testing.T, srv *redistest.Server) string {
	t.Helper()
	cfg := fmt.Sprintf(`
secure_cache: default
caches:
  default:
    backend: redis
    location: redis://%[1]s/0
    key_prefix: app1:secure
    timeout: 1h
    options:
      secret_keys: [%[2]q]
      data_recovery: {old_cache_name: gocache, old_key_patterns: ["user:*", "session:*"], old_format: raw}
  gocache:
    backend: redis
    location: redis://%[1]s/0
    key_prefix: gocache
    options: {serializer: raw}
`, srv.Addr, cliKey)
	path := filepath.Join(t.TempDir(), "caches.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestMigrateBareKeys drives old_key_patterns through the CLI: bare keys move
// to the same logical keys, TTLs kept, other keys untouched.
func TestMigrateBareKeys(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	set := testkit.StartStopwatch()
	for i := range 20 {
		client.Set(ctx, fmt.Sprintf("user:%d", i), fmt.Sprintf("u%d", i), time.Duration(i%2)*time.Hour)
	}
	client.Set(ctx, "session:abc", "s", 0)
	client.Set(ctx, "other:1", "not ours", 0)
	cfg := writeBareConfig(t, srv)

	out, stderr, code := runCLI(t, "-c", cfg, "migrate", "--clear-old")
	noSecrets(t, out, stderr)
	if code != 0 || !strings.Contains(out, "migrated 21") || !strings.Contains(out, `"user:*"`) {
		t.Fatalf("migrate: exit %d, out %q, err %q", code, out, stderr)
	}
	if n := client.Exists(ctx, "user:0", "user:1", "session:abc").Val(); n != 0 {
		t.Errorf("--clear-old left %d old keys", n)
	}
	if client.Get(ctx, "other:1").Val() != "not ours" {
		t.Error("migrate touched a key no pattern selects")
	}
	if out, _, _ := runCLI(t, "-c", cfg, "get", "user:7"); out != "u7\n" {
		t.Errorf("get user:7 = %q", out)
	}
	if ttl := client.PTTL(ctx, "app1:secure:1:user:1").Val(); !set.Remains(ttl, time.Hour) {
		t.Errorf("TTL not kept: %v", ttl)
	}
	if ttl := client.PTTL(ctx, "app1:secure:1:user:0").Val(); ttl != -1 {
		t.Errorf("persistent key got TTL %v", ttl)
	}
}

// TestMigrateConflictExitsNonZero: an old entry that differs from its secure
// copy is kept with the copy, reported by key, and exits 1 until --prefer
// decides.
func TestMigrateConflictExitsNonZero(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	seedOld(t, client, 10)
	cfg := writeConfig(t, srv, cliKey)

	if out, stderr, code := runCLI(t, "-c", cfg, "migrate"); code != 0 {
		t.Fatalf("first migrate: exit %d, out %q, err %q", code, out, stderr)
	}
	// A writer updates the old alias after the copy was made.
	client.Set(ctx, "app1:1:k3", "newer", 0)

	out, stderr, code := runCLI(t, "-c", cfg, "migrate", "--clear-old", "--json")
	if code != 1 {
		t.Fatalf("conflict: exit %d, want 1; out %q, err %q", code, out, stderr)
	}
	var rep struct {
		OK           bool `json:"ok"`
		Conflicts    int  `json:"conflicts"`
		ConflictKeys []struct {
			Key string `json:"key"`
		} `json:"conflict_keys"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report %q: %v", out, err)
	}
	if rep.OK || rep.Conflicts != 1 || len(rep.ConflictKeys) != 1 || rep.ConflictKeys[0].Key != "app1:1:k3" {
		t.Fatalf("report %+v", rep)
	}
	if client.Get(ctx, "app1:1:k3").Val() != "newer" {
		t.Fatal("the conflicting old entry was not kept")
	}
	if out, _, _ := runCLI(t, "-c", cfg, "get", "k3"); out != "plain-3\n" {
		t.Fatalf("secure copy changed before --prefer: %q", out)
	}

	if _, stderr, code := runCLI(t, "-c", cfg, "migrate", "--clear-old", "--prefer", "nobody"); code != 2 {
		t.Fatalf("--prefer nobody: exit %d, err %q", code, stderr)
	}
	if out, stderr, code := runCLI(t, "-c", cfg, "migrate", "--clear-old", "--prefer", "old"); code != 0 {
		t.Fatalf("--prefer old: exit %d, out %q, err %q", code, out, stderr)
	}
	if out, _, _ := runCLI(t, "-c", cfg, "get", "k3"); out != "newer\n" {
		t.Errorf("--prefer old: secure k3 = %q", out)
	}
	if client.Exists(ctx, "app1:1:k3").Val() != 0 {
		t.Error("--prefer old kept the old entry")
	}
}
