// Command secureredis manages encrypted gocache/Redis caches configured like
// Django's CACHES (see the secureredis package): it reads and writes entries,
// migrates plaintext entries into the encrypted alias, rotates keys, audits,
// measures, generates keys and runs a self-contained demo.
//
// Usage:
//
//	secureredis [-c FILE] [--timeout D] <command> [flags] [args]
//	secureredis <command> --help
//	secureredis --version
//
// The commands, their flags and their help come from one table (commands.go);
// "secureredis help" lists them and "secureredis completion bash|zsh|fish"
// prints a shell completion script made from it. Flags may come before or
// after arguments ("set k v --ttl 10m"); "--" ends the flags. The config file
// is YAML or JSON, native or a Django CACHES dump; secret keys come from
// ${ENV_VAR} references. --alias defaults to the secure alias.
//
// Exit codes: 0 success (and --help, --version); 1 the command failed
// (including a key not found, a migration or rotation with failed keys, an
// audit that found plaintext or undecryptable entries); 2 bad usage (unknown
// command or flag, wrong arguments, a flag value out of range, a JSON value
// the alias cannot store exactly); 3 get found the key but its entry does
// not decrypt with the alias's key ring (a wrong key, tampering, or a
// plaintext value: the message says which); 4 get found an entry that
// decrypts but holds a Python type Go does not read. Secrets are never printed; key names and
// other text read from Redis are printed escaped (see display).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/secureredis/secureredis"
)

func main() {
	// go-redis logs dial failures (with addresses) on its own; the commands
	// report errors themselves, once.
	secureredis.SetRedisLogger(nil)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err))
}

// errUsage marks errors that exit with status 2.
var errUsage = errors.New("usage")

// errUndecryptable marks an entry that exists but does not decrypt: exit
// status 3.
var errUndecryptable = errors.New("entry does not decrypt")

// undecryptable is an error with its own text that matches errUndecryptable.
type undecryptable string

func (e undecryptable) Error() string        { return string(e) }
func (e undecryptable) Is(target error) bool { return target == errUndecryptable }

// errUnsupportedType marks an entry that decrypts but holds a Python type Go
// does not read: exit status 4.
var errUnsupportedType = errors.New("entry holds an unsupported type")

// unsupportedType is an error with its own text that matches
// errUnsupportedType.
type unsupportedType string

func (e unsupportedType) Error() string        { return string(e) }
func (e unsupportedType) Is(target error) bool { return target == errUnsupportedType }

// errReported marks a failure whose details were already written.
var errReported = errors.New("failed")

func exitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errUndecryptable):
		return 3
	case errors.Is(err, errUnsupportedType):
		return 4
	default:
		return 1
	}
}

// defaultTimeout is --timeout's default.
const defaultTimeout = 10 * time.Second

// env is what a command gets to work with: the global flags and the streams.
type env struct {
	config  string
	timeout time.Duration
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
}

// run is the whole CLI; main only wires it to the process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := &env{timeout: defaultTimeout, stdin: stdin, stdout: stdout, stderr: stderr}
	global := newFlagSet("secureredis")
	e.globalFlags(global)
	version := global.Bool("version", false, "print the version and exit")
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			writeUsage(stdout)
			return nil
		}
		return usageError(e, err)
	}
	if *version {
		_, err := fmt.Fprintln(stdout, versionString())
		return err
	}
	args = global.Args()
	if len(args) == 0 {
		writeUsage(stderr)
		return fmt.Errorf("%w: no command", errUsage)
	}
	cmd := lookup(args[0])
	if cmd == nil {
		err := fmt.Errorf("%w: unknown command %s", errUsage, display(args[0]))
		fmt.Fprintf(stderr, "secureredis: %s\n", displayError(err))
		writeUsage(stderr)
		return err
	}
	err := cmd.run(ctx, e, args[1:])
	switch {
	case err == nil, errors.Is(err, errReported):
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "secureredis %s: %s\n", cmd.Name, errorText(err))
		fmt.Fprintf(stderr, "usage: %s\nRun 'secureredis %s --help' for its flags.\n", cmd.usageLine(), cmd.Name)
	default:
		fmt.Fprintf(stderr, "secureredis %s: %s\n", cmd.Name, errorText(err))
	}
	return err
}

// errorText is err made safe to print, without the "secureredis: " that the
// library's errors start with (the CLI prefixes its own).
func errorText(err error) string {
	lines := strings.Split(displayError(err), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "secureredis: ")
	}
	return strings.Join(lines, "\n")
}

// usageError reports a bad global flag.
func usageError(e *env, err error) error {
	err = fmt.Errorf("%w: %v", errUsage, flagError(err))
	fmt.Fprintf(e.stderr, "secureredis: %s\n", errorText(err))
	writeUsage(e.stderr)
	return err
}
