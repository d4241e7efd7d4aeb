package secureredis

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// LoadOption configures ParseConfig and LoadConfig. An option that returns
// an error makes them return it; a nil option is ignored.
type LoadOption func(*loadOptions) error

type loadOptions struct {
	lookupEnv func(string) (string, bool)
}

// WithLookupEnv sets the function ${NAME} references are resolved with. The
// default is os.LookupEnv; tests pass a map lookup. nil restores the default.
func WithLookupEnv(fn func(string) (string, bool)) LoadOption {
	return func(o *loadOptions) error { o.lookupEnv = fn; return nil }
}

// LoadConfig reads the file at path and parses it with ParseConfig.
func LoadConfig(path string, opts ...LoadOption) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secureredis: load config: %w", err)
	}
	return ParseConfig(data, opts...)
}

// ParseConfig parses a configuration in YAML or JSON (the YAML parser reads
// both), in the native form or in Django's (see "Configuration files" in the
// package documentation), applies defaults and validates it. ${NAME} in a
// string is the environment variable NAME (WithLookupEnv; $${ is a literal
// ${); an unset one is an error. Every error is a *ConfigError matching
// ErrInvalidConfig, naming the field as the file does, with its line and
// column, and suggesting the closest known name for an unknown field; none
// contains a secret key or a password, nor quotes a value that may be one
// put in the wrong field. It does no I/O.
func ParseConfig(data []byte, opts ...LoadOption) (*Config, error) {
	o := loadOptions{}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if o.lookupEnv == nil {
		o.lookupEnv = os.LookupEnv
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &ConfigError{Reason: "not valid YAML or JSON: " + err.Error()}
	}
	p := &parser{lookup: o.lookupEnv, pos: map[string]position{}}
	cfg := &Config{}
	if len(doc.Content) > 0 {
		root := deref(doc.Content[0])
		var err error
		switch {
		case root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null":
		case isDjango(root):
			err = p.django(root, cfg)
		default:
			err = p.native(root, cfg)
		}
		if err != nil {
			return nil, p.locate(err)
		}
	}
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil { // Django's names for a Django file
		return nil, p.locate(err)
	}
	return cfg, nil
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// isDjango reports whether the document is in Django's form: it has CACHES or
// DJANGO_REDIS_SECURE_CACHE_NAME at the top, or is a bare CACHES dict whose
// aliases have upper-case fields.
func isDjango(root *yaml.Node) bool {
	if root.Kind != yaml.MappingNode {
		return false
	}
	upper := false
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch root.Content[i].Value {
		case "caches", "secure_cache":
			return false
		case "CACHES", "DJANGO_REDIS_SECURE_CACHE_NAME":
			return true
		}
		v := deref(root.Content[i+1])
		if v.Kind != yaml.MappingNode {
			return false
		}
		for j := 0; j < len(v.Content); j += 2 {
			if k := v.Content[j].Value; k != "" && k == strings.ToUpper(k) && strings.ToUpper(k) != strings.ToLower(k) {
				upper = true
			}
		}
	}
	return upper
}

// parser turns a YAML node tree into a Config, expanding ${NAME} in strings.
type parser struct {
	lookup func(string) (string, bool)
	pos    map[string]position // where each field path is in the file
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// mapping calls fn for each field of the mapping n, refusing non-string and
// duplicate keys.
func (p *parser) mapping(n *yaml.Node, path string, fn func(key string, v *yaml.Node, path string) error) error {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return configErr(path, "want a mapping, got %s", kind(n))
	}
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := deref(n.Content[i])
		if k.Kind != yaml.ScalarNode {
			return configErr(path, "field names must be strings")
		}
		fp := join(path, fieldName(k.Value, i/2))
		if seen[k.Value] {
			return configErr(fp, "duplicate field")
		}
		seen[k.Value] = true
		p.record(fp, k)
		if err := fn(k.Value, n.Content[i+1], fp); err != nil {
			return err
		}
	}
	return nil
}

// unknownField reports the field key at path, which is none of known,
// suggesting the known name closest to it.
func unknownField(path, key string, known ...string) error {
	return configErr(path, "unknown field%s", suggest(key, known))
}

func kind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	if n.ShortTag() == "!!null" {
		return "null"
	}
	switch t := n.ShortTag(); t {
	case "!!str", "!!int", "!!float", "!!bool", "!!binary", "!!timestamp":
		return strings.TrimPrefix(t, "!!")
	}
	return "a value with a custom tag" // never echoed: the file's author chose it
}

// scalar returns the text of a scalar node, with ${NAME} expanded in strings.
func (p *parser) scalar(n *yaml.Node, path string) (string, string, error) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode {
		return "", "", configErr(path, "want a scalar, got %s", kind(n))
	}
	tag := n.ShortTag()
	if tag != "!!str" {
		return n.Value, tag, nil
	}
	s, err := p.expand(n.Value, path)
	return s, tag, err
}

// expand replaces ${NAME} with the variable's value. Its errors never contain
// the string (which may hold a secret), only the variable's name.
func (p *parser) expand(s, path string) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if i > 0 && s[i-1] == '$' { // $${ is a literal ${
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", configErr(path, "unterminated ${ reference")
		}
		name := s[i+2 : i+end]
		if !validEnvName(name) {
			return "", configErr(path, "invalid environment variable name in ${...} reference")
		}
		v, ok := p.lookup(name)
		if !ok {
			return "", configErr(path, "environment variable %s is not set", name)
		}
		b.WriteString(v)
		s = s[i+end+1:]
	}
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func (p *parser) string(n *yaml.Node, path string) (string, error) {
	s, tag, err := p.scalar(n, path)
	if err != nil {
		return "", err
	}
	if tag == "!!null" {
		return "", configErr(path, "want a string, got null")
	}
	return s, nil
}

// strings reads a string or a list of strings; null is an empty list.
func (p *parser) strings(n *yaml.Node, path string) ([]string, error) {
	n = deref(n)
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		return nil, nil
	case n.Kind == yaml.ScalarNode:
		s, err := p.string(n, path)
		return []string{s}, err
	case n.Kind != yaml.SequenceNode:
		return nil, configErr(path, "want a string or a list of strings, got %s", kind(n))
	}
	out := make([]string, len(n.Content))
	for i, e := range n.Content {
		p.record(path+"["+strconv.Itoa(i)+"]", e)
		s, err := p.string(e, path+"["+strconv.Itoa(i)+"]")
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

func (p *parser) int(n *yaml.Node, path string) (int, error) {
	s, tag, err := p.scalar(n, path)
	if err != nil {
		return 0, err
	}
	if tag != "!!int" && tag != "!!str" {
		return 0, configErr(path, "want an integer, got %s", kind(deref(n)))
	}
	i, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, configErr(path, "want an integer") // not quoted: it may be a misplaced secret
	}
	return i, nil
}

func (p *parser) bool(n *yaml.Node, path string) (bool, error) {
	s, tag, err := p.scalar(n, path)
	if err != nil {
		return false, err
	}
	if tag != "!!bool" && tag != "!!str" {
		return false, configErr(path, "want true or false, got %s", kind(deref(n)))
	}
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return false, configErr(path, "want true or false")
	}
	return b, nil
}

func (p *parser) timeout(n *yaml.Node, path string) (Timeout, error) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode {
		return Timeout{}, configErr(path, "want null, seconds or a duration string, got %s", kind(n))
	}
	e := *n
	if e.ShortTag() == "!!str" {
		s, err := p.expand(n.Value, path)
		if err != nil {
			return Timeout{}, err
		}
		e.Value = s
	}
	var t Timeout
	if err := t.UnmarshalYAML(&e); err != nil {
		return Timeout{}, configErr(path, "%s", strings.TrimPrefix(err.Error(), "secureredis: timeout: "))
	}
	return t, nil
}

// duration reads a positive number of seconds or a Go duration string, as
// timeout does, without null.
func (p *parser) duration(n *yaml.Node, path string) (time.Duration, error) {
	if d := deref(n); d.Kind == yaml.ScalarNode && d.ShortTag() == "!!null" {
		return 0, configErr(path, "want seconds or a duration string, got null")
	}
	t, err := p.timeout(n, path)
	if err != nil {
		return 0, err
	}
	if t.Duration <= 0 {
		return 0, configErr(path, "must be positive")
	}
	return t.Duration, nil
}

func (p *parser) version(n *yaml.Node, path string) (int, error) {
	v, err := p.int(n, path)
	if err == nil && v == 0 {
		return 0, configErr(path, "must be at least 1 (0 would read as the default, 1)")
	}
	return v, err
}

// native reads the native form.
