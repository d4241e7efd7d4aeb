package localtier

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// invalidateChannel is where Redis publishes the invalidations of a RESP2
// tracking redirect.
const invalidateChannel = "__redis__:invalidate"

// errFailover is why the tracking connection is dropped when the data
// connections reach another server than it does.
var errFailover = errors.New("localtier: the data connections reach another server than the tracking connection")

// tracker owns the tracking connection: one RESP2 connection that turns on
// CLIENT TRACKING in broadcasting mode for the prefix, redirected to itself,
// and subscribes to invalidateChannel. Every invalidation it receives drops
// keys from the cache; losing it flushes the cache and stops serving from
// memory until a new one is subscribed.
type tracker struct {
	data     *redis.Client // the application's client
	track    *redis.Client // a copy of its options, RESP2, for the tracking connection
	prefix   string
	cache    *cache
	interval time.Duration
	now      func() time.Time

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	conns atomic.Uint64 // tracking connections made, go-redis's own reconnections included

	mu      sync.Mutex
	ps      *redis.PubSub
	runID   string // server of the last tracking connection
	epoch   uint64 // bumped each time tracking is lost
	seq     uint64 // last Sync ping sent
	pong    uint64 // last Sync pong received
	notify  chan struct{}
	lastErr error
}

func newTracker(data *redis.Client, prefix string, c *cache, o *options) *tracker {
	t := &tracker{data: data, prefix: prefix, cache: c, interval: o.healthInterval, now: o.now,
		done: make(chan struct{}), notify: make(chan struct{})}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	opt := *data.Options()
	orig := opt.OnConnect
	opt.Protocol = 2
	opt.PoolSize = 2
	opt.MinIdleConns = 0
	opt.MaxRetries = -1
	opt.ClientSideCacheConfig = nil
	opt.ClientSideCache = nil
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	opt.OnConnect = func(ctx context.Context, cn *redis.Conn) error {
		if orig != nil {
			if err := orig(ctx, cn); err != nil {
				return err
			}
		}
		return t.onConnect(ctx, cn)
	}
	t.track = redis.NewClient(&opt)
	go t.run()
	return t
}

// onConnect turns tracking on for a new connection of the tracking client,
// redirected to the connection itself, and records its server's run_id.
func (t *tracker) onConnect(ctx context.Context, cn *redis.Conn) error {
	id, err := cn.ClientID(ctx).Result()
	if err != nil {
		return err
	}
	info, err := cn.Info(ctx, "server").Result()
	if err != nil {
		return err
	}
	err = cn.Do(ctx, "CLIENT", "TRACKING", "on", "REDIRECT", id, "BCAST", "PREFIX", t.prefix).Err()
	if err != nil {
		return fmt.Errorf("localtier: CLIENT TRACKING: %w", err)
	}
	t.mu.Lock()
	t.runID = runID(info)
	t.mu.Unlock()
	// A new connection, perhaps go-redis's own reconnection of a pubsub
	// whose old connection lost invalidations: trust nothing until connect
	// (which serve returns to when it sees the count change) trusts again.
	t.conns.Add(1)
	untrusted := false
	t.cache.setTrusted(&untrusted)
	return nil
}

// run keeps a tracking connection up until close.
func (t *tracker) run() {
	defer close(t.done)
	backoff := 10 * time.Millisecond
	for t.ctx.Err() == nil {
		ps, conns, err := t.connect()
		if err == nil {
			backoff = 10 * time.Millisecond
			err = t.serve(ps, conns)
		}
		t.lost(ps, err)
		select {
		case <-t.ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, t.interval)
	}
}

// connect subscribes a new tracking connection and, once Redis confirms the
// subscription (tracking is then on: onConnect ran first) and the data
// connections reach the same server, trusts the cache. It returns the count
// of tracking connections made so far, which serve watches.
func (t *tracker) connect() (*redis.PubSub, uint64, error) {
	ps := t.track.Subscribe(t.ctx)
	if err := ps.Subscribe(t.ctx, invalidateChannel); err != nil {
		return ps, 0, err
	}
	for {
		msg, err := ps.ReceiveTimeout(t.ctx, 4*t.interval)
		if err != nil {
			return ps, 0, err
		}
		if s, ok := msg.(*redis.Subscription); ok && s.Kind == "subscribe" && s.Channel == invalidateChannel {
			break
		}
	}
	conns := t.conns.Load()
	if err := t.sameServer(); err != nil {
		return ps, 0, err
	}
	if err := t.ctx.Err(); err != nil {
		return ps, 0, err // closed meanwhile
	}
	t.mu.Lock()
	t.ps = ps
	t.mu.Unlock()
	trusted := true
	t.cache.setTrusted(&trusted)
	// A reconnection (onConnect) that ran before the line above could not
	// untrust it: give this pubsub up then.
	if t.conns.Load() != conns {
		return ps, 0, errReconnected
	}
	return ps, conns, nil
}

// errReconnected is why serve gives up a pubsub that go-redis reconnected
// on its own: invalidations may have been lost in between.
var errReconnected = errors.New("localtier: the tracking connection was replaced")

// serve applies invalidations until the tracking connection fails.
func (t *tracker) serve(ps *redis.PubSub, conns uint64) error {
	lastHealth := time.Now()
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(t.ctx, t.interval)
		switch m := msg.(type) {
		case *redis.Message:
			if m.Channel == invalidateChannel {
				t.invalidated(m)
			}
		case *redis.Pong:
			pinged = false
			if s, ok := strings.CutPrefix(m.Payload, "sync:"); ok {
				if n, perr := strconv.ParseUint(s, 10, 64); perr == nil {
					t.mu.Lock()
					t.pong = max(t.pong, n)
					t.wakeLocked()
					t.mu.Unlock()
				}
			}
		}
		if err != nil && !isTimeout(err) {
			// A NULL invalidation (another client flushed the database) is an error to
			// go-redis's pubsub reader: flushing is what it asks for.
			return err
		}
		if t.conns.Load() != conns {
			return errReconnected
		}
		if time.Since(lastHealth) < t.interval {
			continue
		}
		lastHealth = time.Now()
		if pinged {
			return errors.New("localtier: tracking connection did not answer a PING")
		}
		if err := ps.Ping(t.ctx, "health"); err != nil {
			return err
		}
		pinged = true
		if err := t.sameServer(); err != nil {
			return err
		}
	}
}

// invalidated drops the keys of one invalidation message.
func (t *tracker) invalidated(m *redis.Message) {
	t.cache.messages.Add(1)
	keys := m.PayloadSlice
	if keys == nil && m.Payload != "" {
		keys = []string{m.Payload}
	}
	n := t.cache.invalidate(keys...)
	t.cache.invalidations.Add(uint64(n))
}

// lost flushes the cache and stops trusting it, closes ps, and wakes Sync
// callers (nothing is served from memory until the next connect).
func (t *tracker) lost(ps *redis.PubSub, err error) {
	trusted := false
	t.cache.setTrusted(&trusted)
	if ps != nil {
		_ = ps.Close()
	}
	t.mu.Lock()
	t.ps = nil
	t.epoch++
	t.lastErr = err
	t.wakeLocked()
	t.mu.Unlock()
}

func (t *tracker) wakeLocked() {
	close(t.notify)
	t.notify = make(chan struct{})
}

// sameServer compares the run_id of the server the data connections reach
// with the tracking connection's: after a failover they may differ until the
// tracking connection is dropped. An unreachable data server is not a
// difference: reads fail then, and nothing new is kept.
func (t *tracker) sameServer() error {
	ctx, cancel := context.WithTimeout(t.ctx, 4*t.interval)
	defer cancel()
	info, err := t.data.Info(ctx, "server").Result()
	if err != nil {
		return nil
	}
	t.mu.Lock()
	want := t.runID
	t.mu.Unlock()
	if got := runID(info); got != want {
		return errFailover
	}
	return nil
}

// err returns why the last tracking connection was lost, or nil.
func (t *tracker) err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lastErr
}

// sync sends a numbered PING on the tracking connection and waits for its
// answer, or for the connection to be lost (which flushes the cache).
func (t *tracker) sync(ctx context.Context) error {
	t.mu.Lock()
	ps, epoch := t.ps, t.epoch
	if ps == nil || !t.cache.isTrusted() {
		t.mu.Unlock()
		return nil
	}
	t.seq++
	seq := t.seq
	t.mu.Unlock()
	if err := ps.Ping(ctx, "sync:"+strconv.FormatUint(seq, 10)); err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	// A failed PING means a broken connection: serve sees it and flushes.
	for {
		t.mu.Lock()
		if t.epoch != epoch {
			t.mu.Unlock()
			return nil
		}
		if t.pong >= seq {
			t.mu.Unlock()
			break
		}
		ch := t.notify
		t.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	// A failover the tracking connection has not seen yet (the old master
	// still up and answering): stop serving from memory at once.
	if err := t.sameServer(); err != nil {
		untrusted := false
		t.cache.setTrusted(&untrusted)
		_ = ps.Close() // serve fails, reconnects to the new master
	}
	return nil
}

func (t *tracker) close() {
	t.cancel()
	// Never close the pubsub under t.mu: onConnect takes t.mu while go-redis
	// holds the pubsub's own lock to dial.
	t.mu.Lock()
	ps := t.ps
	t.mu.Unlock()
	if ps != nil {
		_ = ps.Close()
	}
	<-t.done
	_ = t.track.Close()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// runID returns the run_id field of an INFO server reply, or "" (a reply
// without one never matches another server's: both read "" only when
// neither says). The scan is linear and copies nothing but the value.
func runID(info string) string {
	const field = "run_id:"
	i := strings.Index(info, field)
	if i < 0 {
		return ""
	}
	v := info[i+len(field):]
	if j := strings.IndexAny(v, "\r\n"); j >= 0 {
		v = v[:j]
	}
	if len(v) > 64 {
		v = v[:64]
	}
	return v
}
