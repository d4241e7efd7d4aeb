// Package secureredis makes a shared Redis cache safe to hold secrets: every
// value is encrypted with Fernet before it leaves the process, every key gets a
// Django-style prefix, and old plaintext entries can be moved into the
// encrypted namespace without losing any. It is the Go home of what
// django-redis-secure does for Django, built on gocache and go-redis.
//
// The pieces, each in its own package:
//
//   - codec: Fernet with a key ring, serialization, the wire format and
//     Django's key function (pure computation).
//   - store: EncryptingStore, a gocache store over Redis or any other gocache
//     store.
//   - mocks: gomock doubles of the interfaces the store consumes.
//
// # Security considerations
//
// See the codec and store packages: what is encrypted (values), what is not
// (key names, value sizes, write times), and how failures are reported
// (misses, never data).
package secureredis
