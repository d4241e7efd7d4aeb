package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/term"
)

// Everything the CLI prints that came from Redis (key names, sample keys,
// error texts that may quote keys) goes through display or displayError:
// anyone who can write Redis chooses those bytes, and raw terminal escapes,
// carriage returns, backspaces or Unicode bidi overrides in them could rewrite
// what the operator sees (a forged "plaintext 0" summary).

// display returns name as it is when it is plainly printable (valid UTF-8,
// only graphic characters, no space, not starting with a double quote), and
// otherwise quoted as strconv.Quote does: control characters, invalid UTF-8,
// Unicode format characters (bidi overrides, zero-width joiners) and other
// non-printing runes are escaped. A quoted name is thus unambiguous, and an
// unquoted one is exactly the key.
func display(name string) string {
	if plain(name) {
		return name
	}
	return strconv.Quote(name)
}

// plain reports whether s prints as itself, unambiguously, in a list of
// names separated by spaces.
func plain(s string) bool {
	if s == "" || s[0] == '"' {
		return false
	}
	for _, r := range s {
		if r == utf8.RuneError || r == ' ' || !strconv.IsPrint(r) {
			return false
		}
	}
	return true
}

// displayText escapes, without quoting, what display would escape in free
// text (an error message): spaces stay, and every other non-printing rune,
// newlines included, becomes its Go escape.
func displayText(s string) string {
	ok := true
	for _, r := range s {
		if r == utf8.RuneError || (r != ' ' && !strconv.IsPrint(r)) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n <= 1) || (r != ' ' && !strconv.IsPrint(r)) {
			q := strconv.Quote(s[i : i+n])
			b.WriteString(q[1 : len(q)-1])
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// displayError returns err's text made safe for a terminal. An error that
// joins several (errors.Join) prints one per line, each escaped, so that only
// the separators the program wrote are line breaks.
func displayError(err error) string {
	if j, ok := err.(interface{ Unwrap() []error }); ok && isJoin(err) {
		var parts []string
		for _, e := range j.Unwrap() {
			if e != nil {
				parts = append(parts, displayError(e))
			}
		}
		return strings.Join(parts, "\n")
	}
	return displayText(err.Error())
}

// isJoin reports whether err's text is its parts' texts joined by newlines,
// as errors.Join makes it (fmt.Errorf with several %w also has Unwrap []error
// but its own text).
func isJoin(err error) bool {
	j := err.(interface{ Unwrap() []error })
	var parts []string
	for _, e := range j.Unwrap() {
		if e != nil {
			parts = append(parts, e.Error())
		}
	}
	return len(parts) > 1 && err.Error() == strings.Join(parts, "\n")
}

// displayValue returns a value for `get` to print: as it is when w is not a
// terminal (a pipe or a file gets the exact bytes), and otherwise with each
// line through displayText, so that a value cannot drive the terminal.
func displayValue(w io.Writer, v string) string {
	if !isTerminal(w) {
		return v
	}
	lines := strings.Split(v, "\n")
	for i, l := range lines {
		lines[i] = displayText(l)
	}
	return strings.Join(lines, "\n")
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// flagError rewrites an error of the flag package so that it names the flag
// but never the value given: a secret pasted into the wrong flag (--ttl
// instead of the value) must not reach the terminal, logs or CI output.
// Other errors pass through unchanged.
func flagError(err error) error {
	msg := err.Error()
	for _, head := range []string{"invalid value ", "invalid boolean value "} {
		rest, ok := strings.CutPrefix(msg, head)
		if !ok {
			continue
		}
		quoted, qerr := strconv.QuotedPrefix(rest)
		if qerr != nil {
			return errors.New("invalid flag value (not shown)")
		}
		rest = strings.TrimPrefix(strings.TrimPrefix(rest[len(quoted):], " for flag -"), " for -")
		name, _, _ := strings.Cut(rest, ":")
		return fmt.Errorf("invalid value for flag -%s (the value is not shown; see --help for what it takes)", flagName(name))
	}
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return fmt.Errorf("flag provided but not defined: -%s", flagName(name))
	}
	return err
}

// flagName returns name if it looks like a flag name, or a placeholder: an
// unknown "flag" may be a secret typed after a stray dash.
func flagName(name string) string {
	if len(name) > 32 {
		return "(a long name, not shown)"
	}
	for _, r := range name {
		if !(r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return "(a name with other characters, not shown)"
		}
	}
	return name
}
