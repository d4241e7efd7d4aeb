package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
)

const (
	cliKey    = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
	cliNewKey = "9Hj2zXl0uPj1yqg5Dq6ajcgYSOGMQ1Eo2Vw1vtMJq8Y="
)

// writeConfig writes a native YAML config for a secure alias "default"
// (prefix app1:secure) recovering from "insecure" (prefix app1), both on srv.
func writeConfig(t *testing.T, srv *redistest.Server, keys ...string) string {
	t.Helper()
	quoted := make([]string, len(keys))
	for i, k := range keys {
		quoted[i] = fmt.Sprintf("%q", k)
	}
	cfg := fmt.Sprintf(`
secure_cache: default
caches:
  default:
    backend: redis
    location: redis://%[1]s/0
    key_prefix: app1:secure
    timeout: 1h
    options:
      secret_keys: [%[2]s]
      data_recovery: {old_cache_name: insecure, old_key_prefix: app1}
  insecure:
    backend: redis
    location: redis://%[1]s/0
    key_prefix: app1
    timeout: null
    options: {serializer: raw}
`, srv.Addr, strings.Join(quoted, ", "))
	path := filepath.Join(t.TempDir(), "caches.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// noSecrets fails the test if any output contains a secret key.
func noSecrets(t *testing.T, outputs ...string) {
	t.Helper()
	for _, o := range outputs {
		for _, k := range []string{cliKey, cliNewKey, cliKey[:20], cliNewKey[:20]} {
			if strings.Contains(o, k) {
				t.Fatalf("output contains a secret key:\n%s", o)
			}
		}
	}
}

func TestSetGet(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	cfg := writeConfig(t, srv, cliKey)
	ctx := t.Context()

	written := testkit.StartStopwatch()
	out, stderr, code := runCLI(t, "-c", cfg, "set", "--ttl", "10m", "api-token", "s3cr3t")
	noSecrets(t, out, stderr)
	if code != 0 {
		t.Fatalf("set: exit %d: %s", code, stderr)
	}
	raw := client.Get(ctx, "app1:secure:1:api-token").Val()
	if !strings.HasPrefix(raw, "gAAAAA") || strings.Contains(raw, "s3cr3t") {
		t.Fatalf("stored %q", raw)
	}
	if ttl := client.PTTL(ctx, "app1:secure:1:api-token").Val(); !written.Remains(ttl, 10*time.Minute) {
		t.Errorf("ttl = %v, want 10m", ttl)
	}
	out, stderr, code = runCLI(t, "-c", cfg, "get", "api-token")
	noSecrets(t, out, stderr)
	if code != 0 || out != "s3cr3t\n" {
		t.Errorf("get: exit %d, out %q, err %q", code, out, stderr)
	}

	// --json stores structured values; get prints them as JSON.
	written = testkit.StartStopwatch()
	if _, stderr, code := runCLI(t, "-c", cfg, "set", "--json", "user", `{"id": 42, "roles": ["admin"], "score": 1.5}`); code != 0 {
		t.Fatalf("set --json: exit %d: %s", code, stderr)
	}
	out, _, code = runCLI(t, "-c", cfg, "get", "user")
	if code != 0 || out != `{"id":42,"roles":["admin"],"score":1.5}`+"\n" {
		t.Errorf("get user: exit %d, %q", code, out)
	}
	out, _, _ = runCLI(t, "-c", cfg, "get", "--json", "api-token")
	if out != `"s3cr3t"`+"\n" {
		t.Errorf("get --json string = %q", out)
	}
	// Default TTL is the alias's timeout (1h).
	if ttl := client.PTTL(ctx, "app1:secure:1:user").Val(); !written.Remains(ttl, time.Hour) {
		t.Errorf("default ttl = %v, want the alias timeout", ttl)
	}
	// The plaintext alias by name.
	if _, stderr, code := runCLI(t, "-c", cfg, "set", "--alias", "insecure", "legacy", "plain"); code != 0 {
		t.Fatalf("set --alias insecure: %s", stderr)
	}
	if got := client.Get(ctx, "app1:1:legacy").Val(); got != "plain" {
		t.Errorf("raw alias stored %q", got)
	}

	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"missing key", []string{"-c", cfg, "get", "absent"}, 1},
		{"bad json", []string{"-c", cfg, "set", "--json", "k", "{nope"}, 2},
		{"no config", []string{"get", "k"}, 2},
		{"missing config file", []string{"-c", filepath.Join(t.TempDir(), "none.yaml"), "get", "k"}, 1},
		{"unknown alias", []string{"-c", cfg, "get", "--alias", "nope", "k"}, 1},
		{"extra args", []string{"-c", cfg, "get", "a", "b"}, 2},
		{"unknown flag", []string{"-c", cfg, "get", "--bogus", "a"}, 2},
	} {
		out, stderr, code := runCLI(t, tc.args...)
		noSecrets(t, out, stderr)
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d (stderr %q)", tc.name, code, tc.code, stderr)
		}
	}
}

func TestBadKeyInConfigIsNotEchoed(t *testing.T) {
	srv := redistest.Start(t)
	bad := cliKey[:30] // not a whole key
	cfg := writeConfig(t, srv, bad)
	out, stderr, code := runCLI(t, "-c", cfg, "get", "k")
	if code != 1 || strings.Contains(out+stderr, bad) || !strings.Contains(stderr, "secret") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func seedOld(t *testing.T, client *redis.Client, n int) {
	t.Helper()
	ctx := context.Background()
	_, err := client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range n {
			ttl := time.Duration(0)
			if i%2 == 0 {
				ttl = time.Hour
			}
			p.Set(ctx, fmt.Sprintf("app1:1:k%d", i), fmt.Sprintf("plain-%d", i), ttl)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMigrateRotateAudit(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	seeded := testkit.StartStopwatch()
	seedOld(t, client, 500)
	client.Set(ctx, "app10:1:k1", "other app", 0)
	cfg := writeConfig(t, srv, cliKey)

	out, stderr, code := runCLI(t, "-c", cfg, "migrate", "--dry-run")
	noSecrets(t, out, stderr)
	if code != 0 || !strings.Contains(out, "dry run") || client.Exists(ctx, "app1:secure:1:k1").Val() != 0 {
		t.Fatalf("dry run: exit %d, out %q, err %q", code, out, stderr)
	}
	out, stderr, code = runCLI(t, "-c", cfg, "migrate", "--clear-old")
	noSecrets(t, out, stderr)
	if code != 0 || !strings.Contains(out, "migrated 500") {
		t.Fatalf("migrate: exit %d, out %q, err %q", code, out, stderr)
	}
	if n := client.Exists(ctx, "app1:1:k0", "app1:1:k1").Val(); n != 0 {
		t.Errorf("--clear-old left %d old keys", n)
	}
	if client.Get(ctx, "app10:1:k1").Val() != "other app" {
		t.Error("migrate touched another app's key")
	}
	if out, _, _ := runCLI(t, "-c", cfg, "get", "k7"); out != "plain-7\n" {
		t.Errorf("get migrated k7 = %q", out)
	}
	if ttl := client.PTTL(ctx, "app1:secure:1:k0").Val(); !seeded.Remains(ttl, time.Hour) {
		t.Errorf("TTL not kept: %v", ttl)
	}
	if ttl := client.PTTL(ctx, "app1:secure:1:k1").Val(); ttl != -1 {
		t.Errorf("persistent key got TTL %v", ttl)
	}

	out, stderr, code = runCLI(t, "-c", cfg, "audit")
	noSecrets(t, out, stderr)
	if code != 0 || !strings.Contains(out, "current 500") {
		t.Fatalf("audit: exit %d, out %q, err %q", code, out, stderr)
	}
	client.Set(ctx, "app1:secure:1:planted", "plain text", 0)
	out, stderr, code = runCLI(t, "-c", cfg, "audit")
	if code != 1 || !strings.Contains(out, "plaintext 1") || !strings.Contains(out, "app1:secure:1:planted") || strings.Contains(out+stderr, "plain text") {
		t.Errorf("audit with plaintext: exit %d, out %q, err %q", code, out, stderr)
	}
	client.Del(ctx, "app1:secure:1:planted")

	rotated := writeConfig(t, srv, cliNewKey, cliKey)
	out, stderr, code = runCLI(t, "-c", rotated, "rotate")
	noSecrets(t, out, stderr)
	if code != 0 || !strings.Contains(out, "rotated 500") {
		t.Fatalf("rotate: exit %d, out %q, err %q", code, out, stderr)
	}
	newOnly := writeConfig(t, srv, cliNewKey)
	if out, _, code := runCLI(t, "-c", newOnly, "audit"); code != 0 || !strings.Contains(out, "current 500") {
		t.Errorf("audit with the new key only: exit %d, %q", code, out)
	}
	if out, _, _ := runCLI(t, "-c", newOnly, "get", "k7"); out != "plain-7\n" {
		t.Errorf("get after rotation = %q", out)
	}
}
