package sessions_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/sessions"
	"github.com/secureredis/secureredis/store"
)

const exampleKey = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="

// newAlias returns an encrypting store over client with prefix "app1:secure".
func newAlias(client store.Rediser) (*store.EncryptingStore, error) {
	ring, err := codec.NewKeyRing(exampleKey) // from the environment in real code
	if err != nil {
		return nil, err
	}
	c, err := codec.New(ring)
	if err != nil {
		return nil, err
	}
	keys, err := codec.NewKeyScheme("app1:secure")
	if err != nil {
		return nil, err
	}
	return store.NewRedis(client, c, keys)
}

// An scs SessionManager keeps its sessions in the encrypted alias. The
// embedded Redis (miniredis) stands in for a server so that the example runs
// anywhere.
func ExampleNew() {
	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		panic(err)
	}
	defer mr.Close()
	client := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer client.Close()
	secure, err := newAlias(client) // or caches.Secure() from secureredis.Open
	if err != nil {
		panic(err)
	}

	st, err := sessions.New(secure, sessions.WithHashedTokens([]byte("a 32-byte or longer random secret, from the environment")))
	if err != nil {
		panic(err)
	}
	sm := scs.New()
	sm.Store = st

	ctx, _ := sm.Load(context.Background(), "")
	sm.Put(ctx, "user", "alice")
	token, _, _ := sm.Commit(ctx)

	keys := mr.Keys()
	raw, _ := mr.Get(keys[0])
	fmt.Println(len(keys), strings.HasPrefix(keys[0], "app1:secure:1:session:"), strings.Contains(keys[0], token))
	fmt.Println(strings.HasPrefix(raw, "gAAAAA"), strings.Contains(raw, "alice"))
	fmt.Println(st.Pattern())

	ctx, _ = sm.Load(context.Background(), token)
	fmt.Println(sm.GetString(ctx, "user"))
	// Output:
	// 1 true false
	// true false
	// app1:secure:1:session:*
	// alice
}

// TestSessionManager drives a real scs.SessionManager over HTTP with the
// store on a real redis-server: the counter survives requests, RenewToken
// replaces the stored session, Destroy removes it, Iterate sees every
// session.
func TestSessionManager(t *testing.T) {
	rc := redistest.Start(t).Client(t, 0)
	secure, err := newAlias(rc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sessions.New(secure, sessions.WithHashedTokens([]byte("0123456789abcdef0123456789abcdef")))
	if err != nil {
		t.Fatal(err)
	}
	sm := scs.New()
	sm.Store = st
	sm.Lifetime = time.Hour

	mux := http.NewServeMux()
	mux.HandleFunc("GET /count", func(w http.ResponseWriter, r *http.Request) {
		n := sm.GetInt(r.Context(), "n") + 1
		sm.Put(r.Context(), "n", n)
		fmt.Fprint(w, n)
	})
	mux.HandleFunc("GET /renew", func(w http.ResponseWriter, r *http.Request) {
		if err := sm.RenewToken(r.Context()); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	mux.HandleFunc("GET /destroy", func(w http.ResponseWriter, r *http.Request) {
		if err := sm.Destroy(r.Context()); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	srv := httptest.NewServer(sm.LoadAndSave(mux))
	t.Cleanup(srv.Close)

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: testkit.Patience}
	get := func(path string) string {
		t.Helper()
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %s %s", path, resp.Status, b)
		}
		return string(b)
	}
	sessionKeys := func() []string {
		t.Helper()
		var out []string
		for _, k := range redistest.Keys(t, rc) {
			if strings.HasPrefix(k, "app1:secure:1:session:") {
				out = append(out, k)
			}
		}
		return out
	}

	for want := 1; want <= 3; want++ {
		if got := get("/count"); got != fmt.Sprint(want) {
			t.Fatalf("counter = %s; want %d", got, want)
		}
	}
	before := sessionKeys()
	if len(before) != 1 {
		t.Fatalf("session keys = %q; want one", before)
	}
	get("/renew")
	after := sessionKeys()
	if len(after) != 1 || after[0] == before[0] {
		t.Fatalf("after RenewToken: keys %q (before %q); want one new key", after, before)
	}
	if got := get("/count"); got != "4" {
		t.Fatalf("counter after renew = %s; want 4", got)
	}

	// A second client; Iterate (All) sees both sessions, with their data.
	jar2, _ := cookiejar.New(nil)
	other := &http.Client{Jar: jar2, Timeout: testkit.Patience}
	resp, err := other.Get(srv.URL + "/count")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var counts []int
	err = sm.Iterate(t.Context(), func(ctx context.Context) error {
		counts = append(counts, sm.GetInt(ctx, "n"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != 2 || counts[0]+counts[1] != 5 {
		t.Fatalf("Iterate counts = %v; want 4 and 1", counts)
	}

	get("/destroy")
	if keys := sessionKeys(); len(keys) != 1 {
		t.Fatalf("after Destroy: keys %q; want only the other client's", keys)
	}
	if got := get("/count"); got != "1" {
		t.Fatalf("counter after destroy = %s; want a new session", got)
	}
}
