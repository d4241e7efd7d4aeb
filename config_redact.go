package secureredis

import (
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// SecretKeys holds Fernet key strings. It never prints them: String, GoString
// and every fmt verb give only how many there are, so a Config can be logged.
type SecretKeys []string

// String returns a redacted summary such as "[2 secret keys redacted]".
func (k SecretKeys) String() string {
	switch len(k) {
	case 0:
		return "[]"
	case 1:
		return "[1 secret key redacted]"
	}
	return "[" + strconv.Itoa(len(k)) + " secret keys redacted]"
}

// GoString returns a redacted Go-syntax summary, for %#v.
func (k SecretKeys) GoString() string {
	return "secureredis.SecretKeys{/* " + strconv.Itoa(len(k)) + " redacted */}"
}

// Format makes %#v print GoString and every other verb print String.
func (k SecretKeys) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, k.GoString())
		return
	}
	_, _ = io.WriteString(f, k.String())
}

// Locations holds cache locations (Redis URLs). It prints with URL passwords
// replaced by "xxxxx", whatever the fmt verb.
type Locations []string

// String returns the locations with passwords redacted.
func (l Locations) String() string {
	parts := make([]string, len(l))
	for i, s := range l {
		parts[i] = redactURL(s)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// GoString returns the locations in Go syntax with passwords redacted.
func (l Locations) GoString() string {
	parts := make([]string, len(l))
	for i, s := range l {
		parts[i] = strconv.Quote(redactURL(s))
	}
	return "secureredis.Locations{" + strings.Join(parts, ", ") + "}"
}

// Format makes %#v print GoString and every other verb print String.
func (l Locations) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, l.GoString())
		return
	}
	_, _ = io.WriteString(f, l.String())
}

// redactURL hides the password of a URL, also when the URL does not parse.
func redactURL(s string) string {
	return redactSecrets(s, s)
}

// redactSecrets replaces in text every password of the location loc (see
// urlSecrets), plain or query-escaped, with "xxxxx".
func redactSecrets(text, loc string) string {
	for _, pw := range urlSecrets(loc) {
		text = strings.ReplaceAll(text, pw, "xxxxx")
		if esc := url.QueryEscape(pw); esc != pw {
			text = strings.ReplaceAll(text, esc, "xxxxx")
		}
	}
	return text
}

// urlSecrets returns the passwords a location carries: the userinfo's, and
// the values of the password and sentinel_password query options.
func urlSecrets(s string) []string {
	var out []string
	if pw := urlPassword(s); pw != "" {
		out = append(out, pw)
	}
	if _, q, ok := strings.Cut(s, "?"); ok {
		if v, err := url.ParseQuery(q); err == nil {
			for _, k := range []string{"password", "sentinel_password"} {
				if pw := v.Get(k); pw != "" {
					out = append(out, pw)
				}
			}
		}
	}
	return out
}

// urlPassword extracts the password of scheme://user:password@host/... with
// no URL parsing, so that it is found in malformed URLs too.
func urlPassword(s string) string {
	_, rest, ok := strings.Cut(s, "://")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return ""
	}
	_, pw, _ := strings.Cut(rest[:at], ":")
	return pw
}
