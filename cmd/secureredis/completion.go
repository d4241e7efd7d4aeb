package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

var completionCmd = &command{
	Name: "completion", Args: "bash|zsh|fish", MinArgs: 1, MaxArgs: 1,
	Short: "print a shell completion script (bash, zsh or fish)",
	Long: `Print a completion script for the shell, made from the command table: command
names, each command's flags, and file names after -c. Install it with
  bash:  source <(secureredis completion bash)     (e.g. in ~/.bashrc)
  zsh:   secureredis completion zsh > "${fpath[1]}/_secureredis"
  fish:  secureredis completion fish > ~/.config/fish/completions/secureredis.fish`,
	Setup: func(_ *flag.FlagSet, e *env) func(context.Context, []string) error {
		return func(_ context.Context, args []string) error {
			gen := map[string]func(io.Writer){"bash": bashCompletion, "zsh": zshCompletion, "fish": fishCompletion}[args[0]]
			if gen == nil {
				return fmt.Errorf("%w: unknown shell %s (bash, zsh or fish)", errUsage, display(args[0]))
			}
			gen(e.stdout)
			return nil
		}
	},
}

// compFlag is a flag as completion scripts see it.
type compFlag struct {
	name, usage string
	value       bool // takes a value
}

// completionFlags returns c's flags (nil c: the global ones).
func completionFlags(c *command) []compFlag {
	e := &env{timeout: defaultTimeout}
	fs := newFlagSet("secureredis")
	if c == nil {
		e.globalFlags(fs)
		fs.Bool("version", false, "print the version and exit")
	} else {
		fs, _ = c.flagSet(e)
	}
	fs.Bool("help", false, "show help")
	var out []compFlag
	fs.VisitAll(func(f *flag.Flag) {
		_, usage := flag.UnquoteUsage(f)
		out = append(out, compFlag{name: f.Name, usage: usage, value: !isBool(f)})
	})
	return out
}

func dash(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

func bashCompletion(w io.Writer) {
	var names, valueFlags []string
	for _, c := range commands {
		names = append(names, c.Name)
	}
	seen := map[string]bool{}
	for _, c := range append([]*command{nil}, commands...) {
		for _, f := range completionFlags(c) {
			if f.value && !seen[f.name] {
				seen[f.name] = true
				valueFlags = append(valueFlags, "-"+f.name, "--"+f.name)
			}
		}
	}
	fmt.Fprintf(w, `# bash completion for secureredis (secureredis completion bash)
_secureredis() {
  local cur prev cmd i
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "${COMP_WORDS[i]}" in
      %s) ((i++)) ;;
      -*) ;;
      *) cmd="${COMP_WORDS[i]}"; break ;;
    esac
  done
  case "$prev" in
    -c|--c) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  local words
  case "$cmd" in
    "") words="%s" ;;
`, strings.Join(valueFlags, "|"), strings.Join(append(names, flagWords(completionFlags(nil))...), " "))
	for _, c := range commands {
		words := flagWords(completionFlags(c))
		if c.Name == "help" {
			words = append(words, names...)
		}
		if c.Name == "completion" {
			words = append(words, "bash", "zsh", "fish")
		}
		fmt.Fprintf(w, "    %s) words=%q ;;\n", c.Name, strings.Join(words, " "))
	}
	fmt.Fprint(w, `  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _secureredis secureredis
`)
}

func flagWords(fs []compFlag) []string {
	var out []string
	for _, f := range fs {
		out = append(out, dash(f.name))
	}
	return out
}

// zshQuote escapes a description for an _arguments spec.
func zshQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `'\''`, `[`, `\[`, `]`, `\]`, `:`, `\:`)
	return r.Replace(s)
}

func zshSpecs(fs []compFlag) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, " \\\n      '%s[%s]", dash(f.name), zshQuote(f.usage))
		switch {
		case f.name == "c":
			b.WriteString(":file:_files")
		case f.value:
			b.WriteString(":" + f.name + ":")
		}
		b.WriteString("'")
	}
	return b.String()
}

func zshCompletion(w io.Writer) {
	fmt.Fprint(w, "#compdef secureredis\n# zsh completion for secureredis (secureredis completion zsh)\n_secureredis() {\n  local -a commands\n  commands=(\n")
	for _, c := range commands {
		fmt.Fprintf(w, "    '%s:%s'\n", c.Name, zshQuote(c.Short))
	}
	fmt.Fprintf(w, "  )\n  local state\n  _arguments -C%s \\\n    '1: :->command' '*:: :->args'\n", zshSpecs(completionFlags(nil)))
	fmt.Fprint(w, "  case $state in\n    command) _describe 'command' commands ;;\n    args)\n      case $words[1] in\n")
	for _, c := range commands {
		extra := ""
		switch c.Name {
		case "help":
			extra = " \\\n      '1:command:(" + strings.Join(commandNames(), " ") + ")'"
		case "completion":
			extra = " \\\n      '1:shell:(bash zsh fish)'"
		}
		fmt.Fprintf(w, "        %s) _arguments%s%s ;;\n", c.Name, zshSpecs(completionFlags(c)), extra)
	}
	fmt.Fprint(w, "      esac ;;\n  esac\n}\n_secureredis \"$@\"\n")
}

func commandNames() []string {
	var names []string
	for _, c := range commands {
		names = append(names, c.Name)
	}
	return names
}

// fishQuote quotes s for fish.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func fishFlag(w io.Writer, cond string, f compFlag) {
	fmt.Fprintf(w, "complete -c secureredis")
	if cond != "" {
		fmt.Fprintf(w, " -n %s", fishQuote(cond))
	}
	if len(f.name) == 1 {
		fmt.Fprintf(w, " -s %s", f.name)
	} else {
		fmt.Fprintf(w, " -l %s", f.name)
	}
	switch {
	case f.name == "c":
		fmt.Fprint(w, " -r -F")
	case f.value:
		fmt.Fprint(w, " -r")
	}
	fmt.Fprintf(w, " -d %s\n", fishQuote(f.usage))
}

func fishCompletion(w io.Writer) {
	names := strings.Join(commandNames(), " ")
	fmt.Fprint(w, "# fish completion for secureredis (secureredis completion fish)\ncomplete -c secureredis -f\n")
	for _, c := range commands {
		fmt.Fprintf(w, "complete -c secureredis -n %s -a %s -d %s\n", fishQuote("not __fish_seen_subcommand_from "+names), c.Name, fishQuote(c.Short))
	}
	for _, f := range completionFlags(nil) {
		fishFlag(w, "", f)
	}
	for _, c := range commands {
		cond := "__fish_seen_subcommand_from " + c.Name
		for _, f := range completionFlags(c) {
			if f.name == "c" || f.name == "timeout" || f.name == "help" {
				continue // global, above
			}
			fishFlag(w, cond, f)
		}
	}
	fmt.Fprintf(w, "complete -c secureredis -n %s -a %s\n", fishQuote("__fish_seen_subcommand_from help"), fishQuote(names))
	fmt.Fprintf(w, "complete -c secureredis -n %s -a 'bash zsh fish'\n", fishQuote("__fish_seen_subcommand_from completion"))
}
