package store_test

import (
	"testing"
	"time"

	"github.com/secureredis/secureredis/store"
)

// TestOptionErrors checks that an invalid option is the call's error, and
// that nothing is written for it.
func TestOptionErrors(t *testing.T) {
	s, client := newRedisStore(t)
	ctx := t.Context()
	for name, opt := range map[string]store.LockOption{
		"negative wait":     store.LockWait(-time.Second),
		"zero interval":     store.LockRetryInterval(0),
		"negative interval": store.LockRetryInterval(-time.Millisecond),
	} {
		if l, err := s.Lock(ctx, name, time.Minute, opt); err == nil {
			t.Errorf("Lock with %s = %v, want an error", name, l)
		}
	}
	if n, err := client.DBSize(ctx).Result(); err != nil || n != 0 {
		t.Errorf("DBSIZE after refused options = %d, %v; want 0", n, err)
	}
	// A nil option is ignored.
	l, err := s.Lock(ctx, "nil", time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
}
