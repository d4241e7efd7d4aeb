package main

import (
	"strings"
	"testing"

	"github.com/secureredis/secureredis/internal/redistest"
)

// get tells a missing key (1) from one that exists but does not decrypt (3),
// and says why in a word, never with the token or a key.
func TestGetUndecryptable(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	cfgOld := writeConfig(t, srv, cliNewKey)
	cfg := writeConfig(t, srv, cliKey)
	if _, stderr, code := runCLI(t, "-c", cfgOld, "set", "wrong", "written under the other key"); code != 0 {
		t.Fatalf("set: exit %d: %s", code, stderr)
	}
	client.Set(ctx, "app1:secure:1:plain", "plain text", 0)
	for _, tc := range []struct {
		key, want string
		code      int
	}{
		{"absent", `absent not found in alias default`, 1},
		{"wrong", `wrong exists in alias default but does not decrypt with any key of the ring (wrong key? tampered?)`, 3},
		{"plain", `plain exists in alias default but is not encrypted`, 3},
	} {
		out, stderr, code := runCLI(t, "-c", cfg, "get", tc.key)
		noSecrets(t, out, stderr)
		checkSafe(t, "get", out+stderr)
		if code != tc.code || out != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("get %s: exit %d, out %q, stderr %q; want exit %d and %q", tc.key, code, out, stderr, tc.code, tc.want)
		}
		if strings.Contains(stderr, "gAAAAA") || strings.Contains(stderr, "plain text") {
			t.Errorf("get %s prints stored bytes: %q", tc.key, stderr)
		}
	}
}
