package store

import (
	"context"
	"errors"
	"strings"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/internal/parallel"
)

// Batches (GetMany, SetMany, DeleteMany) cost one round trip to Redis per
// batch on a single node or Sentinel, and one per master, in parallel, on a
// cluster, where keys are grouped by hash slot so that no multi-key command
// crosses slots.

// Result is what GetMany reports for one key: exactly what Get would have
// returned for it.
type Result struct {
	// Value is the decrypted value when Err is nil, with the types described
	// on EncryptingStore; nil otherwise.
	Value any
	// Err is nil on a hit. A missing key is gocache's store.NotFound (match
	// it with errors.Is(err, store.NotFound{}) from gocache); an entry that
	// does not decrypt is also a NotFound, whose cause matches
	// codec.ErrInvalidToken (codec.ErrUnsupportedType for a Python type Go
	// cannot read), and is counted in DecryptFailures like a Get.
	// Anything else is the Redis (or inner store) error for that key.
	Err error
}

// Found reports whether the key was present and decrypted (Err is nil).
func (r Result) Found() bool { return r.Err == nil }

// Entry is one key and value for SetMany.
type Entry struct {
	Key   string
	Value any // anything Set accepts: not nil
	// TTL, when positive, is the entry's own expiration. Zero means the
	// batch's: SetMany's gocache store.WithExpiration option if given, else
	// the store's default (WithDefaultExpiration; without it, with New, the
	// inner store's). Negative is ErrInvalidExpiration.
	TTL time.Duration
}

// maxCommandKeys bounds the keys of one MGET or UNLINK, so that a huge batch
// does not block Redis in one command; larger batches send several commands
// in the same pipeline.
const maxCommandKeys = 512

// errMiss is the Result error of a missing key. NotFound carries no state
// beyond its cause, so one value serves every miss.
var errMiss = gocachestore.NotFoundWithCause(redis.Nil)

// batchMode is how a batch reaches Redis.
type batchMode int

const (
	// modeSingle: one server holds every key (a *redis.Client, including a
	// Sentinel failover client): multi-key commands take the whole batch.
	modeSingle batchMode = iota
	// modeSlots: a Redis Cluster: one multi-key command per hash slot, all
	// in one pipeline that go-redis splits by node.
	modeSlots
	// modeKeys: any other client (a *redis.Ring shards keys its own way):
	// one command per key in one pipeline, which the client routes.
	modeKeys
)

func (s *EncryptingStore) batchMode() batchMode {
	switch s.client.(type) {
	case *redis.Client:
		return modeSingle
	case masterIterator:
		return modeSlots
	}
	return modeKeys
}

// GetMany returns, in the order of keys, what Get would return for each key
// (see Result); a key may appear more than once. A NewRedis store reads the
// whole batch in one pipeline (see Batches in the package documentation);
// misses go to the fallback one by one, as with Get. The error is nil when
// every key was answered (hit, miss or entry that does not decrypt);
// otherwise it is the first other error (Redis down, ctx done), also in the
// Results of the keys it concerns. It is safe for concurrent use and reads
// only keys under the store's prefix.
func (s *EncryptingStore) GetMany(ctx context.Context, keys []string) ([]Result, error) {
	return s.getMany(ctx, keys, s.batchMode())
}

// namesPerWorker is the least number of hashed names a goroutine of
// GetMany computes. A name costs about 250 ns, an eighth of a decoding, so
// the hand-off that parallel.MinPerWorker pays for with 32 decodings needs
// 256 names: in BenchmarkHashedNames (100 keys, 2 vCPUs), computing them on
// two goroutines cost 14% more CPU than clear names, on one 6% more.
const namesPerWorker = 8 * parallel.MinPerWorker

// decodeFixed is what decoding a token costs beyond its length, in bytes
// of token: BenchmarkDecode (codec) takes about 0.66 ns a byte of token,
// from 1 KiB to 100 KiB values, and some 0.35 us more for each token
// whatever its length (the HMAC's last blocks, the buffer, the checks),
// what 512 bytes cost.
const decodeFixed = 512

// minDecodeWork is the least decoding a goroutine of GetMany is given, in
// bytes of token with decodeFixed for each: 32 tokens of 1 KiB values
// (parallel.MinPerWorker's), about 45 us. So 100 values of 1 KiB are split
// over up to three goroutines, as they were by count; 100 of 64 bytes stay
// on the caller, where three goroutines took longer than one
// (BenchmarkDecodeMany, size=64); 100 of 16 KiB go to every processor, up
// to one goroutine per key.
const minDecodeWork = parallel.MinPerWorker * (1464 + decodeFixed)

// decodeWork is the decoding work of the tokens read (got), for
// parallel.ForWork.
func decodeWork(toks []string, got []bool) int {
	work := 0
	for i, t := range toks {
		if got[i] {
			work += len(t) + decodeFixed
		}
	}
	return work
}

func (s *EncryptingStore) getMany(ctx context.Context, keys []string, mode batchMode) ([]Result, error) {
	res := make([]Result, len(keys))
	if len(keys) == 0 {
		return res, nil
	}
	if s.client == nil {
		for i, k := range keys {
			res[i].Value, res[i].Err = s.Get(ctx, k)
		}
		return res, firstError(res)
	}
	// Each key's storage name and the clear key its token is bound to (the
	// same string with clear names); hashed names cost an HMAC each, so large
	// batches compute them on every core.
	sks := make([]string, len(keys))
	bounds := sks
	if s.keys.Hashed() {
		bounds = make([]string, len(keys))
		parallel.ForEach(len(keys), namesPerWorker, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				sks[i], bounds[i] = s.keys.KeyBinding(keys[i])
			}
		})
	} else {
		for i, k := range keys {
			sks[i] = s.keys.Key(k)
		}
	}
	// A key's token is toks[i] where res[i].Err is nil after the reads.
	toks := make([]string, len(keys))
	s.fetchMany(ctx, mode, sks, toks, res)
	if s.keys.Secrets() > 1 {
		s.fetchOlder(ctx, keys, sks, toks, res) // hashnames.go
	}
	got := make([]bool, len(keys))
	for i := range res {
		got[i] = res[i].Err == nil
	}
	decode := s.decodeString()
	parallel.ForWork(len(keys), decodeWork(toks, got), minDecodeWork, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if !got[i] {
				continue
			}
			v, err := decode(bounds[i], toks[i])
			if err != nil {
				res[i].Err = err // wrapped by failed below
				continue
			}
			res[i].Value = v
		}
	})
	// Count failures and call the hook on the caller's goroutine, as Get does.
	for i := range res {
		if got[i] && res[i].Err != nil {
			res[i].Err = s.failed(ctx, keys[i], res[i].Err)
		}
	}
	if s.fallbackActive() {
		for i := range res {
			if res[i].Err == errMiss {
				res[i].Value, _, res[i].Err = s.fetchFallback(ctx, keys[i], sks[i], nil)
			}
		}
	}
	for i := range res {
		s.countRead(res[i].Err)
	}
	return res, firstError(res)
}

// fetchMany reads the tokens of storage keys sks into toks, the replies'
// own strings; a miss sets res[i].Err to errMiss, a failure to the error.
func (s *EncryptingStore) fetchMany(ctx context.Context, mode batchMode, sks []string, toks []string, res []Result) {
	if mode == modeKeys {
		cmds := make([]*redis.StringCmd, len(sks))
		_, _ = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, sk := range sks {
				cmds[i] = p.Get(ctx, sk)
			}
			return nil
		})
		for i, c := range cmds {
			fromGet(c, i, toks, res)
		}
		return
	}
	groups := s.groups(mode, sks)
	cmds := make([]*redis.SliceCmd, len(groups))
	gets := make([]*redis.StringCmd, len(groups)) // a slot with one key: GET
	_, _ = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for g, idx := range groups {
			if len(idx) == 1 && mode == modeSlots {
				gets[g] = p.Get(ctx, sks[idx[0]])
				continue
			}
			ks := make([]string, len(idx))
			for j, i := range idx {
				ks[j] = sks[i]
			}
			cmds[g] = p.MGet(ctx, ks...)
		}
		return nil
	})
	for g, c := range gets {
		if c == nil {
			continue
		}
		fromGet(c, groups[g][0], toks, res)
	}
	var absent []int // MGET's nil: a missing key, or one of another type
	for g, idx := range groups {
		if cmds[g] == nil {
			continue
		}
		vals, err := cmds[g].Result()
		for j, i := range idx {
			if err != nil {
				res[i].Err = err
				continue
			}
			switch v := vals[j].(type) {
			case string:
				toks[i] = v
			case nil:
				absent = append(absent, i)
			default: // not a RESP bulk string: not a token
				toks[i] = ""
			}
		}
	}
	s.recheckAbsent(ctx, sks, absent, toks, res)
}

// recheckAbsent sends a GET for each key MGET reported absent, in one more
// pipeline, because MGET reads a key holding a list, set or hash as absent
// where GET (and so Get) fails with WRONGTYPE: each such key's Result then
// carries the error Get returns. The GET also reads a value written since
// the MGET, as a Get would now.
func (s *EncryptingStore) recheckAbsent(ctx context.Context, sks []string, absent []int, toks []string, res []Result) {
	if len(absent) == 0 {
		return
	}
	gets := make([]*redis.StringCmd, len(absent))
	_, _ = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for j, i := range absent {
			gets[j] = p.Get(ctx, sks[i])
		}
		return nil
	})
	for j, i := range absent {
		fromGet(gets[j], i, toks, res)
	}
}

// fromGet records the reply of a GET for key i: its token, a miss, or the
// error (WRONGTYPE, Redis down, ctx done) that Get would return.
func fromGet(c *redis.StringCmd, i int, toks []string, res []Result) {
	switch tok, err := c.Result(); {
	case errors.Is(err, redis.Nil):
		res[i].Err = errMiss
	case err != nil:
		res[i].Err = err
	default:
		toks[i] = tok
	}
}

// groups splits the indexes of sks into the key lists of multi-key commands:
// chunks of at most maxCommandKeys, and one hash slot per list on a cluster.
// Lists keep the order of sks.
func (s *EncryptingStore) groups(mode batchMode, sks []string) [][]int {
	if mode == modeSingle {
		out := make([][]int, 0, (len(sks)+maxCommandKeys-1)/maxCommandKeys)
		all := make([]int, len(sks))
		for i := range all {
			all[i] = i
		}
		for len(all) > 0 {
			n := min(len(all), maxCommandKeys)
			out = append(out, all[:n:n])
			all = all[n:]
		}
		return out
	}
	bySlot := make(map[uint16]int, len(sks)) // slot → index in out of its open list
	var out [][]int
	for i, sk := range sks {
		slot := hashSlot(sk)
		g, ok := bySlot[slot]
		if !ok || len(out[g]) == maxCommandKeys {
			g = len(out)
			bySlot[slot] = g
			out = append(out, nil)
		}
		out[g] = append(out[g], i)
	}
	return out
}

// firstError returns the first error of res that is not a miss.
func firstError(res []Result) error {
	for _, r := range res {
		if r.Err != nil && !errors.Is(r.Err, gocachestore.NotFound{}) {
			return r.Err
		}
	}
	return nil
}

// hashSlot is the Redis Cluster hash slot of key: CRC16 (XMODEM) of the key,
// or of its hash tag (the part between the first "{" and the next "}", when
// not empty), modulo 16384.
func hashSlot(key string) uint16 {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for k := 0; k < len(key); k++ {
		crc = crc<<8 ^ crc16tab[byte(crc>>8)^key[k]]
	}
	return crc & 16383
}

// crc16tab is the CRC16-CCITT (XMODEM, polynomial 0x1021) table Redis Cluster
// uses.
var crc16tab = func() (t [256]uint16) {
	for i := range t {
		crc := uint16(i) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[i] = crc
	}
	return t
}()
