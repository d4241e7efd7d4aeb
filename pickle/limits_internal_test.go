package pickle

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"
)

// TestScalarSizes checks that scalarSize bounds what Append writes, at the
// extremes of every fixed-size type.
func TestScalarSizes(t *testing.T) {
	minBig, _ := new(big.Int).SetString("-"+strings.Repeat("9", 700), 10)
	values := []any{
		nil, true, int64(0), int64(255), int64(256), int64(65535), int64(65536),
		int64(math.MaxInt32), int64(math.MinInt32), int64(math.MaxInt64), int64(math.MinInt64),
		big.NewInt(0), minBig, new(big.Int).Lsh(big.NewInt(1), 2100), 1.5, "", strings.Repeat("é", 200), []byte{},
		make([]byte, 300),
		Date{Year: 9999, Month: 12, Day: 31},
		NaiveDateTime{time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)},
		time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.FixedZone("", -23*3600-59*60)),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.FixedZone("", 23*3600+59*60)),
		time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Duration(math.MaxInt64), time.Duration(math.MinInt64), time.Duration(0),
		Decimal("-1.5E+300"), Decimal(strings.Repeat("9", 300)),
		UUID{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, UUID{},
		Time{Hour: 23, Minute: 59, Second: 59, Microsecond: 999999}, Time{Location: time.FixedZone("", -3600)},
		ByteArray{}, make(ByteArray, 300),
		time.Date(9999, 12, 31, 23, 59, 59, 999999000, mustZone(t, "America/Argentina/ComodRivadavia")),
		Time{Hour: 23, Location: mustZone(t, "America/Argentina/ComodRivadavia")},
	}
	for _, v := range values {
		e := encoder{limit: MaxSize}
		b, err := e.appendValue(nil, v, 0)
		if err != nil {
			t.Fatalf("%#v: %v", v, err)
		}
		if n := scalarSize(v); len(b) > n {
			t.Errorf("%T %v: Append writes %d bytes, scalarSize says %d", v, v, len(b), n)
		}
	}
}

// TestWriterCap has the writer refuse a value whose pickle passes its limit
// (MaxSize in Append): a Go value sharing a slice 2^40 times, and one long
// string, refused before it is copied.
func TestWriterCap(t *testing.T) {
	l := []any{"x"}
	for range 40 {
		l = []any{l, l}
	}
	e := encoder{limit: 1 << 20}
	b, err := e.appendValue(nil, l, 0)
	if !errors.Is(err, ErrTooLarge) || !errors.Is(err, ErrUnsupportedValue) {
		t.Fatalf("2^40 shared lists: %d bytes, %v; want ErrTooLarge and ErrUnsupportedValue", len(b), err)
	}
	e = encoder{limit: 1 << 20}
	if _, err := e.appendValue(make([]byte, 0, 16), strings.Repeat("x", 1<<20+1), 0); !errors.Is(err, ErrTooLarge) {
		t.Errorf("1 MiB + 1 string under a 1 MiB limit: %v", err)
	}
	if _, err := Append(nil, make([]byte, MaxSize)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxSize bytes: %v, want ErrTooLarge", err)
	}
}

func mustZone(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, ok := loadZone(name)
	if !ok {
		tb.Fatalf("zone %s", name)
	}
	return loc
}
