package aescbc

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// NIST SP 800-38A, F.2.2 CBC-AES128.Decrypt.
func TestNISTVector(t *testing.T) {
	key := unhex(t, "2b7e151628aed2a6abf7158809cf4f3c")
	iv := unhex(t, "000102030405060708090a0b0c0d0e0f")
	ct := unhex(t, "7649abac8119b246cee98e9b12e9197d"+"5086cb9b507219ee95db113a917678b2"+"73bed6b8e3c1743b7116e69e22229516"+"3ff1caa1681fac09120eca307586e1a7")
	pt := unhex(t, "6bc1bee22e409f96e93d7e117393172a"+"ae2d8a571e03ac9c9eb76fac45af8e51"+"30c81c46a35ce411e5fbc1191a0a52ef"+"f69f2445df4f9b17ad2b417be66c3710")
	d, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	d.DecryptInPlace(iv, ct)
	if !bytes.Equal(ct, pt) {
		t.Fatalf("got %x\nwant %x", ct, pt)
	}
}

// check decrypts ct with d and with crypto/cipher, and compares.
func check(t testing.TB, d *Decrypter, block cipher.Block, iv, ct []byte) {
	t.Helper()
	want := bytes.Clone(ct)
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(want, want)
	got := bytes.Clone(ct)
	d.DecryptInPlace(iv, got)
	if !bytes.Equal(got, want) {
		t.Fatalf("%d blocks: got %x\nwant %x", len(ct)/16, got, want)
	}
}

// Every length from 0 to 40 blocks (the eight-block loop, the one-block
// loop and every mix of them), under many keys, against crypto/cipher; and
// a round trip through crypto/cipher's encrypter.
func TestMatchesCryptoCipher(t *testing.T) {
	for k := range 50 {
		key := make([]byte, 16)
		iv := make([]byte, 16)
		if k > 0 {
			rand.Read(key)
			rand.Read(iv)
		}
		d, err := New(key)
		if err != nil {
			t.Fatal(err)
		}
		block, _ := aes.NewCipher(key)
		for n := 0; n <= 40; n++ {
			ct := make([]byte, 16*n)
			rand.Read(ct)
			check(t, d, block, iv, ct)
			pt := make([]byte, 16*n)
			rand.Read(pt)
			enc := bytes.Clone(pt)
			cipher.NewCBCEncrypter(block, iv).CryptBlocks(enc, enc)
			d.DecryptInPlace(iv, enc)
			if !bytes.Equal(enc, pt) {
				t.Fatalf("round trip of %d blocks", n)
			}
		}
	}
}

// The IV and the key are only read; a Decrypter serves many goroutines.
func TestInputsUntouchedAndConcurrent(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 16)
	iv := bytes.Repeat([]byte{9}, 16)
	d, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for n := range 30 {
				ct := make([]byte, 16*n)
				rand.Read(ct)
				check(t, d, block, iv, ct)
			}
		}()
	}
	for range 4 {
		<-done
	}
	if !bytes.Equal(key, bytes.Repeat([]byte{7}, 16)) || !bytes.Equal(iv, bytes.Repeat([]byte{9}, 16)) {
		t.Fatal("key or IV written")
	}
}

func TestBadInput(t *testing.T) {
	for _, n := range []int{0, 15, 17, 24, 32} {
		if _, err := New(make([]byte, n)); err == nil {
			t.Errorf("New accepts a %d-byte key", n)
		}
	}
	d, err := New(make([]byte, 16))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ iv, buf int }{{15, 16}, {16, 15}, {16, 17}, {0, 0}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("iv %d, buf %d: no panic", tc.iv, tc.buf)
				}
			}()
			d.DecryptInPlace(make([]byte, tc.iv), make([]byte, tc.buf))
		}()
	}
}

func FuzzDecrypt(f *testing.F) {
	f.Add(make([]byte, 16), make([]byte, 16), make([]byte, 16*9))
	f.Add(bytes.Repeat([]byte{0xff}, 16), bytes.Repeat([]byte{1}, 16), bytes.Repeat([]byte{2}, 16*17))
	f.Fuzz(func(t *testing.T, key, iv, ct []byte) {
		if len(key) != 16 || len(iv) != 16 {
			return
		}
		ct = ct[:len(ct)/16*16]
		d, err := New(key)
		if err != nil {
			t.Fatal(err)
		}
		block, _ := aes.NewCipher(key)
		check(t, d, block, iv, ct)
	})
}

// BenchmarkDecrypt: this package against crypto/cipher's CBC decrypter (set
// up once, a new IV per call, as the codec pools it), at a Fernet token's
// ciphertext sizes.
func BenchmarkDecrypt(b *testing.B) {
	key := make([]byte, 16)
	iv := make([]byte, 16)
	d, err := New(key)
	if err != nil {
		b.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	mode := cipher.NewCBCDecrypter(block, iv).(cbcMode)
	for _, size := range []int{112, 1040, 10256} {
		buf := make([]byte, size)
		b.Run("impl=crypto-cipher/size="+strconv.Itoa(size), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				mode.SetIV(iv)
				mode.CryptBlocks(buf, buf)
			}
		})
		b.Run("impl=aescbc/size="+strconv.Itoa(size), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				d.DecryptInPlace(iv, buf)
			}
		})
	}
}
