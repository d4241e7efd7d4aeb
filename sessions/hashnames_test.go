package sessions

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/store"
)

// TestAllHashedNames: on an alias with hashed key names, All still lists
// every session (the keys come from inside the tokens), and no token is in
// Redis's key names.
func TestAllHashedNames(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ring, err := codec.NewNameRing("bmFtZS1zZWNyZXQtZm9yLXRlc3RzLW9ubHktMzItYnl0ZXMh")
	if err != nil {
		t.Fatal(err)
	}
	st := newEncrypting(t, func(c store.Codec, ks *codec.KeyScheme) (*store.EncryptingStore, error) {
		return store.NewRedis(client, c, ks)
	}, nil, codec.WithHashedNames(ring))
	s := newSessions(t, st)
	exp := time.Now().Add(time.Hour)
	for i := range 20 {
		mustCommit(t, s, fmt.Sprintf("token-%02d", i), "data", exp)
	}
	all, err := s.AllCtx(t.Context())
	if err != nil || len(all) != 20 || string(all["token-07"]) != "data" {
		t.Fatalf("All = %d sessions, %v", len(all), err)
	}
	for _, k := range redistest.Keys(t, client) {
		if strings.Contains(k, "token") || strings.Contains(k, "session") {
			t.Fatalf("name %q reveals a session", k)
		}
	}
}
