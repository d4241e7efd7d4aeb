package codec_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/testkit"
)

// A public test name secret: never use it for data.
const testNameSecret = "bmFtZS1zZWNyZXQtZm9yLXRlc3RzLW9ubHktMzItYnl0ZXMh"

func hashedScheme(t testing.TB, prefix string, secrets ...string) *codec.KeyScheme {
	t.Helper()
	if len(secrets) == 0 {
		secrets = []string{testNameSecret}
	}
	ring, err := codec.NewNameRing(secrets...)
	if err != nil {
		t.Fatal(err)
	}
	s, err := codec.NewKeyScheme(prefix, codec.WithHashedNames(ring))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestHashedNamesGolden pins the names: a change renames every entry of
// every deployment, so it must be deliberate (and versioned). The vectors
// were computed independently with Python's hmac, hashlib and
// cryptography's HKDF from the documented construction.
func TestHashedNamesGolden(t *testing.T) {
	s := hashedScheme(t, "app1:secure")
	ring, err := codec.NewKeyRing(testkit.Key)
	if err != nil {
		t.Fatal(err)
	}
	nr, err := codec.DeriveNameRing(ring)
	if err != nil {
		t.Fatal(err)
	}
	derived, err := codec.NewKeyScheme("app1:secure", codec.WithHashedNames(nr), codec.WithVersion(2))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ got, want string }{
		{s.Key("user:42"), "app1:secure:1:jzONSnqnDw7GDAg7YdVKfA"},
		{s.KeyVersion("user:42", 2), "app1:secure:2:SjDxQoP74H2Fe6bNCSePcw"},
		{s.Key("cart:{u1}:items"), "app1:secure:1:{MaZspeaEro-a7eDG}m0zAXwPVvmIoQyGZVX7VRQ"},
		{s.Key(""), "app1:secure:1:rfE0KVgDauxCXpShO4h2iQ"},
		{derived.Key("user:42"), "app1:secure:2:bKukGT61Lm6xqSDTAvU1JQ"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestHashedNamesScheme(t *testing.T) {
	s := hashedScheme(t, "p")
	other := hashedScheme(t, "p", "b3RoZXItbmFtZS1zZWNyZXQtZm9yLXRlc3RzLW9ubHktMzI=")
	two := hashedScheme(t, "p", "b3RoZXItbmFtZS1zZWNyZXQtZm9yLXRlc3RzLW9ubHktMzI=", testNameSecret)
	for _, k := range []string{"user:42", "", "a{b}c", "{}", "x}{y}", strings.Repeat("k", 1000)} {
		n := s.Key(k)
		if !s.Owns(n) || strings.Contains(n[2:], k) && k != "" {
			t.Errorf("%q: name %q", k, n)
		}
		if _, _, ok := s.Parse(n); ok {
			t.Errorf("%q: Parse of a hashed name succeeds", k)
		}
		if n == other.Key(k) {
			t.Errorf("%q: same name under two secrets", k)
		}
		if two.KeyAt(k, 1, 1) != n || two.Key(k) != other.Key(k) {
			t.Errorf("%q: KeyAt disagrees with the single-secret schemes", k)
		}
		b := s.BindingKey(n, k)
		if b != "p:1:"+k {
			t.Errorf("%q: binding key %q", k, b)
		}
		if key, v, i, ok := two.CheckName(n, b); !ok || key != k || v != 1 || i != 1 {
			t.Errorf("%q: CheckName = %q %d %d %v", k, key, v, i, ok)
		}
		if _, _, _, ok := s.CheckName(s.Key(k+"x"), b); ok {
			t.Errorf("%q: CheckName accepts another key's name", k)
		}
	}
	for _, bad := range []string{"p:1:user:42", "p:gocache_tag:x", "p:lock:x", "p:01:" + strings.Repeat("A", 22), "p:1:" + strings.Repeat("A", 21), "p:1:" + strings.Repeat("*", 22), "q:1:" + strings.Repeat("A", 22)} {
		if s.Owns(bad) {
			t.Errorf("Owns(%q)", bad)
		}
	}
	// Hash tags: one tag, one slot; a tag in the prefix stays.
	tagOf := func(n string) string {
		i := strings.IndexByte(n, '{')
		j := strings.IndexByte(n[i+1:], '}')
		return n[i+1 : i+1+j]
	}
	if tagOf(s.Key("a:{u1}:x")) != tagOf(s.Key("b:{u1}:y")) || tagOf(s.Key("a:{u1}")) == tagOf(s.Key("a:{u2}")) {
		t.Error("hash tags do not pin slots")
	}
	pt := hashedScheme(t, "{tenant}")
	if n := pt.Key("a:{u1}:x"); !strings.HasPrefix(n, "{tenant}:1:") || strings.Count(n, "{") != 1 {
		t.Errorf("prefix tag: %q", n)
	}
	if _, err := codec.NewKeyScheme("p", codec.WithHashedNames(nil)); !errors.Is(err, codec.ErrInvalidKeyScheme) {
		t.Errorf("nil ring: %v", err)
	}
}

func TestNameRing(t *testing.T) {
	for _, bad := range []string{"", "!!!", "c2hvcnQ="} {
		var ke *codec.KeyError
		if _, err := codec.NewNameRing(bad); !errors.As(err, &ke) || ke.Index != 0 {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := codec.NewNameRing(); !errors.Is(err, codec.ErrInvalidKey) {
		t.Errorf("no secret: %v", err)
	}
	sec, err := codec.GenerateNameSecret()
	if err != nil {
		t.Fatal(err)
	}
	r, err := codec.NewNameRing(sec, testNameSecret)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		out := fmt.Sprintf(f, r)
		if strings.Contains(out, sec) || strings.Contains(out, testNameSecret) || !strings.Contains(out, "redacted") {
			t.Errorf("%s prints %q", f, out)
		}
	}
}

// TestBoundKey: the key a token is bound to comes back; anything else is
// ErrInvalidToken.
func TestBoundKey(t *testing.T) {
	c := testkit.Codec(t)
	tok, err := c.Encode("p:1:user:42", "v")
	if err != nil {
		t.Fatal(err)
	}
	if k, err := c.BoundKey(tok); err != nil || k != "p:1:user:42" {
		t.Fatalf("BoundKey = %q, %v", k, err)
	}
	for i := range tok {
		bad := append([]byte(nil), tok...)
		bad[i] ^= 1
		if _, err := c.BoundKey(bad); err != nil && !errors.Is(err, codec.ErrInvalidToken) {
			t.Fatalf("byte %d: %v", i, err)
		}
	}
	if _, err := testkit.Codec(t, testkit.OtherKey).BoundKey(tok); !errors.Is(err, codec.ErrInvalidToken) {
		t.Fatalf("other key: %v", err)
	}
	ring, _ := codec.NewKeyRing(testkit.Key)
	ctxc, err := codec.New(ring, codec.WithBindingContext("prod"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ctxc.BoundKey(tok); !errors.Is(err, codec.ErrInvalidToken) {
		t.Fatalf("other context: %v", err)
	}
}

// FuzzCheckName: CheckName and Owns never panic and accept only what the
// scheme makes.
func FuzzCheckName(f *testing.F) {
	f.Add("p:1:jzONSnqnDw7GDAg7YdVKfA", "p:1:user:42")
	f.Add("p:1:{MaZspeaEro-a7eDG}m0zAXwPVvmIoQyGZVX7VRQ", "p:1:cart:{u1}:items")
	f.Add("p:99999999999:x", "p:")
	f.Fuzz(func(t *testing.T, name, bound string) {
		s := hashedScheme(t, "p")
		k, v, _, ok := s.CheckName(name, bound)
		if ok && s.KeyVersion(k, v) != name {
			t.Fatalf("CheckName(%q, %q) accepts a name the scheme does not make", name, bound)
		}
		_ = s.Owns(name)
	})
}

// KeyBinding is Key and BindingKey in one step, with clear and hashed names,
// with and without a cluster hash tag.
func TestKeyBinding(t *testing.T) {
	clear, err := codec.NewKeyScheme("app", codec.WithVersion(3))
	if err != nil {
		t.Fatal(err)
	}
	for _, ks := range []*codec.KeyScheme{clear, hashedScheme(t, "app")} {
		for _, k := range []string{"user:1", "{tenant}:x", "", "ünï:\x00"} {
			sk, bound := ks.KeyBinding(k)
			if want := ks.Key(k); sk != want {
				t.Errorf("hashed=%v KeyBinding(%q) storage key %q, want Key's %q", ks.Hashed(), k, sk, want)
			}
			if want := ks.BindingKey(sk, k); bound != want {
				t.Errorf("hashed=%v KeyBinding(%q) binding %q, want BindingKey's %q", ks.Hashed(), k, bound, want)
			}
		}
	}
}

// A key function of one's own (WithKeyFunc) builds the clear key as a
// string before the MAC; Django's is built in the MAC's buffer, from the
// precomputed "prefix:version:" at the default version. Both give one name
// for one clear key, and the same binding, at the default version and at
// others, with clear names and hashed ones.
func TestHashedNamesKeyFunc(t *testing.T) {
	ring, err := codec.NewNameRing(testNameSecret)
	if err != nil {
		t.Fatal(err)
	}
	ownFunc := codec.WithKeyFunc(func(key, prefix string, version int) string { return codec.DjangoKeyFunc(key, prefix, version) }, codec.DjangoReverseKeyFunc)
	for _, prefix := range []string{"app1:secure", ""} {
		for _, hashed := range []codec.KeySchemeOption{nil, codec.WithHashedNames(ring)} {
			for _, version := range []int{1, 3, 12} {
				own, err := codec.NewKeyScheme(prefix, hashed, ownFunc, codec.WithVersion(version))
				if err != nil {
					t.Fatal(err)
				}
				django, err := codec.NewKeyScheme(prefix, hashed, codec.WithVersion(version))
				if err != nil {
					t.Fatal(err)
				}
				for _, k := range []string{"user:42", "cart:{u1}:items", "", strings.Repeat("k", 5000)} {
					osk, ob := own.KeyBinding(k)
					dsk, db := django.KeyBinding(k)
					if osk != dsk || ob != db || own.KeyAt(k, 2, 0) != django.KeyAt(k, 2, 0) || own.KeyVersion(k, 12) != django.KeyVersion(k, 12) {
						t.Errorf("prefix %q, hashed %v, version %d, %.20q: own key function %q %q, Django's %q %q",
							prefix, django.Hashed(), version, k, osk, ob, dsk, db)
					}
					if want := codec.DjangoKeyFunc(k, prefix, version); db != want || django.BindingKeyVersion(k, version) != want {
						t.Errorf("prefix %q, hashed %v, version %d, %.20q: bound to %q, want %q", prefix, django.Hashed(), version, k, db, want)
					}
				}
			}
		}
	}
	own, err := codec.NewKeyScheme("app1:secure", codec.WithHashedNames(ring), ownFunc)
	if err != nil {
		t.Fatal(err)
	}
	if sk := own.Key("user:42"); sk != "app1:secure:1:jzONSnqnDw7GDAg7YdVKfA" {
		t.Errorf("own key function: %q, not the golden name", sk)
	}
}
