// Package sessions keeps the sessions of github.com/alexedwards/scs/v2 in an
// encrypted cache alias, the Go form of Django's cache session engine
// (SESSION_ENGINE = "django.contrib.sessions.backends.cache" with
// SESSION_CACHE_ALIAS). A Store implements scs.Store, scs.CtxStore,
// scs.IterableStore and scs.IterableCtxStore over any *store.EncryptingStore:
// one built with store.NewRedis (a real Redis, a cluster), with store.New (an
// in-memory store), or the secure alias of a secureredis.Caches.
//
//	caches, err := secureredis.Open(ctx, cfg)         // cfg from secureredis.LoadConfig
//	secure, err := caches.Secure()
//	st, err := sessions.New(secure, sessions.WithHashedTokens(hashKey))
//	sm := scs.New()
//	sm.Store = st
//	http.ListenAndServe(addr, sm.LoadAndSave(mux))
//
// A session with token T lives under the logical key Prefix+T of the alias
// (DefaultPrefix is "session:"), so under the Redis key
// "KEY_PREFIX:VERSION:session:T", and can be listed the Django way with
// redis-cli --scan --pattern 'KEY_PREFIX:VERSION:session:*' (Store.Pattern
// gives the escaped pattern). With WithHashedTokens, T in the key is replaced
// by an HMAC of the token.
//
// scs's contract holds: a missing, expired, tampered or undecryptable session
// is reported as not found with a nil error; the session's expiry becomes the
// entry's TTL; deleting a missing session is not an error. Only errors of the
// underlying store (Redis unreachable, a cancelled context) are returned.
//
// # Wire format
//
// The value given to the EncryptingStore is a []byte (so it is encrypted by the
// alias's codec, Fernet for a secure alias) made of:
//
//	byte 0      format version (1)
//	8 bytes     expiry, Unix nanoseconds, big-endian signed
//	uvarint     length of the token
//	bytes       the session token as scs gave it
//	bytes       scs's encoded session data, to the end
//
// Find checks the version, the expiry and that the token inside equals the
// token asked for, so an entry is never returned for another token even with
// a codec that does not bind tokens to keys. The token is inside the value so
// that All can return tokens when key names only hold their hash. An unknown
// version reads as not found.
//
// # Security considerations
//
// What a reader of Redis (a replica, an RDB/AOF file, a backup, MONITOR, a
// support engineer with redis-cli) sees of a session: its key name, the size
// of its data to 16 bytes, the time it was last written (Fernet's timestamp)
// and its TTL, so when it expires. The session data, the user it belongs to
// and, with WithHashedTokens, the token itself, are only inside the Fernet
// token.
//
// Without WithHashedTokens the key name holds the session token, which is the
// cookie value: anyone who can list the keys can copy one into a browser and
// be logged in as its user. WithHashedTokens stores the session under
// HMAC-SHA256(secret, token) instead (a keyed hash: a bare SHA-256 of the
// token, as scs's SessionManager.HashTokenInStore does, can be checked
// offline against guessed tokens, and lets a reader who learns a token find
// its session), so key names cannot be replayed as cookies. Keep the secret
// apart from the Fernet keys and out of Redis; changing it ends every
// session. Do not also set scs's HashTokenInStore: the Store would then only
// ever see, and All would return, SHA-256 hashes instead of tokens.
//
// Because the alias's codec binds every token to its storage key, a session
// copied or renamed to another token's key does not decrypt there: someone who
// can write Redis cannot plant one user's session under another user's token
// (session fixation through Redis) nor forge or alter a session. They can
// still delete sessions (logging users out), and put back an older value of a
// session under its own key until it expires (bound with codec.WithMaxAge).
// Failures to decrypt are counted by the EncryptingStore
// (DecryptFailures, store.WithDecryptFailureHook) so they can be alerted on.
//
// The Store refuses an alias whose codec is codec.Raw (plaintext). Session
// tokens and data never appear in errors; the hash secret never prints.
package sessions
