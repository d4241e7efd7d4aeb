package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/secureredis/secureredis/internal/redistest"
)

// hostileKeys are key names a Redis writer may choose to attack a terminal.
var hostileKeys = []string{
	"\x1b[2K\rscanned 9: current 9, plaintext 0", // erase the line, rewrite it
	"abc\b\b\bxyz",          // backspaces
	"\u202egnp.txt",         // right-to-left override
	"\u2066isolate\u2069",   // bidi isolate
	"zero\u200bwidth",       // zero-width space (format)
	"bad\xff\xfeutf8",       // invalid UTF-8
	"bell\a\x7fdel",         // BEL, DEL
	"line\nbreak",           // newline
	"\x9b31m c1 csi",        // C1 CSI as a raw byte (invalid UTF-8)
	"\u009b31m c1 csi rune", // C1 CSI as a rune
	"osc\x1b]0;title\a",     // set the window title
}

// checkSafe fails when s could drive a terminal: every byte is printable
// ASCII, a newline, or part of a valid printable non-format rune.
func checkSafe(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s: invalid UTF-8 in %q", what, s)
	}
	for _, r := range s {
		if r == '\n' || r == '\t' {
			continue
		}
		if !strconv.IsPrint(r) || unicode.Is(unicode.Cf, r) {
			t.Errorf("%s: prints %U raw:\n%q", what, r, s)
			return
		}
	}
}

func TestDisplay(t *testing.T) {
	for _, k := range hostileKeys {
		got := display(k)
		checkSafe(t, "display", got)
		if u, err := strconv.Unquote(got); err != nil || u != k {
			t.Errorf("display(%q) = %s does not unquote to the key", k, got)
		}
		checkSafe(t, "displayText", displayText("x "+k+" y"))
	}
	for _, tc := range []struct{ in, want string }{
		{"app1:secure:1:user:42", "app1:secure:1:user:42"},
		{"clé:ünïcode:鍵", "clé:ünïcode:鍵"},
		{"", `""`},
		{"a b", `"a b"`},
		{`"looks quoted"`, `"\"looks quoted\""`},
		{`back\slash`, `back\slash`},
	} {
		if got := display(tc.in); got != tc.want {
			t.Errorf("display(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if got := displayText("failed \x1b[2K here"); got != `failed \x1b[2K here` {
		t.Errorf("displayText = %s", got)
	}
	joined := errors.Join(errors.New("first \r"), errors.New("second"))
	if got := displayError(joined); got != `first \r`+"\nsecond" {
		t.Errorf("displayError(join) = %q", got)
	}
	wrapped := fmt.Errorf("get %s: %w", "k\n", errors.New("boom"))
	if got := displayError(wrapped); got != `get k\n: boom` {
		t.Errorf("displayError = %q", got)
	}
}

// TestHostileKeyNames plants keys with terminal escapes, bidi overrides and
// invalid UTF-8 on a real Redis and checks that audit, migrate (its
// failures) and get print them escaped, quoted, and recognisable.
func TestHostileKeyNames(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	cfg := writeConfig(t, srv, cliKey)
	for _, k := range hostileKeys {
		client.Set(ctx, "app1:secure:1:"+k, "plain text", 0)
		client.RPush(ctx, "app1:1:"+k, "a list: migrate cannot read it") // WRONGTYPE
	}
	client.Set(ctx, "app1:secure:1:plain-key", "plain text", 0)

	out, stderr, code := runCLI(t, "-c", cfg, "audit", "--samples", "100")
	checkSafe(t, "audit", out+stderr)
	if code != 1 || !strings.Contains(out, fmt.Sprintf("plaintext %d", len(hostileKeys)+1)) {
		t.Errorf("audit: exit %d, out %q", code, out)
	}
	if !strings.Contains(out, " app1:secure:1:plain-key") {
		t.Errorf("audit does not list the plain key as it is: %q", out)
	}
	for _, k := range hostileKeys {
		if !strings.Contains(out, strconv.Quote("app1:secure:1:"+k)) {
			t.Errorf("audit does not list %q quoted:\n%s", k, out)
		}
	}

	out, stderr, code = runCLI(t, "-c", cfg, "migrate")
	checkSafe(t, "migrate", out+stderr)
	if code != 1 {
		t.Errorf("migrate: exit %d, out %q, err %q", code, out, stderr)
	}
	for _, k := range hostileKeys {
		if !strings.Contains(stderr, "failed "+strconv.Quote("app1:1:"+k)+":") {
			t.Errorf("migrate does not report %q quoted:\n%s", k, stderr)
		}
	}

	for _, k := range hostileKeys {
		out, stderr, code = runCLI(t, "-c", cfg, "get", "--alias", "insecure", k)
		checkSafe(t, "get", out+stderr)
		if code != 1 || !strings.Contains(stderr, strconv.Quote(k)) {
			t.Errorf("get %q: exit %d, stderr %q", k, code, stderr)
		}
		out, stderr, code = runCLI(t, "-c", cfg, "get", "absent"+k)
		checkSafe(t, "get absent", out+stderr)
		if code != 1 || !strings.Contains(stderr, strconv.Quote("absent"+k)+" not found") {
			t.Errorf("get absent %q: exit %d, stderr %q", k, code, stderr)
		}
	}
}
