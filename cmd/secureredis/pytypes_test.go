package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/pyfernet"
	"github.com/secureredis/secureredis/internal/redistest"
)

// namedtuplePickle is Python's pickle (protocol 5) of
// collections.namedtuple("Point", "x y")(1, 2) defined in __main__.
const namedtuplePickle = "\x80\x05\x95\x15\x00\x00\x00\x00\x00\x00\x00\x8c\x08__main__\x94\x8c\x05Point\x94\x93\x94K\x01K\x02\x86\x94\x81\x94."

// TestGetUnsupportedType: get names the key and the Python type of an entry
// that decrypts but holds a type Go does not read (exit status 1), and audit
// counts it as unsupported-type, not undecryptable.
func TestGetUnsupportedType(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	cfg := fmt.Sprintf(`{"DJANGO_REDIS_SECURE_CACHE_NAME": "default", "CACHES": {"default": {
  "BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://%s/0", "KEY_PREFIX": "app1:secure",
  "OPTIONS": {"REDIS_SECRET_KEY": %q, "SERIALIZER": "secure_redis.serializer.pickle.PickleSerializer"}}}}`, srv.Addr, cliKey)
	path := filepath.Join(t.TempDir(), "settings.json")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	tok := pyfernet.Encrypt(t, cliKey, []byte(namedtuplePickle))
	if err := client.Set(t.Context(), "app1:secure:1:point", tok, 0).Err(); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runCLI(t, "-c", path, "get", "point")
	want := `point in alias default decrypts but holds an unsupported Python type "__main__"."Point"`
	if code != 4 || out != "" || !strings.Contains(stderr, want) {
		t.Errorf("get point: exit %d, stdout %q, stderr %q; want exit 1 and %s", code, out, stderr, want)
	}
	out, stderr, _ = runCLI(t, "-c", path, "audit")
	if !strings.Contains(out+stderr, `unsupported-type 1 ("__main__"."Point": 1)`) || !strings.Contains(out+stderr, "undecryptable 0") {
		t.Errorf("audit:\n%s%s", out, stderr)
	}
	noSecrets(t, out, stderr)
}

// TestJSONPythonTypes: get prints the Python types Django apps cache
// readably.
func TestJSONPythonTypes(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{codec.UUID{15: 1}, `"00000000-0000-0000-0000-000000000001"`},
		{codec.Time{Hour: 8, Minute: 5, Microsecond: 7}, `"08:05:00.000007"`},
		{codec.ByteArray("ab"), `{"$bytes":"YWI="}`},
		{codec.OrderedDict{{Key: "b", Value: int64(1)}, {Key: "a", Value: codec.ByteArray("x")}}, `{"a":{"$bytes":"eA=="},"b":1}`},
		{codec.Dict{{Key: codec.Tuple{int64(1), "a"}, Value: "x"}}, `{"[1 a]":"x"}`},
		{map[any]any{codec.UUID{}: true}, `{"00000000-0000-0000-0000-000000000000":true}`},
	} {
		b, err := marshalJSON(c.v)
		if err != nil || string(b) != c.want {
			t.Errorf("marshalJSON(%#v) = %s, %v; want %s", c.v, b, err, c.want)
		}
	}
}
