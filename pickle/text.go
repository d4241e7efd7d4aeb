package pickle

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

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
