// Package pickle reads and writes Python's pickle format, restricted to plain
// data, as Django and django-redis store cache values. It uses the standard
// library only.
//
//	b, err := pickle.Marshal(map[string]any{"user": "ada", "tags": pickle.Tuple{"a", "b"}})
//	v, err := pickle.Unmarshal(b) // map[string]any{"user": "ada", "tags": pickle.Tuple{"a", "b"}}
//
// It never runs code: instead of importing the classes a pickle names, the
// reader recognises a fixed allow-list (datetime.datetime, date, timedelta
// and timezone, pytz's UTC, decimal.Decimal, set, frozenset, bytes,
// bytearray, _codecs.encode) and rebuilds those values itself. Any other
// class, and every opcode that builds arbitrary objects (INST, OBJ, NEWOBJ,
// NEWOBJ_EX, BUILD, extension registry, persistent IDs, out-of-band buffers),
// is an error matching ErrInvalid, as is any malformed input. It reads
// protocols 0 to 5 and writes Protocol. Every function is safe for
// concurrent use.
//
// Python to Go (Unmarshal):
//
//	None                         nil
//	bool                         bool
//	int                          int64, or *big.Int beyond int64
//	float                        float64
//	str                          string
//	bytes, bytearray             []byte
//	list                         []any
//	tuple                        Tuple
//	dict                         map[string]any when every key is a str, else
//	                             map[any]any (keys: None, bool, int within
//	                             int64, float, str, Decimal, date, datetime)
//	set                          Set
//	frozenset                    FrozenSet
//	datetime.datetime, naive     NaiveDateTime
//	datetime.datetime, aware     time.Time: time.UTC for datetime.timezone.utc
//	                             and pytz.utc, time.FixedZone for another
//	                             datetime.timezone offset
//	datetime.date                Date
//	datetime.timedelta           time.Duration
//	decimal.Decimal              Decimal
//
// Go to Python (Marshal, Append):
//
//	nil, nil pointer             None
//	bool                         bool
//	int*, uint*, *big.Int        int
//	float32, float64             float
//	string (valid UTF-8)         str
//	[]byte                       bytes
//	Tuple                        tuple
//	Set                          set
//	FrozenSet                    frozenset
//	other slices and arrays      list
//	maps                         dict
//	time.Time                    aware datetime.datetime: datetime.timezone.utc
//	                             for UTC, else a fixed datetime.timezone of the
//	                             time's offset (microseconds; nanoseconds are
//	                             truncated)
//	NaiveDateTime                naive datetime.datetime
//	Date                         datetime.date
//	time.Duration                datetime.timedelta (microseconds)
//	Decimal                      decimal.Decimal (must be Valid)
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
//
// Legitimate pickles that share one object many times (Python's [s] * n
// with a long s) can pass the expansion bound; they are refused, as an
// entry that cannot be read, never truncated.
package pickle
