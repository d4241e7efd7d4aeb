package secureredis

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Timeout is an alias's default expiration, Django's TIMEOUT. The zero value
// means DefaultTimeout; Never means entries do not expire (Django's None);
// otherwise Duration, which must be positive. Django's TIMEOUT=0 ("do not
// cache") is not supported and fails validation.
//
// In files it is null (never), a number of seconds (fractions allowed, as
// Django accepts floats) or a Go duration string ("90s", "24h").
type Timeout struct {
	Never    bool
	Duration time.Duration
	set      bool // given explicitly, so that an explicit 0 is told from "unset"
}

// Expiration returns the expiration to give the store: store.NoExpiration (0)
// for Never, DefaultTimeout for the zero Timeout, Duration otherwise.
func (t Timeout) Expiration() time.Duration {
	switch {
	case t.Never:
		return 0
	case t.Duration == 0 && !t.set:
		return DefaultTimeout
	}
	return t.Duration
}

// String returns "never", "default (5m0s)" or the duration.
func (t Timeout) String() string {
	switch {
	case t.Never:
		return "never"
	case t.Duration == 0 && !t.set:
		return "default (" + DefaultTimeout.String() + ")"
	}
	return t.Duration.String()
}

// Equal reports whether t and u are the same setting (a Timeout loaded from a
// file equals the literal Timeout{Duration: d}); go-cmp uses it.
func (t Timeout) Equal(u Timeout) bool { return t.normal() == u.normal() }

func (t Timeout) normal() Timeout {
	t.set = t.set || t.Never || t.Duration != 0
	return t
}

func (t Timeout) validate() string {
	switch {
	case t.Never && t.Duration != 0:
		return "both never and a duration"
	case t.Never:
		return ""
	case t.Duration < 0:
		return "must be positive, got " + t.Duration.String()
	case t.Duration == 0 && t.set:
		return `must be positive (Django's TIMEOUT 0, "do not cache", is not supported); use null to never expire`
	}
	return ""
}

// UnmarshalJSON reads null (never), a number of seconds or a duration string.
func (t *Timeout) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	switch {
	case s == "null":
		*t = Timeout{Never: true, set: true}
		return nil
	case strings.HasPrefix(s, `"`):
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		return t.parseString(str)
	}
	return t.parseSeconds(s)
}

// UnmarshalYAML reads a number of seconds or a duration string. (yaml.v3 does
// not call it for null, which leaves the field unchanged; ParseConfig reads
// null as never.)
func (t *Timeout) UnmarshalYAML(n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!null":
		*t = Timeout{Never: true, set: true}
		return nil
	case "!!int", "!!float":
		return t.parseSeconds(n.Value)
	case "!!str":
		return t.parseString(n.Value)
	}
	return fmt.Errorf("secureredis: timeout: want null, seconds or a duration string, got %s", n.ShortTag())
}

func (t *Timeout) parseString(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return errors.New(`secureredis: timeout: not a duration (want seconds, a Go duration such as "90s" or "24h", or null)`) // time's error quotes the text
	}
	*t = Timeout{Duration: d, set: true}
	return nil
}

func (t *Timeout) parseSeconds(s string) error {
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return errors.New("secureredis: timeout: not a number of seconds")
	}
	if math.Abs(f) > float64(math.MaxInt64)/float64(time.Second) {
		return errors.New("secureredis: timeout: number of seconds out of range")
	}
	*t = Timeout{Duration: time.Duration(math.Round(f * float64(time.Second))), set: true}
	return nil
}
