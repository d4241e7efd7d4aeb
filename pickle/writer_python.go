package pickle

import (
	"fmt"
	"time"
)

// appendSet writes a set (EMPTY_SET, then ADDITEMS by 1,000) or a frozenset
// (MARK, items, FROZENSET).
func (e *encoder) appendSet(dst []byte, items []any, frozen bool, depth int) ([]byte, error) {
	var err error
	if frozen {
		dst = append(dst, '(')
		for _, el := range items {
			if dst, err = e.appendValue(dst, el, depth+1); err != nil {
				return nil, err
			}
		}
		return append(dst, 0x91), nil
	}
	dst = append(dst, 0x8f)
	for lo := 0; lo < len(items); lo += 1000 {
		dst = append(dst, '(')
		for _, el := range items[lo:min(lo+1000, len(items))] {
			if dst, err = e.appendValue(dst, el, depth+1); err != nil {
				return nil, err
			}
		}
		dst = append(dst, 0x90)
	}
	return dst, nil
}

// appendDate writes datetime.date(state).
func (e *encoder) appendDate(dst []byte, d Date) ([]byte, error) {
	if !validDate(d) {
		return nil, fmt.Errorf("%w: date out of Python's range", ErrUnsupportedValue)
	}
	dst = e.appendGlobal(dst, "datetime", "date")
	dst = e.appendBytes(dst, []byte{byte(d.Year >> 8), byte(d.Year), byte(d.Month), byte(d.Day)})
	return append(dst, 0x85, 'R'), nil
}

// appendDuration writes datetime.timedelta(days, seconds, microseconds).
func (e *encoder) appendDuration(dst []byte, d time.Duration) []byte {
	us := int64(d / time.Microsecond)
	days := us / 86400e6
	rem := us % 86400e6
	if rem < 0 {
		days, rem = days-1, rem+86400e6
	}
	dst = e.appendGlobal(dst, "datetime", "timedelta")
	dst = e.appendInt(dst, days)
	dst = e.appendInt(dst, rem/1e6)
	dst = e.appendInt(dst, rem%1e6)
	return append(dst, 0x87, 'R')
}

// appendDecimal writes decimal.Decimal(text); the text is not quoted in the
// error (it is the application's data).
func (e *encoder) appendDecimal(dst []byte, d Decimal) ([]byte, error) {
	if !d.Valid() {
		return nil, fmt.Errorf("%w: not a Python Decimal literal", ErrUnsupportedValue)
	}
	dst = e.appendGlobal(dst, "decimal", "Decimal")
	dst, err := e.appendString(dst, string(d))
	if err != nil {
		return nil, err
	}
	return append(dst, 0x85, 'R'), nil
}

// appendTime writes an aware datetime: zoneinfo.ZoneInfo for a time in a
// named zone (time.LoadLocation's), datetime.timezone.utc for UTC, a fixed
// datetime.timezone for any other offset. fold is set for the second of two
// instants with the same wall clock.
func (e *encoder) appendTime(dst []byte, t time.Time) ([]byte, error) {
	dst, err := e.appendDatetime(dst, t, true)
	if err != nil {
		return nil, err
	}
	dst = e.appendTZ(dst, t)
	return append(dst, 0x86, 'R'), nil
}

// appendDatetime writes datetime.datetime with its 10-byte state, and,
// when aware, leaves the REDUCE to the caller, which pushes the tzinfo first.
func (e *encoder) appendDatetime(dst []byte, t time.Time, aware bool) ([]byte, error) {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	if y < 1 || y > 9999 {
		return nil, fmt.Errorf("%w: year %d out of Python's range", ErrUnsupportedValue, y)
	}
	us := t.Nanosecond() / 1000
	dst = e.appendGlobal(dst, "datetime", "datetime")
	if aware && foldOf(t) {
		mo |= 0x80
	}
	dst = e.appendBytes(dst, []byte{byte(y >> 8), byte(y), byte(mo), byte(d), byte(h), byte(mi), byte(s), byte(us >> 16), byte(us >> 8), byte(us)})
	if aware {
		return dst, nil
	}
	return append(dst, 0x85, 'R'), nil
}
