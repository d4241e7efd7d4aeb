package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/secureredis/secureredis/codec"
)

func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(t.Context(), args, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), exitCode(err)
}

func TestKeygen(t *testing.T) {
	out, _, code := runCLI(t, "keygen")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if _, err := codec.NewKeyRing(strings.TrimSpace(out)); err != nil {
		t.Errorf("keygen printed an unusable key: %v", err)
	}
	out2, _, _ := runCLI(t, "keygen")
	if out == out2 {
		t.Error("keygen printed the same key twice")
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"nope"}} {
		_, stderr, code := runCLI(t, args...)
		if code != 2 || !strings.Contains(stderr, "usage:") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
	if out, _, code := runCLI(t, "help"); code != 0 || !strings.Contains(out, "demo") {
		t.Errorf("help: exit %d", code)
	}
}

func TestDemo(t *testing.T) {
	out, stderr, code := runCLI(t, "demo")
	if code != 0 {
		t.Fatalf("demo exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"raw: gAAAAA",
		"get: s3cr3t-api-token",
		"miss=true, invalid token=true",
		"migrated 2, skipped 0, failed 0, old entries deleted 2",
		"get session:abc -> user=42; old key still there: false",
		"plaintext: app1:secure:1:planted",
		"rotated 4",
		"new key alone reads user:42:token -> s3cr3t-api-token",
		"after: 1 [app10:1:x]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}

// TestMain lets a test run this test binary as the secureredis command (see
// cliCommand), so that signals and exit codes are tested on a real process.
func TestMain(m *testing.M) {
	if os.Getenv("SECUREREDIS_TEST_AS_CLI") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// cliCommand returns the secureredis command, run as a child process.
func cliCommand(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "SECUREREDIS_TEST_AS_CLI=1")
	return cmd
}
