package codec_test

import (
	"fmt"
	"log"
	"time"

	"github.com/secureredis/secureredis/codec"
)

// Fixed example keys. Real keys come from GenerateKey (or Python's
// Fernet.generate_key) and live in configuration, such as Django's
// REDIS_SECRET_KEY, never in source code.
const (
	exampleKey    = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	exampleOldKey = "IAAgASACIAMgBCAFIAYgByAIIAkgCiALIAwgDSAOIA8="
)

func ExampleNew() {
	ring, err := codec.NewKeyRing(exampleKey)
	if err != nil {
		log.Fatal(err)
	}
	c, err := codec.New(ring, codec.WithMaxAge(24*time.Hour))
	if err != nil {
		log.Fatal(err)
	}
	keys, err := codec.NewKeyScheme("app1:secure")
	if err != nil {
		log.Fatal(err)
	}

	sk := keys.Key("user:42")
	tok, err := c.Encode(sk, "secret")
	if err != nil {
		log.Fatal(err)
	}
	v, err := c.Decode(sk, tok)
	fmt.Println(sk, v, err)

	// The token is bound to its storage key.
	_, err = c.Decode(keys.Key("user:43"), tok)
	fmt.Println(err)
	// Output:
	// app1:secure:1:user:42 secret <nil>
	// codec: invalid token
}

func ExampleCodec_Encode() {
	ring, err := codec.NewKeyRing(exampleKey)
	if err != nil {
		log.Fatal(err)
	}
	c, err := codec.New(ring)
	if err != nil {
		log.Fatal(err)
	}
	const sk = "app1:secure:1:profile:42"
	for _, value := range []any{
		"a string",
		[]byte("raw bytes"),
		map[string]any{"name": "Ada", "logins": 3, "admin": false},
	} {
		tok, err := c.Encode(sk, value)
		if err != nil {
			log.Fatal(err)
		}
		back, err := c.Decode(sk, tok)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%T %v\n", back, back)
	}
	// Output:
	// string a string
	// []uint8 [114 97 119 32 98 121 116 101 115]
	// map[string]interface {} map[admin:false logins:3 name:Ada]
}

func ExampleKeyScheme() {
	keys, err := codec.NewKeyScheme("app1:secure", codec.WithVersion(2))
	if err != nil {
		log.Fatal(err)
	}
	sk := keys.Key("user:42")
	fmt.Println(sk)
	fmt.Println(keys.Parse(sk))
	fmt.Println(keys.Owns("app1:secure:1:user:42"), keys.Owns("app1:1:user:42"))
	fmt.Println(keys.Pattern())

	globby, err := codec.NewKeyScheme("tenant[1]*")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(globby.Pattern())
	// Output:
	// app1:secure:2:user:42
	// user:42 2 true
	// true false
	// app1:secure:*
	// tenant\[1\]\*:*
}

// Rotating keys: put the new key first and keep the old one until every
// entry has been rewritten.
func ExampleNewKeyRing() {
	const sk = "app1:secure:1:user:42"
	oldRing, err := codec.NewKeyRing(exampleOldKey)
	if err != nil {
		log.Fatal(err)
	}
	oldCodec, err := codec.New(oldRing)
	if err != nil {
		log.Fatal(err)
	}
	tok, err := oldCodec.Encode(sk, "secret")
	if err != nil {
		log.Fatal(err)
	}

	ring, err := codec.NewKeyRing(exampleKey, exampleOldKey)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ring)
	c, err := codec.New(ring)
	if err != nil {
		log.Fatal(err)
	}
	d, err := c.DecodeDetail(sk, tok)
	fmt.Println(d.Value, d.KeyIndex, err)
	if d.KeyIndex != 0 { // written with an old key: re-seal the same plaintext under the new one
		if tok, _, err = c.Reseal(sk, tok); err != nil {
			log.Fatal(err)
		}
	}
	d, err = c.DecodeDetail(sk, tok)
	fmt.Println(d.Value, d.KeyIndex, err)
	// Output:
	// codec.KeyRing(2 keys, redacted)
	// secret 1 <nil>
	// secret 0 <nil>
}

func ExampleGenerateKey() {
	key, err := codec.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	ring, err := codec.NewKeyRing(key)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(key), ring.Len())
	// Output: 44 1
}

func ExampleWithBindingContext() {
	ring, err := codec.NewKeyRing(exampleKey) // the same key in both deployments
	if err != nil {
		log.Fatal(err)
	}
	staging, err := codec.New(ring, codec.WithBindingContext("staging"))
	if err != nil {
		log.Fatal(err)
	}
	production, err := codec.New(ring, codec.WithBindingContext("production"))
	if err != nil {
		log.Fatal(err)
	}
	sk := "app1:secure:1:user:42"
	tok, err := staging.Encode(sk, "staging value")
	if err != nil {
		log.Fatal(err)
	}
	_, err = production.Decode(sk, tok) // copied from staging into production
	fmt.Println(err)
	v, err := staging.Decode(sk, tok)
	fmt.Println(v, err)
	// Output:
	// codec: invalid token
	// staging value <nil>
}
