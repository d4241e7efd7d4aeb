// Package pickle reads and writes Python's pickle format, restricted to plain
// data, as Django and django-redis store cache values. It uses the standard
// library only.
//
//	b, err := pickle.Marshal(map[string]any{"user": "ada", "tags": pickle.Tuple{"a", "b"}})
//	v, err := pickle.Unmarshal(b) // map[string]any{"user": "ada", "tags": pickle.Tuple{"a", "b"}}
//
// It never runs code: instead of importing the classes a pickle names, the
// reader recognises a fixed allow-list (datetime.datetime, date, time,
// timedelta and timezone, pytz's UTC and named zones, zoneinfo.ZoneInfo,
// decimal.Decimal, uuid.UUID, collections.OrderedDict, set, frozenset,
// bytes, bytearray, _codecs.encode, and copyreg._reconstructor and
// getattr only as Python pickles a UUID and a ZoneInfo) and rebuilds those
// values itself. Any other class is an *UnsupportedTypeError naming it
// (matching ErrUnsupportedType and ErrInvalid): a namedtuple, a model
// instance, any other object. Every opcode that builds arbitrary objects
// (INST, OBJ, NEWOBJ_EX, extension registry, persistent IDs, out-of-band
// buffers; NEWOBJ and BUILD except for a uuid.UUID) is an error matching
// ErrInvalid, as is any malformed input. It reads protocols 0 to 5 and
// writes Protocol. Every function is safe for concurrent use.
//
// Python to Go (Unmarshal):
//
//	None                         nil
//	bool                         bool
//	int                          int64, or *big.Int beyond int64
//	float                        float64
//	str                          string
//	bytes                        []byte
//	bytearray                    ByteArray
//	list                         []any
//	tuple                        Tuple
//	dict                         map[string]any when every key is a str;
//	                             map[any]any when every key is one Go can
//	                             compare (None, bool, int within int64,
//	                             float, str, Decimal, date, datetime, time,
//	                             timedelta, UUID); else (a tuple, frozenset,
//	                             bytes or big int key) Dict, its items in
//	                             the pickle's order
//	collections.OrderedDict      OrderedDict, its items in order
//	set                          Set
//	frozenset                    FrozenSet
//	datetime.datetime, naive     NaiveDateTime
//	datetime.datetime, aware     time.Time: time.UTC for datetime.timezone.utc
//	                             and pytz.utc, time.FixedZone for another
//	                             datetime.timezone offset, the named zone
//	                             (time.LoadLocation) for a pytz zone or a
//	                             zoneinfo.ZoneInfo: the instant is pytz's
//	                             (its pinned offset), or zoneinfo's wall
//	                             clock with fold
//	datetime.date                Date
//	datetime.time                Time (Location nil when naive)
//	datetime.timedelta           time.Duration
//	decimal.Decimal              Decimal
//	uuid.UUID                    UUID
//
// Named zones load with time.LoadLocation, from the system's zone files or
// the copy of the IANA database this package embeds (time/tzdata), so they
// work on a machine without zone files; a zone Go does not know is an
// error.
//
// Go to Python (Marshal, Append):
//
//	nil, nil pointer             None
//	bool                         bool
//	int*, uint*, *big.Int        int
//	float32, float64             float
//	string (valid UTF-8)         str
//	[]byte                       bytes
//	ByteArray                    bytearray
//	Tuple                        tuple
//	Set                          set
//	FrozenSet                    frozenset
//	other slices and arrays      list
//	maps, Dict                   dict
//	OrderedDict                  collections.OrderedDict
//	time.Time                    aware datetime.datetime: datetime.timezone.utc
//	                             for UTC; zoneinfo.ZoneInfo(name) for a
//	                             named zone (time.LoadLocation's; Python 3.9
//	                             or later reads it, and compares it equal to
//	                             the pytz datetime it came from), fold set
//	                             for the second of two equal wall clocks;
//	                             else a fixed datetime.timezone of the time's
//	                             offset (microseconds; nanoseconds are
//	                             truncated)
//	NaiveDateTime                naive datetime.datetime
//	Date                         datetime.date
//	Time                         datetime.time (its Location as time.Time's)
//	time.Duration                datetime.timedelta (microseconds)
//	Decimal                      decimal.Decimal (must be Valid)
//	UUID                         uuid.UUID
//	pointers                     what they point to
//
// Structs, channels, functions and other types are refused with
// ErrUnsupportedValue.
//
// # Security considerations
//
// Python's own unpickler runs whatever code a pickle names; this one only
// rebuilds the plain values above, so a pickle planted in Redis by someone
// without the key cannot run code here. It can still try to cost time and
// memory; the reader bounds both, whatever the bytes:
//
//   - Time is linear in the input for every opcode: the reader keeps a
//     cursor into the input and never copies what is left of it; text
//     (protocol 0) arguments are found with one scan of their line; an INT
//     or LONG of more than 5,000 digits is refused before it is parsed.
//   - Containers nest at most MaxDepth (1,000) deep.
//   - Shared references (the memo) cannot inflate a value: Unmarshal counts
//     the size of the tree it returns, each shared object at every
//     reference, and refuses (ErrTooLarge) a value whose pickle as Append
//     writes it would pass MaxExpansion (64) times the input plus
//     ExpansionSlack (1 MiB). So whatever Unmarshal returns re-encodes
//     within that bound; a 234-byte pickle of lists that reference the
//     previous one twice, which used to re-encode to 223 MB, is refused. The
//     copies REDUCE makes of its arguments are bounded the same way.
//   - Memory: decoding one value allocates at most 256 bytes per byte of
//     input plus 1 MiB in all (one small object per byte of input is the
//     worst case; the tests measure it), and the reader makes at most
//     MaxObjects (about a million) objects, so at most about 200 MiB
//     besides the input's strings and bytes, whatever the input's length.
//   - Append writes at most MaxSize (128 MiB), and refuses (ErrTooLarge)
//     before it copies a larger string or grows past it.
//   - Error messages quote the class names a pickle carries, clipped, so
//     hostile bytes never reach a log or terminal raw.
//   - Zone names (pytz, zoneinfo) are checked before time.LoadLocation sees
//     them: letters, digits and "/_+-." only, no "..", no leading "/", at
//     most 64 bytes, never "Local". Zones that load are cached (at most
//     2,048, a few KiB each); a name that does not load fails the pickle,
//     after about 150 µs of searching, so at most once per Unmarshal.
//
// Legitimate pickles that share one object many times (Python's [s] * n
// with a long s) can pass the expansion bound; they are refused, as an
// entry that cannot be read, never truncated.
package pickle
