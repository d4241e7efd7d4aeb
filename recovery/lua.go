package recovery

import (
	"context"
	"crypto/sha1"
	"encoding/hex"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/store"
)

// script is a Lua script that touches exactly one key (KEYS[1]), so it runs
// on a cluster as well as on a single node.
type script struct {
	src string
	sha string
}

func newScript(src string) script {
	h := sha1.Sum([]byte(src))
	return script{src: src, sha: hex.EncodeToString(h[:])}
}

// compareAndDelete deletes KEYS[1] if it still holds ARGV[1]. It returns 1 if
// it deleted the key, 0 if the key holds another value, and -1 if the key is
// gone (expired, deleted by someone else, or by this very script when the
// client retried a pipeline after a timeout).
var compareAndDelete = newScript(`local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then return redis.call('UNLINK', KEYS[1]) end
if v == false then return -1 end
return 0`)

// compareAndSet replaces KEYS[1] with ARGV[2], keeping its TTL, if it still
// holds ARGV[1]; it returns OK if it did and nil otherwise.
var compareAndSet = newScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL') end return false`)

// replaceIf writes ARGV[2] into KEYS[1] if the key still holds ARGV[1] or is
// gone, with the expiry ARGV[3] says: "pxat" (ARGV[4] is a Unix time in ms),
// "px" (ARGV[4] ms from now) or "persist". It returns OK if it wrote, nil if
// the key holds another value.
var replaceIf = newScript(`local v = redis.call('GET', KEYS[1])
if v ~= false and v ~= ARGV[1] then return false end
if ARGV[3] == 'pxat' then return redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[4]) end
if ARGV[3] == 'px' then return redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[4]) end
return redis.call('SET', KEYS[1], ARGV[2])`)

// runEach runs the script once per key, pipelined (EVALSHA, falling back to
// EVAL for the calls a node answers NOSCRIPT, which also loads it there), and
// returns one command per key. args(i) are the ARGV of keys[i].
func (s script) runEach(ctx context.Context, c store.Rediser, keys []string, args func(i int) []any) []*redis.Cmd {
	cmds := make([]*redis.Cmd, len(keys))
	_, _ = c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.EvalSha(ctx, s.sha, []string{k}, args(i)...)
		}
		return nil
	})
	var retry []int
	for i, cmd := range cmds {
		if redis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
			retry = append(retry, i)
		}
	}
	if len(retry) == 0 {
		return cmds
	}
	_, _ = c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, i := range retry {
			cmds[i] = p.Eval(ctx, s.src, []string{keys[i]}, args(i)...)
		}
		return nil
	})
	return cmds
}
