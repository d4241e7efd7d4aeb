package codec_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"testing"
)

// A Fernet implementation written from the specification
// (https://github.com/fernet/spec/blob/master/Spec.md), independent of
// fernet-go: golden tests use it to rebuild tokens byte for byte, FuzzEnvelope
// to wrap arbitrary plaintext in a valid token, and the benchmarks as the raw
// baseline.
//
//	token = base64url(0x80 || timestamp (8, big-endian) || IV (16) || ciphertext || HMAC)
//	ciphertext = AES-128-CBC(encryption key, IV, PKCS#7(plaintext))
//	HMAC = HMAC-SHA256(signing key, everything before it)
//
// The 32-byte Fernet key is the signing key followed by the encryption key.

const (
	fernetVersion  = 0x80
	fernetHeader   = 1 + 8 + aes.BlockSize // version, timestamp, IV
	fernetOverhead = fernetHeader + sha256.Size
)

// rawKey splits a URL-safe base64 Fernet key into its signing and encryption
// halves.
func rawKey(tb testing.TB, key string) (signing, encryption []byte) {
	tb.Helper()
	b, err := base64.URLEncoding.DecodeString(key)
	if err != nil || len(b) != 32 {
		tb.Fatalf("rawKey: not a Fernet key (%d bytes, err %v)", len(b), err)
	}
	return b[:16], b[16:]
}

// rawSeal returns the binary (not base64) Fernet token of plain: AES-128-CBC
// with PKCS#7 padding, then HMAC-SHA256 over the header and ciphertext. It
// allocates the token once and encrypts in place.
func rawSeal(signing, encryption, iv []byte, ts uint64, plain []byte) []byte {
	block, err := aes.NewCipher(encryption)
	if err != nil {
		panic(err) // test keys are always 16 bytes
	}
	padded := len(plain)/aes.BlockSize*aes.BlockSize + aes.BlockSize
	tok := make([]byte, fernetHeader+padded, fernetOverhead+padded)
	tok[0] = fernetVersion
	binary.BigEndian.PutUint64(tok[1:9], ts)
	copy(tok[9:fernetHeader], iv)
	ct := tok[fernetHeader:]
	copy(ct, plain)
	for i := len(plain); i < padded; i++ {
		ct[i] = byte(padded - len(plain))
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, ct)
	mac := hmac.New(sha256.New, signing)
	mac.Write(tok)
	return mac.Sum(tok)
}

// rawOpen verifies a binary Fernet token and returns its plaintext in a new
// buffer; tok is not modified. It ignores the timestamp.
func rawOpen(signing, encryption, tok []byte) ([]byte, bool) {
	if len(tok) < fernetOverhead+aes.BlockSize || tok[0] != fernetVersion {
		return nil, false
	}
	n := len(tok) - sha256.Size
	mac := hmac.New(sha256.New, signing)
	mac.Write(tok[:n])
	var sum [sha256.Size]byte
	if subtle.ConstantTimeCompare(mac.Sum(sum[:0]), tok[n:]) != 1 {
		return nil, false
	}
	ct := tok[fernetHeader:n]
	if len(ct)%aes.BlockSize != 0 {
		return nil, false
	}
	block, err := aes.NewCipher(encryption)
	if err != nil {
		panic(err)
	}
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, tok[9:fernetHeader]).CryptBlocks(pt, ct)
	p := int(pt[len(pt)-1])
	if p == 0 || p > aes.BlockSize || !bytes.Equal(pt[len(pt)-p:], bytes.Repeat([]byte{byte(p)}, p)) {
		return nil, false
	}
	return pt[:len(pt)-p], true
}

// rawFernetSeal is rawSeal followed by URL-safe base64: a complete Fernet token.
func rawFernetSeal(signing, encryption, iv []byte, ts uint64, plain []byte) []byte {
	bin := rawSeal(signing, encryption, iv, ts, plain)
	tok := make([]byte, base64.URLEncoding.EncodedLen(len(bin)))
	base64.URLEncoding.Encode(tok, bin)
	return tok
}

// rawFernetOpen decodes (strictly) and opens a Fernet token.
func rawFernetOpen(signing, encryption, tok []byte) ([]byte, bool) {
	bin := make([]byte, base64.URLEncoding.DecodedLen(len(tok)))
	n, err := base64.URLEncoding.Strict().Decode(bin, tok)
	if err != nil {
		return nil, false
	}
	return rawOpen(signing, encryption, bin[:n])
}

// TestRawFernetSpecVector checks the test-only builder against the vector of
// the Fernet specification (generate.json), so the golden tests and the
// benchmark baselines stand on a correct implementation.
func TestRawFernetSpecVector(t *testing.T) {
	const (
		key   = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
		token = "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA=="
		now   = 499162800 // 1985-10-26T01:20:00-07:00
	)
	iv := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	s, e := rawKey(t, key)
	if got := rawFernetSeal(s, e, iv, now, []byte("hello")); string(got) != token {
		t.Errorf("rawFernetSeal = %s, want %s", got, token)
	}
	got, ok := rawFernetOpen(s, e, []byte(token))
	if !ok || string(got) != "hello" {
		t.Errorf("rawFernetOpen = %q, %v; want \"hello\", true", got, ok)
	}
}
