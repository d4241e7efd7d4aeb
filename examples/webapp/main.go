// Command webapp is a small net/http application whose sessions
// (github.com/alexedwards/scs/v2) live encrypted in a secureredis cache
// alias, as Django keeps sessions in a cache alias. It has a login form, a
// page showing the signed-in user and a per-session counter, and a logout
// button.
//
// Usage:
//
//	go run ./examples/webapp [-addr 127.0.0.1:8080] [-config aliases.yaml] [-alias NAME] [-users FILE] [-secure-cookie]
//
// Without -config it starts an embedded Redis (miniredis) with a fresh Fernet
// key, so it runs on a fresh machine; sessions then last until it stops. With
// -config (YAML or JSON, native or a Django CACHES dump, see
// secureredis.ParseConfig) sessions go to the alias -alias, by default the
// config's secure alias, on the Redis the config names.
//
// -users names a file of "username:bcrypt-hash" lines (Apache htpasswd -B
// format: htpasswd -nB alice; blank lines and # comments are skipped).
// Without it, a demo user "demo" with password "demo" exists, and start-up
// says so.
//
// Session tokens are stored as HMAC-SHA256 hashes (sessions.WithHashedTokens)
// keyed by the environment variable WEBAPP_SESSION_HASH_KEY (at least 32
// bytes); when it is not set a random key is made at start-up, so sessions in
// a real Redis do not survive a restart.
//
// CSRF: every POST goes through net/http's CrossOriginProtection (rejecting
// cross-origin browser requests) and must carry a token: the login form's is
// a double-submit cookie (there is no session before login), the logout
// form's is bound to the session. Login renews the session token (no session
// fixation).
//
// -secure-cookie marks cookies Secure (with the __Host- prefix); use it
// behind HTTPS. Exit codes: 0 after a clean shutdown (SIGINT, SIGTERM), 1 on
// an error, 2 on bad usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "webapp:", err)
	}
	os.Exit(exitCode(err))
}

func exitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		return 1
	}
}
