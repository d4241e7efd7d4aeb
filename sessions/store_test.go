package sessions

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/store"
)

func TestNew(t *testing.T) {
	mk := backends[2](t) // memory: no server needed
	st := mk.newStore(t, nil)
	keys, err := codec.NewKeyScheme(prefix)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := store.NewRedis(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), codec.Raw{}, keys)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		st   *store.EncryptingStore
		opts []Option
		want error // nil: any error
		ok   bool
	}{
		{name: "defaults", st: st, ok: true},
		{name: "prefix and hash", st: st, opts: []Option{WithPrefix("sess/"), WithHashedTokens(hashSecret)}, ok: true},
		{name: "nil store"},
		{name: "plaintext alias", st: plain, want: ErrPlaintextStore},
		{name: "empty prefix", st: st, opts: []Option{WithPrefix("")}},
		{name: "short secret", st: st, opts: []Option{WithHashedTokens(make([]byte, MinHashSecretSize-1))}},
		{name: "nil secret", st: st, opts: []Option{WithHashedTokens(nil)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.st, tt.opts...)
			if tt.ok {
				if err != nil || s == nil {
					t.Fatalf("New = %v, %v; want a store", s, err)
				}
				return
			}
			if err == nil || s != nil {
				t.Fatalf("New = %v, %v; want an error", s, err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("New error = %v; want %v", err, tt.want)
			}
		})
	}
}

func TestContract(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		for _, hashed := range []bool{false, true} {
			t.Run(fmt.Sprintf("hashed=%v", hashed), func(t *testing.T) {
				var opts []Option
				if hashed {
					opts = append(opts, WithHashedTokens(hashSecret))
				}
				s := newSessions(t, b.newStore(t, nil), append(opts, WithPrefix(fmt.Sprintf("s%v:", hashed)))...)
				ctx := t.Context()
				exp := time.Now().Add(time.Hour)

				mustMiss(t, s, "missing-token")
				mustCommit(t, s, "tok-1", "data one", exp)
				if got := mustFind(t, s, "tok-1"); string(got) != "data one" {
					t.Fatalf("Find = %q; want %q", got, "data one")
				}
				// Commit overwrites data and expiry.
				mustCommit(t, s, "tok-1", "data two", exp.Add(time.Hour))
				if got := mustFind(t, s, "tok-1"); string(got) != "data two" {
					t.Fatalf("Find after overwrite = %q; want %q", got, "data two")
				}
				// Empty data is a valid session.
				mustCommit(t, s, "tok-empty", "", exp)
				if got := mustFind(t, s, "tok-empty"); len(got) != 0 {
					t.Fatalf("Find(empty session) = %q", got)
				}
				// The non-context methods behave the same.
				if err := s.Commit("tok-2", []byte("x"), exp); err != nil {
					t.Fatal(err)
				}
				if got, found, err := s.Find("tok-2"); err != nil || !found || string(got) != "x" {
					t.Fatalf("Find = %q, %v, %v", got, found, err)
				}
				if err := s.Delete("tok-2"); err != nil {
					t.Fatal(err)
				}
				mustMiss(t, s, "tok-2")

				if err := s.DeleteCtx(ctx, "tok-1"); err != nil {
					t.Fatal(err)
				}
				mustMiss(t, s, "tok-1")
				if err := s.DeleteCtx(ctx, "tok-1"); err != nil {
					t.Fatalf("Delete of a missing session: %v", err)
				}

				// A commit with a past expiry removes the session.
				mustCommit(t, s, "tok-3", "x", exp)
				mustCommit(t, s, "tok-3", "y", time.Now().Add(-time.Second))
				mustMiss(t, s, "tok-3")
				mustCommit(t, s, "tok-3", "z", time.Time{})
				mustMiss(t, s, "tok-3")

				// Invalid tokens.
				long := strings.Repeat("t", MaxTokenSize+1)
				for _, tok := range []string{"", long} {
					mustMiss(t, s, tok)
					if err := s.CommitCtx(ctx, tok, []byte("x"), exp); !errors.Is(err, ErrInvalidSessionToken) {
						t.Fatalf("Commit(%.10q) = %v; want ErrInvalidSessionToken", tok, err)
					}
					if err := s.DeleteCtx(ctx, tok); err != nil {
						t.Fatalf("Delete(%.10q) = %v", tok, err)
					}
				}
				max := strings.Repeat("m", MaxTokenSize)
				mustCommit(t, s, max, "longest", exp)
				mustFind(t, s, max)
			})
		}
	})
}

func TestStorageLayout(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		st := b.newStore(t, nil)
		plain := newSessions(t, st)
		hashed := newSessions(t, st, WithPrefix("h:"), WithHashedTokens(hashSecret))
		exp := time.Now().Add(time.Hour)
		const token = "Tok3n-of-the-user_abcdefghijklmnopqrstuvwxyz0"
		mustCommit(t, plain, token, "alice's data", exp)
		mustCommit(t, hashed, token, "alice's data", exp)

		// Without hashing the token is the end of the key name; the value is
		// a Fernet token with neither the token nor the data in clear.
		v, ok := b.rawGet(t, prefix+":1:session:"+token)
		if !ok {
			t.Fatalf("no entry under %q", prefix+":1:session:"+token)
		}
		if !bytes.HasPrefix(v, []byte("gAAAAA")) || bytes.Contains(v, []byte("alice")) {
			t.Fatalf("stored value is not an opaque Fernet token: %.60q", v)
		}

		// With hashing the key name is the HMAC of the token.
		hk := prefix + ":1:h:" + hashed.hash(token)
		if _, ok := b.rawGet(t, hk); !ok {
			t.Fatalf("no entry under %q", hk)
		}
		if _, ok := b.rawGet(t, prefix+":1:h:"+token); ok {
			t.Fatal("hashed store wrote the token as a key name")
		}
		if b.rawKeys != nil {
			for _, k := range b.rawKeys(t) {
				if strings.HasPrefix(k, prefix+":1:h:") && strings.Contains(k, token) {
					t.Fatalf("token visible in key %q", k)
				}
			}
		}
		// A bare SHA-256 of the token is not the key: another secret, another key.
		other := newSessions(t, st, WithPrefix("h:"), WithHashedTokens(bytes.Repeat([]byte{7}, 32)))
		mustMiss(t, other, token)
		if got := mustFind(t, hashed, token); string(got) != "alice's data" {
			t.Fatalf("Find = %q", got)
		}
		if got, want := plain.Pattern(), `app1:secure:1:session:*`; got != want {
			t.Fatalf("Pattern = %q; want %q", got, want)
		}
	})
}

// TestMovedSession plants one user's session under another user's token: the
// value does not decrypt under the other key (the codec binds each token to
// its storage key), so the victim's token finds nothing rather than the
// attacker's session.
func TestMovedSession(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		for _, hashed := range []bool{false, true} {
			t.Run(fmt.Sprintf("hashed=%v", hashed), func(t *testing.T) {
				var opts []Option
				if hashed {
					opts = append(opts, WithHashedTokens(hashSecret))
				}
				st := b.newStore(t, nil)
				s := newSessions(t, st, append(opts, WithPrefix(fmt.Sprintf("moved%v:", hashed)))...)
				exp := time.Now().Add(time.Hour)
				mustCommit(t, s, "attacker-token", "user=mallory", exp)
				mustCommit(t, s, "victim-token", "user=alice", exp)
				failures := st.DecryptFailures()

				// Copy the attacker's value over the victim's key, and to a
				// fresh token's key.
				attacker, ok := b.rawGet(t, st.Keys().Key(s.key("attacker-token")))
				if !ok {
					t.Fatal("attacker's session not stored")
				}
				b.rawSet(t, st.Keys().Key(s.key("victim-token")), attacker)
				b.rawSet(t, st.Keys().Key(s.key("fresh-token")), attacker)

				mustMiss(t, s, "victim-token")
				mustMiss(t, s, "fresh-token")
				if got := st.DecryptFailures() - failures; got != 2 {
					t.Fatalf("decrypt failures = %d; want 2", got)
				}
				if got := mustFind(t, s, "attacker-token"); string(got) != "user=mallory" {
					t.Fatalf("attacker's own session = %q", got)
				}
				// A moved session is not listed either.
				if b.iterable {
					all, err := s.AllCtx(t.Context())
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(map[string][]byte{"attacker-token": []byte("user=mallory")}, all); diff != "" {
						t.Fatalf("All (-want +got):\n%s", diff)
					}
				}
			})
		}
	})
}

func TestTampered(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		st := b.newStore(t, nil)
		s := newSessions(t, st, WithHashedTokens(hashSecret))
		mustCommit(t, s, "tok", "user=alice", time.Now().Add(time.Hour))
		sk := st.Keys().Key(s.key("tok"))
		orig, _ := b.rawGet(t, sk)

		variants := map[string][]byte{
			"truncated":     orig[:len(orig)/2],
			"empty":         {},
			"plaintext":     []byte("user=mallory"),
			"trailing data": append(append([]byte(nil), orig...), 'A'),
		}
		for i := 0; i < len(orig); i += 7 {
			v := append([]byte(nil), orig...)
			v[i] ^= 0x01
			variants[fmt.Sprintf("byte %d flipped", i)] = v
		}
		for name, v := range variants {
			b.rawSet(t, sk, v)
			if got, found, err := s.FindCtx(t.Context(), "tok"); err != nil || found {
				t.Fatalf("%s: Find = %q, %v, %v; want not found, nil error", name, got, found, err)
			}
		}
		// Written with another Fernet key: not found.
		b.rawSet(t, sk, orig)
		mustFind(t, s, "tok")
		wrongKey := newSessions(t, b.newStore(t, []string{otherKey}), WithHashedTokens(hashSecret))
		mustMiss(t, wrongKey, "tok")
		// A ring with the old key second still reads it (key rotation).
		rotated := newSessions(t, b.newStore(t, []string{otherKey, testKey}), WithHashedTokens(hashSecret))
		mustFind(t, rotated, "tok")
		// Another alias version does not see it.
		v2 := newSessions(t, b.newStore(t, nil, codec.WithVersion(2)), WithHashedTokens(hashSecret))
		mustMiss(t, v2, "tok")
	})
}

// TestEnvelope checks the parsing of a decrypted value: a value of another
// type, version or shape, or for another token, is not a session.
func TestEnvelope(t *testing.T) {
	b := backends[2](t)
	st := b.newStore(t, nil)
	s := newSessions(t, st)
	exp := time.Now().Add(time.Hour)
	good := seal("tok", []byte("data"), exp)
	bad := func(mutate func([]byte) []byte) []byte { return mutate(append([]byte(nil), good...)) }
	tests := map[string]any{
		"a string":       "tok",
		"an int":         int64(3),
		"version 2":      bad(func(v []byte) []byte { v[0] = 2; return v }),
		"expired":        seal("tok", []byte("data"), time.Now().Add(-time.Millisecond)),
		"another token":  seal("tok2", []byte("data"), exp),
		"token too long": bad(func(v []byte) []byte { v[9] = 200; return v }),
		"no token":       bad(func(v []byte) []byte { v[9] = 0; return v }),
		"header only":    good[:9],
		"bad varint":     append(good[:9:9], 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
	}
	for name, v := range tests {
		if err := st.Set(t.Context(), s.key("tok"), v); err != nil {
			t.Fatal(err)
		}
		if got, found, err := s.FindCtx(t.Context(), "tok"); err != nil || found {
			t.Errorf("%s: Find = %q, %v, %v; want not found", name, got, found, err)
		}
	}
	if err := st.Set(t.Context(), s.key("tok"), good); err != nil {
		t.Fatal(err)
	}
	if got := mustFind(t, s, "tok"); string(got) != "data" {
		t.Fatalf("Find = %q", got)
	}
}

func TestExpiry(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		st := b.newStore(t, nil)
		s := newSessions(t, st)
		now := time.Now()
		short := now.Add(500 * time.Millisecond)
		mustCommit(t, s, "short", "x", short)
		mustCommit(t, s, "long", "y", now.Add(time.Hour))
		// Found until it expires (on a busy machine, that may be already).
		if _, found, err := s.FindCtx(t.Context(), "short"); err != nil || !found && time.Now().Before(short) {
			t.Fatalf("Find(short) before its expiry = found %v, err %v; want found", found, err)
		}

		// The store's clock past the expiry: not found, even if the entry
		// is still there (miniredis only expires when fast-forwarded).
		clocked := newSessions(t, st)
		clocked.now = func() time.Time { return now.Add(time.Hour + time.Second) }
		mustMiss(t, clocked, "long")

		testkit.Eventually(t, func() bool { _, found, _ := s.FindCtx(t.Context(), "short"); return !found }, "short session found after its expiry")
		mustMiss(t, s, "short")
		mustFind(t, s, "long")
	})
}

// TestTTL checks that the session's expiry is the entry's TTL in Redis.
func TestTTL(t *testing.T) {
	rc := redistest.Start(t).Client(t, 0)
	keys, err := codec.NewKeyScheme(prefix)
	if err != nil {
		t.Fatal(err)
	}
	ring, _ := codec.NewKeyRing(testKey)
	c, _ := codec.New(ring)
	st, err := store.NewRedis(rc, c, keys, store.WithDefaultExpiration(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	s := newSessions(t, st, WithHashedTokens(hashSecret))
	for _, d := range []time.Duration{90 * time.Minute, 5 * time.Second, 1500 * time.Millisecond} {
		committed := testkit.StartStopwatch()
		mustCommit(t, s, "tok", "x", time.Now().Add(d))
		ttl, err := rc.PTTL(t.Context(), st.Keys().Key(s.key("tok"))).Result()
		if err != nil {
			t.Fatal(err)
		}
		if !committed.Remains(ttl, d) { // an expired key's -2 passes once d has elapsed
			t.Fatalf("TTL for expiry in %v = %v", d, ttl)
		}
	}
	testkit.Eventually(t, func() bool { return rc.Exists(t.Context(), st.Keys().Key(s.key("tok"))).Val() == 0 }, "expired session still in Redis")
	n, err := rc.Exists(t.Context(), st.Keys().Key(s.key("tok"))).Result()
	if err != nil || n != 0 {
		t.Fatalf("expired session still in Redis: exists=%d, err=%v", n, err)
	}
}

func TestAll(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		for _, hashed := range []bool{false, true} {
			t.Run(fmt.Sprintf("hashed=%v", hashed), func(t *testing.T) {
				opts := []Option{WithPrefix(fmt.Sprintf("all%v:", hashed))}
				if hashed {
					opts = append(opts, WithHashedTokens(hashSecret))
				}
				st := b.newStore(t, nil)
				s := newSessions(t, st, opts...)
				ctx := t.Context()
				if !b.iterable {
					_, err := s.AllCtx(ctx)
					if !errors.Is(err, gocachestore.ErrNotSupported) {
						t.Fatalf("All on %s = %v; want ErrNotSupported", b.name, err)
					}
					return
				}
				all, err := s.AllCtx(ctx)
				if err != nil || all == nil || len(all) != 0 {
					t.Fatalf("All on an empty store = %v, %v; want an empty map", all, err)
				}

				exp := time.Now().Add(time.Hour)
				want := map[string][]byte{}
				for i := range 25 {
					tok := fmt.Sprintf("token-%02d", i)
					mustCommit(t, s, tok, "data "+tok, exp)
					want[tok] = []byte("data " + tok)
				}
				// Not listed: an expiring session (checked after it expires),
				// a tampered one, a deleted one, other entries of the alias,
				// another version's session, keys outside the alias.
				mustCommit(t, s, "expiring", "x", time.Now().Add(100*time.Millisecond))
				mustCommit(t, s, "tampered", "x", exp)
				sk := st.Keys().Key(s.key("tampered"))
				v, _ := b.rawGet(t, sk)
				v[len(v)-5] ^= 1
				b.rawSet(t, sk, v)
				mustCommit(t, s, "deleted", "x", exp)
				if err := s.DeleteCtx(ctx, "deleted"); err != nil {
					t.Fatal(err)
				}
				if err := st.Set(ctx, "user:42", "not a session"); err != nil {
					t.Fatal(err)
				}
				if err := st.Set(ctx, s.prefix+"planted", "a string, not a session"); err != nil {
					t.Fatal(err)
				}
				v2 := newSessions(t, b.newStore(t, nil, codec.WithVersion(2)), opts...)
				mustCommit(t, v2, "version-2", "x", exp)
				b.rawSet(t, "other-app:1:"+s.prefix+"token-99", []byte("x"))
				time.Sleep(150 * time.Millisecond)

				all, err = s.All()
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, all); diff != "" {
					t.Fatalf("All (-want +got):\n%s", diff)
				}
				// Cancelled context.
				cctx, cancel := context.WithCancel(ctx)
				cancel()
				if _, err := s.AllCtx(cctx); !errors.Is(err, context.Canceled) {
					t.Fatalf("All with a cancelled context = %v", err)
				}
			})
		}
	})
}

func TestConcurrent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := newSessions(t, b.newStore(t, nil), WithHashedTokens(hashSecret))
		ctx := t.Context()
		exp := time.Now().Add(time.Hour)
		const workers, rounds = 8, 40
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Go(func() {
				own := fmt.Sprintf("own-%d", w)
				for i := range rounds {
					data := fmt.Sprintf("%d:%d", w, i)
					if err := s.CommitCtx(ctx, own, []byte(data), exp); err != nil {
						errs <- err
						return
					}
					got, found, err := s.FindCtx(ctx, own)
					if err != nil || !found || string(got) != data {
						errs <- fmt.Errorf("worker %d: Find = %q, %v, %v; want %q", w, got, found, err, data)
						return
					}
					// A session all workers write and read: any found value
					// must be one that some worker wrote.
					if err := s.CommitCtx(ctx, "shared", []byte(data), exp); err != nil {
						errs <- err
						return
					}
					if got, found, err := s.FindCtx(ctx, "shared"); err != nil || (found && !strings.Contains(string(got), ":")) {
						errs <- fmt.Errorf("shared: %q, %v, %v", got, found, err)
						return
					}
					if i%10 == 9 {
						if err := s.DeleteCtx(ctx, "shared"); err != nil {
							errs <- err
							return
						}
					}
				}
			})
		}
		if b.iterable {
			wg.Go(func() {
				for range 5 {
					if _, err := s.AllCtx(ctx); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

func TestSecretNeverPrints(t *testing.T) {
	s := newSessions(t, backends[2](t).newStore(t, nil), WithHashedTokens(hashSecret))
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		for _, v := range []any{s, *s, s.secret} {
			out := fmt.Sprintf(format, v)
			if strings.Contains(out, string(hashSecret[:16])) || strings.Contains(out, fmt.Sprintf("%x", hashSecret[:16])) || strings.Contains(out, "0x30") || strings.Contains(out, "48, 49") {
				t.Errorf("%s printed the secret: %s", format, out)
			}
		}
	}
}
