package recovery

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/internal/parallel"
	"github.com/secureredis/secureredis/store"
)

// Class is the kind of an entry found by Audit.
type Class string

// Classes of entries under a secure prefix.
const (
	// ClassCurrent: a token the ring's first key opens.
	ClassCurrent Class = "current"
	// ClassOldKey: a token an older key of the ring opens; Rotate
	// re-encrypts it.
	ClassOldKey Class = "old-key"
	// ClassUndecryptable: a well-formed Fernet token (URL-safe base64,
	// version byte 0x80, plausible length) that no key opens or that fails
	// its checks: made with an unknown or retired key, tampered with, copied
	// from another key, older than the codec's max age.
	ClassUndecryptable Class = "undecryptable"
	// ClassPlaintext: not a Fernet token at all (not base64, or no 0x80
	// version byte), or not a Redis string: plaintext or an unknown format.
	ClassPlaintext Class = "plaintext"
	// ClassPlaintextInt: an integer in clear (ASCII digits), as django-redis
	// stores int values even in a django-redis-secure cache. A Django-mode
	// codec reads it (codec.WithPlaintextInts), but it is neither secret nor
	// authenticated; Rotate reports it and leaves it in clear, unless
	// WithEncryptPlaintextInts is given.
	ClassPlaintextInt Class = "plaintext-int"
	// ClassUnsupportedType: a token the ring opens whose value is a Python
	// type the pickle serializer does not read (a namedtuple, any class
	// outside package pickle's allow-list): the key is right, Go cannot
	// read the value (codec.ErrUnsupportedType). Counted by type name in
	// UnsupportedTypes; clean, as the ring opens it.
	ClassUnsupportedType Class = "unsupported-type"
)

// maxUnsupportedTypes bounds the type names AuditReport.UnsupportedTypes
// keeps; others count under "...".
const maxUnsupportedTypes = 64

// AuditReport is the outcome of Audit. Scanned equals Current + OldKey +
// Undecryptable + Plaintext + PlaintextInt + UnsupportedType + Vanished + Skipped + Failed. It holds counts
// and key names, never values.
type AuditReport struct {
	Summary
	// Current, OldKey, Undecryptable and Plaintext count the entries of each
	// Class.
	Current, OldKey, Undecryptable, Plaintext int
	// PlaintextInt counts the entries of ClassPlaintextInt.
	PlaintextInt int
	// UnsupportedType counts the entries of ClassUnsupportedType, and
	// UnsupportedTypes counts them by Python type name (quoted and clipped,
	// safe to print; at most 64 names, the rest under "..."). These are
	// also counted in ByKeyIndex.
	UnsupportedType  int
	UnsupportedTypes map[string]int
	// ByKeyIndex counts the decryptable entries by the position in the ring
	// of the key that opened them (0 is the first key).
	ByKeyIndex map[int]int
	// Samples holds up to WithSamples storage keys per class, in the order
	// found.
	Samples map[Class][]string
	// Vanished counts entries deleted or expired before they were read.
	Vanished int
	// Skipped counts keys under the prefix that are not entries (tag sets).
	// Failed (in Summary) counts entries a Redis error kept from being
	// read.
	Skipped int
}

// Clean reports whether the audit read every entry and found neither
// plaintext nor undecryptable ones. Entries under an older key, and of
// unsupported types, are clean: the ring still opens them.
func (r *AuditReport) Clean() bool {
	return r.Plaintext == 0 && r.PlaintextInt == 0 && r.Undecryptable == 0 && r.Failed == 0
}

// String summarises the report: counts per class and the sample keys, never
// values.
func (r *AuditReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scanned %d: current %d, old-key %d", r.Scanned, r.Current, r.OldKey)
	if len(r.ByKeyIndex) > 0 {
		idx := make([]int, 0, len(r.ByKeyIndex))
		for i := range r.ByKeyIndex {
			idx = append(idx, i)
		}
		sort.Ints(idx)
		parts := make([]string, len(idx))
		for j, i := range idx {
			parts[j] = fmt.Sprintf("key #%d: %d", i, r.ByKeyIndex[i])
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(parts, ", "))
	}
	if r.PlaintextInt > 0 {
		fmt.Fprintf(&b, ", plaintext-int %d", r.PlaintextInt)
	}
	if r.UnsupportedType > 0 {
		fmt.Fprintf(&b, ", unsupported-type %d %s", r.UnsupportedType, typeCounts(r.UnsupportedTypes))
	}
	fmt.Fprintf(&b, ", undecryptable %d, plaintext %d, vanished %d, skipped %d, failed %d in %v",
		r.Undecryptable, r.Plaintext, r.Vanished, r.Skipped, r.Failed, r.Duration.Round(time.Millisecond))
	for _, c := range []Class{ClassUndecryptable, ClassPlaintext, ClassPlaintextInt, ClassUnsupportedType, ClassOldKey} {
		if ks := r.Samples[c]; len(ks) > 0 {
			fmt.Fprintf(&b, "\n  %s: %s", c, strings.Join(quoteKeys(ks), " "))
		}
	}
	return b.String()
}

// Audit classifies every entry under s's prefix (see Class): SCAN on every
// master, one GET pipeline per page, each token decrypted in memory. It
// writes nothing. Values never leave the function: the report has counts and
// sample key names only.
//
// Options: WithBatchSize, WithSamples, WithProgress. It returns ErrNilStore,
// ErrNoClient, ErrNotFernet (s's codec must be a *codec.Codec or a *codec.Django), an invalid
// option's error, or, when the run stops early (SCAN error, ctx done between
// batches), the partial report with an error wrapping the cause.
func Audit(ctx context.Context, s *store.EncryptingStore, opts ...Option) (*AuditReport, error) {
	j, c, err := newSealedJob("audit", s, opts)
	if err != nil {
		return nil, err
	}
	a := &audit{job: j, s: s, c: c, rep: &AuditReport{ByKeyIndex: map[int]int{}, Samples: map[Class][]string{}}}
	j.attach(&a.rep.Summary)
	err = j.scan(ctx, s, a.batch)
	return a.rep, j.finish(err)
}

type audit struct {
	*job
	s   *store.EncryptingStore
	c   sealedCodec
	rep *AuditReport // guarded by job.mu
}

// outcomes of one entry in Audit, besides the classes
const (
	audNotOwned = iota
	audVanished
	audFailed
	audRead
	audClassified
)

type audEntry struct {
	key      string
	tok      string
	state    int
	class    Class
	keyIndex int
	pyType   string // ClassUnsupportedType: the type's name
	err      error
}

func (a *audit) batch(ctx context.Context, keys []string) {
	es := make([]audEntry, len(keys))
	var live []int
	for i, k := range keys {
		es[i].key = k
		if a.s.Keys().Owns(k) {
			live = append(live, i)
		}
	}
	toks := readTokens(ctx, a.s.Client(), keys, live)
	for j, i := range live {
		e := &es[i]
		switch tok, err := toks[j].Result(); {
		case errors.Is(err, redis.Nil):
			e.state = audVanished
		case redis.HasErrorPrefix(err, "WRONGTYPE"): // a list, hash, ...: not ours
			e.state, e.class = audClassified, ClassPlaintext
		case err != nil:
			e.state, e.err = audFailed, fmt.Errorf("recovery: read: %w", err)
		default:
			e.tok, e.state = tok, audRead
		}
	}
	parallel.For(len(es), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if e := &es[i]; e.state == audRead {
				bound, _, _ := bindingOf(a.s, a.c, e.key, e.tok) // hashnames.go
				e.class, e.keyIndex, e.pyType = classify(a.c, bound, e.tok)
				if e.class == ClassCurrent || e.class == ClassOldKey || e.class == ClassUnsupportedType {
					// Decrypted: the sample names the clear key; else the
					// hashed name, all an operator without the key sees.
					e.key = bound
				}
				e.state = audClassified
				e.tok = ""
			}
		}
	})
	a.account(es)
}

// classify decrypts tok, read from key, and returns its class and, for a
// decryptable one, the index of the key that opened it, and for
// ClassUnsupportedType the Python type's name.
func classify(c sealedCodec, key, tok string) (Class, int, string) {
	if _, ok := codec.ParsePlainInt([]byte(tok)); ok { // never a Fernet token
		return ClassPlaintextInt, -1, ""
	}
	d, err := c.DecodeDetail(key, []byte(tok))
	var ute *codec.UnsupportedTypeError
	switch {
	case err == nil && d.KeyIndex == 0:
		return ClassCurrent, 0, ""
	case err == nil:
		return ClassOldKey, d.KeyIndex, ""
	case errors.As(err, &ute):
		return ClassUnsupportedType, d.KeyIndex, ute.Type
	case looksLikeFernet(tok):
		return ClassUndecryptable, -1, ""
	}
	return ClassPlaintext, -1, ""
}

// Fernet token layout: version (1) | timestamp (8) | IV (16) | ciphertext
// (a positive multiple of 16) | HMAC (32).
const (
	fernetVersion  = 0x80
	fernetOverhead = 1 + 8 + 16 + 32
)

// looksLikeFernet reports whether tok has the shape of a Fernet token:
// padded URL-safe base64 of a version byte 0x80 and a plausible length.
func looksLikeFernet(tok string) bool {
	b, err := base64.URLEncoding.DecodeString(tok)
	if err != nil {
		return false
	}
	n := len(b) - fernetOverhead
	return len(b) > 0 && b[0] == fernetVersion && n >= 16 && n%16 == 0
}

func (a *audit) account(es []audEntry) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.rep
	for i := range es {
		e := &es[i]
		r.Scanned++
		switch e.state {
		case audNotOwned:
			r.Skipped++
			continue
		case audVanished:
			r.Vanished++
			continue
		case audFailed:
			r.Failed++
			a.failure(e.key, e.err)
			continue
		}
		switch e.class {
		case ClassCurrent:
			r.Current++
			r.ByKeyIndex[0]++
		case ClassOldKey:
			r.OldKey++
			r.ByKeyIndex[e.keyIndex]++
		case ClassUndecryptable:
			r.Undecryptable++
		case ClassPlaintext:
			r.Plaintext++
		case ClassPlaintextInt:
			r.PlaintextInt++
		case ClassUnsupportedType:
			r.UnsupportedType++
			r.ByKeyIndex[e.keyIndex]++
			if r.UnsupportedTypes == nil {
				r.UnsupportedTypes = map[string]int{}
			}
			if _, ok := r.UnsupportedTypes[e.pyType]; !ok && len(r.UnsupportedTypes) >= maxUnsupportedTypes {
				e.pyType = "..."
			}
			r.UnsupportedTypes[e.pyType]++
		}
		if len(r.Samples[e.class]) < a.o.samples {
			r.Samples[e.class] = append(r.Samples[e.class], e.key)
		}
	}
	a.progress(Progress{Scanned: r.Scanned, Skipped: r.Scanned - r.Failed, Failed: r.Failed})
}

// typeCounts lists Python type names and their counts, sorted by name:
// ("__main__"."Point": 2).
func typeCounts(m map[string]int) string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		names[i] = fmt.Sprintf("%s: %d", n, m[n])
	}
	return "(" + strings.Join(names, ", ") + ")"
}
