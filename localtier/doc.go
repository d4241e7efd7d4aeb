// Package localtier keeps an in-memory tier of Fernet tokens in front of an
// encrypting store, kept coherent across processes by Redis's server-assisted
// client-side caching.
//
//	tier, err := localtier.New(redisClient, keys.Prefix()+":", localtier.WithMaxEntries(50_000))
//	defer tier.Close()
//	s, err := store.NewRedis(tier, c, keys) // Get is served from memory when it can
//	chained, err := localtier.NewStore(s)  // GetWithTTL too: for gocache's cache.NewChain
//
// A Client wraps the application's *redis.Client (single node or Sentinel):
// GET of a key under the prefix is answered from memory when the tier holds
// the key's token, and otherwise read from Redis (GET and PTTL in one round
// trip) and kept. The store decodes the token on every hit, so the MAC, the
// key binding and the codec's max age are checked each time, exactly as for a
// read from Redis. In a secureredis.Config the per-alias option local_tier
// (Django OPTIONS.LOCAL_TIER) does the same; Caches.Tier returns the Client.
//
// # Coherence
//
// One dedicated RESP2 connection per Client turns on CLIENT TRACKING in
// broadcasting mode for the prefix, redirected to itself, and subscribes to
// __redis__:invalidate: Redis then publishes there the name of every key
// under the prefix that any client modifies, and every key that expires or
// is evicted. Each message drops those keys from the tier; a NULL message
// (sent when another client flushes the database) drops everything.
//
// A read keeps its token only if no invalidation for its key, and no flush,
// happened between the moment it was sent and the moment its reply arrived
// (a placeholder is inserted before the read and must still be there): a
// value overwritten while its read was in flight is never kept.
//
// The tier is flushed, and serves nothing from memory, from the moment the
// tracking connection is lost (killed server, network error, two health
// pings unanswered, a failover seen) until a new one is subscribed. A
// failover is seen when the sentinels kill the demoted master's clients (they
// do), or when the data connections' server (its run_id) differs from the
// tracking connection's, checked every health interval and on every Sync.
// Writes through the Client drop their keys at once, so a process reads its
// own writes.
//
// The guarantee, precisely: once a write by another process is acknowledged
// to it, Redis has already queued the invalidation to every tracking
// connection (it sends broadcast invalidations before the replies of the
// same event-loop turn, and in any case before it answers any later
// command). A reader that calls Sync (a PING round trip on the tracking
// connection) after that acknowledgement never reads the old value. Without
// Sync the invalidation arrives asynchronously, one network hop later:
// until it is processed a reader may still get the old value, never one older
// than that, and no value at all once WithMaxStaleness has passed. On
// loopback, over a pipe, about one first read in eight right after the
// acknowledgement still saw the old value (TestTwoProcessesEventual). Sync
// costs the round trip the tier saves: use it for the reads that must not be
// stale (a revocation check) and keep plain Get for the rest, or use the store
// without a tier for such keys.
//
// Redis Cluster is refused (ErrCluster): tracking is per node, and a slot
// migration or a per-node failover would need one tracking connection per
// master kept in step with the slot map.
//
// # Why broadcasting mode, and tokens
//
// Three mechanisms were compared on this problem:
//
//   - Default-mode tracking (Redis remembers which keys each connection
//     read; go-redis 9.22's experimental Options.ClientSideCacheConfig does
//     this): every pooled connection must track, invalidations arrive on the
//     connection that read the key and are drained from idle connections
//     every DrainInterval (5 ms by default), a dropped connection silently
//     loses the invalidations of the keys it read, the server's tracking
//     table grows with keys read times clients (tracking-table-max-keys then
//     sends spurious invalidations), it needs RESP3 and database 0, caches
//     every GET-like command of the client rather than one alias, and the
//     API "may change in a minor release". It sends invalidations only to
//     readers of a key, which is cheaper under heavy writes.
//   - Broadcasting mode on the alias's prefix (chosen): the server keeps one
//     prefix, not a table of keys; invalidations do not depend on which
//     connection read what, so the data connections stay plain pooled
//     connections that reconnect freely, and there is exactly one connection
//     whose loss matters, which flushes the tier. The cost is that every
//     write under the prefix reaches every tracking process, whether it
//     holds the key or not (BenchmarkWriteHeavy: one message of about the
//     key's length plus 60 bytes per write per listening process).
//   - A channel the store publishes on after its own writes: it misses every
//     write it does not make (Django, the CLI, recovery, another program),
//     and expiry, eviction and database flushes, and PUBLISH to a subscriber that was
//     reconnecting is lost without a trace. Rejected.
//
// The tier keeps tokens, not decoded values. Measured in one run
// (BenchmarkGet, 256-byte value, medians of 5, loopback Redis on a loaded
// 2-vCPU machine; two runs): a read from Redis 63-72 µs; a tier hit 1.9-2.9
// µs (25 to 34 times faster), of which the lookup is 0.09 µs and the Fernet
// decode (HMAC, AES-CBC, msgpack) the rest; a hit in a map of decoded values
// 0.08 µs. A tier of plaintext would be some 25 to 35 times cheaper per hit
// than one of tokens, but the hit is already far below the round trip it replaces, and
// tokens keep the process free of plaintext it is not using and the MAC and
// max-age checks on every read.
//
// # Security considerations
//
// Process memory holds what Redis holds: key names and Fernet tokens. A
// value is decrypted only for the caller that asked for it, on each read. A
// token read from Redis is only compared, sized and returned; invalidation
// messages are parsed by go-redis's pubsub reader and their key names are
// used only as map keys. The tier's memory is bounded (WithMaxEntries,
// WithMaxBytes, WithMaxEntryBytes). The tier never writes to Redis and
// touches no key outside its prefix: it reads with GET and PTTL, and its
// tracking connection only runs CLIENT ID, INFO server, CLIENT TRACKING,
// SUBSCRIBE and PING.
//
// A revoked token (a deleted session, a rotated secret) keeps working on
// another process only until that process receives the invalidation, or
// never once Sync has been called after the revocation; WithMaxStaleness
// bounds it even if an invalidation were lost in a way the tier cannot see.
package localtier
