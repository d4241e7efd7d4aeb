package secureredis

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// redacted replaces a secret wherever a Config is printed or marshalled.
const redacted = "xxxxx"

// SecretKeys holds Fernet key strings. It never prints them: String, GoString
// and every fmt verb give only how many there are; JSON, YAML and text
// marshalling give one "xxxxx" per key; slog logs the summary. So a Config
// can be logged or dumped whole.
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

// MarshalJSON writes one "xxxxx" per key: json.Marshal of a Config, and
// slog's JSON handler, never see the keys.
func (k SecretKeys) MarshalJSON() ([]byte, error) {
	if k == nil {
		return []byte("null"), nil
	}
	return json.Marshal(slices.Repeat([]string{redacted}, len(k)))
}

// MarshalText returns the redacted summary (String), for encoders that use
// encoding.TextMarshaler.
func (k SecretKeys) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// MarshalYAML writes one "xxxxx" per key.
func (k SecretKeys) MarshalYAML() (any, error) { return slices.Repeat([]string{redacted}, len(k)), nil }

// LogValue logs the redacted summary (String).
func (k SecretKeys) LogValue() slog.Value { return slog.StringValue(k.String()) }

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

// MarshalJSON writes the locations with passwords redacted.
func (l Locations) MarshalJSON() ([]byte, error) {
	if l == nil {
		return []byte("null"), nil
	}
	return json.Marshal(l.redacted())
}

// MarshalText returns the locations with passwords redacted (String).
func (l Locations) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// MarshalYAML writes the locations with passwords redacted.
func (l Locations) MarshalYAML() (any, error) { return l.redacted(), nil }

// LogValue logs the locations with passwords redacted (String).
func (l Locations) LogValue() slog.Value { return slog.StringValue(l.String()) }

func (l Locations) redacted() []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = redactURL(s)
	}
	return out
}

// printableConfig is Config without its methods, for Config's own String
// and LogValue: its fields still print redacted.
type printableConfig Config

// String prints the configuration as %+v would, with secret keys and
// passwords redacted.
func (c *Config) String() string {
	if c == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%+v", (*printableConfig)(c))
}

// LogValue logs the configuration with secret keys and passwords redacted:
// a group of the secure alias's name and each alias, whatever the handler.
func (c *Config) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue("<nil>")
	}
	attrs := []slog.Attr{slog.String("secure_cache", c.SecureCache)}
	for _, name := range sortedNames(c) {
		cc := c.Caches[name]
		attrs = append(attrs, slog.Group("caches."+name,
			slog.String("backend", string(cc.Backend)), slog.Any("location", cc.Location),
			slog.String("key_prefix", cc.KeyPrefix), slog.Int("version", cc.Version),
			slog.String("timeout", cc.Timeout.String()), slog.Any("secret_keys", cc.Options.SecretKeys),
			slog.String("serializer", string(cc.Options.Serializer)), slog.String("compressor", cc.Options.Compressor)))
	}
	return slog.GroupValue(attrs...)
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
	// The query options by hand: url.ParseQuery gives up on a ";", and a
	// "?" inside the userinfo's password would start the query too early.
	for rest := s; ; {
		i := strings.Index(rest, "password=")
		if i < 0 {
			break
		}
		before := rest[:i]
		rest = rest[i+len("password="):]
		before = strings.TrimSuffix(before, "sentinel_")
		if !strings.HasSuffix(before, "?") && !strings.HasSuffix(before, "&") {
			continue
		}
		v, _, _ := strings.Cut(rest, "&")
		if v == "" {
			continue
		}
		out = append(out, v)
		if u, err := url.QueryUnescape(v); err == nil && u != v {
			out = append(out, u)
		}
	}
	return out
}

// urlPassword extracts the password of scheme://user:password@host/... with
// no URL parsing, so that it is found in malformed URLs too: the userinfo
// runs to the last "@", so that a password holding "/", "#", "?" or "@" is
// found whole (a query with an "@" may make it find more, which only
// redacts more).
func urlPassword(s string) string {
	_, rest, ok := strings.Cut(s, "://")
	if !ok {
		return ""
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return ""
	}
	_, pw, _ := strings.Cut(rest[:at], ":")
	return pw
}
