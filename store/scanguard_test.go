package store_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/store"
)

// TestScannerDetectsServerChange: when another redis-server answers the same
// client mid-scan (as after a Sentinel failover), the cursor means nothing
// there; the Scanner says so instead of ending early as if complete.
func TestScannerDetectsServerChange(t *testing.T) {
	a, b := redistest.Start(t), redistest.Start(t)
	ctx := t.Context()
	for _, srv := range []*redistest.Server{a, b} {
		c := srv.Client(t, 0)
		_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := range 500 {
				p.Set(ctx, fmt.Sprintf("app1:1:k%d", i), "v", 0)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var dials atomic.Int32
	client := redis.NewClient(&redis.Options{
		PoolSize: 1,
		Dialer: func(ctx context.Context, network, _ string) (net.Conn, error) {
			addr := a.Addr
			if dials.Add(1) > 1 { // every reconnection reaches the "new master"
				addr = b.Addr
			}
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	})
	t.Cleanup(func() { _ = client.Close() })

	sc := store.NewScanner(client, "app1:*", 10)
	if _, more, err := sc.Next(ctx); err != nil || !more {
		t.Fatalf("first page: more %v, %v", more, err)
	}
	// The "failover": the server drops the client's connection.
	if err := a.Client(t, 0).Do(ctx, "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes").Err(); err != nil {
		t.Fatal(err)
	}
	var err error
	for more := true; more && err == nil; {
		_, more, err = sc.Next(ctx)
	}
	if !errors.Is(err, store.ErrScanInterrupted) {
		t.Fatalf("scan across two servers ended with %v, want ErrScanInterrupted", err)
	}

	// One server throughout: the whole keyspace, no error.
	sc = store.NewScanner(b.Client(t, 0), "app1:*", 10)
	seen := map[string]bool{}
	for more := true; more; {
		page, m, err := sc.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range page {
			seen[k] = true
		}
		more = m
	}
	if len(seen) != 500 {
		t.Fatalf("scanned %d keys, want 500", len(seen))
	}
}
