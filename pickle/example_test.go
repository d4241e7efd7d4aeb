package pickle_test

import (
	"errors"
	"fmt"

	"github.com/secureredis/secureredis/pickle"
)

func Example() {
	b, err := pickle.Marshal(map[string]any{"user": "ada", "tags": pickle.Tuple{"a", int64(2)}})
	if err != nil {
		panic(err)
	}
	v, err := pickle.Unmarshal(b)
	if err != nil {
		panic(err)
	}
	m := v.(map[string]any)
	fmt.Printf("%v %#v\n", m["user"], m["tags"])
	// Output: ada pickle.Tuple{"a", 2}
}

// A pickle naming a class outside the allow-list is refused, never run.
func ExampleUnmarshal_refused() {
	_, err := pickle.Unmarshal([]byte("cos\nsystem\n(S'id'\ntR."))
	fmt.Println(errors.Is(err, pickle.ErrInvalid))
	fmt.Println(err)
	// Output:
	// true
	// pickle: unsupported Python type "os"."system"
}
