package secureredis_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/alicebob/miniredis/v2"
	"github.com/eko/gocache/lib/v4/cache"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/secureredis/secureredis"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/recovery"
	"github.com/secureredis/secureredis/sessions"
)

// readmeConfig is README's aliases file, on an embedded Redis: a secure alias
// whose data_recovery takes over gocache's bare keys.
const readmeConfig = `
secure_cache: default
caches:
  default:
    backend: redis
    location: redis://ADDR/0
    key_prefix: app1:secure
    options:
      secret_keys: ["${REDIS_SECRET_KEY}"]
      data_recovery:
        old_cache_name: gocache
        old_key_patterns: ["user:*", "session:*"]
        old_format: gocache
        clear_old_entries: true
  gocache:
    backend: redis
    location: redis://ADDR/0
`

// inTempDir writes caches.yaml for the Redis at addr into a new directory,
// changes into it and returns a function that changes back and removes it.
func inTempDir(addr string) (restore func()) {
	dir, err := os.MkdirTemp("", "readme")
	if err != nil {
		log.Fatal(err)
	}
	text := strings.ReplaceAll(readmeConfig, "ADDR", addr)
	if err := os.WriteFile(filepath.Join(dir, "caches.yaml"), []byte(text), 0o600); err != nil {
		log.Fatal(err)
	}
	wd, err := os.Getwd()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		log.Fatal(err)
	}
	os.Setenv("REDIS_SECRET_KEY", testkit.Key)
	return func() {
		os.Unsetenv("REDIS_SECRET_KEY")
		_ = os.Chdir(wd)
		_ = os.RemoveAll(dir)
	}
}

// README, "Named aliases" and "Migrating from gocache or go-redis/cache":
// open the aliases of caches.yaml, then move the bare keys gocache wrote into
// the secure alias.
func Example_namedAliases() {
	mr, err := miniredis.Run()
	if err != nil {
		log.Fatal(err)
	}
	defer mr.Close()
	defer inTempDir(mr.Addr())()
	for k, v := range map[string]string{"user:7": "alice", "session:abc": "logged-in"} {
		b, _ := msgpack.Marshal(v) // as gocache's marshaler writes values
		_ = mr.Set(k, string(b))
	}

	ctx := context.Background()
	cfg, err := secureredis.LoadConfig("caches.yaml") // ${ENV} expanded, validated
	if err != nil {
		log.Fatal(err)
	}
	caches, err := secureredis.Open(ctx, cfg) // one go-redis client per location, PINGed
	if err != nil {
		log.Fatal(err)
	}
	defer caches.Close()
	secure, err := caches.Secure() // a ready *store.EncryptingStore
	if err != nil {
		log.Fatal(err)
	}
	tokens := cache.New[string](secure)

	oldClient, _, err := caches.RecoveryClient("default") // the old alias of default's data_recovery
	if err != nil {
		log.Fatal(err)
	}
	rep, err := recovery.MigrateFrom(ctx, recovery.Source{
		Client:   oldClient, // *redis.Client, failover or cluster client
		Patterns: []string{"user:*", "session:*"},
		Format:   recovery.FormatGocache,
	}, secure, recovery.WithClearOld())
	if err != nil {
		log.Fatal(err)
	}

	v, err := tokens.Get(ctx, "user:7")
	fmt.Println(v, err, rep.Migrated, rep.Deleted, mr.Exists("user:7"))
	// Output:
	// alice <nil> 2 2 false
}

// README, "Sessions": scs sessions in the secure alias. Compiled, not run (it
// serves HTTP until it fails).
func Example_sessions() {
	ctx := context.Background()
	cfg, err := secureredis.LoadConfig("aliases.yaml")
	if err != nil {
		log.Fatal(err)
	}
	caches, err := secureredis.Open(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer caches.Close()
	secure, err := caches.Secure()
	if err != nil {
		log.Fatal(err)
	}
	hashKey, err := hex.DecodeString(os.Getenv("SESSION_HASH_KEY")) // >= 32 random bytes, not a Fernet key
	if err != nil {
		log.Fatal(err)
	}
	st, err := sessions.New(secure, sessions.WithHashedTokens(hashKey))
	if err != nil {
		log.Fatal(err)
	}
	sm := scs.New()
	sm.Store = st             // do not also set sm.HashTokenInStore
	mux := http.NewServeMux() // the application's handlers
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", sm.LoadAndSave(mux)))
}

// normalizedLines returns text's lines with surrounding white space trimmed,
// inner runs of white space collapsed to one space (gofmt aligns comments),
// and blank lines dropped.
func normalizedLines(text []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if l := strings.Join(strings.Fields(sc.Text()), " "); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// readmeGoBlocks returns the bodies of README's ```go blocks.
func readmeGoBlocks(t *testing.T) []string {
	t.Helper()
	text, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	var cur *strings.Builder
	for _, line := range strings.Split(string(text), "\n") {
		switch {
		case cur == nil && strings.TrimSpace(line) == "```go":
			cur = &strings.Builder{}
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line + "\n")
		}
	}
	if cur != nil {
		t.Fatal("README.md: a ```go block is not closed")
	}
	return blocks
}

func contains(hay, needle []string) bool {
	for i := 0; i+len(needle) <= len(hay); i++ {
		if slicesEqual(hay[i:i+len(needle)], needle) {
			return true
		}
	}
	return false
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestREADMEGoBlocks keeps README's Go code compiled and run: every ```go
// block must appear, line for line (indentation and comment alignment
// aside), in a Go file of the repository (an example such as the ones above
// or examples/quickstart), so it cannot drift from code the build checks.
func TestREADMEGoBlocks(t *testing.T) {
	blocks := readmeGoBlocks(t)
	if len(blocks) < 4 {
		t.Fatalf("README.md has %d ```go blocks, want at least 4 (the extraction is broken?)", len(blocks))
	}
	var files [][]string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			text, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files = append(files, normalizedLines(text))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range blocks {
		want := normalizedLines([]byte(b))
		found := false
		for _, f := range files {
			if contains(f, want) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("README.md ```go block %d is in no Go file of the repository; make it an example:\n%s", i+1, b)
		}
	}
}
