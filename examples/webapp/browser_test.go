package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/secureredis/secureredis/internal/testkit"
)

// stepTimeout bounds every browser step; browserTimeout the whole browser.
// Both only catch a hang: a busy machine may take long over any step.
const (
	stepTimeout    = testkit.Patience
	browserTimeout = 5 * testkit.Patience
)

// chromiumPath returns Debian's Chromium. A missing browser fails the test:
// .ci/run installs it (apt-get install chromium).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "/usr/bin/chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium not found on PATH or at /usr/bin/chromium: the browser test needs Debian's chromium package (apt-get install chromium; .ci/run installs it)")
	return ""
}

// browser is a headless Chromium with a fresh profile, closed when the test
// ends.
type browser struct {
	t   *testing.T
	ctx context.Context // a chromedp context whose browser has started
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromiumPath(t)
	profile := t.TempDir()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, // --headless
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1000, 760),
	}
	overall, cancelOverall := context.WithTimeout(context.Background(), browserTimeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(overall, opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	// Cleanups run last-in first-out: the browser exits before its profile
	// directory is removed.
	t.Cleanup(func() { cancelCtx(); cancelAlloc(); cancelOverall() })

	// The first Do starts the browser; it lives as long as ctx, so no step
	// timeout here, only the overall one.
	start := time.Now()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	t.Logf("started %s in %v", path, time.Since(start).Round(time.Millisecond))
	return &browser{t: t, ctx: ctx}
}

// do runs one step of the test in the browser, bounded by stepTimeout.
func (b *browser) do(name string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %s: %v", name, err)
	}
}

// text returns the visible text of the element sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("browser: text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func (b *browser) location() string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		b.t.Fatalf("browser: location: %v", err)
	}
	return loc
}

func (b *browser) cookie(name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{})
	if err != nil {
		b.t.Fatalf("browser: cookies: %v", err)
	}
	for _, c := range res.Cookies {
		if c.Name == name {
			if !c.HTTPOnly {
				b.t.Errorf("cookie %s is not HttpOnly", name)
			}
			return c.Value
		}
	}
	return ""
}

func (b *browser) screenshot(name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("browser: screenshot: %v", err)
	}
	dir := os.Getenv("ARTIFACTS_DIR")
	if dir == "" {
		dir = filepath.Join(b.t.TempDir(), "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot of the signed-in page: %s (%d bytes)", path, len(png))
	return path
}

// TestBrowser signs in through the login form in a real headless Chromium,
// reloads to see the session counter rise, checks Redis directly (one
// session key, under the HMAC of the cookie, a Fernet token without the user
// name), saves a screenshot, and signs out, which removes the key.
func TestBrowser(t *testing.T) {
	a := startRedisApp(t)
	b := newBrowser(t)

	b.do("open the app", chromedp.Navigate(a.url+"/"), chromedp.WaitVisible(chromedp.CSS("#username")))
	if loc := b.location(); loc != a.url+"/login" {
		t.Fatalf("signed-out visit to / ended on %s; want the login page", loc)
	}

	b.do("sign in with a wrong password",
		chromedp.SendKeys(chromedp.CSS("#username"), testUser),
		chromedp.SendKeys(chromedp.CSS("#password"), "not the password"),
		chromedp.Click(chromedp.CSS("#sign-in")),
		chromedp.WaitVisible(chromedp.CSS("#error")),
	)
	if got := b.text("#error"); got != "Invalid username or password." {
		t.Errorf("error message = %q", got)
	}
	if keys := a.sessionKeys(t); len(keys) != 0 {
		t.Fatalf("sessions after a failed login: %q", keys)
	}

	b.do("sign in",
		chromedp.Clear(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), testUser),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS("#sign-in")),
		chromedp.WaitVisible(chromedp.CSS("#count")),
	)
	if got := b.text("#user"); got != testUser {
		t.Fatalf("signed in as %q; want %q", got, testUser)
	}
	if got := b.text("#count"); got != "1" {
		t.Fatalf("counter after sign-in = %q; want 1", got)
	}
	for _, want := range []string{"2", "3"} {
		b.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#count")))
		if got := b.text("#count"); got != want {
			t.Fatalf("counter after reload = %q; want %s", got, want)
		}
	}

	// Redis, read directly: one session, under HMAC-SHA256(key, cookie).
	token := b.cookie("webapp_session")
	if token == "" {
		t.Fatal("no session cookie in the browser")
	}
	key := a.checkStoredSession(t, token)
	m := hmac.New(sha256.New, a.hashKey)
	m.Write([]byte(token))
	if want := e2ePrefix + ":1:session:" + base64.RawURLEncoding.EncodeToString(m.Sum(nil)); key != want {
		t.Errorf("session key = %q; want %q (HMAC of the cookie)", key, want)
	}

	b.screenshot("webapp-signed-in.png")

	b.do("sign out", chromedp.Click(chromedp.CSS("#sign-out")), chromedp.WaitVisible(chromedp.CSS("#signed-out")))
	if keys := a.sessionKeys(t); len(keys) != 0 {
		t.Fatalf("session keys after sign-out: %q; want none", keys)
	}
	if got := b.cookie("webapp_session"); got != "" {
		t.Errorf("session cookie still set after sign-out")
	}
	b.do("visit / signed out", chromedp.Navigate(a.url+"/"), chromedp.WaitVisible(chromedp.CSS("#username")))
	if keys := a.sessionKeys(t); len(keys) != 0 {
		t.Fatalf("a signed-out visit made a session: %q", keys)
	}
}
