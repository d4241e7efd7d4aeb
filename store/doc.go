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
package store
