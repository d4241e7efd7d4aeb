package codec_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/secureredis/secureredis/codec"
)

// TestBindingContext: a token made under binding context A decodes only
// under A: not under B, nor without a context; a token made without a
// context does not decode under one. Every value kind, and Reseal, keep the
// context.
func TestBindingContext(t *testing.T) {
	ring := newRing(t, keyA)
	codecs := map[string]*codec.Codec{
		"none":       newCodec(t, ring),
		"empty":      newCodec(t, ring, codec.WithBindingContext("")), // "" is none
		"production": newCodec(t, ring, codec.WithBindingContext("production")),
		"staging":    newCodec(t, ring, codec.WithBindingContext("staging")),
		"prod":       newCodec(t, ring, codec.WithBindingContext("prod")), // a prefix of production
		"longest":    newCodec(t, ring, codec.WithBindingContext(strings.Repeat("x", codec.MaxBindingContextLen))),
	}
	same := func(a, b string) bool {
		return a == b || (a == "none" || a == "empty") && (b == "none" || b == "empty")
	}
	for _, v := range []any{"string", []byte{1, 2}, map[string]any{"m": int64(1)}} {
		for from, cf := range codecs {
			tok := encode(t, cf, testStorageKey, v)
			for to, ct := range codecs {
				if !same(from, to) {
					wantInvalid(t, ct, testStorageKey, tok, "made under "+from+", read under "+to)
					continue
				}
				if d := decode(t, ct, testStorageKey, tok); diff(d.Value, v) != "" {
					t.Errorf("%s -> %s: %#v", from, to, d.Value)
				}
				wantInvalid(t, ct, testStorageKey+"x", tok, "moved to another key under "+to)
			}
		}
	}
	// The context is inside the authenticated plaintext, after the format
	// byte of version 2.
	sign, enc := rawKey(t, keyA)
	plain, _ := rawFernetOpen(sign, enc, encode(t, codecs["production"], testStorageKey, "v"))
	if want := envelope2(fmtString+0x20, "production", testStorageKey, []byte("v")); !bytes.Equal(plain, want) {
		t.Errorf("plaintext %x, want %x", plain, want)
	}
	// Reseal keeps the context, and refuses a token of another context.
	rot := newCodec(t, newRing(t, keyB, keyA), codec.WithBindingContext("production"))
	tok := encode(t, codecs["production"], testStorageKey, "v")
	got, idx, err := rot.Reseal(testStorageKey, tok)
	if err != nil || idx != 1 {
		t.Fatalf("Reseal = %d, %v", idx, err)
	}
	if v, err := rot.Decode(testStorageKey, got); err != nil || v != "v" {
		t.Errorf("resealed: %v, %v", v, err)
	}
	wantInvalid(t, newCodec(t, newRing(t, keyB), codec.WithBindingContext("staging")), testStorageKey, got, "resealed, read under staging")
	if _, _, err := rot.Reseal(testStorageKey, encode(t, codecs["staging"], testStorageKey, "v")); err == nil {
		t.Error("Reseal accepted a token of another context")
	}
	if _, _, err := rot.Reseal(testStorageKey, encode(t, codecs["none"], testStorageKey, "v")); err == nil {
		t.Error("Reseal accepted a token without a context")
	}
}

func TestBindingContextErrors(t *testing.T) {
	if _, err := codec.New(newRing(t, keyA), codec.WithBindingContext(strings.Repeat("x", codec.MaxBindingContextLen+1))); err == nil {
		t.Error("New accepted a context longer than MaxBindingContextLen")
	}
}
