// Command secureredis manages encrypted gocache/Redis caches configured like
// Django's CACHES (see the secureredis package): it reads and writes entries,
// migrates plaintext entries into the encrypted alias, rotates keys, audits,
// generates keys and runs a self-contained demo.
//
// Usage:
//
//	secureredis keygen
//	secureredis demo
//	secureredis -c FILE set     [--alias A] [--ttl D] [--json] KEY VALUE
//	secureredis -c FILE get     [--alias A] [--json] KEY
//	secureredis -c FILE migrate [--alias A] [--dry-run] [--clear-old]
//	secureredis -c FILE rotate  [--alias A]
//	secureredis -c FILE audit   [--alias A]
//	secureredis -c FILE bench   [--alias A] [--size N] [--ops N] [--concurrency N] [--batch N]
//
// The config file is YAML or JSON, native or a Django CACHES dump; secret keys
// come from ${ENV_VAR} references. --alias defaults to the secure alias.
//
// Exit codes: 0 success; 1 the command failed (including a key not found, a
// migration or rotation with failed keys, an audit that found plaintext or
// undecryptable entries); 2 bad usage. Secrets are never printed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err))
}

// errUsage marks errors that exit with status 2.
var errUsage = errors.New("usage")

// errReported marks a failure whose details were already written.
var errReported = errors.New("failed")

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

const usage = `usage: secureredis [-c FILE] <command> [flags] [args]

commands:
  keygen    print a new Fernet key (URL-safe base64 of 32 random bytes)
  demo      walk through encryption, migration, rotation and audit on an embedded Redis
  set       [--alias A] [--ttl D] [--json] KEY VALUE   store VALUE (parsed as JSON with --json)
  get       [--alias A] [--json] KEY                   print a value (strings raw, others as JSON)
  migrate   [--alias A] [--dry-run] [--clear-old]      copy the alias's data_recovery source into it, encrypted
  rotate    [--alias A]                                re-encrypt entries made with older keys
  audit     [--alias A]                                classify every entry under the alias's prefix
  bench     [--alias A] [--size N] [--ops N] [--concurrency N] [--batch N]
            encrypted vs plain gocache Redis store on the alias's server: Set, Get, GetMany
            ops/s and p50/p99, then "ratio get=G set=S getmany=M" (encrypted / plain)

-c FILE is the aliases config (YAML or JSON, native or Django CACHES); set, get,
migrate, rotate, audit and bench need it. --alias defaults to the secure alias.
Exit codes: 0 ok, 1 failed, 2 usage.
`

// env is what a command gets to work with.
type env struct {
	config string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// run is the whole CLI; main only wires it to the process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	global := flag.NewFlagSet("secureredis", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	global.StringVar(&e.config, "c", "", "aliases config file")
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return nil
		}
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	args = global.Args()
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: no command", errUsage)
	}
	commands := map[string]func(context.Context, *env, []string) error{
		"keygen":  keygen,
		"demo":    demo,
		"set":     set,
		"get":     get,
		"migrate": migrate,
		"rotate":  rotate,
		"audit":   audit,
		"bench":   bench,
	}
	name := args[0]
	if name == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: unknown command %q", errUsage, name)
	}
	err := cmd(ctx, e, args[1:])
	switch {
	case err == nil, errors.Is(err, errReported):
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "secureredis %s: %s\n", name, displayError(err))
		fmt.Fprint(stderr, usage)
	default:
		fmt.Fprintf(stderr, "secureredis %s: %s\n", name, displayError(err))
	}
	return err
}

// flags returns a flag set for a command that reports errors as usage errors.
func flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parse(fs *flag.FlagSet, args []string, nargs int) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() != nargs {
		return fmt.Errorf("%w: %s takes %d argument(s), got %d", errUsage, fs.Name(), nargs, fs.NArg())
	}
	return nil
}
