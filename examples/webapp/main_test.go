package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fernet/fernet-go"
	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
)

// syncBuffer is an io.Writer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startApp runs the app in-process on a free port with args and returns its
// base URL and its stdout. The app is stopped, and must have stopped cleanly,
// when the test ends.
func startApp(t *testing.T, args ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), stdout, stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(testkit.Patience):
			t.Errorf("run did not return within %v of cancellation", testkit.Patience)
		}
		if s := stderr.String(); s != "" {
			t.Logf("app stderr:\n%s", s)
		}
	})
	listening := regexp.MustCompile(`listening on (http://\S+)`)
	deadline := time.Now().Add(testkit.Patience)
	for time.Now().Before(deadline) {
		if m := listening.FindStringSubmatch(stdout.String()); m != nil {
			return m[1], stdout
		}
		select {
		case err := <-done:
			t.Fatalf("run returned before listening: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("app not listening within %v; stdout:\n%s", testkit.Patience, stdout)
	return "", nil
}

// redisApp is the app configured with a real redis-server.
type redisApp struct {
	url     string
	rc      *redis.Client
	key     string // Fernet key of the alias
	hashKey []byte // token hash secret
	pattern string // SCAN pattern of the session keys
}

const (
	testUser     = "ada.lovelace" // '.' is not in base64url: it cannot appear in a Fernet token by chance
	testPassword = "correct horse battery staple"
	e2ePrefix    = "webapp:e2e"
)

// startRedisApp starts a redis-server and the app configured to keep its
// sessions there (an aliases file and a users file), with a fixed token hash
// key. It sets an environment variable, so its callers cannot be parallel.
func startRedisApp(t *testing.T) *redisApp {
	t.Helper()
	srv := redistest.Start(t)
	key, err := codec.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	hashKey := []byte("e2e-token-hash-key-0123456789abcdef")
	t.Setenv(hashKeyEnv, string(hashKey))
	t.Setenv("E2E_FERNET_KEY", key)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "aliases.yaml")
	writeFile(t, cfg, fmt.Sprintf(`secure_cache: sessions
caches:
  sessions:
    backend: redis
    location: redis://%s/0
    key_prefix: %s
    timeout: 1h
    options:
      secret_keys: ["${E2E_FERNET_KEY}"]
`, srv.Addr, e2ePrefix))
	hash, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	usersFile := filepath.Join(dir, "users")
	writeFile(t, usersFile, "# test users\n"+testUser+":"+string(hash)+"\n")
	url, stdout := startApp(t, "-config", cfg, "-users", usersFile)
	if strings.Contains(stdout.String(), "demo") {
		t.Errorf("start-up mentions the demo user although -users is given:\n%s", stdout)
	}
	if strings.Contains(stdout.String(), key) {
		t.Error("start-up printed the Fernet key")
	}
	return &redisApp{url: url, rc: srv.Client(t, 0), key: key, hashKey: hashKey, pattern: e2ePrefix + ":1:session:*"}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// sessionKeys returns the Redis keys of the sessions, found the way an
// operator would: redis-cli --scan --pattern 'webapp:e2e:1:session:*'.
func (a *redisApp) sessionKeys(t *testing.T) []string {
	t.Helper()
	var keys []string
	var cursor uint64
	for {
		page, next, err := a.rc.Scan(t.Context(), cursor, a.pattern, 1000).Result()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, page...)
		if next == 0 {
			return keys
		}
		cursor = next
	}
}

// checkStoredSession checks that Redis holds exactly one session, under the
// HMAC of the cookie's token, as a Fernet token that hides the user name,
// and returns its key.
func (a *redisApp) checkStoredSession(t *testing.T, cookie string) string {
	t.Helper()
	keys := a.sessionKeys(t)
	if len(keys) != 1 {
		t.Fatalf("session keys under %q = %q; want exactly one", a.pattern, keys)
	}
	k := keys[0]
	if cookie != "" && strings.Contains(k, cookie) {
		t.Errorf("session key %q holds the cookie's token", k)
	}
	raw, err := a.rc.Get(t.Context(), k).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte("gAAAAA")) {
		t.Errorf("session value is not a Fernet token: %.40q", raw)
	}
	for _, clear := range []string{testUser, "lovelace"} {
		if bytes.Contains(raw, []byte(clear)) {
			t.Errorf("session value contains %q in clear", clear)
		}
	}
	plain := fernet.VerifyAndDecrypt(raw, 0, fernet.MustDecodeKeys(a.key))
	if plain == nil {
		t.Fatal("session value does not decrypt with the alias's Fernet key")
	}
	if !bytes.Contains(plain, []byte(testUser)) {
		t.Error("decrypted session does not hold the user name")
	}
	ttl, err := a.rc.PTTL(t.Context(), k).Result()
	if err != nil || ttl <= 0 || ttl > 12*time.Hour {
		t.Errorf("session TTL = %v, %v; want the session's lifetime", ttl, err)
	}
	return k
}

// client is a browser stand-in: a cookie jar and no redirects followed.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, http: &http.Client{
		Jar:           jar,
		Timeout:       testkit.Patience,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends a request and returns the status, the Location and the body.
func (c *client) do(method, path string, form url.Values, header http.Header) (int, string, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf returns the CSRF token of the form on the page at path.
func (c *client) csrf(path string) string {
	c.t.Helper()
	status, _, body := c.do("GET", path, nil, nil)
	m := csrfInput.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		c.t.Fatalf("GET %s = %d, no CSRF token in:\n%s", path, status, body)
	}
	return m[1]
}

func (c *client) login(user, password string) (int, string, string) {
	c.t.Helper()
	return c.do("POST", "/login", url.Values{"username": {user}, "password": {password}, "csrf_token": {c.csrf("/login")}}, nil)
}

func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.base)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

var countRe = regexp.MustCompile(`<strong id="count">(\d+)</strong>`)

// home returns the count shown on the home page, failing unless signed in as user.
func (c *client) home(user string) string {
	c.t.Helper()
	status, loc, body := c.do("GET", "/", nil, nil)
	m := countRe.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil || !strings.Contains(body, `<span id="user">`+user+`</span>`) {
		c.t.Fatalf("GET / = %d (Location %q); want the home page of %s:\n%s", status, loc, user, body)
	}
	return m[1]
}

// TestDemoUser runs the app as `go run ./examples/webapp` does: embedded
// Redis, demo user.
func TestDemoUser(t *testing.T) {
	base, stdout := startApp(t)
	for _, want := range []string{`demo user "demo" with password "demo"`, "embedded Redis", "redis-cli --scan --pattern 'webapp:secure:1:session:*'"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("start-up output lacks %q:\n%s", want, stdout)
		}
	}
	c := newClient(t, base)
	if status, loc, _ := c.do("GET", "/", nil, nil); status != http.StatusSeeOther || loc != "/login" {
		t.Fatalf("GET / signed out = %d %q; want a redirect to /login", status, loc)
	}
	if status, loc, body := c.login("demo", "demo"); status != http.StatusSeeOther || loc != "/" {
		t.Fatalf("login = %d %q:\n%s", status, loc, body)
	}
	for _, want := range []string{"1", "2", "3"} {
		if got := c.home("demo"); got != want {
			t.Fatalf("counter = %s; want %s", got, want)
		}
	}
	if status, loc, _ := c.do("GET", "/login", nil, nil); status != http.StatusSeeOther || loc != "/" {
		t.Errorf("GET /login signed in = %d %q; want a redirect to /", status, loc)
	}
	if status, loc, body := c.do("POST", "/logout", url.Values{"csrf_token": {c.csrf("/")}}, nil); status != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
		t.Fatalf("logout = %d %q:\n%s", status, loc, body)
	}
	if status, loc, _ := c.do("GET", "/", nil, nil); status != http.StatusSeeOther || loc != "/login" {
		t.Fatalf("GET / after logout = %d %q; want a redirect to /login", status, loc)
	}
}

func TestWrongPassword(t *testing.T) {
	a := startRedisApp(t)
	c := newClient(t, a.url)
	for _, cred := range [][2]string{{testUser, "wrong"}, {testUser, ""}, {"nobody", testPassword}, {"demo", "demo"}, {testUser, testPassword + " "}} {
		status, _, body := c.login(cred[0], cred[1])
		if status != http.StatusUnauthorized || !strings.Contains(body, "Invalid username or password.") {
			t.Errorf("login(%q, %q) = %d; want 401 with an error:\n%s", cred[0], cred[1], status, body)
		}
	}
	if v := c.cookie("webapp_session"); v != "" {
		t.Errorf("failed logins set a session cookie %q", v)
	}
	if keys := a.sessionKeys(t); len(keys) != 0 {
		t.Errorf("failed logins left sessions in Redis: %q", keys)
	}
	if status, loc, body := c.login(testUser, testPassword); status != http.StatusSeeOther || loc != "/" {
		t.Fatalf("login = %d %q:\n%s", status, loc, body)
	}
	if got := c.home(testUser); got != "1" {
		t.Fatalf("counter = %s", got)
	}
	a.checkStoredSession(t, c.cookie("webapp_session"))
}

func TestCSRF(t *testing.T) {
	a := startRedisApp(t)

	// Login: the token must match the browser's login CSRF cookie.
	c := newClient(t, a.url)
	token := c.csrf("/login")
	creds := url.Values{"username": {testUser}, "password": {testPassword}}
	with := func(v url.Values, kv ...string) url.Values {
		out := url.Values{}
		for k, vs := range v {
			out[k] = vs
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	stranger := newClient(t, a.url) // has no login CSRF cookie
	stranger.csrf("/login")         // gets one of its own, not token
	tests := []struct {
		name   string
		c      *client
		form   url.Values
		header http.Header
	}{
		{"no token", c, creds, nil},
		{"empty token", c, with(creds, "csrf_token", ""), nil},
		{"wrong token", c, with(creds, "csrf_token", strings.Repeat("A", len(token))), nil},
		{"another browser's token", stranger, with(creds, "csrf_token", token), nil},
		{"no cookie", newClient(t, a.url), with(creds, "csrf_token", token), nil},
		{"cross-site (Sec-Fetch-Site)", c, with(creds, "csrf_token", token), http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		{"cross-origin (Origin)", c, with(creds, "csrf_token", token), http.Header{"Origin": {"http://evil.example"}}},
	}
	for _, tt := range tests {
		status, _, body := tt.c.do("POST", "/login", tt.form, tt.header)
		if status != http.StatusForbidden {
			t.Errorf("login, %s: status %d; want 403:\n%s", tt.name, status, body)
		}
	}
	if keys := a.sessionKeys(t); len(keys) != 0 {
		t.Fatalf("rejected logins made sessions: %q", keys)
	}
	// The same request with the token, same-origin, works.
	if status, loc, body := c.do("POST", "/login", with(creds, "csrf_token", token), http.Header{"Sec-Fetch-Site": {"same-origin"}}); status != http.StatusSeeOther || loc != "/" {
		t.Fatalf("login with token = %d %q:\n%s", status, loc, body)
	}
	c.home(testUser)

	// Logout: the token is bound to the session.
	sessionToken := c.csrf("/")
	if sessionToken == token {
		t.Error("the session's CSRF token is the login cookie's")
	}
	for name, form := range map[string]url.Values{
		"no token":          {},
		"login form token":  {"csrf_token": {token}},
		"wrong token":       {"csrf_token": {strings.Repeat("B", len(sessionToken))}},
		"token as a header": nil,
	} {
		status, _, body := c.do("POST", "/logout", form, http.Header{"X-Csrf-Token": {sessionToken}})
		if status != http.StatusForbidden {
			t.Errorf("logout, %s: status %d; want 403:\n%s", name, status, body)
		}
	}
	if status, _, _ := c.do("POST", "/logout", url.Values{"csrf_token": {sessionToken}}, http.Header{"Origin": {"http://evil.example"}}); status != http.StatusForbidden {
		t.Errorf("cross-origin logout: status %d; want 403", status)
	}
	if status, _, _ := c.do("GET", "/logout", nil, nil); status != http.StatusMethodNotAllowed {
		t.Errorf("GET /logout: status %d; want 405", status)
	}
	c.home(testUser) // still signed in
	a.checkStoredSession(t, c.cookie("webapp_session"))

	// Another user's session token does not log this one out.
	other := newClient(t, a.url)
	if status, _, _ := other.login(testUser, testPassword); status != http.StatusSeeOther {
		t.Fatal("second login failed")
	}
	if status, _, _ := other.do("POST", "/logout", url.Values{"csrf_token": {sessionToken}}, nil); status != http.StatusForbidden {
		t.Errorf("logout with another session's token: status %d; want 403", status)
	}
	if status, _, _ := c.do("POST", "/logout", url.Values{"csrf_token": {sessionToken}}, nil); status != http.StatusSeeOther {
		t.Errorf("logout with the session's token: status %d; want 303", status)
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	badUsers := filepath.Join(dir, "bad-users")
	writeFile(t, badUsers, "alice:not-a-bcrypt-hash\n")
	dupUsers := filepath.Join(dir, "dup-users")
	h, _ := bcrypt.GenerateFromPassword([]byte("x"), bcrypt.MinCost)
	writeFile(t, dupUsers, "alice:"+string(h)+"\nalice:"+string(h)+"\n")
	emptyUsers := filepath.Join(dir, "empty-users")
	writeFile(t, emptyUsers, "# nobody\n\n")
	plainCfg := filepath.Join(dir, "plain.yaml")
	writeFile(t, plainCfg, "caches:\n  default:\n    backend: memory\n    options: {secret_keys: [\"cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=\"]}\n  plain:\n    backend: memory\n")
	tests := []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{name: "unknown flag", args: []string{"-nope"}, usage: true},
		{name: "extra argument", args: []string{"serve"}, usage: true},
		{name: "alias without config", args: []string{"-alias", "x"}, usage: true},
		{name: "missing users file", args: []string{"-users", filepath.Join(dir, "missing")}, want: "users file"},
		{name: "bad hash", args: []string{"-users", badUsers}, want: "line 1"},
		{name: "duplicate user", args: []string{"-users", dupUsers}, want: "duplicate"},
		{name: "no users", args: []string{"-users", emptyUsers}, want: "no users"},
		{name: "missing config", args: []string{"-config", filepath.Join(dir, "missing.yaml")}, want: "load config"},
		{name: "unknown alias", args: []string{"-config", plainCfg, "-alias", "nope"}, want: "unknown cache alias"},
		{name: "plaintext alias", args: []string{"-config", plainCfg, "-alias", "plain"}, want: "does not encrypt"},
		{name: "bad address", args: []string{"-addr", "127.0.0.1:99999"}, want: "listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), tt.args, &stdout, &stderr)
			if err == nil {
				t.Fatal("run succeeded")
			}
			if got := errors.Is(err, errUsage); got != tt.usage {
				t.Errorf("run = %v; usage error %v, want %v", err, got, tt.usage)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run = %v; want it to mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "$2a$") {
				t.Errorf("error shows a password hash: %v", err)
			}
		})
	}
	if code := exitCode(fmt.Errorf("%w: x", errUsage)); code != 2 {
		t.Errorf("exit code of a usage error = %d", code)
	}
	if err := run(t.Context(), []string{"-h"}, io.Discard, io.Discard); err != nil {
		t.Errorf("-h: %v", err)
	}
}

func TestShortHashKey(t *testing.T) {
	t.Setenv(hashKeyEnv, "too short")
	err := run(t.Context(), nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), hashKeyEnv) {
		t.Fatalf("run with a short %s = %v", hashKeyEnv, err)
	}
}
