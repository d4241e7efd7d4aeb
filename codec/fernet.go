package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/fernet/fernet-go"

	"github.com/secureredis/secureredis/internal/aescbc"
)

// The Fernet token layout (https://github.com/fernet/spec), before base64:
// version 0x80, 64-bit big-endian timestamp, 128-bit IV, AES-128-CBC
// ciphertext of the PKCS#7-padded plaintext, HMAC-SHA256 of all that.
const (
	fernetVersion byte = 0x80
	ivOffset           = 1 + 8
	ctOffset           = ivOffset + aes.BlockSize
	macSize            = sha256.Size
)

// fernetKey is one key of a ring, set up once: its AES cipher (the second half
// of the key), a pool of CBC encrypters over it, its CBC decrypter
// (internal/aescbc) and a pool of HMAC-SHA256 states keyed with the first
// half. fernet-go builds all of them for every token,
// which dominated the cost of small values; cipher.NewCBCEncrypter alone
// allocates about 600 bytes (a copy of the AES key schedule) that the pools
// save. The token format is the same, checked against fernet-go and Python's
// cryptography in the tests.
type fernetKey struct {
	block      cipher.Block
	macs       sync.Pool // *macState
	encrypters sync.Pool // cbcMode
	decrypter  *aescbc.Decrypter
}

// cbcMode is a CBC mode whose IV can be set again: what crypto/cipher returns
// for AES (and for any block cipher).
type cbcMode interface {
	cipher.BlockMode
	SetIV(iv []byte)
}

var zeroIV [aes.BlockSize]byte

type macState struct {
	h   hash.Hash
	sum [macSize]byte
}

func newFernetKey(k *fernet.Key) *fernetKey {
	block, err := aes.NewCipher(k[16:])
	if err != nil {
		panic("codec: AES-128 key of 16 bytes refused: " + err.Error()) // cannot happen
	}
	sign := append([]byte(nil), k[:16]...)
	dec, err := aescbc.New(k[16:])
	if err != nil {
		panic("codec: AES-128 key of 16 bytes refused: " + err.Error()) // cannot happen
	}
	fk := &fernetKey{block: block, decrypter: dec}
	fk.macs.New = func() any { return &macState{h: hmac.New(sha256.New, sign)} }
	fk.encrypters.New = func() any { return cipher.NewCBCEncrypter(block, zeroIV[:]).(cbcMode) }
	return fk
}

// cbc runs a pooled CBC mode from pool over buf in place, with iv.
func cbc(pool *sync.Pool, iv, buf []byte) {
	m := pool.Get().(cbcMode)
	m.SetIV(iv)
	m.CryptBlocks(buf, buf)
	pool.Put(m)
}

// mac computes the HMAC of data into the returned state, which the caller puts
// back in k.macs when done with sum.
func (k *fernetKey) mac(data []byte) *macState {
	m := k.macs.Get().(*macState)
	m.h.Reset()
	m.h.Write(data)
	m.h.Sum(m.sum[:0])
	return m
}

var tokenPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// appendSeal appends to dst the base64 Fernet token of plaintext, made at ts
// with an IV read from random. The binary token is built in a pooled buffer
// and encoded straight into dst, grown once if it is too small.
func (k *fernetKey) appendSeal(dst, plaintext []byte, ts time.Time, random io.Reader) ([]byte, error) {
	n := len(plaintext)/aes.BlockSize*aes.BlockSize + aes.BlockSize
	size := ctOffset + n + macSize
	bp := tokenPool.Get().(*[]byte)
	buf := *bp
	if cap(buf) < size {
		buf = make([]byte, size)
	}
	buf = buf[:size]
	defer func() {
		clear(buf) // held plaintext before encryption
		if cap(buf) <= 1<<20 {
			*bp = buf[:0]
			tokenPool.Put(bp)
		}
	}()
	buf[0] = fernetVersion
	binary.BigEndian.PutUint64(buf[1:], uint64(ts.Unix()))
	iv := buf[ivOffset:ctOffset]
	if _, err := io.ReadFull(random, iv); err != nil {
		return dst, err
	}
	ct := buf[ctOffset : ctOffset+n]
	copy(ct, plaintext)
	pad := byte(n - len(plaintext))
	for i := len(plaintext); i < n; i++ {
		ct[i] = pad
	}
	cbc(&k.encrypters, iv, ct)
	m := k.mac(buf[:ctOffset+n])
	copy(buf[ctOffset+n:], m.sum[:])
	k.macs.Put(m)
	dst = slices.Grow(dst, base64Len(size))
	out := dst[len(dst) : len(dst)+base64Len(size)]
	encodeBase64(out, buf)
	return dst[:len(dst)+len(out)], nil
}

// appendSeal appends the token of plaintext, encrypted with the ring's first
// key, to dst.
func (r *KeyRing) appendSeal(dst, plaintext []byte, ts time.Time, random io.Reader) ([]byte, error) {
	return r.fk[0].appendSeal(dst, plaintext, ts, random)
}

// maxTimestamp bounds the Fernet timestamps open accepts, so that every one
// is a valid time.Time and survives a round trip through seal.
const maxTimestamp = 1 << 62

// open verifies a Fernet token with each key in turn and returns its
// plaintext, in a new buffer the caller owns, the index of the key that
// opened it and the token's timestamp (to the second, as stored). Only
// canonical tokens are accepted: padded URL-safe base64 with zero padding
// bits and no line breaks, at least one cipher block, PKCS#7 padding of 1 to
// 16 bytes, a timestamp of at most 2^62. Nothing is decrypted before the HMAC
// matches, and the token itself is never written to. Base64 decoding skips
// '\n' and '\r', but a token holding them is longer than the padded base64
// of what it decodes to (strict decoding reads whole quanta of four other
// characters, and nothing after the padding), so that length check refuses
// it without a scan of the token.
func (r *KeyRing) open(token []byte) (plain []byte, keyIndex int, signed time.Time, err error) {
	if len(token) < minTokenLen || len(token)%4 != 0 {
		return nil, -1, time.Time{}, ErrInvalidToken
	}
	bin := make([]byte, len(token)/4*3)
	n, err := decodeBase64(bin, token)
	if err != nil || base64Len(n) != len(token) {
		return nil, -1, time.Time{}, ErrInvalidToken
	}
	return r.openBinary(bin[:n])
}

// openString is open for a token held in a string: it is decoded from the
// string itself, with no copy.
func (r *KeyRing) openString(token string) (plain []byte, keyIndex int, signed time.Time, err error) {
	if len(token) < minTokenLen || len(token)%4 != 0 {
		return nil, -1, time.Time{}, ErrInvalidToken
	}
	bin, err := decodeBase64String(token)
	if err != nil || base64Len(len(bin)) != len(token) {
		return nil, -1, time.Time{}, ErrInvalidToken
	}
	return r.openBinary(bin)
}

// openBinary is open after base64: bin is the token's bytes, which it
// decrypts in place.
func (r *KeyRing) openBinary(bin []byte) (plain []byte, keyIndex int, signed time.Time, err error) {
	n := len(bin)
	if n < ctOffset+aes.BlockSize+macSize || bin[0] != fernetVersion || (n-ctOffset-macSize)%aes.BlockSize != 0 {
		return nil, -1, time.Time{}, ErrInvalidToken
	}
	ts := binary.BigEndian.Uint64(bin[1:ivOffset])
	if ts > maxTimestamp {
		return nil, -1, time.Time{}, ErrInvalidToken
	}
	body, tag := bin[:n-macSize], bin[n-macSize:]
	for i, k := range r.fk {
		m := k.mac(body)
		ok := hmac.Equal(m.sum[:], tag)
		k.macs.Put(m)
		if !ok {
			continue
		}
		ct := body[ctOffset:]
		k.decrypter.DecryptInPlace(body[ivOffset:ctOffset], ct) // internal/aescbc: eight blocks at a time
		pad := int(ct[len(ct)-1])
		if pad == 0 || pad > aes.BlockSize {
			return nil, -1, time.Time{}, ErrInvalidToken
		}
		for _, b := range ct[len(ct)-pad:] {
			if int(b) != pad {
				return nil, -1, time.Time{}, ErrInvalidToken
			}
		}
		return ct[:len(ct)-pad], i, time.Unix(int64(ts), 0), nil
	}
	return nil, -1, time.Time{}, ErrInvalidToken
}
