//go:build !amd64 || purego

package aescbc

const useAsm = false

func expandKey128(key, dec *byte)          { panic("unreachable") }
func decryptCBC(dec, iv, buf *byte, n int) { panic("unreachable") }
