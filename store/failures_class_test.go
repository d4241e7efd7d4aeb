package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/google/go-cmp/cmp"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/testkit"
	"github.com/secureredis/secureredis/store"
)

func TestFailuresSpeak(t *testing.T) {
	var mu sync.Mutex
	var legacy []string
	classes := map[string]codec.FailureClass{}
	s, client := newRedisStore(t,
		store.WithDecryptFailureHook(func(_ context.Context, key string) {
			mu.Lock()
			legacy = append(legacy, key)
			mu.Unlock()
		}),
		store.WithFailureHook(func(_ context.Context, key string, class codec.FailureClass) {
			mu.Lock()
			classes[key] = class
			mu.Unlock()
		}))
	ctx := t.Context()
	other, err := store.NewRedis(client, newCodec(t, otherKey), newKeys(t, "app1:secure"))
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Set(ctx, "wrong-key", "written with another key"); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "good", "value"); err != nil {
		t.Fatal(err)
	}
	good := client.Get(ctx, "app1:secure:1:good").Val()
	client.Set(ctx, "app1:secure:1:moved", good, 0)
	client.Set(ctx, "app1:secure:1:truncated", good[:len(good)-8], 0)
	client.Set(ctx, "app1:secure:1:plain", `{"user": 42}`, 0)
	client.Set(ctx, "app1:secure:1:int", "42", 0)
	// A flipped ciphertext byte fails the HMAC like a wrong key does.
	// The replacement stays in the base64 alphabet, so only the HMAC can
	// tell.
	tampered := []byte(good)
	tampered[40] = 'A'
	if good[40] == 'A' {
		tampered[40] = 'B'
	}
	client.Set(ctx, "app1:secure:1:tampered", tampered, 0)

	want := map[string]codec.FailureClass{
		"wrong-key": codec.FailureWrongKey,
		"tampered":  codec.FailureWrongKey,
		"moved":     codec.FailureUndecodable,
		"truncated": codec.FailureUndecodable,
		"plain":     codec.FailurePlaintext,
		"int":       codec.FailurePlaintext,
	}
	for key, class := range want {
		_, err := s.Get(ctx, key)
		if !errors.Is(err, gocachestore.NotFound{}) || !errors.Is(err, codec.ErrInvalidToken) {
			t.Errorf("Get(%s) = %v, want a miss caused by ErrInvalidToken", key, err)
		}
		var de *store.DecryptError
		if !errors.As(err, &de) || de.Class != class || de.Key != key {
			t.Errorf("Get(%s) = %#v, want a DecryptError of class %s", key, err, class)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, "exists but") || !strings.Contains(msg, class.Describe()) {
			t.Errorf("Get(%s) says %q", key, msg)
		}
		for _, secret := range []string{testkit.Key, otherKey, good[:20], "written with another key", "42}"} {
			if strings.Contains(msg, secret) {
				t.Errorf("Get(%s) error leaks %q: %s", key, secret, msg)
			}
		}
		if _, _, err := s.GetWithTTL(ctx, key); !errors.As(err, &de) || de.Class != class {
			t.Errorf("GetWithTTL(%s) = %v", key, err)
		}
	}
	var de *store.DecryptError
	if _, err := s.Get(ctx, "wrong-key"); !errors.As(err, &de) ||
		err.Error() != `store: entry "wrong-key" exists but does not decrypt with any key of the ring (wrong key? tampered?)` {
		t.Errorf("wrong key: %q", err)
	}

	// A typed read of a value of another type.
	var n int
	err = s.GetInto(ctx, "good", &n)
	if !errors.Is(err, gocachestore.NotFound{}) || !errors.Is(err, codec.ErrValueType) || !errors.As(err, &de) || de.Class != codec.FailureValueType {
		t.Errorf("GetInto(string into int) = %v", err)
	}

	// A plain miss is not a DecryptError.
	if _, err := s.Get(ctx, "absent"); !errors.Is(err, gocachestore.NotFound{}) || errors.As(err, &de) {
		t.Errorf("Get(absent) = %v", err)
	}

	// GetMany says the same.
	res, err := s.GetMany(ctx, []string{"wrong-key", "good", "plain"})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.As(res[0].Err, &de) || de.Class != codec.FailureWrongKey || res[1].Err != nil || !errors.As(res[2].Err, &de) || de.Class != codec.FailurePlaintext {
		t.Errorf("GetMany = %+v", res)
	}

	gotCounts := s.DecryptFailuresByClass()
	wantCounts := map[codec.FailureClass]uint64{
		codec.FailureWrongKey:    2*2 + 1 + 1, // Get, GetWithTTL; the check above; GetMany
		codec.FailureUndecodable: 2 * 2,
		codec.FailurePlaintext:   2*2 + 1,
		codec.FailureValueType:   1,
		// A Python type the pickle reader refuses: see the root package's
		// Django tests.
		codec.FailureUnsupportedType: 0,
	}
	if diff := cmp.Diff(wantCounts, gotCounts); diff != "" {
		t.Errorf("DecryptFailuresByClass (-want +got):\n%s", diff)
	}
	var sum uint64
	for _, n := range gotCounts {
		sum += n
	}
	if s.DecryptFailures() != sum {
		t.Errorf("DecryptFailures = %d, by class %d", s.DecryptFailures(), sum)
	}
	mu.Lock()
	defer mu.Unlock()
	if uint64(len(legacy)) != sum {
		t.Errorf("the old hook ran %d times, want %d", len(legacy), sum)
	}
	for key, class := range want {
		if classes[key] != class {
			t.Errorf("hook got %s for %s, want %s", classes[key], key, class)
		}
	}
}
