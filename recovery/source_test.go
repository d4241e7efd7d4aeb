package recovery_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	gocache "github.com/eko/gocache/lib/v4/cache"
	"github.com/eko/gocache/lib/v4/marshaler"
	gocachestore "github.com/eko/gocache/lib/v4/store"
	gocacheredis "github.com/eko/gocache/store/redis/v4"
	grcache "github.com/go-redis/cache/v9"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/recovery"
)

// profile is a struct an application caches through gocache's marshaler or
// go-redis/cache; both write it as a msgpack map of its fields.
type profile struct {
	Name  string
	Age   int
	Tags  []string
	Seen  time.Time
	Bytes []byte
}

var seen = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newProfile(i int) profile {
	return profile{Name: fmt.Sprintf("user %d", i), Age: 20 + i%50, Tags: []string{"a", "b"}, Seen: seen, Bytes: []byte{0, byte(i)}}
}

// profileMap is what a profile decodes to.
func profileMap(i int) map[string]any {
	p := newProfile(i)
	return map[string]any{"Name": p.Name, "Age": int64(p.Age), "Tags": []any{"a", "b"}, "Seen": p.Seen, "Bytes": p.Bytes}
}

// libraryValue is entry i of a mixed data set as an application handed it to
// the library, and as MigrateFrom must hand it to the secure alias.
func libraryValue(f recovery.Format, i int) (written, want any) {
	switch f {
	case recovery.FormatRaw: // what go-redis writes, read back as gocache's Get does
		switch i % 5 {
		case 0:
			return fmt.Sprintf("string %d", i), fmt.Sprintf("string %d", i)
		case 1:
			return []byte{0xff, 0, byte(i), '\n'}, string([]byte{0xff, 0, byte(i), '\n'})
		case 2:
			return i * 1000, fmt.Sprint(i * 1000)
		case 3:
			return float64(i) + 0.5, fmt.Sprint(float64(i) + 0.5)
		default:
			return true, "1"
		}
	default: // gocache's marshaler and go-redis/cache
		switch i % 6 {
		case 0:
			return fmt.Sprintf("string %d", i), fmt.Sprintf("string %d", i)
		case 1:
			return int64(i), int64(i)
		case 2:
			return newProfile(i), profileMap(i)
		case 3: // large enough for go-redis/cache to compress it with s2
			return strings.Repeat(fmt.Sprintf("%d,", i), 100), strings.Repeat(fmt.Sprintf("%d,", i), 100)
		case 4:
			big := map[string]any{"items": []any{}, "n": int64(i)}
			for j := range 40 {
				big["items"] = append(big["items"].([]any), fmt.Sprintf("item %d", j))
			}
			return big, big
		default:
			return []any{int64(i), "x", false, nil, 2.5}, []any{int64(i), "x", false, nil, 2.5}
		}
	}
}

// libraryTTL is the TTL entry i is written with: half persistent (except
// with go-redis/cache, which always sets one).
func libraryTTL(f recovery.Format, i int) time.Duration {
	if i%2 == 0 && f != recovery.FormatGoRedisCache {
		return 0
	}
	return time.Hour + time.Duration(i)*time.Millisecond
}

// libraryWriter writes entries as each real library does, in pipelines of
// c (the libraries accept any go-redis Cmdable, a pipeline included).
type libraryWriter struct {
	format recovery.Format
	key    func(i int) string
}

func (w libraryWriter) write(tb testing.TB, c redis.Cmdable, lo, hi int) {
	tb.Helper()
	ctx := context.Background()
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		gs := gocacheredis.NewRedis(p)
		var m *marshaler.Marshaler
		var grc *grcache.Cache
		switch w.format {
		case recovery.FormatGocache:
			m = marshaler.New(gocache.New[any](gs))
		case recovery.FormatGoRedisCache:
			grc = grcache.New(&grcache.Options{Redis: p})
		}
		for i := lo; i < hi; i++ {
			v, _ := libraryValue(w.format, i)
			ttl := libraryTTL(w.format, i)
			var err error
			switch w.format {
			case recovery.FormatRaw:
				err = gocache.New[any](gs).Set(ctx, w.key(i), v, gocachestore.WithExpiration(ttl))
			case recovery.FormatGocache:
				err = m.Set(ctx, w.key(i), v, gocachestore.WithExpiration(ttl))
			case recovery.FormatGoRedisCache:
				err = grc.Set(&grcache.Item{Ctx: ctx, Key: w.key(i), Value: v, TTL: ttl})
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("%s: %v", w.format, err)
	}
}

// TestMigrateFrom migrates bare keys written by gocache's Redis store, its
// marshaler and go-redis/cache into the secure alias: values decoded per
// format, TTLs kept exactly, old entries cleared, and keys outside the
// patterns, of the secure namespace or not strings left alone.
func TestMigrateFrom(t *testing.T) {
	const n = 300
	formats := []recovery.Format{recovery.FormatRaw, recovery.FormatGocache, recovery.FormatGoRedisCache}
	srv := redistest.Start(t)
	for db, f := range formats {
		t.Run(string(f), func(t *testing.T) {
			ctx := t.Context()
			client := srv.Client(t, db)
			secure := newStore(t, client, newCodec(t), "app1:secure")
			w := libraryWriter{format: f, key: func(i int) string { return fmt.Sprintf("user:%d", i) }}
			w.write(t, client, 0, n)
			// gocache keeps tag sets beside the entries; other keys are
			// not selected; the secure alias's own keys match "*".
			setTagged := gocache.New[any](gocacheredis.NewRedis(client)).Set
			if f == recovery.FormatGocache {
				setTagged = marshaler.New(gocache.New[any](gocacheredis.NewRedis(client))).Set
			}
			if err := setTagged(ctx, "user:tagged", "t", gocachestore.WithTags([]string{"user"})); err != nil {
				t.Fatal(err)
			}
			client.SAdd(ctx, "user:set", "member")
			client.Set(ctx, "session:1", "not selected", 0)
			if err := secure.Set(ctx, "user:pre", "secure's own"); err != nil {
				t.Fatal(err)
			}
			expireAt := map[string]int64{}
			for i := range n {
				expireAt[w.key(i)] = client.PExpireTime(ctx, w.key(i)).Val().Milliseconds()
			}
			untouched := snapshot(t, client, "session:*")
			src := recovery.Source{Client: client, Patterns: []string{"user:*", "gocache_tag_*", "*secure*"}, Format: f}

			dry, err := recovery.MigrateFrom(ctx, src, secure, recovery.WithDryRun(), recovery.WithClearOld(), recovery.WithBatchSize(64))
			if err != nil {
				t.Fatal(err)
			}
			if dry.Migrated != n+1 || dry.Failed != 0 || dry.Deleted != 0 {
				t.Fatalf("dry run = %v", dry)
			}
			var progress []recovery.Progress
			rep, err := recovery.MigrateFrom(ctx, src, secure, recovery.WithClearOld(), recovery.WithBatchSize(64),
				recovery.WithProgress(func(p recovery.Progress) { progress = append(progress, p) }))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%v", rep)
			checkSums(t, string(f), rep)
			if rep.Migrated != n+1 || rep.Deleted != n+1 || rep.Failed != 0 || !rep.Clean() ||
				rep.SkippedBy[recovery.SkipNotString] != 2 || rep.SkippedBy[recovery.SkipSecureNamespace] < 1 {
				// (SCAN may also return secure keys written during the run.)
				t.Fatalf("report = %v, want %d migrated and deleted, 2 not strings, secure keys skipped", rep, n+1)
			}
			if len(progress) < 2 || progress[len(progress)-1].Scanned != rep.Scanned {
				t.Errorf("progress %+v", progress)
			}
			for i := range n {
				k := w.key(i)
				_, want := libraryValue(f, i)
				got, err := secure.Get(ctx, k)
				if err != nil {
					t.Fatalf("Get(%s): %v", k, err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("%s (-want +got):\n%s", k, diff)
				}
				at := client.PExpireTime(ctx, secure.Keys().Key(k)).Val().Milliseconds()
				if at != expireAt[k] { // 0: persistent
					t.Fatalf("%s expires at %d, the old entry did at %d", k, at, expireAt[k])
				}
				if client.Exists(ctx, k).Val() != 0 {
					t.Fatalf("old %s not deleted", k)
				}
			}
			if v, err := secure.Get(ctx, "user:pre"); err != nil || v != "secure's own" {
				t.Errorf("secure user:pre = %v, %v", v, err)
			}
			if client.Type(ctx, "user:set").Val() != "set" || client.Type(ctx, "gocache_tag_user").Val() != "set" {
				t.Error("sets under the patterns were touched")
			}
			if diff := cmp.Diff(untouched, snapshot(t, client, "session:*")); diff != "" {
				t.Errorf("keys outside the patterns changed:\n%s", diff)
			}
			again, err := recovery.MigrateFrom(ctx, src, secure, recovery.WithClearOld())
			if err != nil || again.Migrated != 0 || again.Deleted != 0 || !again.Clean() {
				t.Errorf("second run = %v, %v, want nothing to do", again, err)
			}
		})
	}
}

// TestMigrateFromMarshalerReadsRaw checks the advice in FormatRaw's doc: an
// application that keeps gocache's marshaler over the secure store reads
// entries migrated with FormatRaw as it read them before.
func TestMigrateFromMarshalerReadsRaw(t *testing.T) {
	srv := redistest.Start(t)
	ctx := t.Context()
	client := srv.Client(t, 0)
	secure := newStore(t, client, newCodec(t), "app1:secure")
	before := marshaler.New(gocache.New[any](gocacheredis.NewRedis(client)))
	if err := before.Set(ctx, "profile:1", newProfile(1)); err != nil {
		t.Fatal(err)
	}
	rep, err := recovery.MigrateFrom(ctx, recovery.Source{Client: client, Patterns: []string{"profile:*"}}, secure, recovery.WithClearOld())
	if err != nil || rep.Migrated != 1 || rep.Deleted != 1 {
		t.Fatalf("MigrateFrom = %v, %v", rep, err)
	}
	after := marshaler.New(gocache.New[any](secure))
	got, err := after.Get(ctx, "profile:1", new(profile))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(newProfile(1), *got.(*profile)); diff != "" {
		t.Errorf("marshaler over the secure store (-want +got):\n%s", diff)
	}
}

// TestMigrateFromUndecodable plants values that are not in the declared
// format: they fail without showing the value and their old entries stay.
func TestMigrateFromUndecodable(t *testing.T) {
	srv := redistest.Start(t)
	ctx := t.Context()
	client := srv.Client(t, 0)
	secure := newStore(t, client, newCodec(t), "app1:secure")
	const secret = "SECRET-VALUE"
	client.Set(ctx, "m:text", secret, 0)                                   // not msgpack
	client.Set(ctx, "m:trailing", "\x01"+secret, 0)                        // one value, then more
	client.Set(ctx, "m:deep", strings.Repeat("\x91", 1_000_000)+"\x01", 0) // a million nested arrays
	rep, err := recovery.MigrateFrom(ctx, recovery.Source{Client: client, Patterns: []string{"m:*"}, Format: recovery.FormatGocache}, secure, recovery.WithClearOld())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed != 3 || rep.Migrated != 0 || rep.Deleted != 0 || rep.Clean() {
		t.Fatalf("report = %v", rep)
	}
	for _, f := range rep.Failures {
		if !errors.Is(f.Err, recovery.ErrDecode) || strings.Contains(f.Err.Error(), secret) {
			t.Errorf("%s: %v", f.Key, f.Err)
		}
	}
	if n := client.Exists(ctx, "m:text", "m:trailing", "m:deep").Val(); n != 3 {
		t.Errorf("%d of 3 undecodable old entries left", n)
	}
}

func TestMigrateFromValidation(t *testing.T) {
	a := newAliases(t)
	ctx := t.Context()
	tests := []struct {
		name string
		src  recovery.Source
		want error
	}{
		{"no client", recovery.Source{Patterns: []string{"*"}}, recovery.ErrNoClient},
		{"no patterns", recovery.Source{Client: a.client}, recovery.ErrNoPatterns},
		{"empty pattern", recovery.Source{Client: a.client, Patterns: []string{"a:*", ""}}, recovery.ErrNoPatterns},
		{"unknown format", recovery.Source{Client: a.client, Patterns: []string{"*"}, Format: "json"}, recovery.ErrUnknownFormat},
	}
	for _, tt := range tests {
		if _, err := recovery.MigrateFrom(ctx, tt.src, a.secure); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := recovery.MigrateFrom(ctx, recovery.Source{Client: a.client, Patterns: []string{"*"}}, nil); !errors.Is(err, recovery.ErrNilStore) {
		t.Errorf("nil secure: %v", err)
	}
	for in, want := range map[string]recovery.Format{"": recovery.FormatRaw, "raw": recovery.FormatRaw, "gocache": recovery.FormatGocache, "go-redis-cache": recovery.FormatGoRedisCache} {
		if f, err := recovery.ParseFormat(in); err != nil || f != want {
			t.Errorf("ParseFormat(%q) = %v, %v", in, f, err)
		}
	}
}
