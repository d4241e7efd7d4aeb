package typed_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/store"
	"github.com/secureredis/secureredis/typed"
)

// Profile is the Go side of a Python dict: json tags name its keys.
type Profile struct {
	Email  string            `json:"email"`
	Age    int               `json:"age"`
	Roles  []string          `json:"roles"`
	Prefs  map[string]string `json:"prefs,omitempty"`
	Joined time.Time         `json:"joined"`
	Boss   *Profile          `json:"boss,omitempty"`
	Secret string            `json:"-"`
}

func TestDjangoStructAsDict(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	ring, err := codec.NewKeyRing(testkit.Key)
	if err != nil {
		t.Fatal(err)
	}
	dj, err := codec.NewDjango(ring)
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.NewRedis(client, dj, testkit.Keys(t, "django"))
	if err != nil {
		t.Fatal(err)
	}
	profiles, err := typed.New[Profile](s)
	if err != nil {
		t.Fatal(err)
	}
	joined := time.Date(2024, 2, 29, 8, 0, 0, 0, time.UTC)
	p := Profile{Email: "ada@example.com", Age: 36, Roles: []string{"admin"}, Joined: joined,
		Boss: &Profile{Email: "boss@example.com", Roles: []string{}, Joined: joined}, Secret: "not stored"}
	if err := profiles.Set(ctx, "p", p); err != nil {
		t.Fatal(err)
	}
	got, err := profiles.Get(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	want := p
	want.Secret = ""
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// What Django reads: a dict keyed by the json names.
	raw, err := s.Get(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	m, ok := raw.(map[string]any)
	if !ok || m["email"] != "ada@example.com" || m["age"] != int64(36) || m["Secret"] != nil {
		t.Fatalf("untyped Get = %#v", raw)
	}
	if _, ok := m["prefs"]; ok {
		t.Errorf("omitempty field stored: %#v", m)
	}
	if tm, ok := m["joined"].(time.Time); !ok || !tm.Equal(joined) {
		t.Errorf("joined = %#v, want a datetime", m["joined"])
	}
	// A dict written by Django (here: untyped) reads into the struct.
	if err := s.Set(ctx, "from-django", map[string]any{"email": "py@example.com", "age": int64(7), "roles": []any{"x"}, "extra": true}); err != nil {
		t.Fatal(err)
	}
	got, err = profiles.Get(ctx, "from-django")
	if err != nil || got.Email != "py@example.com" || got.Age != 7 || len(got.Roles) != 1 {
		t.Errorf("Get(from-django) = %+v, %v", got, err)
	}
	// Scalars go through as they are.
	ints, err := typed.New[int](s)
	if err != nil {
		t.Fatal(err)
	}
	if err := ints.Set(ctx, "n", 41); err != nil {
		t.Fatal(err)
	}
	if n, err := ints.Get(ctx, "n"); err != nil || n != 41 {
		t.Errorf("Get(n) = %v, %v", n, err)
	}
}
