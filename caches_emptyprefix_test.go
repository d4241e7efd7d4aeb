package secureredis_test

import (
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/recovery"
)

// bystanders are keys an empty-prefix alias must never touch: bare keys,
// other prefixes' keys, and keys that only look like ":version:key".
var bystanders = []string{"foo", ":x:foo", "other:1:foo", "::1:foo", ":01:foo", "1:foo", ":", ":1", "x:1:foo"}

func plantBystanders(t *testing.T, rdb *redis.Client) {
	t.Helper()
	for _, k := range bystanders {
		if err := rdb.Set(t.Context(), k, "bystander "+k, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

func checkBystanders(t *testing.T, rdb *redis.Client, step string) {
	t.Helper()
	for _, k := range bystanders {
		v, err := rdb.Get(t.Context(), k).Result()
		if err != nil || v != "bystander "+k {
			t.Errorf("after %s: %q = %q, %v; want it untouched", step, k, v, err)
		}
		if ttl := rdb.TTL(t.Context(), k).Val(); ttl != -1 {
			t.Errorf("after %s: %q has TTL %v; want none", step, k, ttl)
		}
	}
}

// Django's default KEY_PREFIX is empty: an alias with it owns exactly the
// keys ":version:key", as the old alias of a migration, as a plain alias and
// as the secure alias, and its scans, Clear, audit, rotation and migration
// touch nothing else.
func TestEmptyPrefixAliases(t *testing.T) {
	srv := redistest.Start(t)
	ctx := t.Context()
	db0, db1 := srv.Client(t, 0), srv.Client(t, 1)
	c := openCaches(t, fmt.Sprintf(`
secure_cache: default
caches:
  default:   # the secure alias, with the empty prefix
    backend: redis
    location: redis://%[1]s/0
    options:
      secret_keys: ["${REDIS_SECRET_KEY}"]
      data_recovery: {old_cache_name: legacy, old_key_prefix: app1, clear_old_entries: true}
  legacy: {backend: redis, location: redis://%[1]s/0, key_prefix: app1, options: {serializer: raw}}
  plain:     # a plaintext alias with the empty prefix, and an old alias
    backend: redis
    location: redis://%[1]s/1
    key_prefix: ""
    options: {serializer: raw}
  moved:
    backend: redis
    location: redis://%[1]s/1
    key_prefix: "secure"
    options:
      secret_keys: ["${REDIS_SECRET_KEY}"]
      data_recovery: {old_cache_name: plain, old_key_prefix: "", clear_old_entries: true}
`, srv.Addr))
	plantBystanders(t, db0)
	plantBystanders(t, db1)

	// The plain alias writes ":1:key", and its old entries move to "secure".
	plain := storeOf(t, c, "plain")
	for _, k := range []string{"a", "b:c"} {
		if err := plain.Set(ctx, k, "v-"+k); err != nil {
			t.Fatal(err)
		}
		if v := db1.Get(ctx, ":1:"+k).Val(); v != "v-"+k {
			t.Fatalf("plain alias stored %q as %q under :1:%s", k, v, k)
		}
	}
	old, dr, err := c.RecoverySource("moved")
	if err != nil || dr.OldKeyPrefix != "" {
		t.Fatalf("RecoverySource = %+v, %v", dr, err)
	}
	if old.Keys().Pattern() != ":*" {
		t.Errorf("old pattern %q, want :*", old.Keys().Pattern())
	}
	moved := storeOf(t, c, "moved")
	if _, err := recovery.Migrate(ctx, old, moved, recovery.WithClearOld()); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b:c"} {
		if v, err := moved.Get(ctx, k); err != nil || v != "v-"+k {
			t.Errorf("migrated %q = %v, %v", k, v, err)
		}
		if db1.Exists(ctx, ":1:"+k).Val() != 0 {
			t.Errorf("old entry :1:%s kept after clear-old", k)
		}
	}
	checkBystanders(t, db1, "migrate with clear-old")

	// The secure alias with the empty prefix: set, audit, rotate, clear.
	secure := storeOf(t, c, "default")
	if err := secure.Set(ctx, "x", "secret"); err != nil {
		t.Fatal(err)
	}
	if db0.Exists(ctx, ":1:x").Val() != 1 {
		t.Fatal("secure alias did not write :1:x")
	}
	a, err := recovery.Audit(ctx, secure)
	if err != nil {
		t.Fatal(err)
	}
	if a.Current != 1 || !a.Clean() {
		t.Errorf("audit of the empty prefix: %v, want 1 current entry and nothing else", a)
	}
	if _, err := recovery.Rotate(ctx, secure); err != nil {
		t.Fatal(err)
	}
	checkBystanders(t, db0, "audit and rotate")
	for _, name := range []string{"default", "legacy", "plain", "moved"} {
		if err := storeOf(t, c, name).Clear(ctx); err != nil {
			t.Fatalf("Clear %s: %v", name, err)
		}
	}
	if db0.Exists(ctx, ":1:x").Val() != 0 || db1.Exists(ctx, "secure:1:a").Val() != 0 {
		t.Error("Clear left entries of its own")
	}
	checkBystanders(t, db0, "Clear")
	checkBystanders(t, db1, "Clear")
	if n := db0.DBSize(ctx).Val() + db1.DBSize(ctx).Val(); n != int64(2*len(bystanders)) {
		t.Errorf("%d keys left, want only the %d bystanders", n, 2*len(bystanders))
	}
}
