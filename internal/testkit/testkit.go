// Package testkit holds what the tests of several packages share: fixed
// Fernet keys (never used outside tests) and constructors that fail the test
// instead of returning an error.
package testkit

import (
	"testing"

	"github.com/secureredis/secureredis/codec"
)

// Fixed Fernet keys for tests. They are public: never use them for data.
const (
	Key      = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
	OtherKey = "9Hj2zXl0uPj1yqg5Dq6ajcgYSOGMQ1Eo2Vw1vtMJq8Y="
	ThirdKey = "Gf4ahqO6C2Yo5dIHo5gnD2tE3bD5_xH0jX7o9C5yX6U="
)

// Codec returns a native codec over a ring of keys (Key when none is given).
func Codec(tb testing.TB, keys ...string) *codec.Codec {
	tb.Helper()
	if len(keys) == 0 {
		keys = []string{Key}
	}
	ring, err := codec.NewKeyRing(keys...)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := codec.New(ring)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Keys returns the Django-style key scheme of prefix.
func Keys(tb testing.TB, prefix string, opts ...codec.KeySchemeOption) *codec.KeyScheme {
	tb.Helper()
	k, err := codec.NewKeyScheme(prefix, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}
