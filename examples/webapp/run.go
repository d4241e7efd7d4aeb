package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/secureredis/secureredis"
	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/sessions"
)

// errUsage marks errors that exit with status 2.
var errUsage = errors.New("usage")

// hashKeyEnv names the environment variable holding the token hash secret.
const hashKeyEnv = "WEBAPP_SESSION_HASH_KEY"

// embeddedPrefix is the key prefix of the secure alias on the embedded Redis.
const embeddedPrefix = "webapp:secure"

// options are the command-line flags.
type options struct {
	addr         string
	config       string
	alias        string
	users        string
	secureCookie bool
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("webapp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&o.config, "config", "", "aliases config file (YAML or JSON); empty: an embedded Redis")
	fs.StringVar(&o.alias, "alias", "", "alias to keep sessions in; empty: the config's secure alias")
	fs.StringVar(&o.users, "users", "", `users file of "username:bcrypt-hash" lines; empty: demo user demo/demo`)
	fs.BoolVar(&o.secureCookie, "secure-cookie", false, "mark cookies Secure (__Host- prefix); use behind HTTPS")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if o.alias != "" && o.config == "" {
		return nil, fmt.Errorf("%w: -alias needs -config", errUsage)
	}
	return o, nil
}

// run starts the application and serves until ctx is done, then shuts down
// gracefully. It reports what it does on stdout ("listening on http://...")
// and request errors on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}

	u, demo, err := loadUsers(o.users)
	if err != nil {
		return err
	}

	caches, cleanup, err := openCaches(ctx, o, stdout)
	if err != nil {
		return err
	}
	defer cleanup()
	alias := o.alias
	if alias == "" {
		alias = caches.Config().SecureCache
		if alias == "" {
			alias = secureredis.DefaultSecureCache
		}
	}
	secure, err := caches.Store(alias)
	if err != nil {
		return err
	}
	hashKey, generated, err := sessionHashKey()
	if err != nil {
		return err
	}
	st, err := sessions.New(secure, sessions.WithHashedTokens(hashKey))
	if err != nil {
		return fmt.Errorf("alias %q: %w", alias, err)
	}

	a, err := newApp(st, u, o.secureCookie, stderr)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           a.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}

	fmt.Fprintf(stdout, "sessions in alias %q, tokens stored as HMAC-SHA256 hashes; list them with:\n  redis-cli --scan --pattern '%s'\n", alias, st.Pattern())
	if generated {
		fmt.Fprintf(stdout, "%s is not set: using a random token hash key, sessions end when the app stops\n", hashKeyEnv)
	}
	if demo {
		fmt.Fprintln(stdout, `no -users file: a demo user "demo" with password "demo" exists`)
	}
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// openCaches opens the aliases of -config, or a secure alias on an embedded
// Redis with a fresh key. The returned func closes everything.
func openCaches(ctx context.Context, o *options, stdout io.Writer) (*secureredis.Caches, func(), error) {
	openCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if o.config != "" {
		cfg, err := secureredis.LoadConfig(o.config)
		if err != nil {
			return nil, nil, err
		}
		caches, err := secureredis.Open(openCtx, cfg)
		if err != nil {
			return nil, nil, err
		}
		return caches, func() { _ = caches.Close() }, nil
	}
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		return nil, nil, fmt.Errorf("embedded redis: %w", err)
	}
	key, err := codec.GenerateKey()
	if err != nil {
		mr.Close()
		return nil, nil, err
	}
	cfg := &secureredis.Config{Caches: map[string]secureredis.CacheConfig{
		secureredis.DefaultSecureCache: {
			Backend:   secureredis.BackendRedis,
			Location:  secureredis.Locations{"redis://" + mr.Addr()},
			KeyPrefix: embeddedPrefix,
			Options:   secureredis.CacheOptions{SecretKeys: secureredis.SecretKeys{key}},
		},
	}}
	caches, err := secureredis.Open(openCtx, cfg)
	if err != nil {
		mr.Close()
		return nil, nil, err
	}
	fmt.Fprintf(stdout, "no -config: embedded Redis on %s, a fresh Fernet key (not shown), key prefix %q\n", mr.Addr(), embeddedPrefix)
	return caches, func() { _ = caches.Close(); mr.Close() }, nil
}

// sessionHashKey returns the token hash secret from the environment, or a
// random one (generated == true).
func sessionHashKey() (key []byte, generated bool, err error) {
	if v, ok := os.LookupEnv(hashKeyEnv); ok {
		if len(v) < sessions.MinHashSecretSize {
			return nil, false, fmt.Errorf("%s must be at least %d bytes", hashKeyEnv, sessions.MinHashSecretSize)
		}
		return []byte(v), false, nil
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, false, err
	}
	return key, true, nil
}
