package secureredis_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/recovery"
)

// defaultsProject drives testdata/django/defaultsctl.py: a stock Django
// project (settings_defaults.py) on a throwaway redis-server.
type defaultsProject struct {
	srv        *redistest.Server
	serializer string // DJANGO_SERIALIZER: "", json or msgpack
}

func (d *defaultsProject) run(t *testing.T, phase string, out any, args ...string) {
	t.Helper()
	cmd := exec.Command(djangoPython, append([]string{filepath.Join("testdata", "django", "defaultsctl.py")}, args...)...)
	cmd.Env = append(cmd.Environ(), "PYTHONDONTWRITEBYTECODE=1", "REDIS_URL=redis://"+d.srv.Addr+"/0",
		"REDIS_SECRET_KEY="+djangoKey, "PHASE="+phase, "DJANGO_SERIALIZER="+d.serializer)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("defaultsctl %s (%s): %v\n%s", strings.Join(args, " "), phase, err, stderr.String())
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("defaultsctl %s: %v: %s", strings.Join(args, " "), err, b)
	}
}

type djangoLook struct {
	Missing bool   `json:"missing"`
	Type    string `json:"type"`
	Repr    string `json:"repr"`
	TTL     *int   `json:"ttl"`
}

// A stock Django project (empty KEY_PREFIX, a django-redis alias without
// OPTIONS or with django-redis's JSON or msgpack SERIALIZER, sessions in
// the cache) writes every value its serializer stores and logs a user in;
// the project then adopts django-redis-secure, Go loads its CACHES as they
// are and migrates with clear-old; Django reads every value as it read it
// before, with its TTL and version, and the same session cookie is still
// logged in. Nothing else in Redis is touched.
func TestDjangoDefaultsMigrate(t *testing.T) {
	checkDjango(t)
	for _, serializer := range []string{"", "json", "msgpack"} {
		name := serializer
		if name == "" {
			name = "pickle"
		}
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			d := &defaultsProject{srv: redistest.Start(t), serializer: serializer}
			rdb := d.srv.Client(t, 0)
			plantBystanders(t, rdb)

			var before struct {
				Session    string                `json:"session"`
				Values     map[string]djangoLook `json:"values"`
				SessionTTL int                   `json:"session_ttl"`
			}
			read := testkit.StartStopwatch() // bounds how far the TTLs read before may have run down
			d.run(t, "before", &before, "write")
			if n := rdb.Exists(ctx, ":1:str", ":1:django.contrib.sessions.cache"+before.Session).Val(); n != 2 {
				t.Fatalf("Django's defaults wrote %d of :1:str and the session, want both", n)
			}
			if len(before.Values) < 14 {
				t.Fatalf("Django wrote only %d entries", len(before.Values))
			}
			for key, l := range before.Values {
				if l.Missing {
					t.Fatalf("Django cannot read back its own %s", key)
				}
			}

			// Go loads the adopted project's CACHES as Django has them.
			var settings json.RawMessage
			d.run(t, "after", &settings, "settings")
			cfg, err := secureredis.ParseConfig(settings)
			if err != nil {
				t.Fatal(err)
			}
			wantSer := map[string]secureredis.Serializer{"": secureredis.SerializerPickle, "json": secureredis.SerializerDjangoJSON,
				"msgpack": secureredis.SerializerDjangoMsgpack}[serializer]
			if got := cfg.Caches["insecure"]; got.KeyPrefix != "" || got.Options.Serializer != wantSer {
				t.Fatalf("old alias loaded as prefix %q serializer %q, want \"\" and %s", got.KeyPrefix, got.Options.Serializer, wantSer)
			}
			octx, cancel := context.WithTimeout(ctx, testkit.Patience)
			defer cancel()
			caches, err := secureredis.Open(octx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = caches.Close() })
			old, dr, err := caches.RecoverySource("default")
			if err != nil || !dr.ClearOldEntries {
				t.Fatalf("RecoverySource: %+v, %v", dr, err)
			}
			secure, err := caches.Secure()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := recovery.Migrate(ctx, old, secure, recovery.WithClearOld()); err != nil {
				t.Fatal(err)
			}
			if left := scanAll(t, rdb, ":*"); len(left) != 0 && !onlyBystanders(left) {
				t.Errorf("old entries left after clear-old: %q", left)
			}
			checkBystanders(t, rdb, "migrate")

			var after struct {
				Values     map[string]djangoLook `json:"values"`
				Session    map[string]string     `json:"session"`
				SessionKey string                `json:"session_key"`
				SessionTTL int                   `json:"session_ttl"`
			}
			d.run(t, "after", &after, "read", before.Session)
			for key, b := range before.Values {
				a := after.Values[key]
				switch {
				case a.Missing:
					t.Errorf("%s: Django no longer reads it", key)
				case a.Type != b.Type || a.Repr != b.Repr:
					t.Errorf("%s: Django read %s %s before, %s %s after", key, b.Type, b.Repr, a.Type, a.Repr)
				case (a.TTL == nil) != (b.TTL == nil):
					t.Errorf("%s: TTL %v before, %v after", key, b.TTL, a.TTL)
				case a.TTL != nil && !read.Remains(time.Duration(*a.TTL)*time.Second, time.Duration(*b.TTL)*time.Second):
					t.Errorf("%s: TTL %d before, %d after (%v apart at most)", key, *b.TTL, *a.TTL, read.Elapsed())
				}
			}
			if after.SessionKey != before.Session || after.Session["_auth_user_id"] != "'42'" || after.Session["cart"] != "[1, 2, 3]" {
				t.Errorf("session %s after migration: key %q, data %v; want the user still logged in", before.Session, after.SessionKey, after.Session)
			}
			if !read.Remains(time.Duration(after.SessionTTL)*time.Second, time.Duration(before.SessionTTL)*time.Second) {
				t.Errorf("session TTL %d before, %d after (%v apart at most)", before.SessionTTL, after.SessionTTL, read.Elapsed())
			}
			// Everything in the secure alias is a Fernet token.
			for _, k := range scanAll(t, rdb, "secure:*") {
				if v := rdb.Get(ctx, k).Val(); !strings.HasPrefix(v, "gAAAAA") {
					t.Errorf("%s holds %q, want a Fernet token", k, v)
				}
			}
		})
	}
}

func scanAll(t *testing.T, rdb *redis.Client, pattern string) []string {
	t.Helper()
	var out []string
	iter := rdb.Scan(t.Context(), 0, pattern, 100).Iterator()
	for iter.Next(t.Context()) {
		out = append(out, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func onlyBystanders(keys []string) bool {
	for _, k := range keys {
		if !slices.Contains(bystanders, k) {
			return false
		}
	}
	return true
}
