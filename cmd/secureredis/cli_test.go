package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
)

func runCLIStdin(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(t.Context(), args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), exitCode(err)
}

// TestHelp: every command of the table has --help (and -h, and help CMD)
// with its usage line and every flag with its default, exit 0; the global
// usage lists every command.
func TestHelp(t *testing.T) {
	global, _, code := runCLI(t, "--help")
	if code != 0 {
		t.Fatalf("--help: exit %d", code)
	}
	for _, c := range commands {
		if !strings.Contains(global, "\n  "+c.Name+" ") {
			t.Errorf("global usage lacks %s", c.Name)
		}
		out, stderr, code := runCLI(t, c.Name, "--help")
		if code != 0 || stderr != "" || !strings.HasPrefix(out, "usage: "+c.usageLine()+"\n") {
			t.Errorf("%s --help: exit %d, stderr %q, out %q", c.Name, code, stderr, out)
		}
		fs, _ := c.flagSet(&env{timeout: defaultTimeout})
		fs.VisitAll(func(f *flag.Flag) {
			if !strings.Contains(out, "\n  "+flagSynopsis(f)+" ") {
				t.Errorf("%s --help lacks %s", c.Name, flagSynopsis(f))
			}
			if f.DefValue != "" && f.DefValue != "false" && !strings.Contains(out, "(default "+f.DefValue+")") {
				t.Errorf("%s --help lacks the default of %s", c.Name, f.Name)
			}
		})
		for _, args := range [][]string{{c.Name, "-h"}, {"help", c.Name}, {c.Name, "x", "--help"}} {
			if o, _, code := runCLI(t, args...); code != 0 || o != out {
				t.Errorf("%v: exit %d, output differs from %s --help", args, code, c.Name)
			}
		}
	}
	if out, _, _ := runCLI(t, "audit", "--help"); !strings.Contains(out, "--samples N") || !strings.Contains(out, "(default 10)") {
		t.Errorf("audit --help:\n%s", out)
	}
	if out, _, _ := runCLI(t, "rotate", "--help"); !strings.Contains(out, "--dry-run") {
		t.Errorf("rotate --help:\n%s", out)
	}
	for _, args := range [][]string{{"help", "nope"}, {"get", "--nope"}, {"get"}, {"--nope"}} {
		if _, stderr, code := runCLI(t, args...); code != 2 || !strings.Contains(stderr, "usage:") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

// TestREADMEListsCommands keeps README's CLI section in step with the table.
func TestREADMEListsCommands(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	start := strings.Index(readme, "## The `secureredis` command")
	if start < 0 {
		t.Fatal("README has no CLI section")
	}
	section := readme[start:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	for _, c := range commands {
		if !strings.Contains(section, "secureredis "+c.Name) && !strings.Contains(section, " "+c.Name+" ") {
			t.Errorf("README's CLI section does not show %s", c.Name)
		}
		fs, _ := c.flagSet(&env{})
		fs.VisitAll(func(f *flag.Flag) {
			if !strings.Contains(section, dash(f.Name)) {
				t.Errorf("README's CLI section does not show %s %s", c.Name, dash(f.Name))
			}
		})
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		out, _, code := runCLI(t, args...)
		if code != 0 || !strings.HasPrefix(out, "secureredis ") || !strings.Contains(out, runtime.Version()) {
			t.Errorf("%v: exit %d, %q", args, code, out)
		}
	}
}

func TestFlagsAnywhere(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	cfg := writeConfig(t, srv, cliKey)
	ctx := t.Context()
	written := testkit.StartStopwatch()
	if _, stderr, code := runCLI(t, "set", "k", "v", "--ttl", "10m", "-c", cfg); code != 0 {
		t.Fatalf("set k v --ttl 10m -c cfg: exit %d: %s", code, stderr)
	}
	if ttl := client.PTTL(ctx, "app1:secure:1:k").Val(); !written.Remains(ttl, 10*time.Minute) {
		t.Errorf("ttl = %v", ttl)
	}
	if out, stderr, code := runCLI(t, "get", "k", "-c", cfg, "--json"); code != 0 || out != "\"v\"\n" {
		t.Errorf("get k -c cfg --json: exit %d, %q, %s", code, out, stderr)
	}
	if _, _, code := runCLI(t, "-c", cfg, "set", "--alias=insecure", "legacy", "x"); code != 0 || client.Get(ctx, "app1:1:legacy").Val() != "x" {
		t.Errorf("--alias=insecure: exit %d", code)
	}
	for _, v := range []string{"-5", "-1.5e3"} {
		if _, stderr, code := runCLI(t, "-c", cfg, "set", "n", v); code != 0 {
			t.Errorf("set n %s: exit %d: %s", v, code, stderr)
		}
		if out, _, _ := runCLI(t, "-c", cfg, "get", "n"); out != v+"\n" {
			t.Errorf("get n = %q, want %s", out, v)
		}
	}
	if _, stderr, code := runCLI(t, "-c", cfg, "set", "--json", "n", "--", "-7"); code != 0 {
		t.Errorf("set --json n -- -7: exit %d: %s", code, stderr)
	}
	if out, _, _ := runCLI(t, "-c", cfg, "get", "n"); out != "-7\n" {
		t.Errorf("get n = %q", out)
	}
	if _, stderr, code := runCLI(t, "-c", cfg, "set", "dash", "--", "--ttl"); code != 0 {
		t.Errorf("set dash -- --ttl: exit %d: %s", code, stderr)
	}
	if out, _, _ := runCLI(t, "-c", cfg, "get", "dash"); out != "--ttl\n" {
		t.Errorf("get dash = %q", out)
	}
}

func TestSetFromStdin(t *testing.T) {
	srv := redistest.Start(t)
	cfg := writeConfig(t, srv, cliKey)
	secret := "s3cr3t\x00\xff with a newline\n"
	if _, stderr, code := runCLIStdin(t, secret, "-c", cfg, "set", "tok", "-"); code != 0 {
		t.Fatalf("set tok -: exit %d: %s", code, stderr)
	}
	if out, _, _ := runCLI(t, "-c", cfg, "get", "tok"); out != secret+"\n" {
		t.Errorf("get tok = %q, want the exact bytes", out)
	}
	if _, stderr, code := runCLIStdin(t, `{"id": 18446744073709551615, "b": {"$bytes": "AQI="}}`, "-c", cfg, "set", "--json", "j", "-"); code != 0 {
		t.Fatalf("set --json j -: exit %d: %s", code, stderr)
	}
	if out, _, _ := runCLI(t, "-c", cfg, "get", "j"); out != `{"b":{"$bytes":"AQI="},"id":18446744073709551615}`+"\n" {
		t.Errorf("get j = %q", out)
	}
	if _, _, code := runCLIStdin(t, "{", "-c", cfg, "set", "--json", "j", "-"); code != 2 {
		t.Errorf("bad JSON on stdin: exit %d", code)
	}
}

// TestErrorsPrefixedOnce: one "secureredis CMD:" and no "secureredis:"
// repeated from the library.
func TestErrorsPrefixedOnce(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("caches: {default: {backend: nope}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runCLI(t, "-c", bad, "get", "k")
	if code != 1 || !strings.HasPrefix(stderr, "secureredis get: ") || strings.Count(stderr, "secureredis") != 1 {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestTimeout: a server that accepts and never answers makes the command
// fail on --timeout instead of hanging.
func TestTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	cfg := writeConfig(t, &redistest.Server{Addr: ln.Addr().String()}, cliKey)
	_, stderr, code := runCLI(t, "-c", cfg, "--timeout", "200ms", "get", "k")
	if code != 1 || !strings.Contains(stderr, "deadline exceeded") && !strings.Contains(stderr, "timeout") {
		t.Errorf("silent server: exit %d, stderr %q", code, stderr)
	}
	if _, _, code := runCLI(t, "-c", cfg, "get", "k", "--timeout", "-1s"); code != 2 {
		t.Errorf("negative timeout: exit %d", code)
	}
}

// TestJSONReports checks the documented schema of migrate, rotate, audit and
// bench --json.
func TestJSONReports(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	seedOld(t, client, 20)
	hostile := "evil\x1b[2K\xff"
	client.RPush(ctx, "app1:1:"+hostile, "a list") // WRONGTYPE for migrate
	cfg := writeConfig(t, srv, cliKey)

	decode := func(name, out string) map[string]any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil || strings.Count(out, "\n") != 1 {
			t.Fatalf("%s --json: not one JSON line: %v\n%s", name, err, out)
		}
		checkSafe(t, name, out)
		return m
	}
	want := func(name string, m map[string]any, fields ...string) {
		t.Helper()
		for _, f := range fields {
			if _, ok := m[f]; !ok {
				t.Errorf("%s --json lacks %q: %v", name, f, m)
			}
		}
	}
	common := []string{"command", "alias", "ok", "scanned", "failed", "failures", "failures_omitted", "duration_ms"}

	out, stderr, code := runCLI(t, "-c", cfg, "migrate", "--json")
	m := decode("migrate", out)
	want(t.Name(), m, append(common, "old_alias", "dry_run", "migrated", "skipped", "skipped_by", "deleted", "kept", "delete_failed")...)
	if code != 1 || m["ok"] != false || m["migrated"] != 20.0 || m["failed"] != 1.0 || m["command"] != "migrate" || m["old_alias"] != "insecure" {
		t.Errorf("migrate --json: exit %d, %v, stderr %q", code, m, stderr)
	}
	fails := m["failures"].([]any)
	f := fails[0].(map[string]any)
	if k, _ := base64.StdEncoding.DecodeString(f["key_base64"].(string)); string(k) != "app1:1:"+hostile || f["error"] == "" {
		t.Errorf("failure = %v", f)
	}
	client.Del(ctx, "app1:1:"+hostile)

	out, _, code = runCLI(t, "-c", writeConfig(t, srv, cliNewKey, cliKey), "rotate", "--json", "--dry-run")
	m = decode("rotate", out)
	want("rotate", m, append(common, "dry_run", "rotated", "current", "undecryptable", "conflicts", "vanished", "skipped")...)
	if code != 0 || m["ok"] != true || m["rotated"] != 20.0 || m["dry_run"] != true {
		t.Errorf("rotate --json: exit %d, %v", code, m)
	}

	client.Set(ctx, "app1:secure:1:"+hostile, "plain", 0)
	out, _, code = runCLI(t, "-c", cfg, "audit", "--json")
	m = decode("audit", out)
	want("audit", m, append(common, "current", "old_key", "undecryptable", "plaintext", "plaintext_int", "vanished", "skipped", "by_key_index", "samples")...)
	if code != 1 || m["ok"] != false || m["plaintext"] != 1.0 || m["current"] != 20.0 {
		t.Errorf("audit --json: exit %d, %v", code, m)
	}
	sample := m["samples"].(map[string]any)["plaintext"].([]any)[0].(map[string]any)
	if k, _ := base64.StdEncoding.DecodeString(sample["key_base64"].(string)); string(k) != "app1:secure:1:"+hostile {
		t.Errorf("sample = %v", sample)
	}

	out, stderr, code = runCLI(t, "-c", cfg, "bench", "--json", "--ops", "40", "--concurrency", "2", "--batch", "4", "--size", "16")
	m = decode("bench", out)
	want("bench", m, "command", "alias", "prefix", "size", "ops", "concurrency", "batch", "results", "ratio")
	if code != 0 || len(m["results"].([]any)) != 6 || len(m["ratio"].(map[string]any)) != 3 {
		t.Errorf("bench --json: exit %d, %v, %s", code, m, stderr)
	}
	r := m["results"].([]any)[0].(map[string]any)
	want("bench result", r, "op", "store", "ops_per_sec", "keys_per_sec", "p50_us", "p99_us")
}

func TestCompletion(t *testing.T) {
	scripts := map[string]string{}
	for _, sh := range []string{"bash", "zsh", "fish"} {
		out, stderr, code := runCLI(t, "completion", sh)
		if code != 0 || out == "" {
			t.Fatalf("completion %s: exit %d: %s", sh, code, stderr)
		}
		scripts[sh] = out
		for _, c := range commands {
			if !strings.Contains(out, c.Name) {
				t.Errorf("%s completion lacks %s", sh, c.Name)
			}
			fs, _ := c.flagSet(&env{})
			fs.VisitAll(func(f *flag.Flag) {
				name := dash(f.Name)
				if sh == "fish" {
					name = f.Name
				}
				if !strings.Contains(out, name) {
					t.Errorf("%s completion lacks %s %s", sh, c.Name, f.Name)
				}
			})
		}
	}
	if _, _, code := runCLI(t, "completion", "tcsh"); code != 2 {
		t.Errorf("completion tcsh: exit %d", code)
	}
	if !strings.HasPrefix(scripts["zsh"], "#compdef secureredis\n") {
		t.Error("zsh script does not start with #compdef")
	}

	// Run the bash script: what does it offer after each input line?
	script := filepath.Join(t.TempDir(), "secureredis.bash")
	if err := os.WriteFile(script, []byte(scripts["bash"]), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		words []string
		want  string
	}{
		{[]string{"se"}, "set"},
		{[]string{"m"}, "migrate"},
		{[]string{"--ver"}, "--version"},
		{[]string{"-c", "x.yaml", "au"}, "audit"},
		{[]string{"audit", "--sa"}, "--samples"},
		{[]string{"set", "k", "v", "--t"}, "--timeout --ttl"},
		{[]string{"--timeout", "1s", "bench", "--con"}, "--concurrency"},
		{[]string{"help", "rot"}, "rotate"},
		{[]string{"completion", "z"}, "zsh"},
	} {
		words := append([]string{"secureredis"}, tc.words...)
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = "'" + w + "'"
		}
		cmd := exec.Command("bash", "-c", `source "$1"; COMP_WORDS=(`+strings.Join(quoted, " ")+`); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _secureredis; echo "${COMPREPLY[*]}"`, "bash", script)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v: %s", err, out)
		}
		if got := strings.TrimSpace(string(out)); got != tc.want {
			t.Errorf("complete %v = %q, want %q", tc.words, got, tc.want)
		}
	}
}

// TestCompletionZshFish checks the zsh and fish scripts with the shells
// themselves where they are installed (the bash script is run in
// TestCompletion on every machine).
func TestCompletionZshFish(t *testing.T) {
	dir := t.TempDir()
	// A "secureredis" on PATH for fish's complete -C.
	if err := os.Symlink(os.Args[0], filepath.Join(dir, "secureredis")); err != nil {
		t.Fatal(err)
	}
	for _, sh := range []string{"zsh", "fish"} {
		bin, err := exec.LookPath(sh)
		if err != nil {
			t.Logf("%s not installed: script checked for content only (TestCompletion)", sh)
			continue
		}
		out, _, _ := runCLI(t, "completion", sh)
		script := filepath.Join(dir, "secureredis."+sh)
		if err := os.WriteFile(script, []byte(out), 0o600); err != nil {
			t.Fatal(err)
		}
		if b, err := exec.Command(bin, "-n", script).CombinedOutput(); err != nil {
			t.Errorf("%s -n: %v: %s", sh, err, b)
		}
		if sh != "fish" {
			continue
		}
		for _, tc := range []struct{ line, want string }{
			{"secureredis se", "set"},
			{"secureredis audit --sa", "--samples"},
			{"secureredis -c x au", "audit"},
			{"secureredis completion ", "bash fish zsh"},
		} {
			cmd := exec.Command(bin, "-c", "source $argv[1]; complete -C $argv[2]", script, tc.line)
			cmd.Env = append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"))
			b, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("fish: %v: %s", err, b)
			}
			var got []string
			for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				got = append(got, strings.SplitN(l, "\t", 2)[0])
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("fish complete %q = %q, want %q", tc.line, got, tc.want)
			}
		}
	}
}
