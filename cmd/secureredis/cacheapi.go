package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"time"

	"github.com/secureredis/secureredis/store"
)

// The Django cache API commands: ttl, touch, incr, keys, delete,
// delete-pattern. Each opens one alias (--alias, default the secure one) and
// is bounded by --timeout as a whole.

// withAlias opens the alias within --timeout and runs fn on its store.
func withAlias(ctx context.Context, e *env, alias string, fn func(ctx context.Context, s *store.EncryptingStore, name string) error) error {
	ctx, cancel := e.withTimeout(ctx)
	defer cancel()
	caches, s, name, err := openAlias(ctx, e, alias)
	if err != nil {
		return err
	}
	defer caches.Close()
	return fn(ctx, s, name)
}

// notFound is the error of a missing key, as get reports it.
func notFound(key, alias string) error {
	return fmt.Errorf("%s not found in alias %s", display(key), display(alias))
}

var ttlCmd = &command{
	Name: "ttl", Args: "KEY", MinArgs: 1, MaxArgs: 1, Config: true,
	Short: "print a key's remaining time to live",
	Long: `Print the remaining time to live of KEY as a Go duration (59m58.123s), or
"none" for a key that never expires (Django's ttl says None), without reading
the value. Exit status 1 when the key is not found.`,
	Setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
		alias := fs.String("alias", "", "`ALIAS` to read (default: the secure alias)")
		return func(ctx context.Context, args []string) error {
			return withAlias(ctx, e, *alias, func(ctx context.Context, s *store.EncryptingStore, name string) error {
				d, err := s.TTL(ctx, args[0])
				if errors.Is(err, store.ErrKeyMissing) {
					return notFound(args[0], name)
				}
				if err != nil {
					return fmt.Errorf("ttl %s: %w", display(args[0]), err)
				}
				if d == store.Persistent {
					_, err = fmt.Fprintln(e.stdout, "none")
					return err
				}
				_, err = fmt.Fprintln(e.stdout, d.Round(time.Millisecond))
				return err
			})
		}
	},
}

var touchCmd = &command{
	Name: "touch", Args: "KEY", MinArgs: 1, MaxArgs: 1, Config: true,
	Short: "give a key a new time to live, keeping its value",
	Long: `Give KEY a new time to live without rewriting its value (Django's touch):
--ttl D, or --persist (or --ttl 0) to make it never expire. One of the two is
required. Exit status 1 when the key is not found.`,
	Setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
		alias := fs.String("alias", "", "`ALIAS` to write (default: the secure alias)")
		ttl := &ttlFlag{}
		fs.Var(ttl, "ttl", "new time to live, a Go `DURATION` (10m, 24h); 0 = never expire")
		persist := fs.Bool("persist", false, "make the key never expire (Django's timeout=None)")
		return func(ctx context.Context, args []string) error {
			if ttl.set == *persist {
				return fmt.Errorf("%w: touch takes exactly one of --ttl and --persist", errUsage)
			}
			timeout := store.NoExpiration
			if ttl.set {
				timeout = ttl.d
			}
			return withAlias(ctx, e, *alias, func(ctx context.Context, s *store.EncryptingStore, name string) error {
				ok, err := s.Touch(ctx, args[0], timeout)
				if err != nil {
					return fmt.Errorf("touch %s: %w", display(args[0]), err)
				}
				if !ok {
					return notFound(args[0], name)
				}
				return nil
			})
		}
	},
}

var incrCmd = &command{
	Name: "incr", Args: "KEY", MinArgs: 1, MaxArgs: 1, Config: true,
	Short: "add to an integer atomically and print the result",
	Long: `Add --by N (default 1; negative to subtract) to the integer stored under KEY
and print the new value. The value stays encrypted: the store decrypts, adds,
encrypts and writes back with a compare-and-set, retried on conflict, keeping
the TTL. Exit status 1 when the key is not found (unless --create), the value
is not an integer or the result would overflow a 64-bit integer.`,
	Setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
		alias := fs.String("alias", "", "`ALIAS` to write (default: the secure alias)")
		by := fs.Int64("by", 1, "`N` to add")
		create := fs.Bool("create", false, "create a missing key with value N (django-redis's ignore_key_check)")
		return func(ctx context.Context, args []string) error {
			if *by == math.MinInt64 {
				return fmt.Errorf("%w: --by out of range", errUsage)
			}
			return withAlias(ctx, e, *alias, func(ctx context.Context, s *store.EncryptingStore, name string) error {
				var opts []store.CallOption
				if *create {
					opts = append(opts, store.CreateMissing())
				}
				n, err := s.Incr(ctx, args[0], *by, opts...)
				if errors.Is(err, store.ErrKeyMissing) {
					return notFound(args[0], name)
				}
				if err != nil {
					return fmt.Errorf("incr %s: %w", display(args[0]), err)
				}
				_, err = fmt.Fprintln(e.stdout, n)
				return err
			})
		}
	},
}

var keysCmd = &command{
	Name: "keys", Args: "[PATTERN]", MinArgs: 0, MaxArgs: 1, Config: true,
	Short: "list the logical keys matching a glob",
	Long: `List, one per line, the logical keys of the alias (at its version) that match
PATTERN, a Redis glob (default "*"; * ? [abc] [^a] [a-z], \ escapes), like
Django's cache.keys. Keys are found with SCAN on every master, never KEYS,
and only keys of the alias's prefix and version are listed. A name that is
not plainly printable is shown Go-quoted. SCAN may list a key twice.`,
	Setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
		alias := fs.String("alias", "", "`ALIAS` to list (default: the secure alias)")
		return func(ctx context.Context, args []string) error {
			pattern := "*"
			if len(args) == 1 {
				pattern = args[0]
			}
			return withAlias(ctx, e, *alias, func(ctx context.Context, s *store.EncryptingStore, _ string) error {
				for k, err := range s.IterKeys(ctx, pattern) {
					if err != nil {
						return fmt.Errorf("keys: %w", err)
					}
					if _, err := fmt.Fprintln(e.stdout, display(k)); err != nil {
						return err
					}
				}
				return nil
			})
		}
	},
}

var deleteCmd = &command{
	Name: "delete", Args: "KEY...", MinArgs: 1, MaxArgs: 1000, Config: true,
	Short: "delete keys and print how many existed",
	Long: `Delete each KEY (up to 1,000) from the alias and print how many of them
existed ("deleted 2 of 3"). A missing key is not an error.`,
	Setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
		alias := fs.String("alias", "", "`ALIAS` to delete from (default: the secure alias)")
		return func(ctx context.Context, args []string) error {
			return withAlias(ctx, e, *alias, func(ctx context.Context, s *store.EncryptingStore, _ string) error {
				n := 0
				for _, k := range args {
					ok, err := s.DeleteVersion(ctx, k, s.Keys().Version())
					if err != nil {
						return fmt.Errorf("delete %s: %w", display(k), err)
					}
					if ok {
						n++
					}
				}
				_, err := fmt.Fprintf(e.stdout, "deleted %d of %d\n", n, len(args))
				return err
			})
		}
	},
}

var deletePatternCmd = &command{
	Name: "delete-pattern", Args: "PATTERN", MinArgs: 1, MaxArgs: 1, Config: true,
	Short: "delete the keys matching a glob",
	Long: `Delete the entries of the alias (at its version) whose logical keys match
PATTERN, a Redis glob as for keys (django-redis's delete_pattern), found with
SCAN and deleted with UNLINK in batches, and print how many were deleted.
Nothing outside the alias's prefix and version is touched. With --dry-run,
list the keys that match (one per line, as keys does) and delete nothing.`,
	Setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
		alias := fs.String("alias", "", "`ALIAS` to delete from (default: the secure alias)")
		dryRun := fs.Bool("dry-run", false, "list the matching keys, delete nothing")
		return func(ctx context.Context, args []string) error {
			return withAlias(ctx, e, *alias, func(ctx context.Context, s *store.EncryptingStore, _ string) error {
				if *dryRun {
					n := 0
					for k, err := range s.IterKeys(ctx, args[0]) {
						if err != nil {
							return fmt.Errorf("delete-pattern: %w", err)
						}
						n++
						fmt.Fprintln(e.stdout, display(k))
					}
					_, err := fmt.Fprintf(e.stdout, "would delete %d\n", n)
					return err
				}
				n, err := s.DeletePattern(ctx, args[0])
				if err != nil {
					return fmt.Errorf("delete-pattern (deleted %d before the error): %w", n, err)
				}
				_, err = fmt.Fprintf(e.stdout, "deleted %d\n", n)
				return err
			})
		}
	},
}
