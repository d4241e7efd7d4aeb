package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secureredis/secureredis/internal/redistest"
)

// TestHashedNamesCLI drives an alias with hashed_names through the CLI:
// migrate from a plaintext alias, get, keys and delete-pattern by logical
// key, audit samples in clear (the key decrypts them), rotate to a new
// key (renaming every entry), and no name in Redis reveals a key.
func TestHashedNamesCLI(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	for i := range 10 {
		client.Set(ctx, fmt.Sprintf("app1:1:user:alice%d", i), fmt.Sprintf("u%d", i), 0)
	}
	config := func(keys ...string) string {
		cfg := fmt.Sprintf(`
secure_cache: default
caches:
  default:
    backend: redis
    location: redis://%s/0
    key_prefix: app1:hashed
    options:
      secret_keys: ["%s"]
      hashed_names: true
      data_recovery: {old_cache_name: insecure, old_key_prefix: app1}
  insecure:
    backend: redis
    location: redis://%s/0
    key_prefix: app1
    options: {serializer: raw}
`, srv.Addr, strings.Join(keys, `", "`), srv.Addr)
		path := filepath.Join(t.TempDir(), "caches.yaml")
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cfg := config(cliKey)
	if out, stderr, code := runCLI(t, "-c", cfg, "migrate", "--clear-old"); code != 0 || !strings.Contains(out, "migrated 10") {
		t.Fatalf("migrate: exit %d, out %q, err %q", code, out, stderr)
	}
	if out, _, _ := runCLI(t, "-c", cfg, "get", "user:alice7"); out != "u7\n" {
		t.Errorf("get user:alice7 = %q", out)
	}
	if out, _, code := runCLI(t, "-c", cfg, "keys", "user:alice1*"); code != 0 || !strings.Contains(out, "user:alice1") {
		t.Errorf("keys: exit %d, %q", code, out)
	}
	if out, _, code := runCLI(t, "-c", cfg, "audit", "--json"); code != 0 || !strings.Contains(out, "app1:hashed:1:user:alice") {
		t.Errorf("audit: exit %d, %q", code, out)
	}
	for _, k := range redistest.Keys(t, client) {
		if strings.Contains(k, "alice") {
			t.Fatalf("name %q reveals a key", k)
		}
	}
	// A new Fernet key first: rotate re-encrypts and renames (the names
	// are derived from the keys).
	cfg2 := config(cliNewKey, cliKey)
	out, stderr, code := runCLI(t, "-c", cfg2, "rotate", "--json")
	if code != 0 || !strings.Contains(out, `"renamed": 10`) && !strings.Contains(out, `"renamed":10`) {
		t.Fatalf("rotate: exit %d, out %q, err %q", code, out, stderr)
	}
	if out, _, _ := runCLI(t, "-c", config(cliNewKey), "get", "user:alice3"); out != "u3\n" {
		t.Errorf("get after rotation, with the new key only = %q", out)
	}
	if out, _, code := runCLI(t, "-c", cfg2, "delete-pattern", "user:alice*"); code != 0 {
		t.Errorf("delete-pattern: exit %d, %q", code, out)
	}
	if n := len(redistest.Keys(t, client)); n != 0 {
		t.Errorf("%d keys left after delete-pattern", n)
	}
}
