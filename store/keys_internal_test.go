package store

import (
	"fmt"
	"slices"
	"testing"

	"github.com/secureredis/secureredis/internal/redistest"
)

// TestGlobMatchIsRedis checks globMatch against Redis's own SCAN MATCH on the
// same keys, for patterns using every glob feature.
func TestGlobMatchIsRedis(t *testing.T) {
	c := redistest.Start(t).Client(t, 0)
	ctx := t.Context()
	keys := []string{"", "a", "b", "ab", "abc", "a*c", "a?c", "a[b]c", "a\\c", "a-c", "aXc", "xyz", "user:1", "user:10", "user:x", "]", "^", "a^c", "a]c"}
	for i, k := range keys {
		if err := c.Set(ctx, fmt.Sprintf("g%02d|%s", i, k), 1, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	patterns := []string{"*", "a*", "*c", "a?c", "a\\*c", "a\\?c", "a[b]c", "a\\[b\\]c", "a[^b]c", "a[a-c]c", "a[c-a]*", "a[\\]]c", "a[^]c", "user:?", "user:[0-9]*",
		"*:*", "**", "a**c", "?", "a\\\\c", "[ab]", "[^a]", "a[-]c", "a[]", "x*y*z", "*b*", "a[", "a[b", "\\", "[]]", "a]c", "a^c", "*?", "?*?"}
	for _, p := range patterns {
		var want []string
		var cursor uint64
		for {
			page, next, err := c.Scan(ctx, cursor, "g??|"+p, 1000).Result()
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range page {
				want = append(want, k[4:])
			}
			if next == 0 {
				break
			}
			cursor = next
		}
		var got []string
		for _, k := range keys {
			if globMatch(p, k) {
				got = append(got, k)
			}
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			t.Errorf("pattern %q: Redis matches %q, globMatch %q", p, want, got)
		}
	}
}
