// Package secureredis makes a shared Redis cache safe to hold secrets: every
// value is encrypted with Fernet before it leaves the process, every key gets a
// Django-style prefix, and old plaintext entries can be moved into the
// encrypted namespace without losing any. It is the Go home of what
// django-redis-secure (github.com/foundertherapy/django-redis-secure) does for
// Django, built on gocache and go-redis.
//
// The pieces, each in its own package:
//
//   - codec: Fernet with a key ring, the native envelope, serializers and
//     Django's key function (pure computation).
//   - pickle: Python's pickle format, restricted to plain data, and its Go
//     types (standard library only).
//   - store: EncryptingStore, a gocache store over Redis or any other gocache
//     store.
//   - typed: typed caches over an EncryptingStore.
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
// # Security considerations
//
// See the codec and store packages: what is encrypted (values), what is not
// (key names, value sizes, write times), and how failures are reported
// (misses, never data).
package secureredis
