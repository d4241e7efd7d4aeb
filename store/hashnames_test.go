package store_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/store"
)

// Name secrets for tests. They are public: never use them for data.
const (
	nameSecret      = "bmFtZS1zZWNyZXQtZm9yLXRlc3RzLW9ubHktMzItYnl0ZXMh"
	otherNameSecret = "b3RoZXItbmFtZS1zZWNyZXQtZm9yLXRlc3RzLW9ubHktMzI="
)

func nameRing(t testing.TB, secrets ...string) *codec.NameRing {
	t.Helper()
	r, err := codec.NewNameRing(secrets...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func hashedStore(t testing.TB, c redis.UniversalClient, prefix string, secrets ...string) *store.EncryptingStore {
	t.Helper()
	if len(secrets) == 0 {
		secrets = []string{nameSecret}
	}
	keys := newKeys(t, prefix, codec.WithHashedNames(nameRing(t, secrets...)))
	s, err := store.NewRedis(c, newCodec(t), keys)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// nameShape is every name TestHashedNamesRevealNoKey may find: an entry's
// ("cache-app:1:", an optional hash tag MAC, the MAC) or a tag set's.
var nameShape = regexp.MustCompile(`^cache-app:(1:(\{[A-Za-z0-9_-]{16}\})?|gocache_tag:)[A-Za-z0-9_-]{22}$`)

// TestHashedNamesRevealNoKey: after 10k entries with recognisable names, a
// SCAN of the whole database finds none of the names, nor any substring of
// them longer than the prefix; and every name has the documented shape.
func TestHashedNamesRevealNoKey(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	s := hashedStore(t, client, "cache-app")
	ctx := t.Context()
	const n = 10000
	entries := make([]store.Entry, n)
	for i := range entries {
		entries[i] = store.Entry{Key: fmt.Sprintf("user:alice%05d@example.com:profile", i), Value: "v"}
	}
	if err := s.SetMany(ctx, entries, gocachestore.WithTags([]string{"tag:alice@example.com"})); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "session:{bob}:cart", "x"); err != nil {
		t.Fatal(err)
	}
	names := redistest.Keys(t, client)
	if len(names) != n+2 { // the entries, the {bob} one and the tag set
		t.Fatalf("%d keys in Redis, want %d", len(names), n+2)
	}
	// No substring of any logical key or tag longer than the prefix
	// "cache-app" (10 bytes and more) appears in any name.
	const w = len("cache-app") + 1
	windows := map[string]bool{}
	for _, k := range append(keysOf(entries), "session:{bob}:cart", "tag:alice@example.com") {
		for i := 0; i+w <= len(k); i++ {
			windows[k[i:i+w]] = true
		}
	}
	for _, name := range names {
		if !strings.HasPrefix(name, "cache-app:") {
			t.Fatalf("name %q outside the prefix", name)
		}
		for i := 0; i+w <= len(name); i++ {
			if windows[name[i:i+w]] {
				t.Fatalf("name %q shares %q with a key", name, name[i:i+w])
			}
		}
		// Past the prefix, only the version (or the tag sets' marker) and
		// MACs: short words such as "bob" may occur in a MAC by chance
		// (10k random 22-character names hold about one), so they are not
		// looked for there.
		if !nameShape.MatchString(name) {
			t.Fatalf("name %q: not prefix, version and MACs", name)
		}
	}
	// Every entry reads back, and iteration recovers exactly the keys.
	got, err := s.KeysMatching(ctx, "user:*")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	want := keysOf(entries)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("KeysMatching: %d keys, want %d (first %q)", len(got), len(want), got[:min(3, len(got))])
	}
	res, err := s.GetMany(ctx, []string{want[0], want[n-1], "session:{bob}:cart", "absent"})
	if err != nil && !errors.Is(err, gocachestore.NotFound{}) {
		t.Fatal(err)
	}
	if res[0].Value != "v" || res[1].Value != "v" || res[2].Value != "x" || !errors.Is(res[3].Err, gocachestore.NotFound{}) {
		t.Fatalf("GetMany: %+v", res)
	}
	// Tags still work, through a hashed tag set.
	if err := s.Invalidate(ctx, gocachestore.WithInvalidateTags([]string{"tag:alice@example.com"})); err != nil {
		t.Fatal(err)
	}
	if left := redistest.Keys(t, client); len(left) != 1 {
		t.Fatalf("after Invalidate: %d keys left, want 1", len(left))
	}
}

// TestHashedNamesStable: the same logical key has the same name in two
// independent stores with the same secret (and in the golden vector), and
// another one with another secret; a cluster hash tag pins the slot.
func TestHashedNamesStable(t *testing.T) {
	srv := redistest.Start(t)
	a := hashedStore(t, srv.Client(t, 0), "app")
	b := hashedStore(t, srv.Client(t, 0), "app")
	c := hashedStore(t, srv.Client(t, 0), "app", otherNameSecret)
	for _, k := range []string{"user:42", "", "x{tag}y", "日本"} {
		if a.Keys().Key(k) != b.Keys().Key(k) {
			t.Errorf("%q: two stores disagree", k)
		}
		if a.Keys().Key(k) == c.Keys().Key(k) {
			t.Errorf("%q: same name under another secret", k)
		}
	}
	ctx := t.Context()
	if err := a.Set(ctx, "user:42", "v"); err != nil {
		t.Fatal(err)
	}
	if v, err := b.Get(ctx, "user:42"); err != nil || v != "v" {
		t.Fatalf("second store: %v, %v", v, err)
	}
	if _, err := c.Get(ctx, "user:42"); !errors.Is(err, gocachestore.NotFound{}) {
		t.Fatalf("other secret: %v", err)
	}
	// Same tag, same slot.
	t1, t2 := a.Keys().Key("cart:{u1}:a"), a.Keys().Key("orders:{u1}:b")
	if tag(t1) == "" || tag(t1) != tag(t2) {
		t.Fatalf("hash tags %q and %q differ", t1, t2)
	}
	if tag(a.Keys().Key("cart:{u2}:a")) == tag(t1) {
		t.Fatal("different tags share a hash")
	}
}

func tag(name string) string {
	i := strings.IndexByte(name, '{')
	j := strings.IndexByte(name, '}')
	if i < 0 || j < i {
		return ""
	}
	return name[i+1 : j]
}

// TestHashedNamesRelocation: a token copied to another entry's name does not
// read there, and is not listed by iteration under either key twice.
func TestHashedNamesRelocation(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	s := hashedStore(t, client, "app")
	ctx := t.Context()
	if err := s.Set(ctx, "alice", "alice's secret"); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "mallory", "mine"); err != nil {
		t.Fatal(err)
	}
	tok, err := client.Get(ctx, s.Keys().Key("alice")).Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Set(ctx, s.Keys().Key("mallory"), tok, 0).Err(); err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(ctx, "mallory")
	if !errors.Is(err, gocachestore.NotFound{}) || !errors.Is(err, codec.ErrInvalidToken) {
		t.Fatalf("relocated token: %v", err)
	}
	keys, err := s.KeysMatching(ctx, "*")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys, []string{"alice"}) {
		t.Fatalf("KeysMatching lists %q, want only alice", keys)
	}
	n, err := s.DeletePattern(ctx, "mal*")
	if err != nil || n != 0 {
		t.Fatalf("DeletePattern of the relocated entry: %d, %v", n, err)
	}
	n, err = s.DeletePattern(ctx, "al*")
	if err != nil || n != 1 {
		t.Fatalf("DeletePattern: %d, %v", n, err)
	}
}

// TestHashedNamesRing: with two name secrets, entries under the older name
// read (Get, GetWithTTL, GetMany), Delete removes both names, writes use the
// first.
func TestHashedNamesRing(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	old := hashedStore(t, client, "app", otherNameSecret)
	if err := old.Set(ctx, "k1", "v1", gocachestore.WithExpiration(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := old.Set(ctx, "k2", "v2"); err != nil {
		t.Fatal(err)
	}
	s := hashedStore(t, client, "app", nameSecret, otherNameSecret)
	if v, err := s.Get(ctx, "k1"); err != nil || v != "v1" {
		t.Fatalf("Get under the old name: %v, %v", v, err)
	}
	if v, ttl, err := s.GetWithTTL(ctx, "k1"); err != nil || v != "v1" || ttl <= 0 {
		t.Fatalf("GetWithTTL under the old name: %v, %v, %v", v, ttl, err)
	}
	res, err := s.GetMany(ctx, []string{"k1", "k2"})
	if err != nil || res[0].Value != "v1" || res[1].Value != "v2" {
		t.Fatalf("GetMany under the old names: %+v, %v", res, err)
	}
	if err := s.Delete(ctx, "k1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "k1"); !errors.Is(err, gocachestore.NotFound{}) {
		t.Fatalf("deleted entry reads: %v", err)
	}
	if err := s.DeleteMany(ctx, []string{"k2"}); err != nil {
		t.Fatal(err)
	}
	if left := redistest.Keys(t, client); len(left) != 0 {
		t.Fatalf("keys left: %q", left)
	}
	if err := s.Set(ctx, "k3", "v3"); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Get(ctx, s.Keys().KeyAt("k3", 1, 0)).Result(); err != nil {
		t.Fatalf("Set did not write the first secret's name: %v", err)
	}
	// A tag reaches entries tagged under either secret: Invalidate reads the
	// tag's set under each.
	tagged := gocachestore.WithTags([]string{"t"})
	if err := old.Set(ctx, "old-tagged", "v", tagged); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "new-tagged", "v", tagged); err != nil {
		t.Fatal(err)
	}
	if err := s.Invalidate(ctx, gocachestore.WithInvalidateTags([]string{"t"})); err != nil {
		t.Fatal(err)
	}
	if left := redistest.Keys(t, client); len(left) != 1 || left[0] != s.Keys().Key("k3") {
		t.Fatalf("after Invalidate: %q, want k3's name only", left)
	}
}

// TestHashedNamesNeedNativeCodec: a codec without an envelope is refused.
func TestHashedNamesNeedNativeCodec(t *testing.T) {
	srv := redistest.Start(t)
	keys := newKeys(t, "app", codec.WithHashedNames(nameRing(t, nameSecret)))
	ring, err := codec.NewKeyRing(testkit.Key)
	if err != nil {
		t.Fatal(err)
	}
	dj, err := codec.NewDjango(ring)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []store.Codec{dj, codec.Raw{}} {
		if _, err := store.NewRedis(srv.Client(t, 0), c, keys); !errors.Is(err, store.ErrHashedNamesCodec) {
			t.Errorf("%T: %v", c, err)
		}
	}
}

func keysOf(es []store.Entry) []string {
	ks := make([]string, len(es))
	for i, e := range es {
		ks[i] = e.Key
	}
	return ks
}

// TestHashedNamesAPI: the rest of the API works on hashed names, and leaves
// no clear key name behind.
func TestHashedNamesAPI(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	s := hashedStore(t, client, "app")
	ctx := t.Context()
	if n, err := s.Incr(ctx, "counter:alice", 5, store.CreateMissing()); err != nil || n != 5 {
		t.Fatalf("Incr: %d, %v", n, err)
	}
	if n, err := s.Incr(ctx, "counter:alice", 2); err != nil || n != 7 {
		t.Fatalf("Incr: %d, %v", n, err)
	}
	if ok, err := s.SetIfNotExists(ctx, "nx:alice", "1"); err != nil || !ok {
		t.Fatalf("SetIfNotExists: %v, %v", ok, err)
	}
	if ok, err := s.Touch(ctx, "nx:alice", time.Hour); err != nil || !ok {
		t.Fatalf("Touch: %v, %v", ok, err)
	}
	if ttl, err := s.TTL(ctx, "nx:alice"); err != nil || ttl <= 0 {
		t.Fatalf("TTL: %v, %v", ttl, err)
	}
	if v, err := s.GetOrSet(ctx, "gos:alice", func(context.Context) (any, error) { return "computed", nil }); err != nil || v != "computed" {
		t.Fatalf("GetOrSet: %v, %v", v, err)
	}
	if err := s.SetVersion(ctx, "ver:alice", "v1", 1); err != nil {
		t.Fatal(err)
	}
	if v, err := s.IncrVersion(ctx, "ver:alice", 1); err != nil || v != 2 {
		t.Fatalf("IncrVersion: %v, %v", v, err)
	}
	if v, err := s.GetVersion(ctx, "ver:alice", 2); err != nil || v != "v1" {
		t.Fatalf("GetVersion after IncrVersion: %v, %v", v, err)
	}
	if keys, err := s.KeysMatching(ctx, "ver:*", store.AtVersion(2)); err != nil || !slices.Equal(keys, []string{"ver:alice"}) {
		t.Fatalf("KeysMatching at version 2: %q, %v", keys, err)
	}
	l, err := s.Lock(ctx, "lock:alice", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.CheckKeys(ctx, 10)
	if err != nil || rep.Decrypted == 0 {
		t.Fatalf("CheckKeys: %v, %v", rep, err)
	}
	for _, name := range redistest.Keys(t, client) {
		if strings.Contains(name, "alice") {
			t.Fatalf("name %q reveals a key", name)
		}
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if left := redistest.Keys(t, client); len(left) != 0 {
		t.Fatalf("after Clear: %q", left)
	}
}

// TestHashedNamesCluster: on a three-master cluster, hashed names keep
// hash-tagged keys in one slot, and batches, iteration, DeletePattern,
// deletes across name secrets and Clear work on every master.
func TestHashedNamesCluster(t *testing.T) {
	cl := redistest.StartCluster(t, redistest.WithReplicas(0))
	cc := cl.Client(t)
	ctx := t.Context()
	old := hashedStore(t, cc, "app", otherNameSecret)
	s := hashedStore(t, cc, "app", nameSecret, otherNameSecret)
	const n = 300
	var entries []store.Entry
	var keys []string
	for i := range n {
		k := fmt.Sprintf("k%04d", i)
		if i%2 == 0 {
			k = fmt.Sprintf("{user%d}:k%04d", i/20, i)
		}
		entries = append(entries, store.Entry{Key: k, Value: "v-" + k})
		keys = append(keys, k)
	}
	if err := s.SetMany(ctx, entries[:n/2]); err != nil {
		t.Fatal(err)
	}
	if err := old.SetMany(ctx, entries[n/2:]); err != nil { // under the older secret
		t.Fatal(err)
	}
	for i := 0; i < n; i += 20 {
		a, b := s.Keys().Key(keys[i]), s.Keys().Key(keys[i+2])
		if store.HashSlot(a) != store.HashSlot(b) {
			t.Fatalf("%q and %q: hash tag lost", keys[i], keys[i+2])
		}
	}
	res, err := s.GetMany(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Value != "v-"+keys[i] {
			t.Fatalf("GetMany %s = %v, %v", keys[i], r.Value, r.Err)
		}
	}
	got, err := s.KeysMatching(ctx, "*")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	want := slices.Clone(keys)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("KeysMatching: %d keys, want %d", len(got), len(want))
	}
	if err := s.DeleteMany(ctx, keys[n-10:]); err != nil {
		t.Fatal(err)
	}
	if d, err := s.DeletePattern(ctx, "{user1}:*"); err != nil || d != 10 {
		t.Fatalf("DeletePattern: %d, %v", d, err)
	}
	if got, err := s.KeysMatching(ctx, "*"); err != nil || len(got) != n-20 {
		t.Fatalf("after deletes: %d keys, %v", len(got), err)
	}
	if err := s.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := s.KeysMatching(ctx, "*"); err != nil || len(got) != 0 {
		t.Fatalf("after Clear: %d keys, %v", len(got), err)
	}
}
