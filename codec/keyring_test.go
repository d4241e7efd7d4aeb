package codec_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/secureredis/secureredis/codec"
)

func TestNewKeyRingNoKeys(t *testing.T) {
	for _, keys := range [][]string{nil, {}} {
		ring, err := codec.NewKeyRing(keys...)
		if ring != nil || !errors.Is(err, codec.ErrInvalidKey) {
			t.Errorf("NewKeyRing(%q) = %v, %v; want nil, ErrInvalidKey", keys, ring, err)
		}
	}
}

func TestNewKeyRingErrors(t *testing.T) {
	b16 := base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xa5}, 16))
	b64 := base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0x5a}, 64))
	b31 := base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0x3c}, 31))
	b33 := base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xc3}, 33))
	// Looks like a key but '!' and '*' are in no base64 alphabet.
	notB64 := "s3cr3t!k3y*v4lu3" + keyB[16:]
	tests := []struct {
		name  string
		keys  []string
		index int
		bad   string // the offending key, which must not appear in the error
	}{
		{"empty", []string{""}, 0, ""},
		{"blank", []string{" \t\n"}, 0, ""},
		{"not base64", []string{notB64}, 0, notB64},
		{"unpadded", []string{strings.TrimRight(keyB, "=")}, 0, strings.TrimRight(keyB, "=")},
		{"16 bytes", []string{b16}, 0, b16},
		{"64 bytes", []string{b64}, 0, b64},
		{"31 bytes", []string{b31}, 0, b31},
		{"33 bytes", []string{b33}, 0, b33},
		{"second key empty", []string{keyA, ""}, 1, ""},
		{"second key 16 bytes", []string{keyA, b16}, 1, b16},
		{"third key not base64", []string{keyA, keyB, notB64}, 2, notB64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ring, err := codec.NewKeyRing(tt.keys...)
			if ring != nil || err == nil {
				t.Fatalf("NewKeyRing = %v, %v; want an error", ring, err)
			}
			if !errors.Is(err, codec.ErrInvalidKey) {
				t.Errorf("errors.Is(%v, ErrInvalidKey) = false", err)
			}
			var ke *codec.KeyError
			if !errors.As(err, &ke) {
				t.Fatalf("error %v (%T) is not a *KeyError", err, err)
			}
			if ke.Index != tt.index {
				t.Errorf("KeyError.Index = %d, want %d", ke.Index, tt.index)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "codec: ") || ke.Reason == "" {
				t.Errorf("error %q: want a codec: prefix and a reason", msg)
			}
			for _, k := range tt.keys {
				if strings.TrimSpace(k) == "" {
					continue
				}
				if strings.Contains(msg, k) || strings.Contains(msg, k[:12]) {
					t.Errorf("error %q contains key material %q", msg, k)
				}
			}
			if tt.bad != "" && strings.Contains(fmt.Sprintf("%+v %#v", err, err), tt.bad) {
				t.Errorf("formatted error contains the offending key")
			}
		})
	}
}

func TestNewKeyRingAccepts(t *testing.T) {
	raw := bytes.Repeat([]byte{0xfb, 0xff, 0xbf}, 11)[:32] // '+' and '/' in standard base64
	std := base64.StdEncoding.EncodeToString(raw)
	url := base64.URLEncoding.EncodeToString(raw)
	if !strings.ContainsAny(std, "+/") {
		t.Fatalf("test key %q has no standard-only characters", std)
	}
	tests := []struct {
		name string
		keys []string
	}{
		{"url-safe", []string{url}},
		{"standard base64", []string{std}},
		{"surrounding whitespace", []string{" " + url + "\n"}},
		{"several", []string{keyA, keyB, keyC}},
		{"duplicate keys", []string{keyA, keyA}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ring := newRing(t, tt.keys...)
			if ring.Len() != len(tt.keys) {
				t.Errorf("Len = %d, want %d", ring.Len(), len(tt.keys))
			}
		})
	}

	// The standard and URL-safe spellings are the same key.
	cStd := newCodec(t, newRing(t, std))
	cURL := newCodec(t, newRing(t, url))
	tok := encode(t, cStd, testStorageKey, "v")
	if v := decode(t, cURL, testStorageKey, tok).Value; v != "v" {
		t.Errorf("Decode = %#v, want \"v\"", v)
	}
}

func TestGenerateKey(t *testing.T) {
	seen := map[string]bool{}
	for range 8 {
		k, err := codec.GenerateKey()
		if err != nil {
			t.Fatalf("GenerateKey: %v", err)
		}
		if len(k) != 44 {
			t.Errorf("len(GenerateKey()) = %d, want 44", len(k))
		}
		b, err := base64.URLEncoding.Strict().DecodeString(k)
		if err != nil || len(b) != 32 {
			t.Errorf("GenerateKey() is not URL-safe base64 of 32 bytes: %d bytes, %v", len(b), err)
		}
		if seen[k] {
			t.Errorf("GenerateKey returned the same key twice")
		}
		seen[k] = true
		c := newCodec(t, newRing(t, k))
		if v := decode(t, c, "k", encode(t, c, "k", "x")).Value; v != "x" {
			t.Errorf("round trip with a generated key = %#v", v)
		}
	}
}

// TestKeyRingRedacted prints a ring every way fmt allows and checks that no
// form of its key material appears.
func TestKeyRingRedacted(t *testing.T) {
	keys := []string{keyA, keyB}
	ring := newRing(t, keys...)
	var secrets []string
	for _, k := range keys {
		b, _ := base64.URLEncoding.DecodeString(k)
		secrets = append(secrets,
			k,
			strings.TrimRight(k, "="),
			base64.StdEncoding.EncodeToString(b),
			hex.EncodeToString(b),
			strings.ToUpper(hex.EncodeToString(b)),
			hex.EncodeToString(b[:16]), // signing key
			hex.EncodeToString(b[16:]), // encryption key
			string(b[16:]),
			fmt.Sprint(b[16:]), // [16 17 18 ...]
			strings.Trim(fmt.Sprint(b[16:]), "[]"),
			fmt.Sprintf("%#v", b[16:]),
		)
	}

	const want = "codec.KeyRing(2 keys, redacted)"
	c := newCodec(t, ring)
	type holder struct {
		Ring  *codec.KeyRing
		Codec *codec.Codec
	}
	outputs := map[string]string{
		"String":   ring.String(),
		"GoString": ring.GoString(),
		"Sprint":   fmt.Sprint(ring),
		"Sprintln": fmt.Sprintln(ring),
		"Errorf":   fmt.Errorf("wrapped: %v", ring).Error(),
		"slice %v": fmt.Sprintf("%v", []*codec.KeyRing{ring}),
		"struct":   fmt.Sprintf("%+v %#v", holder{ring, c}, holder{ring, c}),
		"codec":    fmt.Sprintf("%v %+v %#v", c, c, c),
		"value":    fmt.Sprintf("%v %+v %#v", *ring, *ring, *ring),
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3v", "%T"} {
		got := fmt.Sprintf(verb, ring)
		outputs[verb] = got
		if verb != "%T" && got != want {
			t.Errorf("Sprintf(%q, ring) = %q, want %q", verb, got, want)
		}
	}
	for _, name := range []string{"String", "GoString", "Sprint"} {
		if outputs[name] != want {
			t.Errorf("%s = %q, want %q", name, outputs[name], want)
		}
	}
	for name, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s output %q contains key material %q", name, out, s)
			}
		}
	}

	var nilRing *codec.KeyRing
	if got := fmt.Sprintf("%v %s", nilRing, nilRing.String()); got != "codec.KeyRing(nil) codec.KeyRing(nil)" {
		t.Errorf("nil ring prints %q", got)
	}
}
