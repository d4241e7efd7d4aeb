package pickle

import (
	"bytes"
	"errors"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxIntDigits bounds the digits of a text integer (INT, LONG), checked
// before parsing: Python itself refuses to convert more than 4300.
const maxIntDigits = 5000

func opIntText(u *unpickler, _ byte) error {
	s, err := u.line()
	if err != nil {
		return err
	}
	switch string(s) {
	case "01":
		u.push(true)
		return nil
	case "00":
		u.push(false)
		return nil
	}
	return u.pushIntText(s)
}

func opLongText(u *unpickler, _ byte) error {
	s, err := u.line()
	if err != nil {
		return err
	}
	return u.pushIntText(bytes.TrimSuffix(s, []byte("L")))
}

func opFloatText(u *unpickler, _ byte) error {
	s, err := u.line()
	if err != nil {
		return err
	}
	f, err := strconv.ParseFloat(string(bytes.TrimSpace(s)), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return pickleErr("bad float")
	}
	u.push(f)
	return nil
}

// opStringText is STRING: a quoted Python 2 str; Python 3 decodes it as
// ASCII.
func opStringText(u *unpickler, _ byte) error {
	s, err := u.line()
	if err != nil {
		return err
	}
	str, err := unquotePy2(string(s))
	if err != nil {
		return err
	}
	u.push(str)
	return nil
}

// opUnicodeText is UNICODE, in raw-unicode-escape.
func opUnicodeText(u *unpickler, _ byte) error {
	s, err := u.line()
	if err != nil {
		return err
	}
	str, err := rawUnicodeEscape(string(s))
	if err != nil {
		return err
	}
	u.push(str)
	return nil
}

func (u *unpickler) pushText(n uint64) error {
	b, err := u.need(n)
	if err != nil {
		return err
	}
	if !utf8.Valid(b) {
		return pickleErr("str is not valid UTF-8")
	}
	u.push(string(b))
	return nil
}

// pushIntText parses a decimal integer, its length checked before any
// conversion (big.Int's is quadratic in the digits).
func (u *unpickler) pushIntText(b []byte) error {
	b = bytes.TrimSpace(b)
	if digits := bytes.TrimLeft(b, "+-"); len(digits) > maxIntDigits {
		return pickleErr("int of more than %d digits", maxIntDigits)
	}
	s := string(b)
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		u.push(i)
		return nil
	}
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return pickleErr("bad int")
	}
	u.push(n)
	return nil
}

// decodeLong reads a little-endian two's complement integer (LONG1, LONG4).
func decodeLong(b []byte) any {
	if len(b) == 0 {
		return int64(0)
	}
	if len(b) <= 8 {
		var x uint64
		for i := len(b) - 1; i >= 0; i-- {
			x = x<<8 | uint64(b[i])
		}
		shift := 64 - 8*uint(len(b))
		return int64(x<<shift) >> shift
	}
	be := make([]byte, len(b))
	for i, c := range b {
		be[len(b)-1-i] = c
	}
	n := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	if n.IsInt64() {
		return n.Int64()
	}
	return n
}

// unquotePy2 reads the argument of STRING: a repr() of a Python 2 str.
func unquotePy2(s string) (string, error) {
	s = strings.TrimRight(s, " \r")
	if len(s) < 2 || (s[0] != '\'' && s[0] != '"') || s[len(s)-1] != s[0] {
		return "", pickleErr("bad STRING quoting")
	}
	s = s[1 : len(s)-1]
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		if i++; i == len(s) {
			return "", pickleErr("bad STRING escape")
		}
		switch c = s[i]; c {
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case '\\', '\'', '"':
			b = append(b, c)
		case 'x':
			if i+3 > len(s) {
				return "", pickleErr("bad STRING escape")
			}
			x, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return "", pickleErr("bad STRING escape")
			}
			b = append(b, byte(x))
			i += 2
		default:
			return "", pickleErr("bad STRING escape")
		}
	}
	if !utf8.Valid(b) {
		return "", pickleErr("STRING is not text")
	}
	return string(b), nil
}

// rawUnicodeEscape decodes Python's raw-unicode-escape (the UNICODE opcode):
// latin-1 bytes, with \uXXXX and \UXXXXXXXX escapes.
func rawUnicodeEscape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && (s[i+1] == 'u' || s[i+1] == 'U') {
			n := 4
			if s[i+1] == 'U' {
				n = 8
			}
			if i+2+n > len(s) {
				return "", pickleErr("bad UNICODE escape")
			}
			x, err := strconv.ParseUint(s[i+2:i+2+n], 16, 32)
			if err != nil || x > utf8.MaxRune || (x >= 0xd800 && x < 0xe000) {
				return "", pickleErr("bad UNICODE escape")
			}
			b.WriteRune(rune(x))
			i += 1 + n
			continue
		}
		b.WriteRune(rune(c)) // latin-1
	}
	return b.String(), nil
}
