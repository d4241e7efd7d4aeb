package recovery

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/store"
)

// write stores the encoded entries with SET NX in one pipeline, each with the
// rest of its TTL.
func (m *migration) write(ctx context.Context, es []entry, live []int) {
	ttls := make([]time.Duration, len(es))
	now := time.Now()
	out := live[:0]
	for _, i := range live {
		e := &es[i]
		if e.expireAt.IsZero() {
			out = append(out, i) // ttls[i] == 0: persistent
			continue
		}
		// Whole milliseconds, as PX takes them; less than one left is expired
		// (0 would make the copy persistent).
		ttls[i] = e.expireAt.Sub(now).Truncate(time.Millisecond)
		if ttls[i] <= 0 {
			e.tok = nil
			e.skip(SkipExpired)
			continue
		}
		out = append(out, i)
	}
	live = out
	if len(live) == 0 {
		return
	}
	cmds := make([]redis.Cmder, len(live))
	_, _ = m.secure.Client().Pipelined(ctx, func(p redis.Pipeliner) error {
		for j, i := range live {
			if e := &es[i]; e.pxat > 0 {
				// Same server: the exact expiry, by its own clock.
				cmds[j] = p.Do(ctx, "set", e.newKey, e.tok, "pxat", e.pxat, "nx")
			} else {
				cmds[j] = p.SetNX(ctx, e.newKey, e.tok, ttls[i])
			}
		}
		return nil
	})
	for j, i := range live {
		e := &es[i]
		switch err := cmds[j].Err(); {
		case errors.Is(err, redis.Nil): // NX: the key exists
			e.skip(SkipExists)
		case err != nil:
			e.fail(fmt.Errorf("recovery: write: %w", err))
		case written(cmds[j]):
			e.state = migrated
		default:
			e.skip(SkipExists)
		}
	}
}

// sameClient reports whether a and b are one client of one server (not a
// cluster, whose nodes have clocks of their own).
func sameClient(a, b store.Rediser) bool {
	if _, cluster := a.(interface {
		ForEachMaster(context.Context, func(context.Context, *redis.Client) error) error
	}); cluster {
		return false
	}
	return reflect.TypeOf(a).Comparable() && a == b
}

// written reports whether a SET NX command stored its value.
func written(c redis.Cmder) bool {
	switch c := c.(type) {
	case *redis.BoolCmd:
		return c.Val()
	case *redis.Cmd:
		return c.Val() == "OK"
	}
	return false
}

// exists classifies the encoded entries without writing (dry run).
func (m *migration) exists(ctx context.Context, es []entry, live []int) {
	if len(live) == 0 {
		return
	}
	cmds := make([]*redis.IntCmd, len(live))
	_, _ = m.secure.Client().Pipelined(ctx, func(p redis.Pipeliner) error {
		for j, i := range live {
			cmds[j] = p.Exists(ctx, es[i].newKey)
		}
		return nil
	})
	for j, i := range live {
		e := &es[i]
		switch n, err := cmds[j].Result(); {
		case err != nil:
			e.fail(fmt.Errorf("recovery: check secure key: %w", err))
		case n == 0:
			e.state = migrated
		default:
			e.skip(SkipExists)
		}
	}
}
