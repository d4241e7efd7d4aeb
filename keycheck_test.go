package secureredis_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/secureredis/secureredis"
	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/store"
)

// A deployment with the wrong key stops at start-up (or warns), reporting
// what it sampled.
func TestOpenKeyCheck(t *testing.T) {
	srv := redistest.Start(t)
	ctx := t.Context()
	text := sampleConfig(srv.Addr)
	withKey := func(key string) *secureredis.Config {
		return parse(t, text, env(map[string]string{"REDIS_SECRET_KEY": key}))
	}

	// An empty alias passes.
	c, err := secureredis.Open(ctx, withKey(cfgKey1), secureredis.WithKeyCheck(10, secureredis.KeyCheckFail, nil))
	if err != nil {
		t.Fatalf("Open(empty) = %v", err)
	}
	s := storeOf(t, c, "default")
	for i := range 30 {
		if err := s.Set(ctx, fmt.Sprintf("k%d", i), "v"); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.Close()
	srv.Client(t, 0).Set(ctx, "legacy:2:plain", "plaintext of the raw alias", 0) // not sampled: another alias

	// The right key passes.
	c, err = secureredis.Open(ctx, withKey(cfgKey1), secureredis.WithKeyCheck(10, secureredis.KeyCheckFail, nil))
	if err != nil {
		t.Fatalf("Open(right key) = %v", err)
	}
	_ = c.Close()

	// The wrong key fails, with the counts.
	_, err = secureredis.Open(ctx, withKey(cfgKey2), secureredis.WithKeyCheck(10, secureredis.KeyCheckFail, nil))
	if !errors.Is(err, store.ErrKeyCheck) {
		t.Fatalf("Open(wrong key) = %v, want ErrKeyCheck", err)
	}
	for _, want := range []string{"caches.default", "10 sampled, 0 decrypt, 10 wrong-key"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), cfgKey1) || strings.Contains(err.Error(), cfgKey2) {
		t.Errorf("error leaks a key: %v", err)
	}

	// Warn mode opens and logs through the application's logger.
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	c, err = secureredis.Open(ctx, withKey(cfgKey2), secureredis.WithKeyCheck(50, secureredis.KeyCheckWarn, logger))
	if err != nil {
		t.Fatalf("Open(wrong key, warn) = %v", err)
	}
	_ = c.Close()
	for _, want := range []string{"level=WARN", "alias=default", "sampled=30", "decrypted=0", "wrong-key=30"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log %q does not say %q", logs.String(), want)
		}
	}

	// Bad options.
	if _, err := secureredis.Open(ctx, withKey(cfgKey1), secureredis.WithKeyCheck(0, secureredis.KeyCheckFail, nil)); err == nil {
		t.Error("WithKeyCheck(0) accepted")
	}
}
