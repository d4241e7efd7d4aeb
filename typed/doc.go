// Package typed is a typed, encrypted gocache cache: Cache[T] stores values
// of any Go type the codec's serializer can carry through a
// store.EncryptingStore and decodes them straight back into T.
//
// gocache's cache.New[T] over an EncryptingStore works only for T string,
// []byte and any: the store hands back the serializer's generic types
// (int64, map[string]any, ...), so cache.New[User] would accept Set and fail
// every Get; the store therefore refuses such values at Set
// (store.ErrNotRoundTrip). Cache[T] instead encodes T as it is (msgpack tags
// with the default msgpack serializer, json tags with codec.JSON) and decodes
// the payload into a T: int, uint, named types, pointers, slices, maps,
// structs and time.Time round-trip exactly.
//
// A time.Time keeps its zone: msgpack's timestamp carries only the instant
// and JSON only the offset, so the token also carries a zone table (the
// zone's name, abbreviation and offset for each instant; see
// codec.Codec.EncodeTyped), and a time comes back in the same named location
// (time.LoadLocation), or, when that name is unknown on the reading machine,
// in a fixed zone with the same abbreviation and offset. Times in time.Local
// come back in time.Local. The monotonic clock reading is not stored: compare
// times with Equal and their zones with Location().String() or Zone().
//
// In Django mode (a store over a *codec.Django), T may be a Go struct that a
// Django view sees as a dict: the struct is pickled as a dict keyed by its
// json tag names (encoding/json's rules), and a dict, whether written by Go
// or by Django, fills the struct by those names. Other values are pickled
// as the Django codec pickles them (see codec.Pickle).
//
// Cache[T] implements gocache's cache.SetterCacheInterface[T], so it chains
// (cache.NewChain, e.g. behind an in-memory cache.New[T] tier), loads
// (cache.NewLoadable) and meters (cache.NewMetric) like any gocache cache:
//
//	users, err := typed.New[User](secureStore)
//	chain := cache.NewChain[User](cache.New[User](gocacheStore), users)
//
// It is its own package, not a method of the store, because the store is
// untyped (gocache's StoreInterface) and Go has no generic methods; it uses
// only the store's exported GetInto, GetWithTTLInto and store.Typed, which
// other typed front ends can use too.
//
// # Security considerations
//
// Values are encrypted and bound to their key exactly as by the store. An
// entry that does not decrypt, or that decrypts to a value that does not fit
// T (written by an older schema), is a miss (gocache's NotFound) whose error
// is a *store.DecryptError saying so, counted by class. msgpack payloads are
// checked for declared lengths and depth before anything is allocated.
package typed
