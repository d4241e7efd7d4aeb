package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/alicebob/miniredis/v2"

	"github.com/secureredis/secureredis/internal/testkit"
)

// Example runs the README's quick start on an embedded Redis and shows what
// Redis holds: a Fernet token, not the secret.
func Example() {
	mr, err := miniredis.Run()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer mr.Close()
	os.Setenv("REDIS_ADDR", mr.Addr())
	os.Setenv("REDIS_SECRET_KEY", testkit.Key)
	defer os.Unsetenv("REDIS_ADDR")
	defer os.Unsetenv("REDIS_SECRET_KEY")

	main()

	raw, err := mr.Get("app1:secure:1:user:42:token")
	fmt.Println(err, strings.HasPrefix(raw, "gAAAAA"), strings.Contains(raw, "s3cr3t"))
	// Output:
	// s3cr3t
	// <nil> true false
}
