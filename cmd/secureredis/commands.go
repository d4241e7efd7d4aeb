package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// A command is one entry of the table that drives dispatch, help and shell
// completion (the standard flag package, as in Go's own cmd/go: no
// dependency for the library's users to inherit, and flags, help and
// completion stay in one place).
type command struct {
	// Name is what the user types.
	Name string
	// Args names the positional arguments in the usage line ("KEY VALUE").
	Args string
	// MinArgs and MaxArgs bound how many positional arguments it takes.
	MinArgs, MaxArgs int
	// Short is the one-line summary "secureredis help" lists.
	Short string
	// Long is the help text after the usage line.
	Long string
	// Config marks a command that reads the aliases config: it takes -c
	// and --timeout too.
	Config bool
	// Setup defines the command's flags on fs and returns the function that
	// runs it with the positional arguments.
	Setup func(fs *flag.FlagSet, e *env) func(ctx context.Context, args []string) error
}

// commands is the table, in the order help lists it.
var commands []*command

func init() {
	commands = []*command{keygenCmd, demoCmd, setCmd, getCmd, ttlCmd, touchCmd, incrCmd, keysCmd, deleteCmd, deletePatternCmd, migrateCmd, rotateCmd, auditCmd, benchCmd, helpCmd, versionCmd, completionCmd}
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// newFlagSet returns a flag set that reports errors to its caller only.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// globalFlags defines the flags every config command accepts, before or
// after its name.
func (e *env) globalFlags(fs *flag.FlagSet) {
	fs.StringVar(&e.config, "c", e.config, "aliases config `FILE` (YAML or JSON, native or a Django CACHES dump)")
	fs.DurationVar(&e.timeout, "timeout", e.timeout, "connection timeout: bounds loading the config and reaching Redis, and the whole of get and set (0: none)")
}

// flagSet returns c's flags bound to e, and the function that runs c.
func (c *command) flagSet(e *env) (*flag.FlagSet, func(context.Context, []string) error) {
	fs := newFlagSet(c.Name)
	if c.Config {
		e.globalFlags(fs)
	}
	return fs, c.Setup(fs, e)
}

// run parses args (flags anywhere) and runs c. --help prints c's help.
func (c *command) run(ctx context.Context, e *env, args []string) error {
	fs, fn := c.flagSet(e)
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		c.writeHelp(e.stdout)
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, flagError(err))
	}
	if e.timeout < 0 {
		return fmt.Errorf("%w: --timeout must not be negative, got %v", errUsage, e.timeout)
	}
	if len(pos) < c.MinArgs || len(pos) > c.MaxArgs {
		want := fmt.Sprint(c.MinArgs)
		if c.MaxArgs != c.MinArgs {
			want = fmt.Sprintf("%d to %d", c.MinArgs, c.MaxArgs)
		}
		return fmt.Errorf("%w: %s takes %s argument(s), got %d", errUsage, c.Name, want, len(pos))
	}
	return fn(ctx, pos)
}

// parseInterspersed parses flags anywhere among args and returns the
// positional arguments in order. "--" ends the flags; "-" and negative
// numbers ("-5", "-1.5e3") are arguments, not flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	pos := []string{}
	for len(args) > 0 {
		a := args[0]
		switch {
		case a == "--":
			return append(pos, args[1:]...), nil
		case !strings.HasPrefix(a, "-") || a == "-" || negativeNumber(a):
			pos = append(pos, a)
			args = args[1:]
			continue
		}
		// One flag, with its value when it takes one as the next argument.
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		n := 1
		if f := fs.Lookup(name); f != nil && !isBool(f) && !hasValue {
			n = min(2, len(args))
		}
		if err := fs.Parse(args[:n]); err != nil {
			return nil, err
		}
		args = args[n:]
	}
	return pos, nil
}

// negativeNumber reports whether a looks like a negative number.
func negativeNumber(a string) bool {
	return len(a) > 1 && a[0] == '-' && (a[1] >= '0' && a[1] <= '9' || a[1] == '.')
}

// usageLine is c's synopsis.
func (c *command) usageLine() string {
	var b strings.Builder
	b.WriteString("secureredis ")
	if c.Config {
		b.WriteString("-c FILE ")
	}
	b.WriteString(c.Name)
	fs, _ := c.flagSet(&env{timeout: defaultTimeout})
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if c.Config {
		n -= 2
	}
	if n > 0 {
		b.WriteString(" [flags]")
	}
	if c.Args != "" {
		b.WriteString(" " + c.Args)
	}
	return b.String()
}

// writeHelp prints c's usage line, description and flags with their
// defaults.
func (c *command) writeHelp(w io.Writer) {
	fmt.Fprintf(w, "usage: %s\n\n%s\n", c.usageLine(), strings.TrimSpace(c.Long))
	fs, _ := c.flagSet(&env{timeout: defaultTimeout})
	var lines [][2]string
	fs.VisitAll(func(f *flag.Flag) {
		lines = append(lines, [2]string{flagSynopsis(f), flagUsage(f)})
	})
	if len(lines) == 0 {
		return
	}
	width := 0
	for _, l := range lines {
		width = max(width, len(l[0]))
	}
	fmt.Fprintln(w, "\nflags:")
	for _, l := range lines {
		fmt.Fprintf(w, "  %-*s  %s\n", width, l[0], l[1])
	}
}

// flagSynopsis is "--name ARG" ("-c FILE" for the one-letter flag).
func flagSynopsis(f *flag.Flag) string {
	dash := "--"
	if len(f.Name) == 1 {
		dash = "-"
	}
	arg, _ := flag.UnquoteUsage(f)
	if isBool(f) {
		return dash + f.Name
	}
	if arg == "" {
		arg = "VALUE"
	}
	return dash + f.Name + " " + strings.ToUpper(arg)
}

// flagUsage is the flag's text with its default.
func flagUsage(f *flag.Flag) string {
	_, usage := flag.UnquoteUsage(f)
	if f.DefValue != "" && !(isBool(f) && f.DefValue == "false") {
		usage += fmt.Sprintf(" (default %s)", f.DefValue)
	}
	return usage
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// writeUsage prints the global usage: every command of the table.
func writeUsage(w io.Writer) {
	fmt.Fprint(w, `usage: secureredis [-c FILE] [--timeout D] <command> [flags] [args]
       secureredis <command> --help
       secureredis --version

commands:
`)
	width := 0
	for _, c := range commands {
		width = max(width, len(c.Name))
	}
	for _, c := range commands {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.Name, c.Short)
	}
	fmt.Fprintf(w, `
-c FILE is the aliases config (YAML or JSON, native or Django CACHES);
%s need it. --timeout D bounds connecting to Redis
(default %v). --alias defaults to the secure alias. Flags may follow
arguments; "--" ends them.
Exit codes: 0 ok, 1 failed, 2 usage.
`, configCommands(), defaultTimeout)
}

// configCommands lists the commands that take -c.
func configCommands() string {
	var names []string
	for _, c := range commands {
		if c.Config {
			names = append(names, c.Name)
		}
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

var helpCmd = &command{
	Name: "help", Args: "[COMMAND]", MaxArgs: 1,
	Short: "list the commands, or show one command's help",
	Long:  `Without an argument, list the commands; with one, print that command's usage, description and flags (as "secureredis COMMAND --help" does).`,
	Setup: func(_ *flag.FlagSet, e *env) func(context.Context, []string) error {
		return func(_ context.Context, args []string) error {
			if len(args) == 0 {
				writeUsage(e.stdout)
				return nil
			}
			c := lookup(args[0])
			if c == nil {
				return fmt.Errorf("%w: unknown command %s", errUsage, display(args[0]))
			}
			c.writeHelp(e.stdout)
			return nil
		}
	},
}

var versionCmd = &command{
	Name:  "version",
	Short: "print the version (as --version does)",
	Long:  "Print the module version, VCS revision and Go version this binary was built with (from its build info).",
	Setup: func(_ *flag.FlagSet, e *env) func(context.Context, []string) error {
		return func(context.Context, []string) error {
			_, err := fmt.Fprintln(e.stdout, versionString())
			return err
		}
	},
}

// versionString describes the build: module version (or "(devel)" from a
// clone), VCS revision and time when known, and the Go version.
func versionString() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "secureredis (unknown version)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	s := map[string]string{}
	for _, kv := range info.Settings {
		s[kv.Key] = kv.Value
	}
	var extra []string
	if r := s["vcs.revision"]; r != "" {
		if len(r) > 12 {
			r = r[:12]
		}
		if s["vcs.modified"] == "true" {
			r += "+dirty"
		}
		extra = append(extra, "revision "+r)
	}
	if t := s["vcs.time"]; t != "" {
		extra = append(extra, t)
	}
	extra = append(extra, info.GoVersion)
	return fmt.Sprintf("secureredis %s (%s)", v, strings.Join(extra, ", "))
}
