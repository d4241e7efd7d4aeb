package codec_test

import (
	"errors"
	"path"
	"strconv"
	"strings"
	"testing"

	"github.com/secureredis/secureredis/codec"
)

func newScheme(tb testing.TB, prefix string, opts ...codec.KeySchemeOption) *codec.KeyScheme {
	tb.Helper()
	s, err := codec.NewKeyScheme(prefix, opts...)
	if err != nil {
		tb.Fatalf("NewKeyScheme(%q): %v", prefix, err)
	}
	return s
}

func TestDjangoKeyFunc(t *testing.T) {
	tests := []struct {
		key, prefix string
		version     int
		want        string
	}{
		{"user:42", "app1:secure", 1, "app1:secure:1:user:42"},
		{"k", "app1", 2, "app1:2:k"},
		{"", "p", 1, "p:1:"},
		{"k", "p", 0, "p:0:k"},
		{"k", "p", -3, "p:-3:k"},
		{"a:b:c", "p", 10, "p:10:a:b:c"},
	}
	for _, tt := range tests {
		if got := codec.DjangoKeyFunc(tt.key, tt.prefix, tt.version); got != tt.want {
			t.Errorf("DjangoKeyFunc(%q, %q, %d) = %q, want %q", tt.key, tt.prefix, tt.version, got, tt.want)
		}
	}
}

func TestKeySchemeKey(t *testing.T) {
	s := newScheme(t, "app1:secure")
	if s.Prefix() != "app1:secure" || s.Version() != codec.DefaultVersion || codec.DefaultVersion != 1 {
		t.Errorf("Prefix, Version = %q, %d; want \"app1:secure\", 1", s.Prefix(), s.Version())
	}
	if got := s.Key("user:42"); got != "app1:secure:1:user:42" {
		t.Errorf("Key = %q, want app1:secure:1:user:42", got)
	}
	if got := s.KeyVersion("user:42", 7); got != "app1:secure:7:user:42" {
		t.Errorf("KeyVersion(7) = %q", got)
	}

	v3 := newScheme(t, "app1:secure", codec.WithVersion(3))
	if v3.Version() != 3 {
		t.Errorf("WithVersion(3).Version() = %d", v3.Version())
	}
	if got := v3.Key("user:42"); got != "app1:secure:3:user:42" {
		t.Errorf("WithVersion(3).Key = %q", got)
	}
	if k, v, ok := v3.Parse("app1:secure:1:user:42"); !ok || k != "user:42" || v != 1 {
		t.Errorf("Parse of another version = %q, %d, %v; want user:42, 1, true", k, v, ok)
	}
}

func TestKeySchemeParseRoundTrip(t *testing.T) {
	for _, prefix := range []string{"app1", "app1:secure", "a*b?[c]\\", "π:ü", ":", "x:"} {
		for _, version := range []int{1, 0, 2, 10, -1, 123456789} {
			s := newScheme(t, prefix, codec.WithVersion(version))
			for _, key := range []string{"user:42", "k", "", ":", "::x", "a:1:b", "x:" + prefix, "sp ace", "\x00\xff"} {
				sk := s.Key(key)
				if !strings.HasPrefix(sk, prefix+":") {
					t.Errorf("Key(%q) = %q, outside prefix %q", key, sk, prefix)
				}
				k, v, ok := s.Parse(sk)
				if !ok || k != key || v != version {
					t.Errorf("prefix %q: Parse(%q) = %q, %d, %v; want %q, %d, true", prefix, sk, k, v, ok, key, version)
				}
				if !s.Owns(sk) {
					t.Errorf("prefix %q: Owns(%q) = false", prefix, sk)
				}
			}
		}
	}
}

func TestKeySchemeParseRejects(t *testing.T) {
	s := newScheme(t, "app1")
	for _, sk := range []string{
		"",
		"app1",
		"app1:",
		"app1:1",          // no key separator
		"app1:secure:1:k", // belongs to prefix "app1:secure"
		"app10:1:k",       // prefix "app10"
		"app:1:k",
		"APP1:1:k",
		"xapp1:1:k",
		" app1:1:k",
		"app1::k",   // empty version
		"app1:01:k", // leading zero
		"app1:00:k",
		"app1:-01:k",
		"app1:-0:k",
		"app1:+1:k",
		"app1:-:k",
		"app1:x:k",
		"app1:1x:k",
		"app1:1e3:k",
		"app1: 1:k",
		"app1:1 :k",
		"app1:0x1:k",
		"app1:1_000:k",
		"app1:12345678901:k",          // over ten digits
		"app1:99999999999999999999:k", // overflows int64
	} {
		if k, v, ok := s.Parse(sk); ok {
			t.Errorf("Parse(%q) = %q, %d, true; want false", sk, k, v)
		}
		if s.Owns(sk) {
			t.Errorf("Owns(%q) = true", sk)
		}
	}
	// Every key Parse accepts is one the scheme makes.
	for _, sk := range []string{"app1:1:k", "app1:0:k", "app1:-1:k", "app1:2147483647:k"} {
		k, v, ok := s.Parse(sk)
		if !ok || s.KeyVersion(k, v) != sk {
			t.Errorf("Parse(%q) = %q, %d, %v; does not invert KeyVersion", sk, k, v, ok)
		}
	}

	secure := newScheme(t, "app1:secure")
	for _, sk := range []string{"app1:1:k", "app1:secure1:1:k", "app1:secure:x:1:k"} {
		if secure.Owns(sk) {
			t.Errorf("prefix app1:secure: Owns(%q) = true", sk)
		}
	}
}

// suffixKeyFunc is a custom key function: "prefix:key@version".
func suffixKeyFunc(key, prefix string, version int) string {
	return prefix + ":" + key + "@" + strconv.Itoa(version)
}

func suffixReverseKeyFunc(storageKey, prefix string) (string, int, bool) {
	rest, ok := strings.CutPrefix(storageKey, prefix+":")
	if !ok {
		return "", 0, false
	}
	i := strings.LastIndexByte(rest, '@')
	if i < 0 {
		return "", 0, false
	}
	v, err := strconv.Atoi(rest[i+1:])
	if err != nil || strconv.Itoa(v) != rest[i+1:] {
		return "", 0, false
	}
	return rest[:i], v, true
}

func TestKeySchemeCustomKeyFunc(t *testing.T) {
	s := newScheme(t, "app1", codec.WithKeyFunc(suffixKeyFunc, suffixReverseKeyFunc), codec.WithVersion(4))
	sk := s.Key("user:42")
	if sk != "app1:user:42@4" {
		t.Errorf("Key = %q, want app1:user:42@4", sk)
	}
	if k, v, ok := s.Parse(sk); !ok || k != "user:42" || v != 4 {
		t.Errorf("Parse(%q) = %q, %d, %v", sk, k, v, ok)
	}
	if s.Owns("app1:4:user:42") {
		t.Errorf("custom scheme owns a Django-style key")
	}
}

func TestNewKeySchemeErrors(t *testing.T) {
	django := codec.DjangoKeyFunc
	djangoRev := codec.DjangoReverseKeyFunc
	tests := []struct {
		name   string
		prefix string
		opts   []codec.KeySchemeOption
	}{
		{"nil key func", "app1", []codec.KeySchemeOption{codec.WithKeyFunc(nil, djangoRev)}},
		{"nil reverse", "app1", []codec.KeySchemeOption{codec.WithKeyFunc(django, nil)}},
		{"outside prefix", "app1", []codec.KeySchemeOption{codec.WithKeyFunc(
			func(key, _ string, _ int) string { return key },
			func(sk, _ string) (string, int, bool) { return sk, 1, true })}},
		{"prefix without separator", "app1", []codec.KeySchemeOption{codec.WithKeyFunc(
			func(key, prefix string, v int) string { return prefix + key },
			func(sk, prefix string) (string, int, bool) { return strings.TrimPrefix(sk, prefix), 1, true })}},
		{"reverse rejects", "app1", []codec.KeySchemeOption{codec.WithKeyFunc(django,
			func(string, string) (string, int, bool) { return "", 0, false })}},
		{"reverse wrong key", "app1", []codec.KeySchemeOption{codec.WithKeyFunc(django,
			func(sk, prefix string) (string, int, bool) { return sk, 1, true })}},
		{"reverse wrong version", "app1", []codec.KeySchemeOption{codec.WithKeyFunc(django,
			func(sk, prefix string) (string, int, bool) {
				k, _, ok := codec.DjangoReverseKeyFunc(sk, prefix)
				return k, 99, ok
			})}},
		{"version Django reverse cannot read", "app1", []codec.KeySchemeOption{codec.WithVersion(12345678901)}},
		{"failing option", "app1", []codec.KeySchemeOption{func(*codec.KeyScheme) error { return codec.ErrInvalidKeyScheme }}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := codec.NewKeyScheme(tt.prefix, tt.opts...)
			if s != nil || !errors.Is(err, codec.ErrInvalidKeyScheme) {
				t.Errorf("NewKeyScheme = %v, %v; want nil, ErrInvalidKeyScheme", s, err)
			}
		})
	}
}

func TestGlobEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"app1:secure", "app1:secure"},
		{"*", `\*`},
		{"?", `\?`},
		{"[", `\[`},
		{"]", `\]`},
		{`\`, `\\`},
		{"a*b?c[d]e\\f", `a\*b\?c\[d\]e\\f`},
		{`\*`, `\\\*`},
		{"[^a-z]", `\[^a-z\]`},
		{"ü*", `ü\*`},
	}
	for _, tt := range tests {
		if got := codec.GlobEscape(tt.in); got != tt.want {
			t.Errorf("GlobEscape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestKeySchemePattern(t *testing.T) {
	tests := []struct {
		prefix, want string
		owned        []string // keys the pattern must match
		others       []string // keys it must not match
	}{
		{"app1:secure", `app1:secure:*`, []string{"app1:secure:1:k", "app1:secure:"}, []string{"app1:secure", "app1:securex:1:k", "app1:1:k"}},
		{"a*b", `a\*b:*`, []string{"a*b:1:k"}, []string{"axb:1:k", "ab:1:k", "a**b:1:k"}},
		{"a?b", `a\?b:*`, []string{"a?b:1:k"}, []string{"axb:1:k"}},
		{"[ab]", `\[ab\]:*`, []string{"[ab]:1:k"}, []string{"a:1:k", "b:1:k"}},
		{`a\b`, `a\\b:*`, []string{`a\b:1:k`}, []string{"ab:1:k", `a\\b:1:k`}},
		{`*?[]\`, `\*\?\[\]\\:*`, []string{`*?[]\:1:k`}, []string{`x?[]\:1:k`, `*x[]\:1:k`}},
		{"", `:*`, []string{":1:k", "::x"}, []string{"k", "1:k", "other:1:k"}},
	}
	for _, tt := range tests {
		s := newScheme(t, tt.prefix)
		got := s.Pattern()
		if got != tt.want {
			t.Errorf("prefix %q: Pattern = %q, want %q", tt.prefix, got, tt.want)
		}
		// path.Match treats \ * ? [ ] as Redis glob does (for keys without '/').
		for _, k := range append(tt.owned, s.Key("x")) {
			if ok, err := path.Match(got, k); !ok || err != nil {
				t.Errorf("pattern %q does not match %q (%v)", got, k, err)
			}
		}
		for _, k := range tt.others {
			if ok, _ := path.Match(got, k); ok {
				t.Errorf("pattern %q matches %q", got, k)
			}
		}
	}
}

// The empty prefix is Django's default KEY_PREFIX: its scheme owns exactly
// ":version:key", never a bare key or a key of another prefix.
func TestKeySchemeEmptyPrefix(t *testing.T) {
	s := newScheme(t, "", codec.WithVersion(3))
	if got := s.Key("user:42"); got != ":3:user:42" {
		t.Errorf("Key = %q, want :3:user:42", got)
	}
	for _, k := range []string{":1:k", ":3:user:42", ":12:", ":1::", ":1:django.contrib.sessions.cacheabc"} {
		if !s.Owns(k) {
			t.Errorf("Owns(%q) = false", k)
		}
	}
	for _, k := range []string{"foo", ":x:foo", "other:1:foo", "::1:foo", ":01:k", ":+1:k", ":1", ":", "", "1:k", ":gocache_tag:t", " :1:k"} {
		if s.Owns(k) {
			t.Errorf("Owns(%q) = true", k)
		}
	}
	if k, v, ok := s.Parse(":7:a:b"); !ok || k != "a:b" || v != 7 {
		t.Errorf("Parse = %q, %d, %v", k, v, ok)
	}
	if s.Pattern() != ":*" {
		t.Errorf("Pattern = %q", s.Pattern())
	}
}
