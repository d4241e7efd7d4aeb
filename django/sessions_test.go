package django_test

import (
	"bytes"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/django"
	"github.com/secureredis/secureredis/store"
)

const testKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" // test data

func newSessions(t *testing.T, opts ...django.Option) (*django.Sessions, *miniredis.Miniredis) {
	t.Helper()
	mr := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = client.Close() })
	ring, err := codec.NewKeyRing(testKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := codec.NewDjango(ring)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := codec.NewKeyScheme("app1:secure")
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.NewRedis(client, c, keys)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := django.NewSessions(s, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return ss, mr
}

func TestSessionsLifecycle(t *testing.T) {
	ss, mr := newSessions(t)
	ctx := t.Context()
	key, err := ss.Create(ctx, map[string]any{"_auth_user_id": "42"})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[a-z0-9]{32}$`).MatchString(key) {
		t.Errorf("session key %q does not look like Django's", key)
	}
	sk := "app1:secure:1:django.contrib.sessions.cache" + key
	if !mr.Exists(sk) {
		t.Fatalf("no %s in Redis: %v", sk, mr.Keys())
	}
	if ttl := mr.TTL(sk); ttl != django.DefaultCookieAge {
		t.Errorf("TTL = %v, want two weeks", ttl)
	}
	data, err := ss.Load(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if uid, ok := django.UserID(data); !ok || uid != "42" {
		t.Errorf("UserID = %q, %v", uid, ok)
	}
	data["_session_expiry"] = int64(60)
	if err := ss.Save(ctx, key, data); err != nil {
		t.Fatal(err)
	}
	if ttl := mr.TTL(sk); ttl != time.Minute {
		t.Errorf("TTL with _session_expiry 60 = %v", ttl)
	}
	if err := ss.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := ss.Load(ctx, key); !errors.Is(err, django.ErrNoSession) {
		t.Errorf("Load after Delete: %v", err)
	}
	if err := ss.Save(ctx, key, data); !errors.Is(err, django.ErrNoSession) {
		t.Errorf("Save of a missing session: %v, want ErrNoSession (Django's UpdateError)", err)
	}
	if _, err := ss.Load(ctx, "short"); !errors.Is(err, django.ErrInvalidSessionKey) {
		t.Errorf("short key: %v", err)
	}
	mr.Set("app1:secure:1:django.contrib.sessions.cacheforgedkey1", "gAAAAAforged")
	if _, err := ss.Load(ctx, "forgedkey1"); !errors.Is(err, django.ErrNoSession) {
		t.Errorf("forged session: %v", err)
	}
}

func TestSessionsCollision(t *testing.T) {
	// The same random bytes twice: the second Create must pick a new key.
	seq := bytes.Repeat([]byte{1}, 64)
	seq = append(seq, bytes.Repeat([]byte{1}, 64)...)
	seq = append(seq, bytes.Repeat([]byte{2}, 64)...)
	ss, _ := newSessions(t, django.WithRand(bytes.NewReader(seq)))
	a, err := ss.Create(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ss.Create(t.Context(), nil)
	if err != nil || a == b {
		t.Errorf("second session: %q, %v (first %q)", b, err, a)
	}
}

func TestNewSessionsValidates(t *testing.T) {
	if _, err := django.NewSessions(nil); err == nil {
		t.Error("nil store accepted")
	}
	ss, _ := newSessions(t)
	_ = ss
	if _, err := django.NewSessions(&store.EncryptingStore{}, django.WithCookieAge(0)); err == nil {
		t.Error("zero cookie age accepted")
	}
}
