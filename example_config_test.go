package secureredis_test

import (
	"fmt"
	"log"
	"slices"

	"github.com/secureredis/secureredis"
)

// A configuration with a secure alias that will take over the entries of an
// old plaintext one. The secret key comes from the environment; this example
// replaces the environment with a map. Open(ctx, cfg) would then connect.
func ExampleParseConfig() {
	const text = `
secure_cache: default
caches:
  default:
    backend: redis
    location: redis://:${REDIS_PASSWORD}@127.0.0.1:6379/1
    key_prefix: app1:secure
    timeout: 24h
    options:
      secret_keys: ["${REDIS_SECRET_KEY}"]
      data_recovery: {old_cache_name: insecure, old_key_prefix: app1}
  insecure:
    backend: redis
    location: redis://:${REDIS_PASSWORD}@127.0.0.1:6379/1
    key_prefix: app1
    timeout: null
`
	vars := map[string]string{
		"REDIS_SECRET_KEY": "QIrw1vM0cxAlC0eeukvzUraCVuPvvzi7pYNh4rDXiDs=",
		"REDIS_PASSWORD":   "hunter2",
	}
	cfg, err := secureredis.ParseConfig([]byte(text), secureredis.WithLookupEnv(func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}))
	if err != nil {
		log.Fatal(err)
	}
	names := make([]string, 0, len(cfg.Caches))
	for name := range cfg.Caches {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		cc := cfg.Caches[name]
		fmt.Printf("%s: prefix %q, timeout %v, keys %v, location %v\n",
			name, cc.KeyPrefix, cc.Timeout, cc.Options.SecretKeys, cc.Location)
	}
	fmt.Println("secure alias:", cfg.SecureCache)
	// Output:
	// default: prefix "app1:secure", timeout 24h0m0s, keys [1 secret key redacted], location [redis://:xxxxx@127.0.0.1:6379/1]
	// insecure: prefix "app1", timeout never, keys [], location [redis://:xxxxx@127.0.0.1:6379/1]
	// secure alias: default
}
