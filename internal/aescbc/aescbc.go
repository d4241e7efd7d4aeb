// Package aescbc decrypts AES-128-CBC, the cipher of every Fernet token,
// several blocks at a time.
//
// Go's crypto/cipher decrypts CBC one block after another on amd64: each
// block is a call to the single-block AES-NI routine, which waits for its
// ten AESDEC rounds to finish before the next block starts, although CBC
// decryption has no dependency between blocks. On amd64 with AES-NI this
// package decrypts eight blocks at once instead, so the rounds of eight
// blocks overlap in the processor's AES units (BenchmarkDecrypt: 1,040
// bytes in 97 ns against crypto/cipher's 546). Elsewhere it is crypto/cipher's CBC decrypter.
// No maintained Go library offers a pipelined CBC decrypter; crypto/aes
// does it only for CTR and GCM.
//
// Only decryption is here: CBC encryption is sequential by definition, and
// crypto/cipher's is as fast as it can be. The token's HMAC is verified
// before anything is decrypted, so this code only ever sees authenticated
// ciphertext; it is checked against crypto/cipher on every length, in place,
// with NIST's vectors and by FuzzDecrypt.
package aescbc

import (
	"crypto/aes"
	"crypto/cipher"
	"sync"
)

// Decrypter decrypts AES-128-CBC under one key. It is safe for concurrent
// use.
type Decrypter struct {
	dec   [11 * aes.BlockSize]byte // decryption round keys (amd64 with AES-NI)
	modes sync.Pool                // crypto/cipher CBC decrypters (elsewhere)
}

// cbcMode is what crypto/cipher's CBC decrypter offers: a new IV for each
// token, so that decrypters can be pooled.
type cbcMode interface {
	cipher.BlockMode
	SetIV([]byte)
}

// New returns a Decrypter for a 16-byte AES-128 key.
func New(key []byte) (*Decrypter, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	if len(key) != 16 {
		return nil, aes.KeySizeError(len(key))
	}
	d := &Decrypter{}
	if useAsm {
		expandKey128(&key[0], &d.dec[0])
	} else {
		var iv [aes.BlockSize]byte
		d.modes.New = func() any { return cipher.NewCBCDecrypter(block, iv[:]).(cbcMode) }
	}
	return d, nil
}

// DecryptInPlace decrypts buf, whole blocks, in place with iv. It panics if
// iv is not one block long or buf is not whole blocks, as crypto/cipher
// does.
func (d *Decrypter) DecryptInPlace(iv, buf []byte) {
	if len(iv) != aes.BlockSize {
		panic("aescbc: IV length must equal block size")
	}
	if len(buf)%aes.BlockSize != 0 {
		panic("aescbc: input not full blocks")
	}
	if len(buf) == 0 {
		return
	}
	if useAsm {
		decryptCBC(&d.dec[0], &iv[0], &buf[0], len(buf)/aes.BlockSize)
		return
	}
	m := d.modes.Get().(cbcMode)
	m.SetIV(iv)
	m.CryptBlocks(buf, buf)
	d.modes.Put(m)
}
