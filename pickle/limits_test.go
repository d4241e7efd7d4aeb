package pickle_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/secureredis/secureredis/pickle"
)

// shared is a pickle of a list holding one str of size bytes k times,
// through the memo: Python writes [s] * k so.
func shared(size, k int) []byte {
	p := []byte("\x80\x04X" + le4(size) + strings.Repeat("x", size) + "\x940](")
	for range k {
		p = append(p, 'h', 0)
	}
	return append(p, "e."...)
}

// TestExpansionBound decodes shared references up to the bound (the value
// re-encodes within MaxExpansion times the pickle plus ExpansionSlack) and
// refuses them past it.
func TestExpansionBound(t *testing.T) {
	ok := shared(1000, 1000) // 1 MB of value from 3 KB
	v, err := pickle.Unmarshal(ok)
	if err != nil {
		t.Fatalf("within the bound: %v", err)
	}
	b, err := pickle.Marshal(v)
	if err != nil || len(b) > pickle.MaxExpansion*len(ok)+pickle.ExpansionSlack {
		t.Errorf("re-encoded to %d bytes (%v) from %d", len(b), err, len(ok))
	}
	for name, p := range map[string][]byte{
		"wide":   shared(1000, 4000), // 4 MB from 9 KB
		"corpus": hostileGens["memo-dag"](0),
	} {
		_, err := pickle.Unmarshal(p)
		if !errors.Is(err, pickle.ErrTooLarge) || !errors.Is(err, pickle.ErrInvalid) {
			t.Errorf("%s: %v, want ErrTooLarge and ErrInvalid", name, err)
		}
	}
}

// TestTextIntDigits checks the digit limit of INT and LONG before parsing.
func TestTextIntDigits(t *testing.T) {
	for _, op := range []string{"I", "L"} {
		if _, err := pickle.Unmarshal([]byte(op + "-" + strings.Repeat("9", 5000) + "\n.")); err != nil {
			t.Errorf("%s of 5000 digits: %v", op, err)
		}
		if _, err := pickle.Unmarshal([]byte(op + strings.Repeat("9", 5001) + "\n.")); !errors.Is(err, pickle.ErrInvalid) {
			t.Errorf("%s of 5001 digits: %v, want ErrInvalid", op, err)
		}
	}
}

// TestErrorsQuoteNames: a class name is attacker text; errors quote it,
// clipped, with no control character.
func TestErrorsQuoteNames(t *testing.T) {
	for _, p := range []string{
		"c\x1b[2Jevil\nname\n.",
		"\x80\x04\x8c\x06os\x1b]0;\x8c" + "\xff" + strings.Repeat("n", 255) + "\x93.",
		"c" + strings.Repeat("m", 100000) + "\nx\n.",
	} {
		_, err := pickle.Unmarshal([]byte(p))
		if err == nil {
			t.Fatal("accepted")
		}
		if msg := err.Error(); strings.ContainsAny(msg, "\x1b\n") || len(msg) > 200 {
			t.Errorf("error %q: raw control characters or too long", msg)
		}
	}
}

// TestMaxObjects decodes a list of MaxObjects-10 items and refuses one of
// MaxObjects.
func TestMaxObjects(t *testing.T) {
	list := func(n int) []byte { return []byte("\x80\x04](" + strings.Repeat("N", n) + "e.") }
	if _, err := pickle.Unmarshal(list(pickle.MaxObjects - 10)); err != nil {
		t.Errorf("MaxObjects-10 items: %v", err)
	}
	if _, err := pickle.Unmarshal(list(pickle.MaxObjects)); !errors.Is(err, pickle.ErrTooLarge) || !errors.Is(err, pickle.ErrInvalid) {
		t.Errorf("MaxObjects items: %v, want ErrTooLarge and ErrInvalid", err)
	}
}
