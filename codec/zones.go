package codec

import (
	"encoding/binary"
	"errors"
	"reflect"
	"sync"
	"time"
)

// Zone tables: how EncodeTyped keeps the zone of a time.Time.
//
// msgpack's timestamp extension carries only the instant (it decodes in
// time.Local), and JSON only the offset. EncodeTyped therefore walks the value
// it encodes and, when it holds a time.Time in a zone other than time.Local,
// writes a zone table in front of the serializer's payload (kind idZoned):
//
//	byte 0      serializer ID of the payload (2 msgpack, 3 JSON, ...)
//	uvarint     table length n in bytes, then n bytes of entries:
//	            varint seconds, uvarint nanoseconds (the instant),
//	            uvarint length + zone name (time.Location.String()),
//	            uvarint length + abbreviation, varint offset in seconds
//	rest        the serializer's payload
//
// The table lists every time.Time of the value in the order a walk of the
// Go value meets them (struct fields in order, slice and array elements in
// order, map entries in Go's random order). DecodeInto decodes the payload,
// walks the decoded value the same way, and gives the n-th time the n-th
// zone when it is the same instant; a time met out of order (in a map) gets
// the zone of the first entry with its instant. A zone comes back as the
// named location (time.LoadLocation) when it has the recorded offset and
// abbreviation at that instant, else as a fixed zone with the recorded
// abbreviation and offset. Decode (untyped) applies the table the same way
// to the serializer's generic value.
const (
	idZoned byte = 5

	maxZoneEntries = 1 << 12 // per value
	maxZoneName    = 255
	maxWalkDepth   = 64
)

var (
	timeType    = reflect.TypeFor[time.Time]()
	errBadZones = errors.New("codec: bad zone table")
)

type zoneEntry struct {
	name, abbr string
	offset     int
}

type instant struct {
	sec  int64
	nsec int
}

func instantOf(t time.Time) instant { return instant{t.Unix(), t.Nanosecond()} }

// mayHoldTime reports whether a value of type t can hold a time.Time, so
// values that cannot are never walked. Results are cached per type.
func mayHoldTime(t reflect.Type) bool {
	if v, ok := holdsTime.Load(t); ok {
		return v.(bool)
	}
	r := mayHoldTimeRec(t, map[reflect.Type]bool{})
	holdsTime.Store(t, r)
	return r
}

var holdsTime sync.Map // reflect.Type -> bool

func mayHoldTimeRec(t reflect.Type, seen map[reflect.Type]bool) bool {
	if t == timeType {
		return true
	}
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return mayHoldTimeRec(t.Elem(), seen)
	case reflect.Map:
		return mayHoldTimeRec(t.Key(), seen) || mayHoldTimeRec(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && mayHoldTimeRec(f.Type, seen) {
				return true
			}
		}
	}
	return false
}

// appendZones walks v and appends the zone table of its times; it returns
// dst unchanged when there are none.
func appendZones(dst []byte, v any) []byte {
	if v == nil || !mayHoldTime(reflect.TypeOf(v)) {
		return dst
	}
	var order []instant
	var zones []zoneEntry
	walkTimes(reflect.ValueOf(v), 0, func(t time.Time) {
		if len(zones) >= maxZoneEntries {
			return
		}
		abbr, off := t.Zone()
		name := t.Location().String()
		if t.Location() == time.Local {
			name = "Local"
		}
		if len(name) > maxZoneName {
			name = ""
		}
		if len(abbr) > maxZoneName {
			abbr = ""
		}
		zones = append(zones, zoneEntry{name: name, abbr: abbr, offset: off})
		order = append(order, instantOf(t))
	})
	if len(zones) == 0 {
		return dst
	}
	var table []byte
	for i, in := range order {
		z := zones[i]
		table = binary.AppendVarint(table, in.sec)
		table = binary.AppendUvarint(table, uint64(in.nsec))
		table = binary.AppendUvarint(table, uint64(len(z.name)))
		table = append(table, z.name...)
		table = binary.AppendUvarint(table, uint64(len(z.abbr)))
		table = append(table, z.abbr...)
		table = binary.AppendVarint(table, int64(z.offset))
	}
	dst = binary.AppendUvarint(dst, uint64(len(table)))
	return append(dst, table...)
}

// walkTimes calls fn for every time.Time reachable from v through exported
// fields, pointers, interfaces, slices, arrays and maps, to a bounded depth,
// and writes nothing.
func walkTimes(v reflect.Value, depth int, fn func(time.Time)) {
	walk(v, depth, func(t time.Time) time.Time { fn(t); return t }, false)
}

// walk is walkTimes that, with set (decoding into a value of our own),
// replaces each time with fn's result.
func walk(v reflect.Value, depth int, fn func(time.Time) time.Time, set bool) {
	if depth > maxWalkDepth || !v.IsValid() {
		return
	}
	t := v.Type()
	if t == timeType {
		nt := fn(v.Interface().(time.Time))
		if set && v.CanSet() {
			v.Set(reflect.ValueOf(nt))
		}
		return
	}
	if !mayHoldTime(t) {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			walk(v.Elem(), depth+1, fn, set)
		}
	case reflect.Interface:
		if v.IsNil() {
			return
		}
		e := v.Elem()
		if set && v.CanSet() && mayHoldTime(e.Type()) && (e.Kind() == reflect.Struct || e.Kind() == reflect.Array) {
			// A time, struct or array in an interface is not addressable:
			// walk a copy, store it back.
			c := reflect.New(e.Type()).Elem()
			c.Set(e)
			walk(c, depth+1, fn, set)
			v.Set(c)
			return
		}
		walk(e, depth+1, fn, set)
	case reflect.Struct:
		for i := range v.NumField() {
			if t.Field(i).IsExported() {
				walk(v.Field(i), depth+1, fn, set)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walk(v.Index(i), depth+1, fn, set)
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			k, e := it.Key(), it.Value()
			walk(k, depth+1, fn, false) // keys stay as they are
			if set && mayHoldTime(e.Type()) {
				// Map elements are not addressable: walk a copy, store it
				// back (a map is ours to write when decoding).
				c := reflect.New(e.Type()).Elem()
				c.Set(e)
				walk(c, depth+1, fn, set)
				v.SetMapIndex(k, c)
				continue
			}
			walk(e, depth+1, fn, set)
		}
	}
}

// zoneTable is a parsed zone table: the zones in walk order, and the first
// zone of each instant.
type zoneTable struct {
	order []zoneAt
	first map[instant]*time.Location
}

type zoneAt struct {
	in  instant
	loc *time.Location
}

// cutZones parses a zone table at the start of b and returns it and the
// payload after it.
func cutZones(b []byte) (*zoneTable, []byte, error) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)-w) {
		return nil, nil, errBadZones
	}
	table, rest := b[w:w+int(n)], b[w+int(n):]
	zones := &zoneTable{first: map[instant]*time.Location{}}
	for len(table) > 0 {
		if len(zones.order) >= maxZoneEntries {
			return nil, nil, errBadZones
		}
		sec, w := binary.Varint(table)
		if w <= 0 {
			return nil, nil, errBadZones
		}
		table = table[w:]
		nsec, w := binary.Uvarint(table)
		if w <= 0 || nsec >= 1e9 {
			return nil, nil, errBadZones
		}
		table = table[w:]
		var name, abbr string
		var ok bool
		if name, table, ok = cutString(table); !ok {
			return nil, nil, errBadZones
		}
		if abbr, table, ok = cutString(table); !ok {
			return nil, nil, errBadZones
		}
		off, w := binary.Varint(table)
		if w <= 0 || off < -24*3600 || off > 24*3600 {
			return nil, nil, errBadZones
		}
		table = table[w:]
		in := instant{sec, int(nsec)}
		loc := location(name, abbr, int(off), time.Unix(sec, int64(nsec)))
		zones.order = append(zones.order, zoneAt{in, loc})
		if _, ok := zones.first[in]; !ok {
			zones.first[in] = loc
		}
	}
	return zones, rest, nil
}

func cutString(b []byte) (string, []byte, bool) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n > maxZoneName || n > uint64(len(b)-w) {
		return "", nil, false
	}
	return string(b[w : w+int(n)]), b[w+int(n):], true
}

// location returns the zone a time was recorded in: UTC, Local, the named
// location when it has the recorded offset at t, else a fixed zone.
func location(name, abbr string, offset int, t time.Time) *time.Location {
	switch name {
	case "UTC":
		if offset == 0 {
			return time.UTC
		}
	case "Local":
		if _, off := t.In(time.Local).Zone(); off == offset {
			return time.Local
		}
	case "":
	default:
		if loc, err := loadLocation(name); err == nil {
			if a, off := t.In(loc).Zone(); off == offset && a == abbr {
				return loc
			}
		}
	}
	return time.FixedZone(abbr, offset)
}

// loadLocation is time.LoadLocation with a bounded cache: zone files are
// read once per name.
func loadLocation(name string) (*time.Location, error) {
	if v, ok := locations.Load(name); ok {
		return v.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locMu.Lock()
	if locCount < 1024 {
		locCount++
		locations.Store(name, loc)
	}
	locMu.Unlock()
	return loc, nil
}

var (
	locations sync.Map // zone name -> *time.Location
	locMu     sync.Mutex
	locCount  int
)

// applyZones gives the times reachable from the pointer dst their recorded
// zones (see the table's description above).
func applyZones(dst reflect.Value, zones *zoneTable) {
	if len(zones.order) == 0 {
		return
	}
	i := 0
	walk(dst, 0, func(t time.Time) time.Time {
		in := instantOf(t)
		var loc *time.Location
		if i < len(zones.order) && zones.order[i].in == in {
			loc = zones.order[i].loc
		} else {
			loc = zones.first[in]
		}
		i++
		if loc == nil {
			return t
		}
		return t.In(loc)
	}, true)
}
