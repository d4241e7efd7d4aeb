package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"

	"github.com/secureredis/secureredis"
	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/store"
)

// openAlias loads the config and opens the named alias (the secure one when
// name is empty), within --timeout.
func openAlias(ctx context.Context, e *env, name string) (*secureredis.Caches, *store.EncryptingStore, string, error) {
	if e.config == "" {
		return nil, nil, "", fmt.Errorf("%w: -c FILE is required", errUsage)
	}
	cfg, err := secureredis.LoadConfig(e.config)
	if err != nil {
		return nil, nil, "", err
	}
	if name == "" {
		name = cfg.SecureCache
		if name == "" {
			name = secureredis.DefaultSecureCache
		}
	}
	octx, cancel := e.withTimeout(ctx)
	defer cancel()
	caches, err := secureredis.Open(octx, cfg)
	if err != nil {
		return nil, nil, "", err
	}
	s, err := caches.Store(name)
	if err != nil {
		_ = caches.Close()
		return nil, nil, "", err
	}
	return caches, s, name, nil
}

// withTimeout bounds ctx by --timeout (0: no bound).
func (e *env) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if e.timeout == 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, e.timeout)
}

// ttlFlag is --ttl: unset means the alias's timeout.
type ttlFlag struct {
	set bool
	d   time.Duration
}

func (t *ttlFlag) String() string {
	if t == nil || !t.set {
		return ""
	}
	return t.d.String()
}

func (t *ttlFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	if d < 0 {
		return errors.New("must not be negative")
	}
	t.set, t.d = true, d
	return nil
}

// maxStdinValue bounds the value set reads from stdin.
const maxStdinValue = maxJSONInput

var setCmd = &command{
	Name: "set", Args: "KEY VALUE", MinArgs: 2, MaxArgs: 2, Config: true,
	Short: "store a value (VALUE - reads it from stdin)",
	Long: `Store VALUE under KEY in the alias, encrypted. VALUE "-" reads the value from
stdin, exactly as given (no trailing newline is removed; up to 64 MiB), so
that a secret never appears on the command line. With --json, VALUE is JSON
in the shape get --json prints (exact integers, {"$bytes": base64}, ...; see
README), and a value the alias's serializer would not give back exactly is
refused (exit 2) with nothing stored. Flags may come after the arguments; a
VALUE that starts with "-" and is not a number goes after "--" (set KEY -- -x);
the one-character string "-" itself is stored with --json: set --json KEY '"-"'.`,
	Setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
		alias := fs.String("alias", "", "`ALIAS` to write (default: the secure alias)")
		ttl := &ttlFlag{}
		fs.Var(ttl, "ttl", "time to live, a Go `DURATION` (10m, 24h); 0 = never expire (default: the alias's timeout)")
		asJSON := fs.Bool("json", false, "parse VALUE as JSON and store the structured value")
		return func(ctx context.Context, args []string) error {
			key, raw := args[0], args[1]
			var r io.Reader = strings.NewReader(raw)
			if raw == "-" {
				if f, ok := e.stdin.(*os.File); ok && isTerminal(f) {
					fmt.Fprintln(e.stderr, "reading the value from stdin; end it with Ctrl-D (it is stored as typed, newline included)")
				}
				b, err := io.ReadAll(io.LimitReader(e.stdin, maxStdinValue+1))
				if err != nil {
					return fmt.Errorf("reading the value from stdin: %w", err)
				}
				if len(b) > maxStdinValue {
					return fmt.Errorf("%w: the value on stdin is larger than %d bytes", errUsage, maxStdinValue)
				}
				r, raw = bytes.NewReader(b), string(b)
			}
			var value any = raw
			if *asJSON {
				v, err := parseJSON(r)
				if err != nil {
					return fmt.Errorf("%w: VALUE is not JSON in the CLI's shape: %v", errUsage, err)
				}
				value = v
			}
			// --timeout starts once the value is read (stdin may be a person).
			ctx, cancel := e.withTimeout(ctx)
			defer cancel()
			caches, s, _, err := openAlias(ctx, e, *alias)
			if err != nil {
				return err
			}
			defer caches.Close()
			if *asJSON {
				if err := keepsExactly(s, key, value); err != nil {
					return err
				}
			}
			var opts []gocachestore.Option
			if ttl.set {
				opts = append(opts, gocachestore.WithExpiration(ttl.d))
			}
			if err := s.Set(ctx, key, value, opts...); err != nil {
				return fmt.Errorf("set %s: %w", display(key), err)
			}
			return nil
		}
	},
}

var getCmd = &command{
	Name: "get", Args: "KEY", MinArgs: 1, MaxArgs: 1, Config: true,
	Short: "print a value (strings raw, others as JSON)",
	Long: `Print the value stored under KEY in the alias. Strings and bytes are printed
as they are to a pipe or a file (escaped on a terminal); other values, and
every value with --json, as JSON in the shape set --json reads back (see
README). Exit status 1 when the key is not found, 3 when it exists but does
not decrypt with any key of the ring (wrong key? tampered? plaintext?), 4
when it decrypts but holds a Python type Go does not read (named in the
message).`,
	Setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
		alias := fs.String("alias", "", "`ALIAS` to read (default: the secure alias)")
		asJSON := fs.Bool("json", false, "print every value as JSON, strings included")
		return func(ctx context.Context, args []string) error {
			ctx, cancel := e.withTimeout(ctx)
			defer cancel()
			caches, s, name, err := openAlias(ctx, e, *alias)
			if err != nil {
				return err
			}
			defer caches.Close()
			v, err := s.Get(ctx, args[0])
			if ute := (*codec.UnsupportedTypeError)(nil); errors.As(err, &ute) {
				return unsupportedType(fmt.Sprintf("%s in alias %s decrypts but holds an unsupported Python type %s", display(args[0]), display(name), ute.Type))
			}
			if de := (*store.DecryptError)(nil); errors.As(err, &de) {
				return undecryptable(display(args[0]) + " exists in alias " + display(name) + " but " + de.Class.Describe())
			}
			if errors.Is(err, gocachestore.NotFound{}) {
				return fmt.Errorf("%s not found in alias %s", display(args[0]), display(name))
			}
			if err != nil {
				return fmt.Errorf("get %s from alias %s: %w", display(args[0]), display(name), err)
			}
			if !*asJSON {
				switch x := v.(type) {
				case string:
					_, err = fmt.Fprintln(e.stdout, displayValue(e.stdout, x))
					return err
				case []byte:
					_, err = fmt.Fprintln(e.stdout, displayValue(e.stdout, string(x)))
					return err
				}
			}
			b, err := marshalJSON(v)
			if err != nil {
				return fmt.Errorf("value cannot be shown as JSON: %w", err)
			}
			_, err = fmt.Fprintln(e.stdout, string(b))
			return err
		}
	},
}
