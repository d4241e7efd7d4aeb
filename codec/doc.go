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
// # Wire format
//
// A stored value is a standard Fernet token (spec: version 0x80, 64-bit
// big-endian timestamp, 128-bit IV, AES-128-CBC ciphertext with PKCS#7
// padding, HMAC-SHA256, all URL-safe base64 with padding), so Python's
// cryptography.fernet opens it with the same key. Its plaintext, version 1:
//
//	byte 0      format byte: bits 7-5 version (1), bits 4-1 kind, bit 0 key-bound (1)
//	uvarint     length of the storage key
//	bytes       the storage key, e.g. "app1:secure:1:user:42"
//	bytes       the payload, to the end
//
// Kinds: 0 []byte, 1 string (the payload is the value itself), 2 msgpack,
// 3 JSON, 4 reserved for Django-compatible pickle, 8-15 custom serializers.
// A format byte of version 1 is 0x21 ([]byte), 0x23 (string), 0x25 (msgpack)
// or 0x27 (JSON). Any other version, a clear key-bound bit, or a kind the codec
// does not know is rejected, never guessed. The layout is pinned by the golden
// tokens in testdata/ (fixed key, IV and clock).
//
// # Security considerations
//
// Fernet authenticates the whole token before anything is decrypted or
// parsed, so tampered, truncated, re-padded or foreign data fails with the one
// opaque error ErrInvalidToken, whatever the cause. Because the storage key is
// inside the authenticated plaintext, a token copied or renamed to another key
// does not decode there: one user's entry cannot be planted under another
// user's key. WithMaxAge bounds how old a token may be, which limits replay of
// an old ciphertext into Redis; without it, any token ever written under a key
// with a key still in the ring is accepted there.
//
// What encryption does not hide: key names, the approximate value length
// (Fernet pads to 16 bytes), and the time each value was written (the Fernet
// timestamp is in clear). Keys never appear in errors or in fmt output
// (KeyRing prints redacted). Randomness for IVs and keys comes from
// crypto/rand. Decode never writes to the token it is given.
package codec
