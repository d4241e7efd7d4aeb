// Package secureredis makes a shared Redis cache safe to hold secrets: every
// value is encrypted with Fernet before it leaves the process, every key gets a
// Django-style prefix, and old plaintext entries can be moved into the
// encrypted namespace without losing any. It is the Go home of what
// django-redis-secure (github.com/foundertherapy/django-redis-secure) does for
// Django, built on gocache and go-redis.
//
// The pieces, each in its own package:
//
//   - codec: Fernet with a key ring, the native envelope, serializers,
//     Django's key function and keyed-hash key names (pure computation).
//   - pickle: Python's pickle format, restricted to plain data, and its Go
//     types (standard library only).
//   - store: EncryptingStore, a gocache store over Redis or any other gocache
//     store.
//   - typed: typed caches over an EncryptingStore.
//   - localtier: an in-memory tier of tokens in front of Redis, kept
//     coherent across processes by Redis's client tracking.
//   - otelmetrics: OpenTelemetry metrics from the stores' counters and the
//     recovery jobs' progress.
//   - recovery: migration from a plaintext alias, online fallback, key
//     rotation and audit.
//   - sessions: scs sessions in an encrypted alias.
//   - django: Django's cache-backed sessions, read and written from Go.
//   - mocks: gomock doubles of the interfaces the store consumes.
//   - cmd/secureredis: the command line tool (keygen, demo, set, get,
//     migrate, rotate, audit, bench, completion).
//   - examples/quickstart: the README's quick start; examples/webapp: a login
//     app with encrypted sessions (a module of its own).
//   - internal/...: test and helper packages: redistest (throwaway
//     redis-servers), testkit (fixed test keys), pyfernet (Python's Fernet
//     as a reference), parallel (batch loops), reliability (failover and
//     load tests), configfuzz (fuzzing of the config loader).
//
// This package holds an application's named cache aliases, the Go form of
// Django's CACHES: Config, read from YAML or JSON, native or Django form
// (ParseConfig, LoadConfig), and Caches, the opened aliases, one ready gocache
// store per alias over go-redis clients shared by location (Open):
//
//	cfg, err := secureredis.LoadConfig("caches.yaml") // secret keys as ${REDIS_SECRET_KEY}
//	caches, err := secureredis.Open(ctx, cfg)          // validates, connects, PINGs
//	defer caches.Close()
//	secure, err := caches.Secure()                     // *store.EncryptingStore
//	tokens := cache.New[string](secure)
//
// Configuration errors name the alias and field and never contain a secret
// key or a Redis password; Config values print them redacted.
//
// Optional settings across the packages are functional options of one shape,
// func(*T) error: the constructor or call applies them in order, ignores a
// nil one and returns the first error, so a bad setting fails at start-up.
// codec's Option and DjangoOption are interfaces instead, because its
// SharedOptions apply to both codec types.
//
// # Configuration files
//
// The native form:
//
//	secure_cache: default            # optional, default "default"
//	caches:
//	  default:
//	    backend: redis               # redis | rediscluster | redissentinel | memory | external
//	    location: redis://127.0.0.1:6379/1   # or a list; redis+sentinel://h1:26379,h2:26379/mymaster/1 for Sentinel
//	    key_prefix: app1:secure      # optional: "" (Django's default) owns the keys :version:key
//	    version: 1                   # optional, default 1
//	    timeout: 24h                 # seconds, a Go duration, or null (never); default 300s
//	    options:
//	      secret_keys: ["${REDIS_SECRET_KEY}"]
//	      serializer: native         # native | json | raw | pickle | django-json | django-msgpack
//	      db: 2                      # optional, overrides the URL's /db
//	      max_age: 48h               # optional: refuse older tokens (codec.WithMaxAge); default none
//	      binding_context: prod      # optional: authenticated in every token (codec.WithBindingContext)
//	      data_recovery:             # old_key_prefix ("" allowed) or old_key_patterns (bare keys)
//	        {old_cache_name: insecure, old_key_prefix: app1, clear_old_entries: false}
//	        # {old_cache_name: gocache, old_key_patterns: ["user:*"], old_format: gocache}
//	      compressor: zlib           # pickle, django-json, django-msgpack: zlib | gzip | lzma | lz4 | zstd
//	      max_decompressed_size: 33554432  # with a compressor: inflation cap in bytes (default 32 MiB)
//	      hashed_names: true         # native/json only: keyed-hash key names (codec.WithHashedNames)
//	      name_secrets: ["${NAME_SECRET}"]  # optional: their own ring; default derived from secret_keys
//	      local_tier: {max_entries: 50000, max_staleness: 30s}  # not on a cluster (localtier)
//
// The Django form is a CACHES dict dumped to JSON as-is, either alone or as
// {"CACHES": {...}, "DJANGO_REDIS_SECURE_CACHE_NAME": "..."}: BACKEND (Django
// and django-redis class names map to backends; backends this package does
// not serve, such as FileBasedCache, load as BackendExternal), LOCATION,
// KEY_PREFIX (default ""), VERSION, TIMEOUT (seconds, null = never),
// OPTIONS.REDIS_SECRET_KEY (a string or a list), OPTIONS.DB, OPTIONS.MAX_AGE,
// OPTIONS.MAX_DECOMPRESSED_SIZE,
// OPTIONS.DATA_RECOVERY.{OLD_CACHE_NAME, OLD_KEY_PREFIX, OLD_KEY_PATTERNS,
// OLD_FORMAT, CLEAR_OLD_ENTRIES}. A django-redis alias reads as django-redis
// stores, with or without OPTIONS: its default pickle (serializer pickle),
// OPTIONS.SERIALIZER's JSONSerializer (django-json) or MSGPackSerializer
// (django-msgpack), and django-redis-secure's Fernet(pickle) when SERIALIZER
// or CLIENT_CLASS names it (serializer pickle with REDIS_SECRET_KEY, which
// it then requires). A SERIALIZER, CLIENT_CLASS or COMPRESSOR it does not
// know is refused, and so is a REDIS_SECRET_KEY a plaintext serializer would
// ignore: nothing is guessed.
// Several LOCATIONs make a cluster client, as in the native form: django-redis's
// primary-and-replicas lists are not supported.
//
// Besides SentinelScheme URLs, a location may be in go-redis's own forms: a
// redis:// or rediss:// URL with a master_name query option is a Sentinel
// location as redis.ParseFailoverURL reads it
// (redis://[sentinel-user:sentinel-password@]host:port/db?master_name=mymaster&addr=host2:port&password=...),
// and one with addr query options a cluster as redis.ParseClusterURL reads it.
// django-redis's Sentinel form is read: OPTIONS.SENTINELS ([host, port]
// pairs), OPTIONS.SENTINEL_KWARGS (username, password) and a LOCATION
// redis://mastername/db make a redissentinel alias (CLIENT_CLASS
// SentinelClient or CONNECTION_FACTORY SentinelConnectionFactory require
// SENTINELS).
// django-redis options that do not change what is stored (PARSER_CLASS,
// SOCKET_TIMEOUT, ...) are ignored; those that do and are not supported
// (PASSWORD, KEY_FUNCTION, ...) are errors. OPTIONS.COMPRESSOR takes
// django-redis's compressor classes (zlib, gzip, lzma, lz4, zstd, identity). The OPTIONS of an
// external alias are not read.
//
// Unknown and duplicate fields are errors naming them; so are fields of the
// wrong type, and values Validate refuses.
//
// # Validation
//
// Config.Validate (and so ParseConfig and Open) checks: at least one alias;
// the secure alias exists, is opened (not external) and has secret keys;
// secret keys are valid Fernet keys (errors name them by position only);
// backends and serializers are known, and serializers match the keys (raw
// without keys, native and json with); Redis aliases have parseable
// locations (go-redis errors, with any password removed); a cluster uses
// database 0; versions are not negative; timeouts are positive or never;
// max_age only with secret keys; data_recovery names another opened alias
// and an old prefix different from the alias's own (or old key patterns and
// a known old format), on an alias with secret keys; and no two key spaces
// that a command may read or delete share a key on one database. Key
// prefixes may be empty (Django's default).
//
// # Opened aliases
//
// Open gives each Redis alias a go-redis client (single node, cluster, or a
// Sentinel failover client that follows the master), with
// ContextTimeoutEnabled so that a ctx deadline bounds every call, and one
// dial per connection attempt. Clients are shared by aliases with the same
// backend, locations, database and timeouts; memory aliases never share (one
// alias's Clear cannot empty another). The codec follows the serializer:
// Fernet with the alias's secret keys for native and json, codec.Raw for a
// plaintext alias, and for pickle (every Redis alias of a Django CACHES dict)
// Django's own format: codec.NewDjango with the secret keys
// (django-redis-secure) or codec.PlainPickle without (django-redis's
// default), each with the alias's compressor. Aliases with data_recovery
// also get the store RecoverySource returns. go-redis's own log lines are
// discarded unless SetRedisLogger routes them.
//
// # Security considerations
//
// See the codec and store packages: what is encrypted (values), what is not
// (key names, value sizes, write times), and how failures are reported
// (misses, never data).
package secureredis
