package pickle

import (
	"fmt"
	"math/big"
	"time"
)

// appendByteArray writes bytearray(bytes).
func (e *encoder) appendByteArray(dst []byte, b ByteArray) ([]byte, error) {
	if err := e.room(dst, len(b)); err != nil {
		return nil, err
	}
	dst = e.appendGlobal(dst, "builtins", "bytearray")
	dst = e.appendBytes(dst, b)
	return append(dst, 0x85, 'R'), nil
}

// appendUUID writes a uuid.UUID as Python does: uuid.UUID.__new__, then
// BUILD with {"int": n}.
func (e *encoder) appendUUID(dst []byte, u UUID) []byte {
	dst = e.appendGlobal(dst, "uuid", "UUID")
	dst = append(dst, ')', 0x81, '}')
	dst, _ = e.appendString(dst, "int")
	dst = e.appendBig(dst, new(big.Int).SetBytes(u[:]))
	return append(dst, 's', 'b')
}

// appendItems writes an OrderedDict (OrderedDict(), then SETITEMS) or a
// dict of items.
func (e *encoder) appendItems(dst []byte, items []DictItem, ordered bool, depth int) ([]byte, error) {
	at := func(i int) (any, any) { return items[i].Key, items[i].Value }
	if !ordered {
		return e.appendDict(dst, len(items), at, depth)
	}
	dst = e.appendGlobal(dst, "collections", "OrderedDict")
	dst = append(dst, ')', 'R')
	return e.appendSetItems(dst, len(items), at, depth)
}

// appendClock writes a datetime.time, naive or with its Location.
func (e *encoder) appendClock(dst []byte, t Time) ([]byte, error) {
	if !t.valid() {
		return nil, fmt.Errorf("%w: time out of Python's range", ErrUnsupportedValue)
	}
	dst = e.appendGlobal(dst, "datetime", "time")
	us := t.Microsecond
	dst = e.appendBytes(dst, []byte{byte(t.Hour), byte(t.Minute), byte(t.Second), byte(us >> 16), byte(us >> 8), byte(us)})
	if t.Location == nil {
		return append(dst, 0x85, 'R'), nil
	}
	// a time has no date: a zone's offset is taken at 2000-01-01
	dst = e.appendTZ(dst, time.Date(2000, 1, 1, t.Hour, t.Minute, t.Second, 0, t.Location))
	return append(dst, 0x86, 'R'), nil
}

// appendTZ writes the tzinfo of t: zoneinfo.ZoneInfo for a named zone (as
// Python pickles one: getattr(ZoneInfo, "_unpickle")(key, 1)),
// datetime.timezone of t's offset otherwise (UTC included).
func (e *encoder) appendTZ(dst []byte, t time.Time) []byte {
	if key := zoneKey(t.Location(), t); key != "" {
		dst = e.appendGlobal(dst, "builtins", "getattr")
		dst = e.appendGlobal(dst, "zoneinfo", "ZoneInfo")
		dst, _ = e.appendString(dst, "_unpickle")
		dst = append(dst, 0x86, 'R')
		dst, _ = e.appendString(dst, key)
		dst = e.appendInt(dst, 1)
		return append(dst, 0x86, 'R')
	}
	_, off := t.Zone()
	dst = e.appendGlobal(dst, "datetime", "timezone")
	dst = e.appendGlobal(dst, "datetime", "timedelta")
	days, secs := int64(0), int64(off)
	if secs < 0 {
		days, secs = -1, secs+86400
	}
	dst = e.appendInt(dst, days)
	dst = e.appendInt(dst, secs)
	dst = e.appendInt(dst, 0)
	dst = append(dst, 0x87, 'R')  // timedelta(days, secs, 0)
	return append(dst, 0x85, 'R') // timezone(delta)
}
