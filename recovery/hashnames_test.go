package recovery_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/recovery"
	"github.com/secureredis/secureredis/store"
)

// Name secrets for tests. They are public: never use them for data.
const (
	nameSecret      = "bmFtZS1zZWNyZXQtZm9yLXRlc3RzLW9ubHktMzItYnl0ZXMh"
	otherNameSecret = "b3RoZXItbmFtZS1zZWNyZXQtZm9yLXRlc3RzLW9ubHktMzI="
)

func hashedStore(tb testing.TB, client store.Rediser, c store.Codec, prefix string, secrets ...string) *store.EncryptingStore {
	tb.Helper()
	ring, err := codec.NewNameRing(secrets...)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := store.NewRedis(client, c, newKeys(tb, prefix, codec.WithHashedNames(ring)))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// migrateOldHelper is the child's Migrate of an encrypted alias with clear
// names (OldPrefix, key testKey) into secure, with clear-old.
func migrateOldHelper(ctx context.Context, j helperJob, client *redis.Client, c *codec.Codec, secure *store.EncryptingStore, enc *json.Encoder) int {
	keys, _ := codec.NewKeyScheme(j.OldPrefix)
	old, err := store.NewRedis(client, c, keys)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	rep, err := recovery.Migrate(ctx, old, secure, recovery.WithClearOld(), recovery.WithBatchSize(j.Batch),
		recovery.WithProgress(func(p recovery.Progress) { _ = enc.Encode(helperLine{Scanned: p.Scanned}) }))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	rep.Failures = nil
	_ = enc.Encode(helperLine{Report: rep})
	return 0
}

// TestRotateNameSecretUnderWriters: entries written under an old name
// secret are renamed to the new secret's names by Rotate (which also
// re-encrypts them with the new Fernet key), TTLs kept, while the
// application keeps writing some of them with the new configuration,
// or deleting them. Afterwards every key holds its newest value under the
// new name only (a deleted one stays deleted), and a second run has
// nothing to do.
func TestRotateNameSecretUnderWriters(t *testing.T) {
	const n = 20_000
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	before := hashedStore(t, client, newCodec(t, otherKey), "app", otherNameSecret)
	entries := make([]store.Entry, n)
	for i := range entries {
		entries[i] = store.Entry{Key: fmt.Sprintf("user:%d", i), Value: fmt.Sprintf("v%d", i)}
		if i%2 == 0 {
			entries[i].TTL = time.Hour
		}
	}
	if err := before.SetMany(ctx, entries); err != nil {
		t.Fatal(err)
	}
	after := hashedStore(t, client, newCodec(t, testKey, otherKey), "app", nameSecret, otherNameSecret)

	var stop atomic.Bool
	var wg sync.WaitGroup
	var mu sync.Mutex
	appWrote := map[int]string{}
	wg.Go(func() {
		r := rand.New(rand.NewPCG(3, 3))
		for seq := 0; !stop.Load(); seq++ {
			i := r.IntN(n/20) * 20
			v := fmt.Sprintf("app-%d-%d", i, seq)
			mu.Lock() // held across the write: the map says what was last written
			var err error
			if seq%4 == 3 { // a delete: the entry must not come back
				v = ""
				err = after.Delete(context.WithoutCancel(ctx), entries[i].Key)
			} else {
				err = after.Set(context.WithoutCancel(ctx), entries[i].Key, v, gocachestore.WithExpiration(time.Hour))
			}
			if err == nil {
				appWrote[i] = v
			}
			mu.Unlock()
			if err != nil {
				t.Error(err)
				return
			}
			if seq%8 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	})
	rep, err := recovery.Rotate(ctx, after, recovery.WithBatchSize(500))
	stop.Store(true)
	wg.Wait()
	if err != nil || rep.Failed != 0 {
		t.Fatalf("rotate: %v, %v", rep, err)
	}
	t.Logf("rotate: %v (application wrote %d keys)", rep, len(appWrote))
	if rep.Renamed == 0 || rep.Renamed > rep.Rotated {
		t.Fatalf("renamed %d of %d rotated", rep.Renamed, rep.Rotated)
	}

	// Only the new names are left, each read by a store that knows only
	// the new secret and the new key.
	only := hashedStore(t, client, newCodec(t, testKey), "app", nameSecret)
	deleted := 0
	for _, v := range appWrote {
		if v == "" {
			deleted++
		}
	}
	names := redistest.Keys(t, client)
	if len(names) != n-deleted {
		t.Fatalf("%d keys in Redis after the rotation, want %d", len(names), n-deleted)
	}
	keys := make([]string, n)
	for i := range entries {
		keys[i] = entries[i].Key
	}
	res, err := only.GetMany(ctx, keys)
	if err != nil && deleted == 0 {
		t.Fatalf("GetMany after the rotation: %v", err)
	}
	ttls := make([]*redis.DurationCmd, n)
	pipe(t, client, n, func(p redis.Pipeliner, i int) { ttls[i] = p.PTTL(ctx, only.Keys().Key(keys[i])) })
	lost := 0
	for i := range res {
		want := entries[i].Value
		if v, ok := appWrote[i]; ok {
			want = v
		}
		if want == "" { // deleted by the application
			if res[i].Err == nil {
				lost++
				t.Errorf("%s was deleted and came back as %v", keys[i], res[i].Value)
			}
			continue
		}
		if res[i].Value != want {
			lost++
			if lost < 10 {
				t.Errorf("%s = %v, want %v", keys[i], res[i].Value, want)
			}
		}
		_, wrote := appWrote[i]
		if hasTTL := ttls[i].Val() > 0; hasTTL != (entries[i].TTL > 0 || wrote) {
			t.Errorf("%s: TTL %v", keys[i], ttls[i].Val())
		}
	}
	if lost != 0 {
		t.Fatalf("%d entries lost or stale", lost)
	}
	again, err := recovery.Rotate(ctx, after)
	if err != nil || again.Rotated != 0 || again.Current != n-deleted {
		t.Fatalf("second run: %v, %v", again, err)
	}
	// Audit samples show clear keys only for what it decrypts.
	if err := client.Set(ctx, "app:1:AAAAAAAAAAAAAAAAAAAAAA", "planted", 0).Err(); err != nil {
		t.Fatal(err)
	}
	arep, err := recovery.Audit(ctx, only, recovery.WithSamples(3))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range arep.Samples[recovery.ClassCurrent] {
		if !strings.HasPrefix(k, "app:1:user:") {
			t.Errorf("audit sample %q: want the clear key", k)
		}
	}
	if s := arep.Samples[recovery.ClassPlaintext]; len(s) != 1 || s[0] != "app:1:AAAAAAAAAAAAAAAAAAAAAA" {
		t.Errorf("audit plaintext samples %q", s)
	}
}

// TestMigrateIntoHashedKilled: an encrypted alias with clear names is
// migrated (with clear-old) into a hashed-names alias by a child process,
// SIGKILLed partway and run again while the application writes the new
// alias. Nothing is lost, no newer value is clobbered, TTLs are kept, and
// no name under the new prefix reveals a key.
func TestMigrateIntoHashedKilled(t *testing.T) {
	const (
		n     = 20_000
		batch = 200
	)
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	old := newStore(t, client, newCodec(t), "legacy")
	entries := make([]store.Entry, n)
	for i := range entries {
		entries[i] = store.Entry{Key: fmt.Sprintf("mail:%d@example.com", i), Value: value(i, 64)}
		if i%2 == 0 {
			entries[i].TTL = time.Hour
		}
	}
	if err := old.SetMany(ctx, entries); err != nil {
		t.Fatal(err)
	}
	secure := hashedStore(t, client, newCodec(t), "hashed", nameSecret)

	var stop atomic.Bool
	var wg sync.WaitGroup
	var mu sync.Mutex
	appWrote := map[int]string{}
	wg.Go(func() {
		r := rand.New(rand.NewPCG(5, 5))
		for seq := 0; !stop.Load(); seq++ {
			i := r.IntN(n/40) * 40
			v := fmt.Sprintf("app-%d-%d", i, seq)
			mu.Lock()
			err := secure.Set(context.WithoutCancel(ctx), entries[i].Key, v)
			if err == nil {
				appWrote[i] = v
			}
			mu.Unlock()
			if err != nil {
				t.Error(err)
				return
			}
			if seq%8 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	})
	job := helperJob{Addr: srv.Addr, SecurePrefix: "hashed", Batch: batch, NameSecret: nameSecret, OldPrefix: "legacy"}
	if _, killed := runHelper(t, job, n/2); !killed {
		t.Fatal("the child was not killed")
	}
	partway := len(redisKeys(t, client, "hashed:*"))
	reps, _ := runHelper(t, job, 0)
	stop.Store(true)
	wg.Wait()
	if len(reps) != 1 || reps[0].Failed != 0 || reps[0].DeleteFailed != 0 {
		t.Fatalf("second run: %v", reps)
	}
	t.Logf("killed with %d hashed entries; run 2: %v; application wrote %d", partway, reps[0], len(appWrote))
	if partway == 0 || partway >= n {
		t.Fatalf("%d hashed entries after the kill, want partway", partway)
	}
	keys := make([]string, n)
	for i := range entries {
		keys[i] = entries[i].Key
	}
	res, err := secure.GetMany(ctx, keys)
	if err != nil {
		t.Fatalf("GetMany: %v", err)
	}
	ttls := make([]*redis.DurationCmd, n)
	pipe(t, client, n, func(p redis.Pipeliner, i int) { ttls[i] = p.PTTL(ctx, secure.Keys().Key(keys[i])) })
	lost, left := 0, len(redisKeys(t, client, "legacy:*"))
	for i := range res {
		want := entries[i].Value
		v, wrote := appWrote[i]
		if wrote {
			want = v
		}
		if res[i].Value != want {
			lost++
			if lost < 10 {
				t.Errorf("%s = %v, want %v", keys[i], res[i].Value, want)
			}
		}
		if !wrote && (ttls[i].Val() > 0) != (entries[i].TTL > 0) {
			t.Errorf("%s: TTL %v", keys[i], ttls[i].Val())
		}
	}
	if lost != 0 || left > reps[0].Conflicts {
		t.Fatalf("%d lost, %d old entries left for %d conflicts", lost, left, reps[0].Conflicts)
	}
	for _, name := range redisKeys(t, client, "hashed:*") {
		if strings.Contains(name, "mail") || strings.Contains(name, "example") || !secure.Keys().Owns(name) {
			t.Fatalf("name %q", name)
		}
	}
}

// TestRotateRenameRaces: what the application does between Rotate's read
// and its writes wins, deterministically: a key deleted stays deleted (the
// copy Rotate made is taken back), a key rewritten keeps the new value, a
// key rewritten under its old name by a process still on the old secret
// keeps that value for the next run, and an untouched key is renamed.
func TestRotateRenameRaces(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	old := hashedStore(t, client, newCodec(t), "app", otherNameSecret)
	for _, k := range []string{"deleted", "rewritten", "old-writer", "untouched"} {
		if err := old.Set(ctx, k, "v0-"+k, gocachestore.WithExpiration(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	expireAt := client.PExpireTime(ctx, old.Keys().Key("untouched")).Val()
	s := hashedStore(t, client, newCodec(t), "app", nameSecret, otherNameSecret)
	after := func(ctx context.Context, _ []string) {
		if err := s.Delete(ctx, "deleted"); err != nil {
			t.Error(err)
		}
		if err := s.Set(ctx, "rewritten", "v1"); err != nil {
			t.Error(err)
		}
		if err := old.Set(ctx, "old-writer", "v1-old"); err != nil {
			t.Error(err)
		}
	}
	rep, err := recovery.Rotate(ctx, s, recovery.WithHooks(nil, after))
	if err != nil || rep.Failed != 0 || rep.Renamed != 1 {
		t.Fatalf("rotate: %v, %v", rep, err)
	}
	for k, want := range map[string]string{"rewritten": "v1", "old-writer": "v1-old", "untouched": "v0-untouched"} {
		if v, err := s.Get(ctx, k); err != nil || v != want {
			t.Errorf("%s = %v, %v; want %q", k, v, err, want)
		}
	}
	if _, err := s.Get(ctx, "deleted"); !errors.Is(err, gocachestore.NotFound{}) {
		t.Errorf("deleted entry: %v", err)
	}
	if at := client.PExpireTime(ctx, s.Keys().Key("untouched")).Val(); at != expireAt || at <= 0 {
		t.Errorf("renamed entry expires at %v, the original at %v", at, expireAt)
	}
	// The next run renames the old writer's value.
	rep, err = recovery.Rotate(ctx, s)
	if err != nil || rep.Renamed != 1 {
		t.Fatalf("second run: %v, %v", rep, err)
	}
	if n := len(redistest.Keys(t, client)); n != 3 {
		t.Fatalf("%d keys left, want 3", n)
	}
}

// TestRotateNamesKeepsTags: entries tagged under an old name secret are
// still removed by Invalidate of their tag after Rotate has renamed them (the
// tag set, named by the old secret's MAC of the tag, gains their new names),
// along with entries tagged after the rotation; a dry run adds nothing, and
// a second run has nothing to add.
func TestRotateNamesKeepsTags(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	old := hashedStore(t, client, newCodec(t), "app", otherNameSecret)
	const n = 50
	for i := range n {
		tags := []string{"team:red"}
		if i%2 == 0 {
			tags = append(tags, "even")
		}
		if err := old.Set(ctx, fmt.Sprintf("k%02d", i), "v", gocachestore.WithTags(tags)); err != nil {
			t.Fatal(err)
		}
	}
	if err := old.Set(ctx, "untagged", "v"); err != nil {
		t.Fatal(err)
	}
	s := hashedStore(t, client, newCodec(t), "app", nameSecret, otherNameSecret)
	rep, err := recovery.Rotate(ctx, s, recovery.WithDryRun())
	if err != nil || rep.Retagged != 0 {
		t.Fatalf("dry run: %v, %v", rep, err)
	}
	rep, err = recovery.Rotate(ctx, s, recovery.WithBatchSize(7))
	if err != nil || rep.Renamed != n+1 || rep.Retagged != n+n/2 || rep.Failed != 0 {
		t.Fatalf("rotate: %v, %v", rep, err)
	}
	if err := s.Set(ctx, "after", "v", gocachestore.WithTags([]string{"even"})); err != nil {
		t.Fatal(err)
	}
	if err := s.Invalidate(ctx, gocachestore.WithInvalidateTags([]string{"even"})); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		_, err := s.Get(ctx, fmt.Sprintf("k%02d", i))
		if gone := errors.Is(err, gocachestore.NotFound{}); gone != (i%2 == 0) {
			t.Errorf("k%02d after invalidating \"even\": %v", i, err)
		}
	}
	if _, err := s.Get(ctx, "after"); !errors.Is(err, gocachestore.NotFound{}) {
		t.Errorf("entry tagged after the rotation: %v", err)
	}
	rep, err = recovery.Rotate(ctx, s)
	if err != nil || rep.Renamed != 0 || rep.Retagged != 0 {
		t.Fatalf("second run: %v, %v", rep, err)
	}
	if err := s.Invalidate(ctx, gocachestore.WithInvalidateTags([]string{"team:red"})); err != nil {
		t.Fatal(err)
	}
	if left := redistest.Keys(t, client); len(left) != 1 || left[0] != s.Keys().Key("untagged") {
		t.Fatalf("after invalidating every tag: %d keys left (%q), want the untagged entry", len(left), left)
	}
}

// TestRotateNamesCluster: on a three-master cluster, where an entry's old
// and new names lie in different slots, Rotate renames every entry.
func TestRotateNamesCluster(t *testing.T) {
	cc := startCluster(t)
	ctx := t.Context()
	old := hashedStore(t, cc, newCodec(t), "app", otherNameSecret)
	const n = 300
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%d", i)
		if i%3 == 0 {
			keys[i] = fmt.Sprintf("{user%d}:k%d", i/30, i)
		}
		if err := old.Set(ctx, keys[i], "v-"+keys[i], gocachestore.WithExpiration(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	s := hashedStore(t, cc, newCodec(t), "app", nameSecret, otherNameSecret)
	rep, err := recovery.Rotate(ctx, s, recovery.WithBatchSize(50))
	if err != nil || rep.Failed != 0 || rep.Renamed != n {
		t.Fatalf("rotate: %v, %v", rep, err)
	}
	only := hashedStore(t, cc, newCodec(t), "app", nameSecret)
	res, err := only.GetMany(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Value != "v-"+keys[i] {
			t.Fatalf("%s = %v, %v", keys[i], r.Value, r.Err)
		}
	}
	if got, err := only.KeysMatching(ctx, "*"); err != nil || len(got) != n {
		t.Fatalf("KeysMatching after the rotation: %d keys, %v", len(got), err)
	}
}
