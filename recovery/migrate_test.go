package recovery_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gocachego "github.com/eko/gocache/store/go_cache/v4"
	"github.com/google/go-cmp/cmp"
	gocache "github.com/patrickmn/go-cache"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/recovery"
	"github.com/secureredis/secureredis/store"
)

// checkSums checks the invariant Scanned = Migrated + Skipped + Failed and
// that SkippedBy adds up to Skipped.
func checkSums(t *testing.T, name string, rep *recovery.MigrateReport) {
	t.Helper()
	if rep.Scanned != rep.Migrated+rep.Skipped+rep.Failed {
		t.Errorf("%s: scanned %d != migrated %d + skipped %d + failed %d", name, rep.Scanned, rep.Migrated, rep.Skipped, rep.Failed)
	}
	sum := 0
	for _, n := range rep.SkippedBy {
		sum += n
	}
	if sum != rep.Skipped {
		t.Errorf("%s: SkippedBy %v adds up to %d, Skipped is %d", name, rep.SkippedBy, sum, rep.Skipped)
	}
}

// TestMigrate100k migrates 100,000 entries of mixed versions and TTLs while
// the application writes to the secure alias, cancels the run halfway, runs it
// again with clear-old-entries while some old values change under it, and
// checks that every entry ended up migrated exactly once and nothing else was
// touched.
func TestMigrate100k(t *testing.T) {
	const (
		n       = 100_000
		valSize = 64
	)
	a := newAliases(t)
	ctx := t.Context()

	version := func(i int) int {
		if i%10 == 0 {
			return 2
		}
		return 1
	}
	logical := func(i int) string { return fmt.Sprintf("k%06d", i) }
	oldKey := func(i int) string { return a.old.Keys().KeyVersion(logical(i), version(i)) }
	secureKey := func(i int) string { return a.secure.Keys().KeyVersion(logical(i), version(i)) }
	ttl := func(i int) time.Duration {
		if i%3 == 0 {
			return 0
		}
		return time.Hour + time.Duration(i%1000)*time.Second
	}
	isPre := func(i int) bool { return i%1000 == 501 }                       // the app already wrote the secure key
	isHot := func(i int) bool { return i%97 == 1 && i%10 != 0 && !isPre(i) } // the app writes it during the run

	// Seed, remembering when each entry expires (Redis's clock).
	pipe(t, a.client, n, func(p redis.Pipeliner, i int) {
		p.Set(ctx, oldKey(i), value(i, valSize), ttl(i))
	})
	expiry := make([]*redis.DurationCmd, n)
	pipe(t, a.client, n, func(p redis.Pipeliner, i int) {
		expiry[i] = p.PExpireTime(ctx, oldKey(i))
	})
	var pre, hot []int
	for i := range n {
		switch {
		case isPre(i):
			pre = append(pre, i)
			if err := a.secure.Set(ctx, logical(i), "pre-existing"); err != nil {
				t.Fatal(err)
			}
		case isHot(i):
			hot = append(hot, i)
		}
	}
	pipe(t, a.client, 100, func(p redis.Pipeliner, i int) {
		p.Set(ctx, fmt.Sprintf("app10:1:k%06d", i), "other app", 0)
	})
	a.client.SAdd(ctx, "app1:gocache_tag:t", oldKey(1))
	untouched := func() map[string]string {
		m := snapshot(t, a.client, "app10:*")
		maps.Copy(m, snapshot(t, a.client, "app1:gocache_tag:*"))
		return m
	}
	before := untouched()

	// The application rewrites the hot keys while the migration runs.
	var wg sync.WaitGroup
	wg.Go(func() {
		for j, i := range hot {
			if err := a.secure.Set(ctx, logical(i), fmt.Sprintf("app-%d", i)); err != nil {
				t.Error(err)
				return
			}
			if j%10 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	})

	// Run 1: cancelled halfway from the progress callback.
	migrating := testkit.StartStopwatch() // bounds how far a kept expiry may drift
	runCtx, cancel := context.WithCancel(ctx)
	var calls int
	rep1, err := recovery.Migrate(runCtx, a.old, a.secure, recovery.WithProgress(func(p recovery.Progress) {
		calls++
		if p.Scanned >= n/2 {
			cancel()
		}
	}))
	cancel()
	if !errors.Is(err, context.Canceled) || rep1 == nil {
		t.Fatalf("run 1: %v, %v, want context.Canceled and a partial report", rep1, err)
	}
	checkSums(t, "run 1", rep1)
	if rep1.Migrated == 0 || rep1.Scanned >= n || rep1.Failed != 0 || calls == 0 {
		t.Fatalf("run 1 = %v (progress calls %d), want about half migrated", rep1, calls)
	}
	t.Logf("run 1: %v", rep1)

	// Run 2: to the end, clearing old entries; some old values change after
	// being read and must not be deleted.
	var changed []string
	changeOne := func(ctx context.Context, keys []string) {
		if len(changed) < 50 && len(keys) > 0 {
			a.client.Set(ctx, keys[0], "changed", redis.KeepTTL)
			changed = append(changed, keys[0])
		}
	}
	rep2, err := recovery.Migrate(ctx, a.old, a.secure, recovery.WithClearOld(), recovery.WithHooks(nil, changeOne))
	took := migrating.Elapsed()
	if err != nil {
		t.Fatal(err)
	}
	checkSums(t, "run 2", rep2)
	t.Logf("run 2: %v", rep2)
	wg.Wait()
	if rep2.Failed != 0 || rep2.DeleteFailed != 0 {
		t.Fatalf("run 2 failures: %v", rep2.Failures)
	}
	if len(changed) != 50 || rep2.Kept < 1 {
		t.Fatalf("run 2 kept %d old entries, changed %d", rep2.Kept, len(changed))
	}
	// Exactly once: NX means no entry is written twice; the app's hot
	// writes may have pre-empted some.
	total := rep1.Migrated + rep2.Migrated
	if total > n-len(pre) || total < n-len(pre)-len(hot) {
		t.Errorf("migrated %d + %d = %d, want between %d and %d", rep1.Migrated, rep2.Migrated, total, n-len(pre)-len(hot), n-len(pre))
	}

	// Every entry is in the secure alias with its value, version and TTL.
	c := a.secure.Codec().(*codec.Codec)
	hotSet := map[int]bool{}
	for _, i := range hot {
		hotSet[i] = true
	}
	for lo := 0; lo < n; lo += 1000 {
		hi := min(lo+1000, n)
		gets := make([]*redis.StringCmd, hi-lo)
		expires := make([]*redis.DurationCmd, hi-lo)
		wrong := make([]*redis.IntCmd, hi-lo)
		_, _ = a.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := lo; i < hi; i++ {
				gets[i-lo] = p.Get(ctx, secureKey(i))
				expires[i-lo] = p.PExpireTime(ctx, secureKey(i))
				wrong[i-lo] = p.Exists(ctx, a.secure.Keys().KeyVersion(logical(i), 3-version(i)))
			}
			return nil
		})
		for i := lo; i < hi; i++ {
			tok, err := gets[i-lo].Bytes()
			if err != nil {
				t.Fatalf("secure %s: %v", secureKey(i), err)
			}
			got, err := c.Decode(secureKey(i), tok)
			if err != nil {
				t.Fatalf("secure %s: %v", secureKey(i), err)
			}
			want := value(i, valSize)
			switch {
			case isPre(i):
				want = "pre-existing"
			case hotSet[i]:
				want = fmt.Sprintf("app-%d", i)
			}
			if got != want {
				t.Fatalf("secure %s = %q, want %q", secureKey(i), got, want)
			}
			if wrong[i-lo].Val() != 0 {
				t.Fatalf("entry %d also written at the wrong version", i)
			}
			if isPre(i) || hotSet[i] {
				continue
			}
			gotExp, wantExp := expires[i-lo].Val(), expiry[i].Val()
			switch {
			case ttl(i) == 0 && gotExp != -1:
				t.Fatalf("persistent %s expires at %v", secureKey(i), gotExp)
			case ttl(i) > 0 && !within(gotExp, wantExp, took):
				t.Fatalf("%s expires at %v, want %v ± %v (the migration's time)", secureKey(i), gotExp, wantExp, took)
			}
		}
	}

	// Old entries: deleted, except those that changed after being read
	// (Kept) and those whose secure copy the application wrote with another
	// value (Conflicts: every pre-existing one, and the hot ones it wrote
	// before the migration reached them).
	var left []string
	for _, k := range redistest.Keys(t, a.client) {
		if a.old.Keys().Owns(k) {
			left = append(left, k)
		}
	}
	preSet := map[string]bool{}
	for _, i := range pre {
		preSet[oldKey(i)] = true
	}
	hotKeys := map[string]int{}
	for _, i := range hot {
		hotKeys[oldKey(i)] = i
	}
	conflicts := 0
	for _, k := range left {
		v := a.client.Get(ctx, k).Val()
		_, isHot := hotKeys[k]
		switch {
		case slices.Contains(changed, k):
			if v != "changed" {
				t.Errorf("old entry %s = %q, want the changed value", k, v)
			}
		case preSet[k] || isHot:
			conflicts++
			if !strings.HasPrefix(v, "value-") {
				t.Errorf("conflicting old entry %s = %q, want its own value", k, v)
			}
		default:
			t.Errorf("old entry %s not deleted", k)
		}
	}
	if len(left) != rep2.Kept+rep2.Conflicts || conflicts < len(pre) || rep2.Clean() {
		t.Errorf("%d old entries left (%d conflicts), run 2 kept %d and reported %d conflicts, clean %v", len(left), conflicts, rep2.Kept, rep2.Conflicts, rep2.Clean())
	}
	if len(rep2.ConflictKeys) != min(recovery.DefaultSamples, len(left)) {
		t.Errorf("run 2 conflict keys %q", rep2.ConflictKeys)
	}
	if diff := cmp.Diff(before, untouched()); diff != "" {
		t.Errorf("keys outside the old scheme changed (-before +after):\n%s", diff)
	}

	// Run 3: nothing left to migrate; the kept entries' secure copies
	// exist, so they are skipped, not overwritten.
	rep3, err := recovery.Migrate(ctx, a.old, a.secure)
	if err != nil {
		t.Fatal(err)
	}
	checkSums(t, "run 3", rep3)
	if rep3.Migrated != 0 || rep3.Failed != 0 || rep3.SkippedBy[recovery.SkipExists] != len(left) || rep3.SkippedBy[recovery.SkipNotOwned] != 1 || !rep3.Clean() {
		t.Errorf("run 3 = %v, want 0 migrated, %d exists, 1 not-owned (the tag set)", rep3, len(left))
	}

	// Run 4: clearing again reports every kept entry as a conflict and
	// deletes none; preferring the secure alias deletes them all.
	rep4, err := recovery.Migrate(ctx, a.old, a.secure, recovery.WithClearOld())
	if err != nil {
		t.Fatal(err)
	}
	if rep4.Conflicts != len(left) || rep4.Deleted != 0 || rep4.Clean() {
		t.Errorf("run 4 = %v, want %d conflicts", rep4, len(left))
	}
	rep5, err := recovery.Migrate(ctx, a.old, a.secure, recovery.WithClearOld(), recovery.WithPrefer(recovery.PreferSecure))
	if err != nil {
		t.Fatal(err)
	}
	if rep5.Conflicts != 0 || rep5.Resolved != len(left) || rep5.Deleted != len(left) || !rep5.Clean() {
		t.Errorf("run 5 = %v, want %d resolved", rep5, len(left))
	}
	for _, k := range left {
		if a.client.Exists(ctx, k).Val() != 0 {
			t.Errorf("old entry %s left after PreferSecure", k)
		}
	}
}

// TestMigrateDryRunAndIdempotent checks that a dry run writes nothing, that a
// run migrates everything with progress reported per batch, and that a second
// run migrates nothing and skips everything as existing.
func TestMigrateDryRunAndIdempotent(t *testing.T) {
	const n = 3000
	a := newAliases(t)
	ctx := t.Context()
	pipe(t, a.client, n, func(p redis.Pipeliner, i int) {
		p.Set(ctx, fmt.Sprintf("app1:1:k%d", i), value(i, 32), time.Duration(i%2)*time.Hour)
	})
	if err := a.secure.Set(ctx, "k7", "app value"); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, a.client, "*")

	dry, err := recovery.Migrate(ctx, a.old, a.secure, recovery.WithDryRun(), recovery.WithClearOld(), recovery.WithBatchSize(500))
	if err != nil {
		t.Fatal(err)
	}
	checkSums(t, "dry run", dry)
	if !dry.DryRun || dry.Migrated != n-1 || dry.SkippedBy[recovery.SkipExists] != 1 || dry.Deleted != 0 {
		t.Errorf("dry run = %v, want %d would-migrate, 1 exists", dry, n-1)
	}
	if diff := cmp.Diff(before, snapshot(t, a.client, "*")); diff != "" {
		t.Fatalf("dry run changed Redis (-before +after):\n%s", diff)
	}

	var progress []recovery.Progress
	rep, err := recovery.Migrate(ctx, a.old, a.secure, recovery.WithBatchSize(500), recovery.WithProgress(func(p recovery.Progress) {
		progress = append(progress, p)
	}))
	if err != nil {
		t.Fatal(err)
	}
	checkSums(t, "run 1", rep)
	if rep.Migrated != n-1 || rep.Skipped != 1 || rep.DryRun {
		t.Errorf("run 1 = %v", rep)
	}
	if len(progress) < 2 {
		t.Errorf("%d progress calls, want several", len(progress))
	}
	if last := progress[len(progress)-1]; last != (recovery.Progress{Scanned: rep.Scanned, Done: rep.Migrated, Skipped: rep.Skipped}) {
		t.Errorf("last progress %+v, report %v", last, rep)
	}
	for i := 1; i < len(progress); i++ {
		if progress[i].Scanned < progress[i-1].Scanned {
			t.Errorf("progress went backwards: %+v", progress)
		}
	}
	if v, _ := a.secure.Get(ctx, "k7"); v != "app value" {
		t.Errorf("secure k7 = %v, the app's value must win", v)
	}

	again, err := recovery.Migrate(ctx, a.old, a.secure)
	if err != nil {
		t.Fatal(err)
	}
	if again.Migrated != 0 || again.SkippedBy[recovery.SkipExists] != n || again.Skipped != n {
		t.Errorf("second run = %v, want 0 migrated and all %d skipped as exists", again, n)
	}
	if len(rep.Failures) != 0 || len(again.Failures) != 0 {
		t.Errorf("failures: %v %v", rep.Failures, again.Failures)
	}
}

// TestMigrateFailures makes Redis refuse some writes for real (an ACL user
// that may not write secure keys starting with "d") and plants an entry that
// is not a string: the failures are reported per key, the rest of each batch
// is migrated, and no failed entry's old copy is deleted.
func TestMigrateFailures(t *testing.T) {
	srv := redistest.Start(t)
	admin := srv.Client(t, 0)
	ctx := t.Context()
	err := admin.Do(ctx, "ACL", "SETUSER", "migrator", "on", ">migrator-pw", "+@all",
		"~app1:[0-9]*", "%R~*", "%RW~app1:secure:1:[^d]*").Err()
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(&redis.Options{Addr: srv.Addr, Username: "migrator", Password: "migrator-pw"})
	t.Cleanup(func() { _ = client.Close() })
	old := newStore(t, client, codec.Raw{}, "app1")
	secure := newStore(t, client, newCodec(t), "app1:secure")

	const secret = "SECRET-VALUE-"
	pipe(t, admin, 500, func(p redis.Pipeliner, i int) {
		p.Set(ctx, fmt.Sprintf("app1:1:ok%03d", i), secret+"ok", 0)
		if i%25 == 0 {
			p.Set(ctx, fmt.Sprintf("app1:1:deny%03d", i), secret+"deny", time.Hour)
		}
	})
	admin.HSet(ctx, "app1:1:hash", "f", secret+"hash")

	rep, err := recovery.Migrate(ctx, old, secure, recovery.WithClearOld(), recovery.WithBatchSize(100))
	if err != nil {
		t.Fatal(err)
	}
	checkSums(t, "run", rep)
	if rep.Migrated != 500 || rep.Failed != 21 || rep.Deleted != 500 || rep.DeleteFailed != 0 {
		t.Fatalf("report = %v, want 500 migrated and deleted, 21 failed", rep)
	}
	var failed []string
	for _, f := range rep.Failures {
		failed = append(failed, f.Key)
		msg := f.Err.Error()
		if strings.Contains(msg, secret) {
			t.Errorf("failure for %s shows the value: %s", f.Key, msg)
		}
		want := "NOPERM"
		if f.Key == "app1:1:hash" {
			want = "WRONGTYPE"
		}
		if !strings.Contains(msg, want) {
			t.Errorf("failure for %s = %q, want %s", f.Key, msg, want)
		}
	}
	slices.Sort(failed)
	var want []string
	for i := 0; i < 500; i += 25 {
		want = append(want, fmt.Sprintf("app1:1:deny%03d", i))
	}
	want = append(want, "app1:1:hash")
	if diff := cmp.Diff(want, failed); diff != "" {
		t.Errorf("failed keys (-want +got):\n%s", diff)
	}
	for _, k := range want {
		if admin.Exists(ctx, k).Val() != 1 {
			t.Errorf("old entry %s of a failed key was deleted", k)
		}
	}
	if left := redistest.Keys(t, admin); len(left) != 500+21 {
		t.Errorf("%d keys left, want 500 secure + 21 failed old ones", len(left))
	}
	if s := fmt.Sprintf("%v %+v", rep, rep.Failures); strings.Contains(s, secret) {
		t.Errorf("report shows a value: %s", s)
	}
}

// TestMigrateVanished deletes or expires entries between SCAN and GET: they
// are skipped as expired and nothing is written for them.
func TestMigrateVanished(t *testing.T) {
	a := newAliases(t)
	ctx := t.Context()
	pipe(t, a.client, 200, func(p redis.Pipeliner, i int) {
		p.Set(ctx, fmt.Sprintf("app1:1:k%03d", i), value(i, 16), time.Hour)
	})
	var gone []string
	vanish := func(ctx context.Context, keys []string) {
		for j, k := range keys[:min(10, len(keys))] {
			if j%2 == 0 {
				a.client.Del(ctx, k)
			} else {
				a.client.PExpire(ctx, k, time.Millisecond)
			}
			gone = append(gone, k)
		}
		time.Sleep(5 * time.Millisecond)
	}
	rep, err := recovery.Migrate(ctx, a.old, a.secure, recovery.WithBatchSize(100), recovery.WithHooks(vanish, nil), recovery.WithClearOld())
	if err != nil {
		t.Fatal(err)
	}
	checkSums(t, "run", rep)
	if rep.SkippedBy[recovery.SkipExpired] != len(gone) || rep.Migrated != 200-len(gone) || rep.Deleted != rep.Migrated {
		t.Errorf("report = %v, want %d expired", rep, len(gone))
	}
	for _, k := range gone {
		key, _, _ := a.old.Keys().Parse(k)
		if n := a.client.Exists(ctx, a.secure.Keys().Key(key)).Val(); n != 0 {
			t.Errorf("secure copy written for vanished %s", k)
		}
	}
}

// TestMigrateNamespaces checks which keys under the old prefix are
// migrated, for secure prefixes that extend the old one and prefixes with
// glob characters.
func TestMigrateNamespaces(t *testing.T) {
	tests := []struct {
		name, oldPrefix, securePrefix string
		plant                         map[string]string // key → plaintext value
		want                          map[string]string // secure key → value after migration
		skipped                       map[recovery.SkipReason]int
		deleted                       []string // old keys cleared
	}{
		{
			name: "secure under old", oldPrefix: "app1", securePrefix: "app1:secure",
			plant: map[string]string{
				"app1:1:a": "a", "app1:2:b": "b", "app10:1:c": "other app", "app1:x": "not an entry",
				"app1:01:d": "not canonical", "app1:secure:1:e": "secure namespace",
			},
			want:    map[string]string{"app1:secure:1:a": "a", "app1:secure:2:b": "b"},
			deleted: []string{"app1:1:a", "app1:2:b"},
		},
		{
			name: "secure looks like a version", oldPrefix: "app1", securePrefix: "app1:9",
			plant:   map[string]string{"app1:1:a": "a", "app1:9:1:e": "secure namespace"},
			want:    map[string]string{"app1:9:1:a": "a"},
			deleted: []string{"app1:1:a"},
			// "app1:9:1:e" parses as version 9 of the old scheme.
			skipped: map[recovery.SkipReason]int{recovery.SkipSecureNamespace: 1},
		},
		{
			name: "glob characters", oldPrefix: "a*[1]", securePrefix: "s?",
			plant:   map[string]string{"a*[1]:1:k": "k", "ab[1]:1:k": "other", "a*1:1:k": "other", `a\*[1]:1:k`: "other"},
			want:    map[string]string{"s?:1:k": "k"},
			deleted: []string{"a*[1]:1:k"},
		},
	}
	srv := redistest.Start(t)
	for db, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			client := srv.Client(t, db)
			for k, v := range tt.plant {
				client.Set(ctx, k, v, 0)
			}
			c := newCodec(t)
			old := newStore(t, client, codec.Raw{}, tt.oldPrefix)
			secure := newStore(t, client, c, tt.securePrefix)
			rep, err := recovery.Migrate(ctx, old, secure, recovery.WithClearOld())
			if err != nil {
				t.Fatal(err)
			}
			checkSums(t, tt.name, rep)
			if rep.Migrated != len(tt.want) || rep.Failed != 0 {
				t.Errorf("report = %v, want %d migrated", rep, len(tt.want))
			}
			for reason, n := range tt.skipped {
				if rep.SkippedBy[reason] != n {
					t.Errorf("skipped %s = %d, want %d", reason, rep.SkippedBy[reason], n)
				}
			}
			got := map[string]string{}
			for _, k := range redistest.Keys(t, client) {
				if secure.Keys().Owns(k) && tt.plant[k] == "" {
					got[k] = decrypt(t, client, c, k).(string)
				} else if v := client.Get(ctx, k).Val(); v != tt.plant[k] {
					t.Errorf("%s = %q, planted %q", k, v, tt.plant[k])
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("secure entries (-want +got):\n%s", diff)
			}
			for k := range tt.plant {
				if deleted := client.Exists(ctx, k).Val() == 0; deleted != slices.Contains(tt.deleted, k) {
					t.Errorf("%s deleted = %v", k, deleted)
				}
			}
		})
	}
}

// TestMigrateOldCodec migrates from an old alias that is itself encrypted
// (with another key): values are decoded with the old codec and keep their
// types; an entry it cannot decode fails without showing the value.
func TestMigrateOldCodec(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	old := newStore(t, client, newCodec(t, otherKey), "legacy")
	secure := newStore(t, client, newCodec(t), "app1:secure")
	values := map[string]any{"n": int64(42), "m": map[string]any{"a": "b"}, "b": []byte{0, 1}, "s": "str"}
	for k, v := range values {
		if err := old.Set(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	client.Set(ctx, "legacy:1:bad", "SECRET-PLAINTEXT", 0)
	rep, err := recovery.Migrate(ctx, old, secure)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Migrated != len(values) || rep.Failed != 1 || len(rep.Failures) != 1 {
		t.Fatalf("report = %v", rep)
	}
	f := rep.Failures[0]
	if f.Key != "legacy:1:bad" || !errors.Is(f.Err, recovery.ErrDecode) || !errors.Is(f.Err, codec.ErrInvalidToken) || strings.Contains(f.Err.Error(), "SECRET") {
		t.Errorf("failure = %s: %v", f.Key, f.Err)
	}
	for k, want := range values {
		got, err := secure.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", k, diff)
		}
	}
}

func TestMigrateValidation(t *testing.T) {
	a := newAliases(t)
	ctx := t.Context()
	inner := gocachego.NewGoCache(gocache.New(time.Minute, time.Minute))
	memory, err := store.New(inner, newCodec(t), newKeys(t, "mem"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		old, secure *store.EncryptingStore
		opts        []recovery.Option
		want        error
	}{
		{"nil old", nil, a.secure, nil, recovery.ErrNilStore},
		{"nil secure", a.old, nil, nil, recovery.ErrNilStore},
		{"no client", memory, a.secure, nil, recovery.ErrNoClient},
		{"same prefix", a.old, newStore(t, a.client, newCodec(t), "app1"), nil, recovery.ErrSamePrefix},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := recovery.Migrate(ctx, tt.old, tt.secure, tt.opts...); !errors.Is(err, tt.want) {
				t.Errorf("Migrate = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := recovery.Migrate(ctx, a.old, a.secure, recovery.WithBatchSize(0)); err == nil {
		t.Error("batch size 0 accepted")
	}
	if _, err := recovery.Audit(ctx, a.secure, recovery.WithSamples(-1)); err == nil {
		t.Error("negative sample count accepted")
	}
	if _, err := recovery.Rotate(ctx, a.old); !errors.Is(err, recovery.ErrNotFernet) {
		t.Errorf("Rotate(raw store) = %v, want ErrNotFernet", err)
	}
	if _, err := recovery.Audit(ctx, a.old); !errors.Is(err, recovery.ErrNotFernet) {
		t.Errorf("Audit(raw store) = %v, want ErrNotFernet", err)
	}
	if _, err := recovery.Rotate(ctx, memory); !errors.Is(err, recovery.ErrNoClient) {
		t.Errorf("Rotate(memory store) = %v, want ErrNoClient", err)
	}
	// A cancelled context stops before the first batch.
	a.client.Set(ctx, "app1:1:k", "v", 0)
	done, cancel := context.WithCancel(ctx)
	cancel()
	rep, err := recovery.Migrate(done, a.old, a.secure)
	if !errors.Is(err, context.Canceled) || rep == nil || rep.Migrated != 0 {
		t.Errorf("Migrate(cancelled) = %v, %v", rep, err)
	}
}
