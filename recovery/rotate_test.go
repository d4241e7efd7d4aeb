package recovery_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/fernet/fernet-go"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/recovery"
	"github.com/secureredis/secureredis/store"
)

func withSerializer(tb testing.TB, s codec.Serializer, keys ...string) *codec.Codec {
	tb.Helper()
	ring, err := codec.NewKeyRing(keys...)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := codec.New(ring, codec.WithSerializer(s))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// TestRotate writes entries with an old key, puts a new key first, and
// rotates while the application rewrites some entries: old-key entries are
// re-encrypted with their TTL and serializer kept, the application's values
// are never replaced, bad entries are left alone, and a second run rotates
// nothing.
func TestRotate(t *testing.T) {
	const n = 3000
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	before := newStore(t, client, newCodec(t, otherKey), "app1:secure")
	beforeJSON := newStore(t, client, withSerializer(t, codec.JSON{}, otherKey), "app1:secure")
	c := newCodec(t, testKey, otherKey) // the new key first
	s := newStore(t, client, c, "app1:secure")

	want := map[string]any{}
	for i := range n {
		k := lkey(i)
		var err error
		switch i % 4 {
		case 0:
			want[k] = fmt.Sprintf("string %d", i)
			err = before.Set(ctx, k, want[k], gocachestore.WithExpiration(time.Hour))
		case 1:
			want[k] = []byte(fmt.Sprintf("bytes %d", i))
			err = before.Set(ctx, k, want[k])
		case 2:
			want[k] = map[string]any{"i": int64(i), "s": "msgpack"}
			err = before.Set(ctx, k, want[k], gocachestore.WithExpiration(2*time.Hour))
		case 3:
			want[k] = map[string]any{"i": json.Number(strconv.Itoa(i)), "s": "json"}
			err = beforeJSON.Set(ctx, k, want[k])
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Set(ctx, "tagged", "current", gocachestore.WithTags([]string{"t"})); err != nil {
		t.Fatal(err)
	}
	want["tagged"] = "current"
	unknown := newCodec(t, thirdKey)
	bad := map[string]string{}
	for i := range 10 {
		sk := fmt.Sprintf("app1:secure:1:unknown%d", i)
		tok, err := unknown.Encode(sk, "x")
		if err != nil {
			t.Fatal(err)
		}
		bad[sk] = string(tok)
	}
	for i := range 5 {
		bad[fmt.Sprintf("app1:secure:1:plain%d", i)] = "plaintext"
	}
	for k, v := range bad {
		client.Set(ctx, k, v, 0)
	}
	expiry := map[string]time.Duration{}
	for k := range want {
		expiry[k] = client.PExpireTime(ctx, s.Keys().Key(k)).Val()
	}

	// A dry run changes nothing.
	snap := snapshot(t, client, "*")
	dry, err := recovery.Rotate(ctx, s, recovery.WithDryRun())
	if err != nil {
		t.Fatal(err)
	}
	if !dry.DryRun || dry.Rotated != n || dry.Current != 1 || dry.Undecryptable != 15 {
		t.Errorf("dry run = %v", dry)
	}
	if diff := cmp.Diff(snap, snapshot(t, client, "*")); diff != "" {
		t.Fatalf("dry run changed Redis (-before +after):\n%s", diff)
	}

	// The application rewrites entries while the rotation runs: right after
	// the rotation read them (the hook), and at random (the writer).
	var mu sync.Mutex
	rewritten := map[string]bool{}
	rewrite := func(ctx context.Context, k string) {
		if err := s.Set(ctx, k, "app "+k); err != nil {
			t.Error(err)
		}
		mu.Lock()
		rewritten[k] = true
		mu.Unlock()
	}
	var hooked int
	afterRead := func(ctx context.Context, keys []string) {
		for _, sk := range keys {
			if k, _, ok := s.Keys().Parse(sk); ok && strings.HasPrefix(k, "k") && k[len(k)-1] != '7' {
				rewrite(ctx, k)
				hooked++
				return
			}
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 7; i < n; i += 70 { // keys ending in 7, which the hook leaves
			rewrite(ctx, lkey(i))
			time.Sleep(time.Millisecond)
		}
	})
	var calls int
	rep, err := recovery.Rotate(ctx, s, recovery.WithBatchSize(300), recovery.WithHooks(nil, afterRead),
		recovery.WithProgress(func(recovery.Progress) { calls++ }))
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rotate: %v", rep)
	if rep.Scanned != rep.Rotated+rep.Current+rep.Undecryptable+rep.Conflicts+rep.Vanished+rep.Skipped+rep.Failed {
		t.Errorf("report does not add up: %v", rep)
	}
	if rep.Failed != 0 || rep.Undecryptable != 15 || rep.Skipped != 1 || rep.Conflicts < hooked || hooked == 0 || calls == 0 {
		t.Errorf("rotate = %v (hook rewrote %d)", rep, hooked)
	}
	if rep.Rotated+rep.Conflicts > n || rep.Rotated < n-len(rewritten) {
		t.Errorf("rotated %d + conflicts %d, want about %d", rep.Rotated, rep.Conflicts, n)
	}

	for k, w := range want {
		sk := s.Keys().Key(k)
		tok, err := client.Get(ctx, sk).Bytes()
		if err != nil {
			t.Fatal(err)
		}
		d, err := c.DecodeDetail(sk, tok)
		if err != nil {
			t.Fatalf("%s: %v", sk, err)
		}
		if d.KeyIndex != 0 {
			t.Errorf("%s still under key #%d", sk, d.KeyIndex)
		}
		if rewritten[k] {
			w = "app " + k
		} else {
			if got := client.PExpireTime(ctx, sk).Val(); got != expiry[k] {
				t.Errorf("%s expiry %v, was %v", sk, got, expiry[k])
			}
			if m, ok := w.(map[string]any); ok && m["s"] == "json" && d.Kind != codec.IDJSON {
				t.Errorf("%s: serializer changed to %d", sk, d.Kind)
			}
		}
		if diff := cmp.Diff(w, d.Value); diff != "" {
			t.Errorf("%s (-want +got):\n%s", sk, diff)
		}
	}
	for k, v := range bad {
		if got := client.Get(ctx, k).Val(); got != v {
			t.Errorf("bad entry %s was changed", k)
		}
	}

	again, err := recovery.Rotate(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if again.Rotated != 0 || again.Current != len(want) || again.Undecryptable != 15 || again.Conflicts != 0 {
		t.Errorf("second run = %v, want nothing rotated", again)
	}
}

// TestRotateFailures makes Redis refuse a write for real (ACL) and checks that Rotate's report and errors never show a value.
func TestRotateFailures(t *testing.T) {
	srv := redistest.Start(t)
	admin := srv.Client(t, 0)
	ctx := t.Context()
	// The rotating user may read everything but write no key ending in "d".
	err := admin.Do(ctx, "ACL", "SETUSER", "rotator", "on", ">rotator-pw", "+@all", "%R~*", "%RW~*[^d]").Err()
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(&redis.Options{Addr: srv.Addr, Username: "rotator", Password: "rotator-pw"})
	t.Cleanup(func() { _ = client.Close() })
	before := newStore(t, admin, newCodec(t, otherKey), "app1:secure")
	for _, k := range []string{"a", "b", "denied"} {
		if err := before.Set(ctx, k, "SECRET-"+k); err != nil {
			t.Fatal(err)
		}
	}
	s := newStore(t, client, newCodec(t, testKey, otherKey), "app1:secure")
	rep, err := recovery.Rotate(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rotated != 2 || rep.Failed != 1 || len(rep.Failures) != 1 || rep.Failures[0].Key != "app1:secure:1:denied" {
		t.Fatalf("rotate = %v, failures %v", rep, rep.Failures)
	}
	if s := fmt.Sprintf("%v %v", rep, rep.Failures[0].Err); strings.Contains(s, "SECRET") || !strings.Contains(s, "NOPERM") {
		t.Errorf("report: %s", s)
	}
}

// plainAndTime opens a Fernet token with key (fernet-go, no age check) and
// returns its plaintext and its timestamp, or fails the test.
func plainAndTime(tb testing.TB, key string, tok []byte) ([]byte, uint64) {
	tb.Helper()
	plain := fernet.VerifyAndDecrypt(tok, 0, fernet.MustDecodeKeys(key))
	bin, err := base64.URLEncoding.DecodeString(string(tok))
	if plain == nil || err != nil {
		tb.Fatalf("token does not open with the key")
	}
	return plain, binary.BigEndian.Uint64(bin[1:9])
}

// TestRotateReseals: Rotate re-seals the plaintext it decrypted, byte for
// byte and with its timestamp, whatever serializer wrote it (a pickle-
// serialized Tuple and Set stay a Tuple and a Set, JSON stays JSON), on a
// native alias and a Django one; and the max age still counts from the
// original write: a token rotated at 23 hours under a 24-hour max age
// expires an hour later.
func TestRotateReseals(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	written := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	now := written
	clock := func() time.Time { return now }
	ring := func(keys ...string) *codec.KeyRing {
		r, err := codec.NewKeyRing(keys...)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	native := func(keys []string, opts ...codec.Option) *codec.Codec {
		c, err := codec.New(ring(keys...), append([]codec.Option{codec.WithClock(clock)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	django := func(keys []string, opts ...codec.DjangoOption) *codec.Django {
		c, err := codec.NewDjango(ring(keys...), append([]codec.DjangoOption{codec.WithClock(clock)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	old, rotated := []string{otherKey}, []string{testKey, otherKey}
	maxAge := codec.WithMaxAge(24 * time.Hour)
	type entry struct {
		key string
		v   any
	}
	for _, tc := range []struct {
		name         string
		writers      map[store.Codec][]entry
		rotator      store.Codec
		prefix, kind string
	}{
		{
			name:   "native",
			prefix: "app1:secure",
			writers: map[store.Codec][]entry{
				native(old, codec.WithSerializer(codec.Pickle{})): {
					{"tuple", codec.Tuple{"a", int64(1)}}, {"set", codec.Set{"x", "y"}}, {"dict", map[string]any{"k": "v"}},
				},
				native(old, codec.WithSerializer(codec.JSON{})): {{"json", map[string]any{"n": json.Number("1.50")}}},
				native(old): {{"msgpack", []any{int64(1), "two"}}, {"string", "s"}, {"bytes", []byte{0, 0xff}}},
			},
			rotator: native(rotated, maxAge), // msgpack by default
		},
		{
			name:   "django",
			prefix: "dj",
			writers: map[store.Codec][]entry{
				django(old): {{"tuple", codec.Tuple{"a", int64(1)}}, {"set", codec.Set{"x"}}, {"str", "s"}, {"int", int64(5)}},
			},
			rotator: django(rotated, maxAge),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now = written
			type was struct {
				plain []byte
				ts    uint64
				v     any
			}
			before := map[string]was{}
			for w, es := range tc.writers {
				s := newStore(t, client, w, tc.prefix)
				for _, e := range es {
					if err := s.Set(ctx, e.key, e.v); err != nil {
						t.Fatal(err)
					}
					sk := s.Keys().Key(e.key)
					tok, err := client.Get(ctx, sk).Bytes()
					if err != nil {
						t.Fatal(err)
					}
					p, ts := plainAndTime(t, otherKey, tok)
					before[sk] = was{p, ts, e.v}
				}
			}
			now = written.Add(23 * time.Hour)
			s := newStore(t, client, tc.rotator, tc.prefix)
			rep, err := recovery.Rotate(ctx, s)
			if err != nil || rep.Rotated != len(before) || rep.Failed != 0 {
				t.Fatalf("rotate = %v, %v; want %d rotated", rep, err, len(before))
			}
			for sk, w := range before {
				tok, err := client.Get(ctx, sk).Bytes()
				if err != nil {
					t.Fatal(err)
				}
				p, ts := plainAndTime(t, testKey, tok)
				if !bytes.Equal(p, w.plain) || ts != w.ts {
					t.Errorf("%s: plaintext %x at %d, was %x at %d", sk, p, ts, w.plain, w.ts)
				}
				v, err := tc.rotator.Decode(sk, tok)
				if err != nil {
					t.Errorf("%s: %v", sk, err)
				} else if d := cmp.Diff(w.v, v); d != "" {
					t.Errorf("%s (-was +now):\n%s", sk, d)
				}
			}
			// 24 hours and a second after the write, every rotated entry is
			// too old, as it would have been without the rotation.
			now = written.Add(24*time.Hour + time.Second)
			for sk := range before {
				tok := client.Get(ctx, sk).Val()
				if _, err := tc.rotator.Decode(sk, []byte(tok)); !errors.Is(err, codec.ErrInvalidToken) {
					t.Errorf("%s read after its max age: %v", sk, err)
				}
			}
			again, err := recovery.Rotate(ctx, s)
			if err != nil || again.Rotated != 0 || again.Undecryptable != len(before) {
				t.Errorf("rotate of expired entries = %v, %v; want all undecryptable, left alone", again, err)
			}
		})
	}
}

// TestRotatePlaintextInts: on a Django alias, integers stored in clear (which
// anyone who can write Redis can plant) are reported and left in clear, so
// Audit still reports them; only WithEncryptPlaintextInts encrypts them.
func TestRotatePlaintextInts(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	ring, err := codec.NewKeyRing(testKey, otherKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := codec.NewDjango(ring)
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(t, client, c, "dj")
	if err := s.Set(ctx, "genuine", int64(7)); err != nil {
		t.Fatal(err)
	}
	planted := map[string]string{"dj:1:a": "1", "dj:1:b": "-42", "dj:1:c": "123456789012345678901234567890"}
	for k, v := range planted {
		if err := client.Set(ctx, k, v, time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
	}
	snap := snapshot(t, client, "*")

	for _, opts := range [][]recovery.Option{nil, {recovery.WithEncryptPlaintextInts(), recovery.WithDryRun()}} {
		rep, err := recovery.Rotate(ctx, s, append(opts, recovery.WithSamples(2))...)
		if err != nil {
			t.Fatal(err)
		}
		if opts == nil && (rep.PlaintextInts != 3 || rep.IntsEncrypted != 0 || rep.Current != 1 || rep.Rotated != 0 ||
			len(rep.PlaintextIntSamples) != 2 || !strings.Contains(rep.String(), "plaintext ints left in clear 3")) {
			t.Errorf("rotate = %v, samples %v; want 3 plaintext ints left, 2 samples", rep, rep.PlaintextIntSamples)
		}
		if opts != nil && (rep.PlaintextInts != 0 || rep.IntsEncrypted != 3 || !rep.DryRun) {
			t.Errorf("dry run with WithEncryptPlaintextInts = %v; want 3 to encrypt", rep)
		}
		for _, k := range rep.PlaintextIntSamples {
			if _, ok := planted[k]; !ok {
				t.Errorf("sample %s is not a plaintext int", k)
			}
		}
		if rep.Scanned != rep.Rotated+rep.Current+rep.Undecryptable+rep.PlaintextInts+rep.IntsEncrypted+rep.Conflicts+rep.Vanished+rep.Skipped+rep.Failed {
			t.Errorf("report does not add up: %v", rep)
		}
		if diff := cmp.Diff(snap, snapshot(t, client, "*")); diff != "" {
			t.Fatalf("Redis changed (-before +after):\n%s", diff)
		}
	}
	if a, err := recovery.Audit(ctx, s); err != nil || a.PlaintextInt != 3 || a.Clean() {
		t.Errorf("audit after rotate = %v, %v; want the 3 plaintext ints still reported", a, err)
	}

	rep, err := recovery.Rotate(ctx, s, recovery.WithEncryptPlaintextInts())
	if err != nil || rep.IntsEncrypted != 3 || rep.PlaintextInts != 0 || rep.Failed != 0 {
		t.Fatalf("rotate with WithEncryptPlaintextInts = %v, %v", rep, err)
	}
	if !strings.Contains(rep.String(), "plaintext ints encrypted 3") {
		t.Errorf("String() = %s", rep)
	}
	for k, v := range planted {
		tok := client.Get(ctx, k).Val()
		if tok == v {
			t.Errorf("%s still in clear", k)
		}
		d, err := c.DecodeDetail(k, []byte(tok))
		want, _ := codec.ParsePlainInt([]byte(v))
		if err != nil || d.KeyIndex != 0 || cmp.Diff(want, d.Value, cmp.Comparer(func(a, b *big.Int) bool { return a.Cmp(b) == 0 })) != "" {
			t.Errorf("%s: %+v, %v; want %v", k, d, err, want)
		}
		if ttl := client.TTL(ctx, k).Val(); ttl <= 0 {
			t.Errorf("%s lost its TTL", k)
		}
	}
	if a, err := recovery.Audit(ctx, s); err != nil || !a.Clean() {
		t.Errorf("audit after encrypting = %v, %v", a, err)
	}
}
