//go:build amd64 && !purego

package aescbc

import "golang.org/x/sys/cpu"

// useAsm: AES-NI (SSE2 is in every amd64 processor).
var useAsm = cpu.X86.HasAES

// expandKey128 writes the 11 round keys of the AES-128 key at key, in the
// order decryption uses them (the equivalent inverse cipher: the last
// encryption round key first, the middle ones through AESIMC), to dec.
//
//go:noescape
func expandKey128(key, dec *byte)

// decryptCBC decrypts n blocks at buf in place, in CBC mode with the IV at
// iv, with the round keys at dec.
//
//go:noescape
func decryptCBC(dec, iv, buf *byte, n int)
