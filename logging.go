package secureredis

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// redisLog is where go-redis's lines go once the adapter is installed; nil
// discards them. The adapter is installed once, by the first SetRedisLogger
// or Open, and never replaced by this package, so that later calls do not
// race with go-redis's goroutines reading its logger.
var (
	redisLog        atomic.Pointer[slog.Logger]
	redisLogAdapter sync.Once
)

// SetRedisLogger routes go-redis's own log lines (failed sentinel queries,
// reconnections, ...) to l, each as one record at level Warn with the
// message "redis" and the line, control characters escaped, in the attribute
// "line"; a nil l discards them. go-redis's logger is process-wide, so this
// affects every go-redis client in the process, not only those of this
// package; it is safe to call at any time, from any goroutine.
//
// Open installs the same adapter, discarding until SetRedisLogger is
// called: go-redis otherwise prints its lines to os.Stderr, and a library
// prints nothing the application did not ask for. A logger installed with
// redis.SetLogger before the first Open or SetRedisLogger is replaced; one
// installed after it wins.
func SetRedisLogger(l *slog.Logger) {
	redisLog.Store(l)
	installRedisLogger()
}

// installRedisLogger installs the adapter the first time it is called.
func installRedisLogger() {
	redisLogAdapter.Do(func() { redis.SetLogger(redisLogger{}) })
}

// redisLogger adapts go-redis's Printf logger to the slog.Logger in redisLog.
type redisLogger struct{}

func (redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l := redisLog.Load()
	if l == nil || !l.Enabled(ctx, slog.LevelWarn) {
		return
	}
	line := fmt.Sprintf(format, v...)
	l.LogAttrs(ctx, slog.LevelWarn, "redis", slog.String("line", escapeControl(line)))
}

// escapeControl quotes the control characters of a go-redis line, which may
// carry bytes from the network, so that no handler prints them raw.
func escapeControl(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isControl(r) {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }
