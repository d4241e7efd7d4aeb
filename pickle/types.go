package pickle

import (
	"fmt"
	"strings"
	"time"
)

// Tuple is a Python tuple. Pickle decodes a tuple as a Tuple and encodes a
// Tuple as a tuple (any other slice becomes a list), so that a value read from
// Django is written back with the same Python type.
type Tuple []any

// Set is a Python set. Pickle decodes a set as a Set (elements in the
// pickle's order) and encodes a Set as a set. Duplicates are Python's
// business: a Set with equal elements decodes in Python as the smaller set.
type Set []any

// FrozenSet is a Python frozenset, as Set is a set.
type FrozenSet []any

// Decimal is a Python decimal.Decimal, kept as its exact text ("3.14",
// "-0.00", "1E+3", "NaN", "Infinity"), so no precision is lost either way.
// Pickle encodes only text Python's Decimal accepts (see Valid).
type Decimal string

// Valid reports whether d is a string Python's decimal.Decimal accepts:
// an optional sign, digits with an optional fraction and exponent, or
// Infinity, Inf, NaN or sNaN (NaNs with optional digits), any case.
func (d Decimal) Valid() bool { return validDecimal(string(d)) }

// Date is a Python datetime.date: a calendar day with no time and no zone.
type Date struct {
	Year  int        // 1 to 9999, as in Python
	Month time.Month // 1 to 12
	Day   int        // 1 to 31
}

// DateOf returns the calendar day of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// String returns the date as YYYY-MM-DD, like Python's str(date).
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// NaiveDateTime is a Python datetime.datetime without tzinfo (a "naive"
// datetime, as Django stores with USE_TZ=False): a wall-clock reading with no
// zone. The embedded Time holds the wall clock in time.UTC; its location means
// nothing. Pickle decodes a naive datetime as a NaiveDateTime, so that writing
// it back gives Python the same naive value (a time.Time always encodes as an
// aware datetime).
type NaiveDateTime struct {
	time.Time
}

// Naive returns the wall clock of t, in t's location, as a NaiveDateTime.
func Naive(t time.Time) NaiveDateTime {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return NaiveDateTime{time.Date(y, mo, d, h, mi, s, t.Nanosecond(), time.UTC)}
}

// String returns the wall clock as Python's str(datetime) does, without an
// offset.
func (n NaiveDateTime) String() string {
	if n.Nanosecond()/1000 == 0 {
		return n.Time.Format("2006-01-02 15:04:05")
	}
	return n.Time.Format("2006-01-02 15:04:05.000000")
}

// validDecimal checks the syntax of Python's Decimal constructor (surrounding
// whitespace and underscores aside, which this package does not write).
func validDecimal(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '+' || s[0] == '-' {
		s = s[1:]
	}
	for _, w := range []string{"inf", "infinity", "nan", "snan"} {
		if strings.EqualFold(s, w) {
			return true
		}
	}
	for _, w := range []string{"nan", "snan"} { // NaNs with a payload
		if len(s) > len(w) && strings.EqualFold(s[:len(w)], w) && allDigits(s[len(w):]) {
			return true
		}
	}
	i, digits := 0, 0
	for i < len(s) && isDigit(s[i]) {
		i, digits = i+1, digits+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !allDigits(s[i:]) || i == len(s) {
			return false
		}
		return true
	}
	return i == len(s)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
