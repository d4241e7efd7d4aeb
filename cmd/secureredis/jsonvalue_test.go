package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secureredis/secureredis/internal/redistest"
)

// writeSerializersConfig writes a config with one alias per serializer:
// "default" (msgpack), "jsonser" (JSON) and "pickled" (Django's pickle).
func writeSerializersConfig(t *testing.T, srv *redistest.Server) string {
	t.Helper()
	cfg := fmt.Sprintf(`
secure_cache: default
caches:
  default:
    backend: redis
    location: redis://%[1]s/0
    key_prefix: app1
    options: {secret_keys: [%[2]q]}
  jsonser:
    backend: redis
    location: redis://%[1]s/0
    key_prefix: app2
    options: {secret_keys: [%[2]q], serializer: json}
  pickled:
    backend: redis
    location: redis://%[1]s/0
    key_prefix: app3
    options: {secret_keys: [%[2]q], serializer: pickle}
`, srv.Addr, cliKey)
	path := filepath.Join(t.TempDir(), "caches.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestJSONRoundTrip stores values with set --json on each serializer and
// reads them back with get --json: what is stored comes back as it was given,
// and what a serializer cannot hold exactly is refused and not stored.
func TestJSONRoundTrip(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	cfg := writeSerializersConfig(t, srv)
	const (
		big     = "123456789012345678901234567890"
		bytesIn = `{"$bytes":"AP8QgA=="}`
		nested  = `{"a":{"$bytes":"AAEC"},"b":{"$map":{"$bytes":"not a tag"}},"n":[1,2.5,"s",null,true,-9223372036854775808]}`
	)
	type rt struct {
		in, out string // out "" means refused
	}
	cases := map[string][]rt{
		"default": {
			{bytesIn, bytesIn},
			{`9223372036854775807`, `9223372036854775807`},
			{`18446744073709551615`, `18446744073709551615`},
			{`-9223372036854775808`, `-9223372036854775808`},
			{big, ""},
			{`1.5`, `1.5`},
			{`1e300`, `1e+300`},
			{`0.000e-999999`, `0`},
			{`{"$float":"NaN"}`, `{"$float":"NaN"}`},
			{`{"$float":"-Infinity"}`, `{"$float":"-Infinity"}`},
			{`{"$string":"/w=="}`, `{"$string":"/w=="}`},
			{`"\u202e bidi \u0085 c1 \u007f del"`, `"\u202e bidi \u0085 c1 \u007f del"`},
			{nested, nested},
			{`"plain"`, `"plain"`},
		},
		"jsonser": {
			{big, big},
			{`-` + big, `-` + big},
			{`1.5`, `1.5`},
			{`{"x":[1,"two",{"$map":{"$k":3}}]}`, `{"x":[1,"two",{"$map":{"$k":3}}]}`},
			{bytesIn, bytesIn},              // bytes are stored as they are, whatever the serializer
			{`{"x":{"$bytes":"AA=="}}`, ""}, // inside a value JSON would give back a base64 string
			{`{"$float":"NaN"}`, ""},
		},
		"pickled": {
			{big, big},
			{bytesIn, bytesIn},
			{`{"$float":"Infinity"}`, `{"$float":"Infinity"}`},
			{nested, nested},
		},
	}
	for alias, rts := range cases {
		for i, c := range rts {
			key := fmt.Sprintf("rt%d", i)
			_, stderr, code := runCLI(t, "-c", cfg, "set", "--alias", alias, "--json", key, c.in)
			if c.out == "" {
				if code == 0 {
					t.Errorf("%s: set --json %s was accepted", alias, c.in)
				}
				continue
			}
			if code != 0 {
				t.Errorf("%s: set --json %s: exit %d: %s", alias, c.in, code, stderr)
				continue
			}
			out, stderr, code := runCLI(t, "-c", cfg, "get", "--alias", alias, "--json", key)
			if code != 0 || out != c.out+"\n" {
				t.Errorf("%s: %s came back as %q (exit %d, %s), want %s", alias, c.in, out, code, stderr, c.out)
			}
		}
	}
	// Refused values stored nothing: only the accepted keys exist.
	for alias, prefix := range map[string]string{"default": "app1", "jsonser": "app2", "pickled": "app3"} {
		for i, c := range cases[alias] {
			exists := client.Exists(t.Context(), fmt.Sprintf("%s:1:rt%d", prefix, i)).Val() == 1
			if exists != (c.out != "") {
				t.Errorf("%s: %s stored=%v", alias, c.in, exists)
			}
		}
	}

	// Bytes print raw without --json.
	runCLI(t, "-c", cfg, "set", "--json", "b", `{"$bytes":"aGkA/w=="}`)
	if out, _, _ := runCLI(t, "-c", cfg, "get", "b"); out != "hi\x00\xff\n" {
		t.Errorf("get bytes = %q", out)
	}
}

func TestJSONRefused(t *testing.T) {
	srv := redistest.Start(t)
	cfg := writeSerializersConfig(t, srv)
	for _, in := range []string{
		`1e400`, `-1e400`, `1e-400`, `{"$unknown":1}`, `{"$bytes":"not base64!"}`,
		`{"$bytes":1}`, `{"$float":"nan"}`, `{"$map":[1]}`, `1 2`, `{`, ``,
		strings.Repeat("[", 10002) + strings.Repeat("]", 10002),
	} {
		_, stderr, code := runCLI(t, "-c", cfg, "set", "--json", "k", in)
		if code != 2 {
			t.Errorf("set --json %.40s: exit %d, want 2: %s", in, code, stderr)
		}
	}
	if keys := redistest.Keys(t, srv.Client(t, 0)); len(keys) != 0 {
		t.Errorf("refused values were stored: %v", keys)
	}
}

// TestJSONRawAlias: a plaintext (raw) alias holds strings and bytes only;
// anything else is refused as usage, nothing stored.
func TestJSONRawAlias(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	cfg := writeConfig(t, srv, cliKey)
	if _, stderr, code := runCLI(t, "-c", cfg, "set", "--alias", "insecure", "--json", "b", `{"$bytes":"AP8="}`); code != 0 {
		t.Fatalf("bytes on a raw alias: exit %d: %s", code, stderr)
	}
	if got := client.Get(t.Context(), "app1:1:b").Val(); got != "\x00\xff" {
		t.Errorf("stored %q", got)
	}
	for _, in := range []string{`5`, `[1]`, `{"a":1}`, `null`} {
		if _, stderr, code := runCLI(t, "-c", cfg, "set", "--alias", "insecure", "--json", "k", in); code != 2 {
			t.Errorf("set --json %s on a raw alias: exit %d: %s", in, code, stderr)
		}
	}
	if client.Exists(t.Context(), "app1:1:k").Val() != 0 {
		t.Error("a refused value was stored")
	}
}
