package pickle

import (
	"sync"
	"sync/atomic"
	"time"

	_ "time/tzdata" // named zones load without the system's zone files
)

// maxZoneName bounds an IANA zone name ("America/Argentina/ComodRivadavia"
// is among the longest, 32 bytes).
const maxZoneName = 64

// maxCachedZones bounds the zones kept loaded (the IANA database has about
// 600 names, a system's zone directory up to three times as many with its
// posix/ and right/ copies; a few KiB each): past it, a zone is loaded
// again each time.
const maxCachedZones = 2048

var (
	zoneCache  sync.Map // name -> *time.Location
	zoneCached atomic.Int32
)

// zoneLoadCost is what loading a zone not yet cached charges to the
// reader's work budget. A zone that loads is cached, so its cost is paid
// once per process; a name that does not load (time.LoadLocation searches
// the system's zone directories, Go's zoneinfo.zip and the embedded
// database: about 150 µs) fails the pickle, so each Unmarshal pays that at
// most once.
const zoneLoadCost = 4096

// loadZoneFor is loadZone for the reader, charging zoneLoadCost to u for a
// zone not yet cached.
func (u *unpickler) loadZoneFor(name string) (*time.Location, bool, error) {
	if l, ok := zoneCache.Load(name); ok {
		return l.(*time.Location), true, nil
	}
	if err := u.charge(zoneLoadCost); err != nil {
		return nil, false, err
	}
	loc, ok := loadZone(name)
	return loc, ok, nil
}

// loadZone returns the IANA zone name (Go's time.LoadLocation, from the
// system's zone files or the copy embedded with time/tzdata). The name is
// checked first: letters, digits and "/_+-" only, no "..", at most 64 bytes;
// "Local" is refused (it would be this machine's zone, not the writer's).
func loadZone(name string) (*time.Location, bool) {
	if !validZoneName(name) {
		return nil, false
	}
	if l, ok := zoneCache.Load(name); ok {
		return l.(*time.Location), true
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	if zoneCached.Add(1) <= maxCachedZones {
		zoneCache.Store(name, loc)
	}
	return loc, true
}

func validZoneName(name string) bool {
	if name == "" || len(name) > maxZoneName || name == "Local" || name[0] == '/' || name[0] == '.' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '/', c == '_', c == '+', c == '-':
		case c == '.' && i > 0 && name[i-1] != '.' && name[i-1] != '/':
		default:
			return false
		}
	}
	return true
}

// zoneKey returns the IANA name to write for loc at t: its name when loc
// is (or behaves at t, and half a year either side, as) the named zone,
// else "" (a fixed offset is written).
func zoneKey(loc *time.Location, t time.Time) string {
	name := loc.String()
	if loc == time.UTC || name == "UTC" || name == "Local" {
		return ""
	}
	named, ok := loadZone(name)
	if !ok {
		return ""
	}
	if named == loc {
		return name
	}
	for _, d := range []time.Duration{0, -4380 * time.Hour, 4380 * time.Hour} {
		n1, o1 := t.Add(d).In(loc).Zone()
		n2, o2 := t.Add(d).In(named).Zone()
		if n1 != n2 || o1 != o2 {
			return ""
		}
	}
	return name
}

// reducePytz is pytz._p (pytz.unpickler): the zone's name, then, for a
// zone with daylight saving time, the offset, the DST offset (seconds) and
// the abbreviation in force for the datetime.
func (u *unpickler) reducePytz(args []any) (any, error) {
	if len(args) != 1 && len(args) != 4 {
		return nil, pickleErr("pytz arguments")
	}
	name, ok := args[0].(string)
	if !ok {
		return nil, pickleErr("pytz zone")
	}
	loc, ok, err := u.loadZoneFor(name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, pickleErr("pytz zone %s unknown", quoteClip(name))
	}
	tz := pyTZ{loc: loc}
	if len(args) == 4 {
		off, ok := args[1].(int64)
		if !ok || off <= -86400 || off >= 86400 {
			return nil, pickleErr("pytz offset")
		}
		tz.off, tz.hasOff = int(off), true
	}
	return tz, nil
}

// reduceZoneInfo is zoneinfo.ZoneInfo(key) and ZoneInfo._unpickle(key,
// from_cache).
func (u *unpickler) reduceZoneInfo(args []any) (any, error) {
	if len(args) != 1 && len(args) != 2 {
		return nil, pickleErr("zoneinfo arguments")
	}
	name, ok := args[0].(string)
	if !ok {
		return nil, pickleErr("zoneinfo key") // a ZoneInfo made from a file has none
	}
	loc, ok, err := u.loadZoneFor(name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, pickleErr("zoneinfo key %s unknown", quoteClip(name))
	}
	return pyTZ{loc: loc}, nil
}

// reduceGetattr is builtins.getattr(zoneinfo.ZoneInfo, "_unpickle"), as
// Python pickles a ZoneInfo, and nothing else.
func reduceGetattr(args []any) (any, error) {
	if len(args) == 2 {
		g, ok := args[0].(global)
		attr, ok2 := args[1].(string)
		if ok && ok2 && g.module == "zoneinfo" && g.name == "ZoneInfo" && attr == "_unpickle" {
			return global{"zoneinfo", "ZoneInfo._unpickle", (*unpickler).reduceZoneInfo}, nil
		}
	}
	return nil, pickleErr("getattr arguments")
}

// wallIn returns the instant with wall clock w (a time in UTC) in loc: a
// zone with an offset pinned (pytz's) gives that offset; else fold picks the
// later of two instants with that wall clock, as Python's fold=1 does.
func wallIn(w time.Time, tz pyTZ, fold bool) time.Time {
	if tz.hasOff {
		return w.Add(-time.Duration(tz.off) * time.Second).In(tz.loc)
	}
	t := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), tz.loc)
	var first, last time.Time
	for _, probe := range []time.Time{t, w.Add(-24 * time.Hour), w.Add(24 * time.Hour)} {
		_, off := probe.In(tz.loc).Zone()
		c := w.Add(-time.Duration(off) * time.Second).In(tz.loc)
		if !sameWall(c, w) {
			continue
		}
		if first.IsZero() || c.Before(first) {
			first = c
		}
		if last.IsZero() || c.After(last) {
			last = c
		}
	}
	switch {
	case first.IsZero(): // a wall clock skipped by a transition
		return t
	case fold:
		return last
	}
	return first
}

func sameWall(t, w time.Time) bool {
	y1, m1, d1 := t.Date()
	y2, m2, d2 := w.Date()
	h1, i1, s1 := t.Clock()
	h2, i2, s2 := w.Clock()
	return y1 == y2 && m1 == m2 && d1 == d2 && h1 == h2 && i1 == i2 && s1 == s2
}

// foldOf reports whether t is the second instant with its wall clock (after
// a transition that set clocks back), which Python marks with fold=1.
func foldOf(t time.Time) bool {
	start, _ := t.ZoneBounds()
	if start.IsZero() {
		return false
	}
	_, now := t.Zone()
	_, before := start.Add(-time.Nanosecond).Zone()
	back := time.Duration(before-now) * time.Second
	return back > 0 && t.Sub(start) < back
}

// reduceTime is datetime.time(state[, tzinfo]): the state is hour, minute,
// second (bit 7 of the hour is fold) and three bytes of microseconds.
func reduceTime(args []any) (any, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, pickleErr("time arguments")
	}
	b, ok := stateBytes(args[0])
	if !ok || len(b) != 6 {
		return nil, pickleErr("time state")
	}
	t := Time{Hour: int(b[0] & 0x7f), Minute: int(b[1]), Second: int(b[2]), Microsecond: int(b[3])<<16 | int(b[4])<<8 | int(b[5])}
	if !t.valid() {
		return nil, pickleErr("time out of range")
	}
	if len(args) == 2 && args[1] != nil {
		tz, ok := args[1].(pyTZ)
		if !ok {
			return nil, pickleErr("time tzinfo")
		}
		t.Location = tz.loc
	}
	return t, nil
}
