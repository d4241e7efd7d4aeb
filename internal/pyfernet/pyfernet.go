// Package pyfernet runs Python's cryptography.fernet from tests, as an
// independent Fernet implementation to check tokens against. It needs a python3
// that can import cryptography: /usr/bin/python3 (Debian's
// python3-cryptography, which .ci/run installs) or python3 on PATH. A missing
// one fails the test; it never skips.
package pyfernet

import (
	"bytes"
	"encoding/hex"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

var (
	once   sync.Once
	python string
)

// Python returns the path of a python3 that imports cryptography.
func Python(tb testing.TB) string {
	tb.Helper()
	once.Do(func() {
		for _, p := range []string{"/usr/bin/python3", "python3"} {
			if exec.Command(p, "-c", "import cryptography.fernet").Run() == nil {
				python = p
				return
			}
		}
	})
	if python == "" {
		tb.Fatal("pyfernet: no python3 with the cryptography package (apt-get install python3-cryptography)")
	}
	return python
}

const decryptScript = `
import sys, binascii
from cryptography.fernet import Fernet, InvalidToken
key, token = sys.argv[1].encode(), sys.argv[2].encode()
try:
    sys.stdout.write(binascii.hexlify(Fernet(key).decrypt(token)).decode())
except InvalidToken:
    sys.stdout.write("INVALID")
`

// Decrypt decrypts token with key using Python's Fernet. ok is false when
// Python rejects the token (InvalidToken).
func Decrypt(tb testing.TB, key string, token []byte) (plaintext []byte, ok bool) {
	tb.Helper()
	out, err := run(tb, decryptScript, key, string(token))
	if err != nil {
		tb.Fatalf("pyfernet: decrypt: %v", err)
	}
	if out == "INVALID" {
		return nil, false
	}
	b, err := hex.DecodeString(out)
	if err != nil {
		tb.Fatalf("pyfernet: bad output %q", out)
	}
	return b, true
}

const encryptScript = `
import sys, binascii
from cryptography.fernet import Fernet
sys.stdout.write(Fernet(sys.argv[1].encode()).encrypt(binascii.unhexlify(sys.argv[2])).decode())
`

// Encrypt returns Python's Fernet token for plaintext under key.
func Encrypt(tb testing.TB, key string, plaintext []byte) []byte {
	tb.Helper()
	out, err := run(tb, encryptScript, key, hex.EncodeToString(plaintext))
	if err != nil {
		tb.Fatalf("pyfernet: encrypt: %v", err)
	}
	return []byte(out)
}

func run(tb testing.TB, script string, args ...string) (string, error) {
	cmd := exec.Command(Python(tb), append([]string{"-c", script}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", &exec.ExitError{Stderr: stderr.Bytes()}
	}
	return strings.TrimSpace(string(out)), nil
}
