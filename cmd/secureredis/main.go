// Command secureredis manages encrypted gocache/Redis caches: it generates
// keys and runs a self-contained demo.
//
// Usage:
//
//	secureredis keygen    print a new Fernet key
//	secureredis demo      walk through encryption on an embedded Redis
//
// Exit codes: 0 success, 1 the command failed, 2 bad usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err))
}

// errUsage marks errors that exit with status 2.
var errUsage = errors.New("usage")

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

const usage = `usage: secureredis <command>

commands:
  keygen   print a new Fernet key (URL-safe base64, 32 bytes)
  demo     walk through encryption, tampering and scoped Clear on an embedded Redis
`

// run is the whole CLI; main only wires it to the process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: no command", errUsage)
	}
	var err error
	switch args[0] {
	case "keygen":
		err = keygen(stdout)
	case "demo":
		err = demo(ctx, stdout)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
	}
	if err != nil {
		fmt.Fprintf(stderr, "secureredis %s: %v\n", args[0], err)
	}
	return err
}
