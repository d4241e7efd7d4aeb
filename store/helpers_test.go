package store_test

import (
	"testing"

	"github.com/secureredis/secureredis/codec"
)

// Fixed test keys (never used outside tests).
const (
	testKey  = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
	otherKey = "9Hj2zXl0uPj1yqg5Dq6ajcgYSOGMQ1Eo2Vw1vtMJq8Y="
)

func newCodec(t testing.TB, keys ...string) *codec.Codec {
	t.Helper()
	if len(keys) == 0 {
		keys = []string{testKey}
	}
	ring, err := codec.NewKeyRing(keys...)
	if err != nil {
		t.Fatal(err)
	}
	c, err := codec.New(ring)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newKeys(t testing.TB, prefix string) *codec.KeyScheme {
	t.Helper()
	k, err := codec.NewKeyScheme(prefix)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
