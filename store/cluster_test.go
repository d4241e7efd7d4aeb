package store_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/store"
)

// TestCluster runs the store, its batches and Clear on a three-master Redis
// Cluster: keys spread over every master, hash-tagged keys share a slot, no
// multi-key command crosses slots, and Clear empties the prefix on every
// master and nothing else.
func TestCluster(t *testing.T) {
	cl := redistest.StartCluster(t, redistest.WithReplicas(0))
	cc := cl.Client(t)
	ctx := t.Context()
	s, err := store.NewRedis(cc, newCodec(t), newKeys(t, "app1:secure"), store.WithScanCount(50))
	if err != nil {
		t.Fatal(err)
	}

	// Our slot computation is the cluster's.
	node := redis.NewClient(&redis.Options{Addr: cl.Nodes[0].Addr})
	t.Cleanup(func() { _ = node.Close() })
	for i := range 300 {
		k := fmt.Sprintf("app1:secure:1:k%d", i)
		if i%3 == 0 {
			k = fmt.Sprintf("app1:secure:1:{user%d}:k", i)
		}
		want, err := node.ClusterKeySlot(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if got := store.HashSlot(k); int64(got) != want {
			t.Fatalf("HashSlot(%q) = %d, CLUSTER KEYSLOT = %d", k, got, want)
		}
	}

	const n = 600
	var entries []store.Entry
	var keys []string
	for i := range n {
		k := fmt.Sprintf("k%04d", i)
		if i%2 == 0 { // groups of ten keys sharing a hash tag
			k = fmt.Sprintf("{user%d}:k%04d", i/20, i)
		}
		entries = append(entries, store.Entry{Key: k, Value: "v-" + k})
		keys = append(keys, k)
	}
	if err := s.SetMany(ctx, entries); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "single", "one"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get(ctx, "single"); err != nil || v != "one" {
		t.Fatalf("Get = %v, %v", v, err)
	}
	cc.Set(ctx, "app10:1:k", "other app", 0)
	cc.Set(ctx, "{app1:secure}:1:k", "not ours either", 0)

	var mu sync.Mutex // ForEachMaster calls fn concurrently
	perMaster := map[string]int64{}
	err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		n, err := c.DBSize(ctx).Result()
		mu.Lock()
		defer mu.Unlock()
		perMaster[c.Options().Addr] = n
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(perMaster) != 3 {
		t.Fatalf("masters: %v", perMaster)
	}
	for addr, n := range perMaster {
		if n < 100 {
			t.Errorf("master %s holds %d keys: the batch did not spread", addr, n)
		}
	}

	for _, v := range getManyVariants {
		t.Run("GetMany/"+v.name, func(t *testing.T) {
			res, err := v.get(s, ctx, append(slices.Clone(keys), "absent"))
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range entries {
				if res[i].Value != e.Value {
					t.Fatalf("%s = %v, %v", e.Key, res[i].Value, res[i].Err)
				}
			}
			if res[n].Found() {
				t.Error("absent key found")
			}
		})
	}

	// Keys of another Redis type: one sharing a slot (and so an MGET) with
	// other keys, one alone in its slot (a GET).
	cc.LPush(ctx, "app1:secure:1:{user0}:list", "x")
	cc.LPush(ctx, "app1:secure:1:lonely-list", "x")
	t.Run("GetMany/wrong-type", func(t *testing.T) {
		checkWrongTypeAgrees(t, s, []string{keys[0], "{user0}:list", "lonely-list", "absent"},
			map[string]bool{"{user0}:list": true, "lonely-list": true})
	})

	if err := s.DeleteMany(ctx, keys[:n/2]); err != nil {
		t.Fatal(err)
	}
	res, err := s.GetMany(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Found() != (i >= n/2) {
			t.Fatalf("after DeleteMany %s found=%v", keys[i], r.Found())
		}
	}

	if err := s.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	var left []string
	err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		keys, err := c.Keys(ctx, "*").Result() // test assertion only
		mu.Lock()
		defer mu.Unlock()
		left = append(left, keys...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(left)
	if want := []string{"app10:1:k", "{app1:secure}:1:k"}; !slices.Equal(left, want) {
		t.Errorf("after Clear: %v, want %v", left, want)
	}
}
