// Package localtier keeps an in-memory tier of tokens in front of an
// encrypting store, kept coherent across processes by Redis.
//
//	tier, err := localtier.New(redisClient, keys.Prefix()+":", localtier.WithMaxEntries(50_000))
//	defer tier.Close()
//	s, err := store.NewRedis(tier, c, keys)  // Get is served from memory when it can
//	chained, err := localtier.NewStore(s)   // for gocache's cache.NewChain
//
// See the package README section "Local tier" for the design and the
// measurements.
package localtier
