// Package recovery moves cache entries into an encrypted alias and keeps that
// alias healthy: Migrate copies the entries of an old plaintext alias into the
// secure one (Django's DATA_RECOVERY), NewFallback does the same lazily on
// reads while a service switches over, Rotate re-encrypts every entry with the
// current first key, and Audit reports what the secure prefix holds.
//
//	old, _ := store.NewRedis(oldClient, codec.Raw{}, oldKeys)          // "app1"
//	secure, _ := store.NewRedis(client, fernetCodec, secureKeys)      // "app1:secure"
//	rep, err := recovery.Migrate(ctx, old, secure,
//		recovery.WithClearOld(),
//		recovery.WithProgress(func(p recovery.Progress) { log.Print(p) }))
//	// rep.Migrated, rep.SkippedBy["exists"], rep.Failures ...
//
// MigrateFrom does the same for data written without a key prefix, by
// gocache's Redis store or go-redis/cache: bare keys selected by SCAN MATCH
// patterns, values decoded per a declared Format (FormatRaw,
// FormatGocache, FormatGoRedisCache):
//
//	rep, err := recovery.MigrateFrom(ctx, recovery.Source{
//		Client: oldClient, Patterns: []string{"user:*", "session:*"}, Format: recovery.FormatGocache,
//	}, secure, recovery.WithClearOld())
//
// Every function works on a single Redis, a Sentinel failover client or a
// Redis Cluster (SCAN on every master, pipelines routed by slot, each Lua
// script touching one key). Entries are handled in pipelined batches of the
// SCAN page size (WithBatchSize; Migrate has at most three in flight: one
// being read, one encoded, one written), so memory does not grow with the
// number of keys, and the context is checked between batches: a cancelled run returns
// the partial report with the context's error, and running it again finishes
// the job. A batch that has started is completed first (within the clients'
// own timeouts), so the report counts exactly what was written.
//
// Migrate is idempotent: it writes with SET NX, so an entry is migrated at most
// once, and a second run skips every entry as SkipExists. It keeps each entry's
// logical key, version and remaining time to live.
//
// # How Migrate and Rotate work
//
// Migrate enumerates the old alias's keys with SCAN (every master on a
// cluster) and, per page, reads the values and remaining TTLs in one
// pipeline, decodes them with the old codec (codec.Raw gives strings),
// encodes them with the secure codec (on every processor), and writes them in
// one pipeline of SET NX with the remaining TTL (a persistent entry stays
// persistent). Reading, encoding and writing of successive batches overlap.
// When both stores use the same client (not a cluster), the expiry is copied
// exactly, by the server's clock (TIME, then SET PXAT); otherwise the
// remaining TTL is carried over with PX, to within two round trips. "app1:2:k"
// becomes secure.Keys().KeyVersion("k", 2). Keys of the secure scheme, keys
// the old scheme does not own (tag sets) and entries that vanish mid-run are
// skipped.
//
// Rotate SCANs the store's prefix and, per page, GETs the tokens in one
// pipeline, decrypts them, and writes each re-encrypted token with a Lua
// compare-and-set: replaced, TTL kept (KEEPTTL), only if it still holds the
// token that was read. codec.Codec.Reseal and codec.Django.Reseal encrypt the
// same plaintext again byte for byte with the original timestamp, so an entry
// rotated at 23 hours under a 24-hour max age still expires an hour later.
// Rotation never authenticates what was not authenticated: Django's clear
// integers stay clear unless WithEncryptPlaintextInts says otherwise.
//
// # Security considerations
//
// Only keys under the aliases' own prefixes are read, written or deleted:
// enumeration is SCAN with a glob-escaped pattern and a bounded COUNT (never
// KEYS), and keys are then checked against the key schemes, so the secure
// namespace ("app1:secure:…" under the old prefix "app1") and other
// applications that share the first letters of the prefix ("app10:…") are left
// alone. Nothing is ever flushed.
//
// MigrateFrom reads only keys matching its patterns (never KEYS) and skips
// those under the secure alias's prefix; a pattern such as "*" on a database
// other applications share reaches their keys, so select the old alias's
// keys precisely. The bytes it decodes are hostile: the msgpack and s2
// decoders walk them in linear time, refuse nesting deeper than 100 and
// anything that would decode past MaxDecodedSize before allocating it, and
// never panic.
//
// Values never appear in reports, errors or progress callbacks: a Failure
// holds the key and an error whose text names the operation and the Redis or
// codec error kind, never the value (codec errors are reduced to their type).
// Audit reports counts and sample key names only. Key names are not secret, so
// do not put secrets in them.
//
// Migrate never overwrites the secure alias on its own: an existing secure
// entry is kept (SET NX). With WithClearOld the plaintext entry is deleted only
// once its encrypted copy is confirmed present, and only if it still holds the
// value that was read (an atomic compare-and-delete, one key per script): a
// value written to the old alias after it was read is left in place
// (MigrateReport.Kept). "Confirmed present" means written by this run, or existing
// with an equal value: the existing token is decrypted and compared with the
// old value as the secure codec stores it. Nothing else is stored to remember
// where a copy came from. An old entry whose value differs from its secure
// copy's (the application wrote the secure alias, or writers updated the old
// alias after an earlier run copied it) is a conflict: both are kept, the
// report lists it (Conflicts, ConflictKeys) and is not Clean, and a later run
// with WithPrefer(PreferOld) or WithPrefer(PreferSecure) decides. Those writes
// compare exact bytes in Lua too (compare-and-set on the secure token read,
// compare-and-delete on the old bytes read), so a value either alias receives
// meanwhile is never overwritten or deleted.
//
// "Confirmed present" means present on the master that took the write. On a
// replicated deployment (Sentinel, or a cluster with replicas) a failover in
// the moment between that write and its replication could lose the new copy
// after the old one was deleted. Where that matters, migrate in two passes:
// first without WithClearOld, then, once the replicas have caught up, again
// with it; the second pass only deletes old entries whose copy already
// exists, and the first pass never deletes anything.
//
// The online fallback (NewFallback with store.WithFallback) trusts the old
// alias: while it is on, anyone who can write the old, unauthenticated prefix
// can plant a value that the secure store then encrypts and serves as genuine.
// That is a downgrade of the secure alias's guarantees. Time-box it (the until
// argument of store.WithFallback), run Migrate with WithClearOld, and remove
// the fallback once the old prefix is empty.
//
// Rotate re-encrypts with the first key of the ring, keeping each entry's TTL
// (SET KEEPTTL), and replaces a token only if it is still the one that was read
// (a Lua compare-and-set), so a value the application rewrote meanwhile is
// never replaced by the older one. Each token is re-sealed (codec.Codec.Reseal):
// the plaintext it decrypts is encrypted again byte for byte, so the value,
// its type and its serializer stay as written, and the token keeps its Fernet
// timestamp, so a codec's WithMaxAge still counts from the original write and
// a rotation never gives a replayed old token a new lease. Entries that
// no key opens are counted and left as they are; remove a retired key from the
// ring only once Audit reports no entry under it (ByKeyIndex).
package recovery
