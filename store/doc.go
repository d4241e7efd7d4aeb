// Package store provides EncryptingStore, a gocache store that keeps secrets
// safe in a shared Redis: every key gets a Django-style prefix
// ("KEY_PREFIX:VERSION:key") and every value is a Fernet token made by a
// codec.Codec before it leaves the process.
//
//	ring, _ := codec.NewKeyRing(os.Getenv("REDIS_SECRET_KEY"))
//	c, _ := codec.New(ring)
//	keys, _ := codec.NewKeyScheme("app1:secure")
//	s, err := store.NewRedis(redisClient, c, keys, store.WithDefaultExpiration(5*time.Minute))
//	cache := cache.New[string](s) // or cache.NewChain(memoryTier, cache.New[string](s))
//
// NewRedis talks to Redis through a go-redis client (single node, cluster or
// Sentinel) and adds what gocache's Redis store lacks: a Clear that removes
// only this store's keys, set-if-absent, GetWithTTL in one round trip, and
// key scans. New decorates any other gocache store, typically an in-memory one.
//
// On NewRedis stores, Django's cache API beyond get and set is there too,
// atomic on encrypted values: TTL, Touch, Expire, Persist, HasKey, SetXX,
// KeysMatching and IterKeys (Django's keys and iter_keys), DeletePattern,
// Incr and Decr (a compare-and-set in Lua, retried), per-call versions
// (AtVersion, GetVersion, IncrVersion), GetOrSet (SET NX, singleflight) and
// Lock. On New stores they return ErrNotSupported.
//
// # Values and errors
//
// Set accepts any value the codec can encode except nil (ErrNilValue), and,
// with the default msgpack serializer, only values Get returns as they went
// in (ErrNotRoundTrip: an int, a struct or a time outside UTC is refused;
// package typed stores those). Get returns a string for a string, a []byte
// for a []byte, and for anything else the types of the codec's serializer
// (msgpack by default: int64, float64, bool, string, []byte, []any,
// map[string]any, time.Time, ...). gocache's cache.New[string],
// cache.New[[]byte], cache.New[any] and its marshaler (which stores []byte)
// therefore all work as they do on a plain store; GetInto decodes into a Go
// type.
//
// A missing key is gocache's store.NotFound. An entry that does not decrypt
// (wrong key, tampered, moved from another key, plaintext, expired under the
// codec's max age) is also reported as a NotFound, whose cause matches
// codec.ErrInvalidToken, so the application recomputes and overwrites it;
// the error is a *DecryptError whose text says the entry exists and does not
// decrypt, with its class (codec.FailureClass). An entry that decrypts but
// holds a Python type the pickle serializer does not read (a namedtuple, any
// class outside its allow-list) is a *DecryptError too, of class
// codec.FailureUnsupportedType, whose cause matches codec.ErrUnsupportedType
// and is a *codec.UnsupportedTypeError naming the type. Each such failure is
// counted (DecryptFailures, DecryptFailuresByClass, Stats) and passed to the
// hooks of WithDecryptFailureHook and WithFailureHook. A key that is not a
// string is ErrInvalidKey.
//
// # Security considerations
//
// Redis only ever sees key names and Fernet tokens. Key names, value lengths
// (to 16 bytes) and write times stay visible to whoever can read Redis. An
// entry that fails to decrypt is reported as a miss (the application
// recomputes and overwrites it) and counted, so a wrong key or tampering shows
// up in DecryptFailures and the failure hook rather than as data. Because the
// codec binds each token to its storage key, a token copied under another key
// is a miss there. The store never touches keys outside its prefix: it never
// flushes a database and never runs KEYS; Clear uses SCAN with a glob-escaped pattern and
// UNLINK, and skips keys of other schemes that share the first characters of
// the prefix ("app1:secure:..." is not a key of "app1").
//
// Values never appear in errors; keys may (they are not secret, but do not put
// secrets in key names: hash them, as the sessions package does, or give the
// key scheme codec.WithHashedNames). With hashed names Redis sees
// "prefix:version:<MAC>" and each token carries its clear key: the store
// binds tokens to the clear storage key (codec.KeyScheme.BindingKey), so a
// token moved between names still reads as a miss; KeysMatching, IterKeys
// and DeletePattern read every entry under the prefix and decrypt it to
// learn its key (entries that do not decrypt, or sit under a name that is
// not their key's, are neither listed nor deleted); Get, GetWithTTL and
// GetMany try the names of the name ring's older secrets after a miss, and
// Delete and DeleteMany remove them; tag sets and lock keys are named by a
// MAC of the tag or lock name. Hashed names need the native codec
// (*codec.Codec): NewRedis and New refuse others with ErrHashedNamesCodec.
//
// # Batches
//
// On a NewRedis store GetMany reads the whole batch in one pipeline: MGET on
// a single node or Sentinel, one MGET per hash slot on a cluster (keys
// sharing a hash tag, "{user42}:a" and "{user42}:b", go in one MGET; a slot
// with a single key gets a GET), one GET per key on other clients. Keys MGET
// reports absent are read again with GET in a second round trip (only when
// there are some), since MGET reads a key of another Redis type as absent
// where Get fails with WRONGTYPE: the Result of such a key carries that
// error, as Get does. On a 3-master loopback cluster BenchmarkClusterGetMany
// measured this on par with one GET per key (within 5%, inside run-to-run
// noise) with or without hash tags; it sends the servers fewer commands when
// keys share tags. Batches are decrypted on as many cores as their work
// calls for (bytes of token, about 45 us of decoding for each goroutine:
// 100 values of 1 KiB on up to three, 100 of 16 KiB on every core, 100 of
// 64 bytes on the caller alone), from go-redis's reply strings themselves when the codec has a DecodeString
// method, as Codec and Django do (another codec gets a copy of each token).
// On a New store GetMany calls Get on each key.
//
// SetMany validates and encrypts every entry (on several cores, by the
// length of the values, as GetMany decrypts) before anything is sent. A NewRedis store then writes the batch in
// one pipeline of SET commands (routed by slot on a cluster), together with
// the tag sets; a New store calls the inner store's Set for each entry and
// stops at the first error.
//
// # Atomic operations on encrypted values
//
// Redis cannot add to or move a value it cannot read, so the Django cache API
// methods that change a value in place read its token, decrypt, compute,
// encrypt and write back only if the key still holds the exact token read:
// a compare-and-set (or compare-and-delete) in Lua. A writer that lost the
// race starts over after a jittered exponential backoff, at most
// WithMaxRetries times (default 200; then ErrConflict), and never past ctx.
//
// Incr's script is SET KEEPTTL only if the key holds the token read, so the
// TTL is kept; a lost race is first retried at once with the token the script
// returns (no extra GET), three times, before backing off. Incr reads the
// encrypted pickled ints of Django's format (codec.NewDjango) and the
// plaintext ints django-redis writes; the sum is always written encrypted.
// ErrKeyMissing is Django's ValueError; CreateMissing creates the key with
// SET NX instead. ErrOverflow is returned where Python would grow the int.
//
// IncrVersion moves a value between two storage keys that may lie in
// different hash slots of a cluster, so the move cannot be one Lua script. The
// value is decrypted and encrypted again for the new storage key, so that a
// native token stays bound to the key it lives under. The steps never lose the
// value: write the new key with SET NX (if the new version exists,
// ErrVersionExists), then delete the old key only if it still holds the
// exact token read (compare-and-delete). If another writer changed or deleted
// the old key meanwhile, the new key is removed again (compare-and-delete of
// the token just written) and the move starts over.
//
// GetOrSet writes fn's value with SET NX; when another writer (in this process
// or another) won, its value is read back and returned instead of fn's. An
// entry that does not decrypt is replaced by fn's value with a compare-and-set
// against that exact token. Within the process the calls for one key share
// fn through singleflight.
//
// # Locks
//
// Lock is SET NX PX of the key LockKey(name) to a random 128-bit token from
// crypto/rand; Release and Extend act only while the key still holds that
// token (compare-and-delete and compare-and-pexpire in Lua).
//
// This is a single-Redis lock, not a consensus lock. It excludes holders as
// long as the server keeps the key: a Sentinel or cluster failover can promote
// a replica that never received it (replication is asynchronous), and then
// two holders can run at once; a holder paused for longer than its ttl (GC,
// network) loses the lock without knowing it until Release or Extend says
// ErrLockNotHeld. Use it for efficiency (to avoid duplicate work), and fence
// with your own version checks where correctness depends on it.
//
// # Read-through migration
//
// WithFallback lets a service switch to the secure alias before the batch
// migration (recovery.Migrate) has finished without losing sessions: on a
// miss the store asks the Fallback (recovery.NewFallback reads the old alias),
// writes the value encrypted with SET NX and the old entry's remaining TTL,
// and returns it; a value the application wrote meanwhile is never
// overwritten. Keep the fallback short: while it is on, whoever can write the
// old, unauthenticated alias can inject values that the store then encrypts
// and serves as genuine (a downgrade). Run the batch migration with
// clear-old-entries and then remove the fallback.
package store
