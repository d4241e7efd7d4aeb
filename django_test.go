package secureredis_test

// Interoperability with real Django: testdata/django/djangoctl.py drives
// Django's cache API (Debian's python3-django, python3-django-redis,
// python3-redis, python3-cryptography, plus python3-lz4 and
// python3-zstandard for the compressors) against a throwaway redis-server,
// through testdata/django/settings.py: the original README's CACHES with a
// django-redis-secure serializer equivalent (testdata/django/secure_redis).
// The Go side opens testdata/config/django_settings.json, the same CACHES as
// JSON. A missing Python package fails the tests; they never skip.

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis"
	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/django"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/recovery"
	"github.com/secureredis/secureredis/store"
)

const (
	djangoPython = "/usr/bin/python3"                             // Debian's, where apt puts Django
	djangoKey    = "kPEDO_pSrPh3qGJVfGAflLZXKAh4AuHU64tTlP-f_PY=" // the original README's sample key: test data
	otherKey     = "IAAgASACIAMgBCAFIAYgByAIIAkgCiALIAwgDSAOIA8="
)

// djangoValues is djangoctl.py's VALUES as Go reads them.
var djangoValues = map[string]any{
	"str":             "héllo wörld ✓",
	"str_1k":          strings.Repeat("x", 1024),
	"bytes":           []byte("\x00\x01\xffbin"),
	"int":             int64(42),
	"int_neg":         int64(-7),
	"int_big":         new(big.Int).Lsh(big.NewInt(1), 100),
	"float":           3.25,
	"bool_true":       true,
	"bool_false":      false,
	"none":            nil,
	"list":            []any{int64(1), "two", []any{3.0, nil}},
	"tuple":           codec.Tuple{int64(1), "a"},
	"dict":            map[string]any{"a": int64(1), "nested": map[string]any{"b": []any{int64(1), int64(2)}, "c": nil}},
	"dict_int_keys":   map[any]any{int64(1): "one", int64(2): "two"},
	"set":             codec.Set{int64(1), int64(2), int64(3)},
	"frozenset":       codec.FrozenSet{"a"},
	"datetime_naive":  codec.NaiveDateTime{Time: time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)},
	"datetime_utc":    time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC),
	"datetime_pytz":   time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC),
	"datetime_offset": time.Date(2024, 5, 6, 7, 8, 9, 0, time.FixedZone("", 7200)),
	"date":            codec.Date{Year: 2024, Month: 2, Day: 29},
	"decimal":         codec.Decimal("12345.678900"),
	"timedelta":       24*time.Hour + 5*time.Second + 7*time.Microsecond,
}

var djangoCmp = cmp.Options{
	cmp.Comparer(func(a, b *big.Int) bool { return a.Cmp(b) == 0 }),
	cmp.Comparer(func(a, b time.Time) bool {
		_, oa := a.Zone()
		_, ob := b.Zone()
		return a.Equal(b) && oa == ob
	}),
}

// djangoEnv is a redis-server, the Django settings pointed at it, and the
// Go aliases loaded from testdata/config/django_settings.json.
type djangoEnv struct {
	srv    *redistest.Server
	key    string
	comp   string // DJANGO_COMPRESSOR
	caches *secureredis.Caches
	client *redis.Client // database 1, where both aliases live
}

func newDjangoEnv(t testing.TB, compressor, goCompressor string) *djangoEnv {
	t.Helper()
	checkDjango(t)
	srv := redistest.Start(t)
	e := &djangoEnv{srv: srv, key: djangoKey, comp: compressor, client: srv.Client(t, 1)}
	e.caches = e.open(t, djangoKey, goCompressor)
	return e
}

// checkDjango fails the test unless Django and django-redis import, and,
// where SECUREREDIS_DJANGO_VERSION is set (scripts/test's second interop run,
// with Django 4.2 LTS first on PYTHONPATH), unless the Django that imports is
// that version: the second run must not silently test the first one again.
func checkDjango(t testing.TB) {
	t.Helper()
	out, err := exec.Command(djangoPython, "-c", "import django, django_redis, redis, cryptography, pytz, lz4.frame, zstandard; print(django.get_version())").CombinedOutput()
	if err != nil {
		t.Fatalf("Django interop tests need %s with Django and django-redis "+
			"(apt-get install python3-django python3-django-redis python3-redis python3-cryptography python3-lz4 python3-zstandard): %v\n%s",
			djangoPython, err, out)
	}
	got := strings.TrimSpace(string(out))
	if want := os.Getenv("SECUREREDIS_DJANGO_VERSION"); want != "" && got != want && !strings.HasPrefix(got, want+".") {
		t.Fatalf("Django %s imports, SECUREREDIS_DJANGO_VERSION wants %s (check PYTHONPATH)", got, want)
	}
}

// TestDjangoVersion names the Django the interop tests run against.
func TestDjangoVersion(t *testing.T) {
	checkDjango(t)
	out, err := exec.Command(djangoPython, "-c", "import django, django_redis; print(django.get_version(), '.'.join(map(str, django_redis.VERSION)))").Output()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Django and django-redis: %s", strings.TrimSpace(string(out)))
}

// open loads the Django CACHES JSON with the test server as LOCATION.
func (e *djangoEnv) open(t testing.TB, key, compressor string) *secureredis.Caches {
	t.Helper()
	cfg, err := secureredis.LoadConfig(filepath.Join("testdata", "config", "django_settings.json"),
		secureredis.WithLookupEnv(func(name string) (string, bool) { return key, name == "REDIS_SECRET_KEY" }))
	if err != nil {
		t.Fatal(err)
	}
	for name, cc := range cfg.Caches {
		if cc.Backend == secureredis.BackendRedis {
			cc.Location = secureredis.Locations{"redis://" + e.srv.Addr}
			cc.Options.Compressor = compressor
			cfg.Caches[name] = cc
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), testkit.Patience)
	defer cancel()
	c, err := secureredis.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func (e *djangoEnv) store(t testing.TB, alias string) *store.EncryptingStore {
	t.Helper()
	s, err := e.caches.Store(alias)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// django runs djangoctl.py and decodes its JSON output into out.
func (e *djangoEnv) django(t testing.TB, out any, args ...string) {
	t.Helper()
	cmd := exec.Command(djangoPython, append([]string{filepath.Join("testdata", "django", "djangoctl.py")}, args...)...)
	cmd.Env = append(cmd.Environ(), "PYTHONDONTWRITEBYTECODE=1", "REDIS_URL=redis://"+e.srv.Addr+"/1", "REDIS_SECRET_KEY="+e.key, "DJANGO_COMPRESSOR="+e.comp)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("djangoctl %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("djangoctl %s: %v: %s", strings.Join(args, " "), err, b)
	}
}

type pyCheck struct {
	OK      bool   `json:"ok"`
	Missing bool   `json:"missing"`
	Type    string `json:"type"`
	Repr    string `json:"repr"`
	TTL     *int   `json:"ttl"`
	WantTTL *int   `json:"want_ttl"`
}

// ttlText prints a TTL django-redis reported: seconds, or None.
func ttlText(ttl *int) string {
	if ttl == nil {
		return "None"
	}
	return (time.Duration(*ttl) * time.Second).String()
}

func sortedNames(m map[string]any) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func TestDjangoWritesGoReads(t *testing.T) {
	e := newDjangoEnv(t, "", "")
	var out map[string]any
	e.django(t, &out, "write", "default", "t:")
	s := e.store(t, "default")
	for _, name := range sortedNames(djangoValues) {
		got, err := s.Get(t.Context(), "t:"+name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if d := cmp.Diff(djangoValues[name], got, djangoCmp); d != "" {
			t.Errorf("%s (-want +got):\n%s", name, d)
		}
	}
	// django-redis stores ints in clear even in the secure alias.
	if raw, _ := e.client.Get(t.Context(), "app1:secure:1:t:int").Result(); raw != "42" {
		t.Errorf("Django stored int 42 as %q, want the plaintext the Go side must read", raw)
	}

	// A Django login session, read by Go.
	var sess struct{ Key string }
	created := testkit.StartStopwatch()
	e.django(t, &sess, "session-create")
	secure, _ := e.caches.Store("default")
	sessions, err := django.NewSessions(secure)
	if err != nil {
		t.Fatal(err)
	}
	data, err := sessions.Load(t.Context(), sess.Key)
	if err != nil {
		t.Fatal(err)
	}
	if uid, ok := django.UserID(data); !ok || uid != "42" {
		t.Errorf("UserID = %q, %v; want 42", uid, ok)
	}
	if d := cmp.Diff([]any{int64(1), int64(2), int64(3)}, data["cart"]); d != "" {
		t.Errorf("cart: %s", d)
	}
	if ttl := e.client.TTL(t.Context(), "app1:secure:1:"+django.SessionKeyPrefix+sess.Key).Val(); !created.Remains(ttl, django.DefaultCookieAge) {
		t.Errorf("Django's session TTL = %v", ttl)
	}
	// Go changes it; Django sees the change.
	data["_auth_user_id"] = "43"
	if err := sessions.Save(t.Context(), sess.Key, data); err != nil {
		t.Fatal(err)
	}
	var read struct {
		Exists bool
		Data   map[string]string
		TTL    int
	}
	e.django(t, &read, "session-read", sess.Key)
	if !read.Exists || read.Data["_auth_user_id"] != "'43'" || read.Data["cart"] != "[1, 2, 3]" {
		t.Errorf("Django read the changed session as %+v", read)
	}
}

func TestGoWritesDjangoReads(t *testing.T) {
	e := newDjangoEnv(t, "", "")
	ctx := t.Context()
	secure, err := e.caches.Secure()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	written := testkit.StartStopwatch()
	for _, name := range sortedNames(djangoValues) {
		v := djangoValues[name]
		switch name {
		case "datetime_pytz":
			continue // Go writes datetime.timezone.utc: checked as "datetime_utc"
		case "none": // the store refuses nil (a miss could not be told apart); the codec writes None
			tok, err := secure.Codec().Encode(secure.Keys().Key("g:none"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.client.Set(ctx, secure.Keys().Key("g:none"), tok, 24*time.Hour).Err(); err != nil {
				t.Fatal(err)
			}
		default:
			if err := secure.Set(ctx, "g:"+name, v); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		names = append(names, name)
	}
	var got map[string]pyCheck
	e.django(t, &got, append([]string{"check", "default", "g:"}, names...)...)
	for _, name := range names {
		r := got[name]
		if !r.OK {
			t.Errorf("%s: Django read %s %s", name, r.Type, r.Repr)
		}
		if r.TTL == nil || !written.Remains(time.Duration(*r.TTL)*time.Second, 86400*time.Second) {
			t.Errorf("%s: TTL %s, want the alias TIMEOUT 24h0m0s less at most %v", name, ttlText(r.TTL), written.Elapsed())
		}
	}
	// The int is encrypted, not in clear as Django would have written it.
	if raw, _ := e.client.Get(ctx, "app1:secure:1:g:int").Result(); raw == "42" || !strings.HasPrefix(raw, "gAAAAA") {
		t.Errorf("Go stored the int as %q", raw)
	}
	// TTLs: explicit and persistent.
	written = testkit.StartStopwatch()
	if err := secure.Set(ctx, "g:str", "short", gocachestore.WithExpiration(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	var short map[string]pyCheck
	e.django(t, &short, "check", "default", "g:", "str")
	if r := short["str"]; r.TTL == nil || !written.Remains(time.Duration(*r.TTL)*time.Second, 10*time.Minute) {
		t.Errorf("10-minute entry: Django TTL %s, want 10m0s less at most %v", ttlText(r.TTL), written.Elapsed())
	}
	if err := secure.Set(ctx, "g:str", djangoValues["str"], gocachestore.WithExpiration(0)); err != nil {
		t.Fatal(err)
	}
	e.django(t, &short, "check", "default", "g:", "str")
	if r := short["str"]; !r.OK || r.TTL != nil {
		t.Errorf("persistent entry: Django read ok=%v TTL %s, want no TTL (None)", r.OK, ttlText(r.TTL))
	}

	// A session created by Go, read by Django.
	sessions, err := django.NewSessions(secure)
	if err != nil {
		t.Fatal(err)
	}
	created := testkit.StartStopwatch()
	key, err := sessions.Create(ctx, map[string]any{"_auth_user_id": "7", "theme": "dark"})
	if err != nil {
		t.Fatal(err)
	}
	var read struct {
		Exists bool
		Data   map[string]string
		TTL    int
	}
	e.django(t, &read, "session-read", key)
	if !read.Exists || read.Data["_auth_user_id"] != "'7'" || read.Data["theme"] != "'dark'" {
		t.Errorf("Django read Go's session as %+v", read)
	}
	if want := int(django.DefaultCookieAge / time.Second); !created.Remains(time.Duration(read.TTL)*time.Second, django.DefaultCookieAge) {
		t.Errorf("session TTL %d, want SESSION_COOKIE_AGE %d", read.TTL, want)
	}
	if err := sessions.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := sessions.Load(ctx, key); !errors.Is(err, django.ErrNoSession) {
		t.Errorf("deleted session: %v", err)
	}
}

// TestDjangoRecovery: Django writes plaintext into the insecure alias; the
// Go recovery, configured by the Django CACHES JSON, migrates it; Django
// reads every entry from app1:secure with its TTL and version.
func TestDjangoRecovery(t *testing.T) {
	e := newDjangoEnv(t, "", "")
	ctx := t.Context()
	var out map[string]any
	written := testkit.StartStopwatch()
	e.django(t, &out, "write-recovery")
	if raw, _ := e.client.Get(ctx, "app1:1:m:str").Result(); !strings.HasPrefix(raw, "\x80") {
		t.Fatalf("the insecure alias holds %q, want a plaintext pickle", raw)
	}
	old, dr, err := e.caches.RecoverySource("default")
	if err != nil {
		t.Fatal(err)
	}
	if dr.OldCacheName != "insecure" || dr.OldKeyPrefix != "app1" {
		t.Fatalf("data recovery = %+v", dr)
	}
	secure, err := e.caches.Secure()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := recovery.Migrate(ctx, old, secure)
	if err != nil {
		t.Fatal(err)
	}
	want := len(djangoValues) + 3 // every type, None included, and three more
	if rep.Migrated != want || rep.Failed != 0 {
		t.Fatalf("migrate: %v (failures %v), want %d migrated", rep, rep.Failures, want)
	}
	var got map[string]pyCheck
	e.django(t, &got, "check-recovery")
	if len(got) != want {
		t.Fatalf("Django checked %d entries, want %d", len(got), want)
	}
	for key, r := range got {
		switch {
		case !r.OK:
			t.Errorf("%s: Django read %s %s", key, r.Type, r.Repr)
		case r.WantTTL == nil && r.TTL != nil:
			t.Errorf("%s: TTL %d, want none", key, *r.TTL)
		case r.WantTTL != nil && (r.TTL == nil || !written.Remains(time.Duration(*r.TTL)*time.Second, time.Duration(*r.WantTTL)*time.Second)):
			t.Errorf("%s: TTL %s, want %v less at most %v", key, ttlText(r.TTL), time.Duration(*r.WantTTL)*time.Second, written.Elapsed())
		}
	}
	// Audit: everything is encrypted, except what django-redis keeps in clear.
	a, err := recovery.Audit(ctx, secure)
	if err != nil {
		t.Fatal(err)
	}
	if a.PlaintextInt != 0 || a.Plaintext != 0 || a.Current != want {
		t.Errorf("audit after migration: %v", a)
	}
	e.django(t, &out, "write", "default", "t:")
	a, err = recovery.Audit(ctx, secure)
	if err != nil {
		t.Fatal(err)
	}
	if a.PlaintextInt != 3 || a.Clean() { // int, int_neg, int_big
		t.Errorf("audit with Django's ints: %v, want 3 plaintext-int", a)
	}
	rot, err := recovery.Rotate(ctx, secure)
	if err != nil || rot.PlaintextInts != 3 || rot.IntsEncrypted != 0 {
		t.Errorf("rotate leaves the plaintext ints: %v, %v", rot, err)
	}
	rot, err = recovery.Rotate(ctx, secure, recovery.WithEncryptPlaintextInts())
	if err != nil || rot.IntsEncrypted != 3 {
		t.Errorf("rotate encrypts the plaintext ints on request: %v, %v", rot, err)
	}
	var ints map[string]pyCheck
	e.django(t, &ints, "check", "default", "t:", "int", "int_neg", "int_big")
	for name, r := range ints {
		if !r.OK {
			t.Errorf("%s after rotation: Django read %s %s", name, r.Type, r.Repr)
		}
	}
}

func TestDjangoSecureAliasRejects(t *testing.T) {
	e := newDjangoEnv(t, "", "")
	ctx := t.Context()
	var out map[string]any
	e.django(t, &out, "write", "default", "t:")
	// Wrong key.
	wrong := e.open(t, otherKey, "")
	s, _ := wrong.Secure()
	if _, err := s.Get(ctx, "t:str"); !isInvalidToken(err) {
		t.Errorf("wrong key: %v", err)
	}
	good, _ := e.caches.Secure()
	// Tampered token.
	sk := good.Keys().Key("t:dict")
	tok, err := e.client.Get(ctx, sk).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	tok[len(tok)/2] ^= 0x01
	e.client.Set(ctx, sk, tok, 0)
	if _, err := good.Get(ctx, "t:dict"); !isInvalidToken(err) {
		t.Errorf("tampered token: %v", err)
	}
	// A plaintext pickle, as Django's insecure alias writes it, planted in
	// the secure alias: refused before any unpickling.
	var p struct{ Hex string }
	e.django(t, &p, "pickle", "dict")
	raw, _ := hex.DecodeString(p.Hex)
	e.client.Set(ctx, good.Keys().Key("t:planted"), raw, 0)
	if _, err := good.Get(ctx, "t:planted"); !isInvalidToken(err) {
		t.Errorf("planted plaintext pickle: %v", err)
	}
	if good.DecryptFailures() != 2 {
		t.Errorf("DecryptFailures = %d, want 2", good.DecryptFailures())
	}
}

// TestDjangoCompressors: with the same COMPRESSOR on both sides, each way.
func TestDjangoCompressors(t *testing.T) {
	for _, c := range []struct{ name, django string }{
		{"zlib", "django_redis.compressors.zlib.ZlibCompressor"},
		{"gzip", "secure_redis.compressors.GzipCompressor"},
		{"lzma", "django_redis.compressors.lzma.LzmaCompressor"},
		{"lz4", "django_redis.compressors.lz4.Lz4Compressor"},
		{"zstd", "secure_redis.compressors.ZStdCompressor"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newDjangoEnv(t, c.django, c.name)
			var out map[string]any
			e.django(t, &out, "write", "default", "c:")
			s := e.store(t, "default")
			for _, name := range []string{"str_1k", "dict", "set", "decimal"} {
				got, err := s.Get(t.Context(), "c:"+name)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if d := cmp.Diff(djangoValues[name], got, djangoCmp); d != "" {
					t.Errorf("%s: %s", name, d)
				}
				if err := s.Set(t.Context(), "g:"+name, djangoValues[name]); err != nil {
					t.Fatal(err)
				}
			}
			if raw, _ := e.client.Get(t.Context(), "app1:secure:1:g:str_1k").Result(); strings.HasPrefix(raw, "gAAAAA") {
				t.Error("Go did not compress")
			}
			var got map[string]pyCheck
			e.django(t, &got, "check", "default", "g:", "str_1k", "dict", "set", "decimal")
			for name, r := range got {
				if !r.OK {
					t.Errorf("%s: Django read %s %s", name, r.Type, r.Repr)
				}
			}
			// The plaintext alias compresses the pickle itself; Go reads it.
			e.django(t, &out, "write-recovery")
			old, _, err := e.caches.RecoverySource("default")
			if err != nil {
				t.Fatal(err)
			}
			if v, err := old.Get(t.Context(), "m:str_1k"); err != nil || v != djangoValues["str_1k"] {
				t.Errorf("insecure alias, compressed: %v", err)
			}
		})
	}
}

func isInvalidToken(err error) bool {
	var nf *gocachestore.NotFound
	return errors.As(err, &nf) && errors.Is(err, codec.ErrInvalidToken)
}
