package typed_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"
	_ "time/tzdata" // named zones even without system zone files

	"github.com/eko/gocache/lib/v4/cache"
	gocachestore "github.com/eko/gocache/lib/v4/store"
	gocachego "github.com/eko/gocache/store/go_cache/v4"
	"github.com/google/go-cmp/cmp"
	gocache "github.com/patrickmn/go-cache"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/store"
	"github.com/secureredis/secureredis/typed"
)

type Color string

type Level int

type Address struct {
	City string `msgpack:"city" json:"city"`
	Zip  *int   `msgpack:"zip,omitempty" json:"zip,omitempty"`
}

type User struct {
	ID       uint64               `msgpack:"id" json:"id"`
	Name     string               `msgpack:"name" json:"name"`
	Age      int                  `msgpack:"age" json:"age"`
	Score    float32              `msgpack:"score" json:"score"`
	Admin    bool                 `msgpack:"admin" json:"admin"`
	Color    Color                `msgpack:"color" json:"color"`
	Level    Level                `msgpack:"level" json:"level"`
	Tags     []string             `msgpack:"tags" json:"tags"`
	Attrs    map[string]int       `msgpack:"attrs" json:"attrs"`
	Home     *Address             `msgpack:"home" json:"home"`
	Born     time.Time            `msgpack:"born" json:"born"`
	Seen     []time.Time          `msgpack:"seen" json:"seen"`
	Visits   map[string]time.Time `msgpack:"visits" json:"visits"`
	Avatar   []byte               `msgpack:"avatar" json:"avatar"`
	internal int
}

// sameTime compares times by instant and by zone (name, abbreviation and
// offset): cmp would otherwise use time.Time.Equal, which ignores zones.
var sameTime = cmp.Comparer(func(a, b time.Time) bool {
	an, ao := a.Zone()
	bn, bo := b.Zone()
	return a.Equal(b) && an == bn && ao == bo && a.Location().String() == b.Location().String()
})

func zones(t *testing.T) (paris, tokyo *time.Location) {
	t.Helper()
	var err error
	if paris, err = time.LoadLocation("Europe/Paris"); err != nil {
		t.Fatal(err)
	}
	if tokyo, err = time.LoadLocation("Asia/Tokyo"); err != nil {
		t.Fatal(err)
	}
	return paris, tokyo
}

func newStore(t *testing.T, client redis.UniversalClient, ser codec.Serializer) *store.EncryptingStore {
	t.Helper()
	ring, err := codec.NewKeyRing(testkit.Key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := codec.New(ring, codec.WithSerializer(ser))
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.NewRedis(client, c, testkit.Keys(t, "app1:typed"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// mode is one way of reaching the typed cache: directly, through a chain
// behind an in-memory tier, or through a loadable cache.
type mode string

const (
	direct   mode = "cache"
	chain    mode = "chain"
	loadable mode = "loadable"
)

// roundTrip stores v under key through the typed cache and reads it back
// the way mode says, then checks the value and its zones.
func roundTrip[T any](t *testing.T, s *store.EncryptingStore, m mode, key string, v T) {
	t.Helper()
	ctx := t.Context()
	c, err := typed.New[T](s)
	if err != nil {
		t.Fatal(err)
	}
	var got T
	switch m {
	case direct:
		if err := c.Set(ctx, key, v); err != nil {
			t.Fatalf("Set = %v", err)
		}
		if got, err = c.Get(ctx, key); err != nil {
			t.Fatalf("Get = %v", err)
		}
		var ttl time.Duration
		if got, ttl, err = c.GetWithTTL(ctx, key); err != nil || ttl != 0 {
			t.Fatalf("GetWithTTL = %v, %v", ttl, err)
		}
	case chain:
		// Written to Redis only; the chain reads it from the Redis tier and
		// copies it into the memory tier.
		if err := c.Set(ctx, key, v); err != nil {
			t.Fatalf("Set = %v", err)
		}
		mem := cache.New[T](gocachego.NewGoCache(gocache.New(time.Minute, time.Minute)))
		ch := cache.NewChain[T](mem, c)
		t.Cleanup(func() { _ = ch.Close() })
		if got, err = ch.Get(ctx, key); err != nil {
			t.Fatalf("chain Get = %v", err)
		}
		testkit.Eventually(t, func() bool { _, err := mem.Get(ctx, key); return err == nil },
			"the chain never copied %s into the memory tier", key)
	case loadable:
		load := func(_ context.Context, _ any) (T, []gocachestore.Option, error) { return v, nil, nil }
		l := cache.NewLoadable[T](load, c)
		t.Cleanup(func() { _ = l.Close() })
		if got, err = l.Get(ctx, key); err != nil {
			t.Fatalf("loadable Get = %v", err)
		}
		// The loaded value is written to the typed cache in the background.
		testkit.Eventually(t, func() bool { _, err := c.Get(ctx, key); return err == nil },
			"the loadable cache never stored %s", key)
		if got, err = c.Get(ctx, key); err != nil {
			t.Fatalf("Get after load = %v", err)
		}
	}
	if diff := cmp.Diff(v, got, sameTime, cmp.AllowUnexported(User{})); diff != "" {
		t.Errorf("(-set +got):\n%s", diff)
	}
}

func TestRoundTrip(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	paris, tokyo := zones(t)
	zip := 75001
	born := time.Date(1990, 7, 14, 9, 30, 0, 123456789, paris)
	user := User{
		ID: math.MaxUint64, Name: "Ada", Age: 36, Score: 1.25, Admin: true,
		Color: "red", Level: 3, Tags: []string{"a", "b"}, Attrs: map[string]int{"x": -1},
		Home: &Address{City: "Paris", Zip: &zip}, Born: born,
		Seen:   []time.Time{born.In(tokyo), born.UTC(), time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("XYZ", -3*3600-1800))},
		Visits: map[string]time.Time{"tokyo": time.Date(2025, 5, 5, 5, 5, 5, 5, tokyo)},
		Avatar: []byte{0, 1, 255},
	}
	for _, ser := range []codec.Serializer{codec.Msgpack{}, codec.JSON{}} {
		s := newStore(t, client, ser)
		for _, m := range []mode{direct, chain, loadable} {
			t.Run(ser.Name()+"/"+string(m), func(t *testing.T) {
				k := func(name string) string { return fmt.Sprintf("%s:%s:%s", ser.Name(), m, name) }
				t.Run("int", func(t *testing.T) { roundTrip(t, s, m, k("int"), -42) })
				t.Run("int8", func(t *testing.T) { roundTrip(t, s, m, k("int8"), int8(-8)) })
				t.Run("uint", func(t *testing.T) { roundTrip(t, s, m, k("uint"), uint(42)) })
				t.Run("uint64 max", func(t *testing.T) { roundTrip(t, s, m, k("u64"), uint64(math.MaxUint64)) })
				t.Run("float32", func(t *testing.T) { roundTrip(t, s, m, k("f32"), float32(0.5)) })
				t.Run("float64", func(t *testing.T) { roundTrip(t, s, m, k("f64"), 1e-300) })
				t.Run("bool", func(t *testing.T) { roundTrip(t, s, m, k("bool"), true) })
				t.Run("string", func(t *testing.T) { roundTrip(t, s, m, k("string"), "héllo") })
				t.Run("bytes", func(t *testing.T) { roundTrip(t, s, m, k("bytes"), []byte{0, 1, 2}) })
				t.Run("named string", func(t *testing.T) { roundTrip(t, s, m, k("color"), Color("blue")) })
				t.Run("named int", func(t *testing.T) { roundTrip(t, s, m, k("level"), Level(7)) })
				t.Run("struct", func(t *testing.T) { roundTrip(t, s, m, k("user"), user) })
				t.Run("pointer", func(t *testing.T) { roundTrip(t, s, m, k("ptr"), &user) })
				t.Run("slice", func(t *testing.T) { roundTrip(t, s, m, k("slice"), []User{user, {Name: "Bob"}}) })
				t.Run("map", func(t *testing.T) { roundTrip(t, s, m, k("map"), map[string]*Address{"home": {City: "Lyon"}}) })
				t.Run("int map", func(t *testing.T) { roundTrip(t, s, m, k("imap"), map[int]string{1: "one", -2: "minus two"}) })
				t.Run("time UTC", func(t *testing.T) { roundTrip(t, s, m, k("utc"), born.UTC()) })
				t.Run("time Paris", func(t *testing.T) { roundTrip(t, s, m, k("paris"), born) })
				t.Run("time Tokyo", func(t *testing.T) { roundTrip(t, s, m, k("tokyo"), born.In(tokyo)) })
				t.Run("time Local", func(t *testing.T) { roundTrip(t, s, m, k("local"), born.Local()) })
				t.Run("time fixed", func(t *testing.T) { roundTrip(t, s, m, k("fixed"), born.In(time.FixedZone("", 5*3600+45*60))) })
				t.Run("time pointer", func(t *testing.T) { roundTrip(t, s, m, k("tptr"), &born) })
				t.Run("zero time", func(t *testing.T) { roundTrip(t, s, m, k("zero"), time.Time{}) })
			})
		}
	}
}
