package sessions

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"
)

// FuzzOpen feeds arbitrary decrypted values to the session parser: it must
// never panic, and whatever it accepts must re-seal to the same bytes.
func FuzzOpen(f *testing.F) {
	exp := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Add(seal("tok", []byte("data"), exp))
	f.Add(seal("t", nil, exp))
	f.Add([]byte{formatVersion})
	f.Add([]byte{formatVersion, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	s := &Store{prefix: DefaultPrefix, now: func() time.Time { return exp.Add(-time.Hour) }}
	f.Fuzz(func(t *testing.T, b []byte) {
		token, data, ok := s.open(b)
		if !ok {
			return
		}
		if token == "" || len(token) > MaxTokenSize {
			t.Fatalf("accepted token of %d bytes", len(token))
		}
		expiry := time.Unix(0, int64(binary.BigEndian.Uint64(b[1:9])))
		if again := seal(token, data, expiry); !bytes.Equal(again, b) {
			// Only a non-minimal uvarint length may differ.
			if len(again) >= len(b) {
				t.Fatalf("re-sealed %x; got %x", again, b)
			}
		}
	})
}

// FuzzRoundTrip seals and opens arbitrary sessions.
func FuzzRoundTrip(f *testing.F) {
	f.Add("tok", []byte("data"), int64(time.Hour))
	f.Add("x", []byte{}, int64(1))
	now := time.Now()
	s := &Store{prefix: DefaultPrefix, now: func() time.Time { return now }}
	f.Fuzz(func(t *testing.T, token string, data []byte, ttl int64) {
		if !validToken(token) || ttl <= 0 {
			return
		}
		expiry := now.Add(time.Duration(ttl))
		if expiry.Before(now) { // overflow
			return
		}
		gotToken, gotData, ok := s.open(seal(token, data, expiry))
		if expiry.UnixNano() <= now.UnixNano() {
			if ok {
				t.Fatal("expired session opened")
			}
			return
		}
		if !ok || gotToken != token || !bytes.Equal(gotData, data) {
			t.Fatalf("round trip: %q, %q, %v", gotToken, gotData, ok)
		}
	})
}
