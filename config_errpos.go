package secureredis

import (
	"errors"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// position is where a field sits in the file, 1-based.
type position struct{ line, column int }

// record remembers where the field at path is.
func (p *parser) record(path string, n *yaml.Node) {
	if p.pos != nil && n != nil && n.Line > 0 {
		p.pos[path] = position{n.Line, n.Column}
	}
}

// locate sets the line and column of every ConfigError in err to those of
// its field, or of the nearest enclosing field the file has.
func (p *parser) locate(err error) error {
	for _, ce := range configErrors(err) {
		if ce.Line > 0 {
			continue
		}
		for f := ce.Field; f != ""; f = parentPath(f) {
			if at, ok := p.pos[f]; ok {
				ce.Line, ce.Column = at.line, at.column
				break
			}
		}
	}
	return err
}

// configErrors returns the ConfigErrors err holds, joined ones included.
func configErrors(err error) []*ConfigError {
	var ce *ConfigError
	if errors.As(err, &ce) && err == error(ce) {
		return []*ConfigError{ce}
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*ConfigError
		for _, e := range j.Unwrap() {
			out = append(out, configErrors(e)...)
		}
		return out
	}
	return nil
}

// parentPath drops the last ".field" or "[i]" of path.
func parentPath(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndexByte(path, '['); i > 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

// djangoFieldNames are the Django names of the native fields Validate names.
var djangoFieldNames = map[string]string{
	"backend": "BACKEND", "location": "LOCATION", "key_prefix": "KEY_PREFIX",
	"version": "VERSION", "timeout": "TIMEOUT", "options": "OPTIONS",
	"secret_keys": "REDIS_SECRET_KEY", "serializer": "SERIALIZER", "db": "DB",
	"compressor": "COMPRESSOR", "max_age": "MAX_AGE", "binding_context": "BINDING_CONTEXT",
	"connect_timeout": "SOCKET_CONNECT_TIMEOUT", "read_timeout": "SOCKET_TIMEOUT",
	"write_timeout": "SOCKET_TIMEOUT", "max_decompressed_size": "MAX_DECOMPRESSED_SIZE",
	"data_recovery": "DATA_RECOVERY", "old_cache_name": "OLD_CACHE_NAME",
	"old_key_prefix": "OLD_KEY_PREFIX", "old_key_patterns": "OLD_KEY_PATTERNS",
	"old_format": "OLD_FORMAT", "clear_old_entries": "CLEAR_OLD_ENTRIES",
}

// nativeName matches a native field name, or a dotted path of them, where a
// reason mentions one ("needs options.secret_keys").
var nativeName = regexp.MustCompile(`\b(options\.)?(secret_keys|key_prefix|old_key_prefix|old_key_patterns|old_format|data_recovery|max_age|binding_context|old_cache_name|max_decompressed_size)\b`)

// djangoNames renames the native fields Validate named in err to Django's
// (caches.default.options.secret_keys[1] is
// CACHES.default.OPTIONS.REDIS_SECRET_KEY[1]), in the path and in the reason,
// for an error about a Django file.
func djangoNames(err error, cfg *Config) error {
	for _, ce := range configErrors(err) {
		ce.Field = djangoPath(ce.Field, cfg)
		ce.Reason = nativeName.ReplaceAllStringFunc(ce.Reason, func(s string) string {
			opt, name, ok := strings.Cut(s, ".")
			if !ok {
				return djangoFieldNames[opt]
			}
			return djangoFieldNames[opt] + "." + djangoFieldNames[name]
		})
	}
	return err
}

func djangoPath(field string, cfg *Config) string {
	switch {
	case field == "secure_cache":
		return "DJANGO_REDIS_SECURE_CACHE_NAME"
	case field == "caches":
		return "CACHES"
	case !strings.HasPrefix(field, "caches."):
		return field
	}
	var alias, rest string
	for name := range cfg.Caches {
		if p := aliasPath(name) + "."; strings.HasPrefix(field, p) {
			alias, rest = "CACHES."+strings.TrimPrefix(p, "caches."), field[len(p):]
			break
		}
	}
	if alias == "" { // no alias matched: leave it
		return field
	}
	parts := strings.Split(rest, ".")
	for i, part := range parts {
		name, index, _ := strings.Cut(part, "[")
		if d, ok := djangoFieldNames[name]; ok {
			name = d
		}
		if index != "" {
			name += "[" + index
		}
		parts[i] = name
	}
	return alias + strings.Join(parts, ".")
}

// suggest returns " (did you mean X?)" for the known name closest to key,
// ignoring case, when it is close enough to be a typo, and "" otherwise. It
// names a known field only, never key.
func suggest(key string, known []string) string {
	if len(key) > 64 {
		return ""
	}
	best, bestD := "", 0
	lk := strings.ToLower(key)
	for _, k := range known {
		d := editDistance(lk, strings.ToLower(k))
		if limit := max(1, len(k)/3); d <= limit && (best == "" || d < bestD) {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + best + "?)"
}

// editDistance is the Levenshtein distance of a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
