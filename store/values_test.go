package store_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/eko/gocache/lib/v4/cache"
	"github.com/eko/gocache/lib/v4/marshaler"
	"github.com/google/go-cmp/cmp"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/store"
)

// TestUntypedValuesComeBackAsTheyWent pins the Go types the untyped store
// (default msgpack serializer) accepts: each comes back from Get with the
// same type and value.
func TestUntypedValuesComeBackAsTheyWent(t *testing.T) {
	s, _ := newRedisStore(t)
	ctx := t.Context()
	when := time.Date(2026, 3, 1, 10, 0, 0, 123, time.UTC)
	for name, v := range map[string]any{
		"string":     "s",
		"bytes":      []byte{0, 255},
		"bool":       false,
		"int64":      int64(-7),
		"float64":    2.5,
		"big uint64": uint64(math.MaxUint64),
		"slice":      []any{"a", int64(1), nil, []any{true}},
		"map":        map[string]any{"a": map[string]any{"b": 1.5}},
		"any map":    map[any]any{int64(1): "one", "two": int64(2)},
	} {
		if err := s.Set(ctx, name, v); err != nil {
			t.Fatalf("Set(%s) = %v", name, err)
		}
		got, err := s.Get(ctx, name)
		if err != nil {
			t.Fatalf("Get(%s) = %v", name, err)
		}
		if diff := cmp.Diff(v, got); diff != "" {
			t.Errorf("%s: (-set +got):\n%s", name, diff)
		}
	}
	// A UTC time comes back as the same instant (in time.Local, as msgpack
	// decodes it).
	if err := s.Set(ctx, "time", when); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "time")
	if tm, ok := got.(time.Time); err != nil || !ok || !tm.Equal(when) {
		t.Errorf("Get(time) = %#v, %v", got, err)
	}
}

func TestUntypedRefusesWhatWouldNotComeBack(t *testing.T) {
	s, client := newRedisStore(t)
	ctx := t.Context()
	type user struct{ Name string }
	type color string
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]any{
		"int":               42,
		"int32":             int32(1),
		"uint":              uint(1),
		"small uint64":      uint64(5),
		"float32":           float32(1),
		"struct":            user{"ada"},
		"pointer":           &user{"ada"},
		"typed slice":       []string{"a"},
		"typed map":         map[string]string{"a": "b"},
		"named string":      color("red"),
		"time in Paris":     time.Date(2026, 3, 1, 10, 0, 0, 0, paris),
		"int in a map":      map[string]any{"n": 1},
		"struct in a slice": []any{user{}},
	} {
		err := s.Set(ctx, name, v)
		if !errors.Is(err, store.ErrNotRoundTrip) || !errors.Is(err, codec.ErrUnsupportedValue) {
			t.Errorf("Set(%s) = %v, want ErrNotRoundTrip", name, err)
		}
		if _, err := s.SetIfNotExists(ctx, name, v); !errors.Is(err, store.ErrNotRoundTrip) {
			t.Errorf("SetIfNotExists(%s) = %v, want ErrNotRoundTrip", name, err)
		}
	}
	if err := s.SetMany(ctx, []store.Entry{{Key: "ok", Value: "x"}, {Key: "n", Value: 1}}); !errors.Is(err, store.ErrNotRoundTrip) {
		t.Errorf("SetMany = %v, want ErrNotRoundTrip", err)
	}
	if n := client.DBSize(ctx).Val(); n != 0 {
		t.Errorf("%d keys written, want none", n)
	}
}

// gocache's marshaler stores []byte: it keeps working, structs included.
func TestUntypedMarshalerStillWorks(t *testing.T) {
	s, _ := newRedisStore(t)
	ctx := t.Context()
	type user struct {
		Name string
		Age  int
	}
	m := marshaler.New(cache.New[any](s))
	if err := m.Set(ctx, "u", user{"ada", 36}); err != nil {
		t.Fatal(err)
	}
	got, err := m.Get(ctx, "u", new(user))
	if err != nil || *got.(*user) != (user{"ada", 36}) {
		t.Errorf("marshaler Get = %#v, %v", got, err)
	}
}
