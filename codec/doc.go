// Package codec turns cache values into Fernet tokens and back, and makes the
// storage keys they live under. It is pure computation: no I/O.
//
// A Codec is built from a KeyRing (the first key encrypts, every key decrypts:
// Python's MultiFernet) and optional settings:
//
//	ring, err := codec.NewKeyRing(os.Getenv("REDIS_SECRET_KEY"))
//	c, err := codec.New(ring, codec.WithMaxAge(24*time.Hour))
//	keys, err := codec.NewKeyScheme("app1:secure")   // Django KEY_PREFIX, VERSION 1
//	sk := keys.Key("user:42")                        // "app1:secure:1:user:42"
//	tok, err := c.Encode(sk, "secret")
//	v, err := c.Decode(sk, tok)                      // "secret", or ErrInvalidToken
//
// Values: a string or a []byte is stored byte for byte and decodes to the same
// Go type. Anything else goes through the codec's Serializer (Msgpack by
// default, JSON on request); the Go types they decode to are listed on each.
//
// There is one type per format, as crypto/cipher has one per mode: Codec
// (New) for the native format below, Django (NewDjango) for Django's. Both
// have Encode, Decode, DecodeDetail and Reseal (key rotation), and take only
// the options that apply to them: Option for Codec, DjangoOption for Django,
// and the SharedOptions (WithMaxAge, WithClock, WithRandom) for both. Options
// are small interfaces here, not the func(*T) error of the other packages,
// only because a SharedOption must be valid for both constructors; like
// those, each returns its error from New or NewDjango.
//
// # Wire format
//
// A stored value is a standard Fernet token (spec: version 0x80, 64-bit
// big-endian timestamp, 128-bit IV, AES-128-CBC ciphertext with PKCS#7
// padding, HMAC-SHA256, all URL-safe base64 with padding), so Python's
// cryptography.fernet opens it with the same key. Its plaintext, version 1
// (a codec without a binding context, the default):
//
//	byte 0      format byte: bits 7-5 version (1), bits 4-1 kind, bit 0 key-bound (1)
//	uvarint     length of the storage key
//	bytes       the storage key, e.g. "app1:secure:1:user:42"
//	bytes       the payload, to the end
//
// Version 2 (a codec made WithBindingContext) puts the binding context
// before the storage key:
//
//	byte 0      format byte: bits 7-5 version (2), bits 4-1 kind, bit 0 key-bound (1)
//	uvarint     length of the binding context (1 to MaxBindingContextLen)
//	bytes       the binding context, e.g. "production"
//	uvarint     length of the storage key
//	bytes       the storage key
//	bytes       the payload, to the end
//
// Kinds: 0 []byte, 1 string (the payload is the value itself), 2 msgpack,
// 3 JSON, 4 pickle (Pickle), 5 a serializer's payload behind a zone table
// (EncodeTyped, for values holding a time.Time: a byte naming the
// serializer, a uvarint-sized table of each time's instant, zone name,
// abbreviation and offset, then the payload; see zones.go), 8-15 custom
// serializers.
// A format byte of version 1 is 0x21 ([]byte), 0x23 (string), 0x25 (msgpack)
// or 0x27 (JSON); of version 2, 0x41, 0x43, 0x45 or 0x47. A codec reads only
// the version it writes: version 1 without a binding context, version 2 with
// its own context (byte for byte). Any other version, a clear key-bound bit,
// an empty or different context, or a kind the codec does not know is
// rejected, never guessed. The layouts are pinned by the golden tokens in
// testdata/ (fixed key, IV and clock).
//
// # Django wire format
//
// A Django codec (NewDjango) speaks the format of django-redis with
// django-redis-secure's serializer instead, so that a Go service and a
// Django app share one cache: the stored value is Fernet(pickle(value)),
// the Fernet token's plaintext being the bare pickle (protocol 4 written,
// 0 to 5 read; see Pickle for the types), with no format byte and no storage
// key, then optionally compressed by a django-redis compressor
// (WithCompressor, NewCompressor). A value Python's int() accepts (ASCII
// digits) is an integer stored in clear, as django-redis stores int values
// (WithPlaintextInts). PlainPickle is the same without Fernet: django-redis's
// default serializer, for reading old plaintext aliases.
//
// Values are pickled at pickle.Protocol, and every value, integers included,
// is written encrypted. Reading, django-redis's rule for integers applies
// first: a stored value that Python's int() accepts is that integer, returned
// as int64 or *big.Int with Decoded.KeyIndex -1, because django-redis stores
// int values unserialized, in clear, even in a "secure" cache. This is on by
// default (WithPlaintextInts(false) turns it off), except with a maximum age
// (WithMaxAge): an integer in clear carries no timestamp, so it cannot be
// shown to be younger than the maximum age and is ErrInvalidToken. It is the
// original's plaintext leak, and a forgery hole: anyone who can write Redis
// can plant an integer that both Django and this codec accept.
// recovery.Audit and recovery.Rotate report such entries; Rotate encrypts
// them only when told to (recovery.WithEncryptPlaintextInts), never by
// default, since nothing authenticates them.
//
// # Plaintext django-redis formats
//
// Three types read and write Django aliases without django-redis-secure,
// exactly as django-redis 5 does, to be the source of a migration and, while
// such an alias lasts, to write it: PlainPickle (django-redis's default
// PickleSerializer, as on the "insecure" alias of a DATA_RECOVERY setup),
// DjangoRedisMsgpack (MSGPackSerializer) and DjangoRedisJSON (JSONSerializer).
// Each stores an int value (not a bool) in clear as its decimal digits and
// anything else serialized, then compressed by the optional COMPRESSOR (the
// Compressor field). Reading, a value Python's int() accepts is that integer
// (int64, or *big.Int beyond it), whatever serializer wrote it; otherwise it
// is decompressed (a value that does not decompress is read as it is) and
// parsed.
//
// DjangoRedisMsgpack writes msgpack.dumps(value) (str as str, bytes as bin,
// lists and tuples as arrays, dicts as maps) and reads as Python's
// msgpack.loads(raw=False) does; maps with keys other than strings are
// refused as msgpack 1.0's strict_map_key refuses them.
//
// DjangoRedisJSON writes json.dumps(value, cls=DjangoJSONEncoder).encode().
// Its Decode returns what json.loads returns, in Go: nil, bool, string, int64
// or *big.Int for integers (exact; at most 4300 digits, Python's limit),
// float64 for numbers with a fraction or an exponent (1e400 is +Inf, as in
// Python), []any and map[string]any. Datetimes, dates, durations and
// decimals are strings, as DjangoJSONEncoder wrote them and Django reads them
// back. NaN and Infinity literals, which Python's json accepts, are refused
// (ErrDjangoRedisValue). Nesting is bounded by encoding/json (10,000 levels)
// and the size by the compressor's cap. Its Encode writes what
// DjangoJSONEncoder writes for the values it knows: JSON's own types, Tuple
// as a list, time.Time and NaiveDateTime as ISO 8601 (milliseconds, "Z" for
// UTC), Date as YYYY-MM-DD, time.Duration as Django's duration_iso_string,
// Decimal as its text; other Go values go through encoding/json. []byte, Set,
// FrozenSet, non-finite floats and maps with keys other than strings and
// integers are refused (ErrUnsupportedValue), as Python's json.dumps refuses
// bytes, sets and NaN-free output would.
//
// # Compression
//
// NewCompressor's compressors write what their Python counterparts read
// (zlib.compress level 6, gzip.compress, lzma.compress preset 4 in the xz
// container, lz4.frame, pyzstd.compress frames) and read what they write. On
// a Django codec (WithCompressor) the Fernet token is compressed, not the
// pickle, so compression sees only ciphertext: it reveals nothing about the
// value beyond the length Fernet already shows, and it saves little (mostly
// base64's third). The usual caveat of compressing secrets, that the
// compressed length leaks how repetitive the data is (CRIME, BREACH), applies
// to the plaintext aliases (PlainPickle), where the pickle itself is
// compressed. The caps on decompression are below.
//
// # Security considerations
//
// Fernet authenticates the whole token before anything is decrypted or
// parsed, so tampered, truncated, re-padded or foreign data fails with the one
// opaque error ErrInvalidToken, whatever the cause. Because the storage key is
// inside the authenticated plaintext, a token copied or renamed to another key
// does not decode there: one user's entry cannot be planted under another
// user's key. The binding covers the storage key string only, by default:
// the same key name in another Redis database, cluster or deployment that
// shares the secret keys (staging and production, two tenants) accepts a
// token copied from here. WithBindingContext closes that: it binds each token
// to a context name as well, authenticated in the envelope like an AEAD's
// associated data, and tokens of one context never read under another or
// under none (nor tokens without one under a context). The default is no
// context. The context is not secret: it travels encrypted inside every
// token, adding its length to each.
//
// WithMaxAge bounds how old a token may be, which limits replay of an old
// ciphertext into Redis; without it, any token ever written under a key with
// a key still in the ring is accepted there. Reseal (key rotation) keeps each
// token's timestamp, so a rotation does not make an old token young again.
//
// The Django format cannot have those two protections, because Django must
// read it: there is no storage key in the token, so a token copied from one
// key to another (one user's entry planted under another user's key) reads
// there as genuine; and django-redis stores integers in clear, readable by
// anyone who reads Redis and forgeable by anyone who writes it (Go writes
// them encrypted; reading them is on by default for compatibility, and
// WithPlaintextInts(false) refuses them, as does WithMaxAge, since they carry
// no timestamp). Use the native format for what only
// Go reads. What stays: nothing is unpickled before it passes Fernet
// authentication (a plaintext or tampered pickle is ErrInvalidToken, so a
// pickle from an attacker reaches neither this decoder nor Django's), and
// the decoder itself runs no code and knows only an allow-list of plain
// classes. Compression (off by default) runs on the token, after
// encryption, so it leaks nothing of the value beyond the length Fernet
// shows; on a PlainPickle alias it compresses the pickle, and the stored
// length then reveals how compressible the value is (the CRIME/BREACH
// caveat). Decompression runs before authentication, on bytes anyone who
// writes Redis chooses, so it streams through a hard cap
// (MaxDecompressedSize, 32 MiB, or WithMaxDecompressedSize): a bomb fails
// with ErrTooLarge having allocated at most the cap plus 1 MiB of decoder
// state (an lz4 frame declaring 4 MiB blocks: plus 8 MiB; an xz block
// whose index lies about its size: twice the cap plus half its input), and
// its CPU time is that of inflating the cap at most.
// zstd frames and xz streams that declare a size past the cap are refused
// before inflating anything.
//
// What encryption does not hide: key names (unless hashed, below), the
// approximate value length (Fernet pads to 16 bytes), and the time each value
// was written (the Fernet timestamp is in clear). Keys never appear in errors
// or in fmt output (KeyRing and NameRing print redacted). Randomness for IVs
// and keys comes from crypto/rand. Decode never writes to the token it is
// given.
//
// # Key rotation
//
// Reseal is Python's MultiFernet.rotate, except that the original timestamp
// is kept: the serializer, the value's Go type and every byte of the envelope
// stay as they were written, and so does the age WithMaxAge measures. A
// token's age is the age of the value in it, and a rotation is not a fresh
// write: a token 23 hours old when rotated under a 24-hour maximum age
// expires an hour later, not 24 hours later, so a stale ciphertext replayed
// into Redis just before a rotation does not come out of it with a new lease
// of life. Reseal does not unmarshal the payload, so a kind from a serializer
// the codec does not know is re-sealed as it is.
//
// # Hashed key names
//
// WithHashedNames makes a KeyScheme name entries "prefix:version:<MAC>",
// the MAC being HMAC-SHA256, under a NameRing secret, of the byte 'n'
// followed by the clear storage key, truncated to 128 bits (collisions need
// about 2^64 keys; a guess needs the secret), in unpadded base64url. The
// design, and why:
//
//   - The token stays bound to the clear storage key ("prefix:version:key",
//     KeyScheme.BindingKey), not to the hashed name. So the logical key
//     travels inside every token, authenticated, and whoever holds the
//     Fernet key recovers it (Codec.BoundKey) to list, match patterns,
//     audit or migrate; a reader of a known key still rejects a token moved
//     from another name (the binding differs), and a scan rejects it with
//     KeyScheme.CheckName (the name is not the MAC of the key inside).
//     The wire format does not change.
//   - The secret is separate from the Fernet keys: a NameRing of its own
//     (NewNameRing), or derived from each Fernet key with HKDF-SHA256
//     (DeriveNameRing), so that names reveal nothing about the encryption
//     keys and an alias needs no new secret. Like a KeyRing, the first
//     secret names new entries and readers try every one, so a rotation
//     renames entries while they stay readable.
//   - The MAC covers the prefix and version too (they are in the clear
//     storage key): the same logical key has unrelated names in two aliases
//     or versions. Nothing else is hashed, so a clear key of up to 54 bytes
//     costs two SHA-256 blocks, the least an HMAC can.
//   - A cluster hash tag ("{u1}") in the logical key becomes
//     "{<96-bit MAC of the prefix and tag>}" in front of the MAC, so keys
//     with one tag still share a slot; this shows which entries share a tag
//     (never the tag). A tag inside the prefix stays as it is.
//   - The prefix and version stay in clear, so Pattern, Owns and every
//     prefix-scoped operation work as before.
package codec
