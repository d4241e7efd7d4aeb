//go:build linux

package secureredis_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/secureredis/secureredis"
)

// silentListener accepts connections and never answers: a server that is up
// but hung, the slowest kind to give up on.
func silentListener(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}

// captureStderr points file descriptor 2 (where go-redis's default logger,
// which kept the *os.File of init time, writes) at a pipe until the returned
// function is called, which restores it and returns what was written.
func captureStderr(t *testing.T) func() string {
	t.Helper()
	saved, err := syscall.Dup(2)
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Dup3(int(w.Fd()), 2, 0); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	done := make(chan struct{})
	go func() { _, _ = io.Copy(&buf, r); close(done) }()
	return func() string {
		_ = syscall.Dup3(saved, 2, 0)
		_ = syscall.Close(saved)
		_ = w.Close()
		<-done
		_ = r.Close()
		return buf.String()
	}
}

// unreachableConfigs are a single node on a closed port and a Sentinel that
// accepts connections and never answers, each with 1s timeouts and a
// password that must not show.
func unreachableConfigs(t *testing.T) map[string]string {
	return map[string]string{
		"single": fmt.Sprintf(`
caches:
  default:
    backend: redis
    location: "redis://user:s3cretpw@%s/0"
    options: {secret_keys: ["%s"], connect_timeout: 1s, read_timeout: 1, write_timeout: 1s}
`, closedAddr(t), cfgKey1),
		"sentinel": fmt.Sprintf(`
caches:
  default:
    backend: redis
    location: "redis+sentinel://user:s3cretpw@%s/mymaster/0"
    options: {secret_keys: ["%s"], connect_timeout: 1s, read_timeout: 1s, write_timeout: 1s}
`, silentListener(t), cfgKey1),
	}
}

// An unreachable server fails Open with one error naming the alias, within
// a few times the configured timeouts, and go-redis prints nothing.
func TestOpenUnreachableTimesOutQuietly(t *testing.T) {
	for name, text := range unreachableConfigs(t) {
		t.Run(name, func(t *testing.T) {
			cfg := parse(t, text)
			stop := captureStderr(t)
			start := time.Now()
			c, err := secureredis.Open(context.Background(), cfg)
			elapsed := time.Since(start)
			printed := stop()
			if err == nil {
				_ = c.Close()
				t.Fatal("Open succeeded against an unreachable server")
			}
			t.Logf("failed after %v: %v", elapsed, err)
			msg := err.Error()
			if !strings.Contains(msg, "caches.default") || !strings.Contains(msg, "connect") {
				t.Errorf("error %q does not say which alias failed to connect", msg)
			}
			if strings.Contains(msg, "s3cretpw") {
				t.Errorf("error %q contains the password", msg)
			}
			if strings.Count(msg, "caches.default") != 1 {
				t.Errorf("error %q is not one error", msg)
			}
			// Generous: go-redis's defaults took about 45 s on a silent
			// Sentinel; 1s timeouts must fail well within 20 s.
			if elapsed > 20*time.Second {
				t.Errorf("Open took %v with 1s timeouts", elapsed)
			}
			if printed != "" {
				t.Errorf("Open printed to stderr:\n%s", printed)
			}
		})
	}
}

// recordingHandler keeps the records it gets.
type recordingHandler struct {
	mu    sync.Mutex
	lines []string
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "line" {
			h.lines = append(h.lines, a.Value.String())
		}
		return true
	})
	return nil
}
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

// SetRedisLogger routes go-redis's lines to the application's logger, and
// only there; nil discards them again.
func TestSetRedisLogger(t *testing.T) {
	h := &recordingHandler{}
	secureredis.SetRedisLogger(slog.New(h))
	t.Cleanup(func() { secureredis.SetRedisLogger(nil) })
	cfg := parse(t, unreachableConfigs(t)["sentinel"])
	stop := captureStderr(t)
	c, err := secureredis.Open(context.Background(), cfg)
	printed := stop()
	if err == nil {
		_ = c.Close()
		t.Fatal("Open succeeded against an unreachable Sentinel")
	}
	if printed != "" {
		t.Errorf("Open printed to stderr:\n%s", printed)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.lines) == 0 {
		t.Fatal("the logger got no go-redis line about the failed sentinel")
	}
	for _, l := range h.lines {
		if !strings.Contains(l, "sentinel") || strings.Contains(l, "s3cretpw") {
			t.Errorf("unexpected go-redis line %q", l)
		}
	}
}
