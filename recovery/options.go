package recovery

import (
	"context"
	"errors"
	"fmt"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/store"
)

// Errors returned by Migrate, Rotate, Audit and the fallback; match them with
// errors.Is.
var (
	// ErrNilStore is returned for a nil store.
	ErrNilStore = errors.New("recovery: nil store")
	// ErrNoClient is returned for a store that was not built with
	// store.NewRedis, and so has no Redis client to scan.
	ErrNoClient = errors.New("recovery: store has no Redis client (build it with store.NewRedis)")
	// ErrSamePrefix is returned by Migrate when the old and the secure alias
	// have the same key prefix: every entry would be its own copy, and
	// clearing old entries would delete the only one.
	ErrSamePrefix = errors.New("recovery: old and secure aliases have the same key prefix")
	// ErrNotFernet is returned by Rotate and Audit when the store's codec is
	// not a Fernet codec: a *codec.Codec or a *codec.Django.
	ErrNotFernet = errors.New("recovery: store codec is not a Fernet codec (*codec.Codec or *codec.Django)")
	// ErrDecode is matched by the Failure error of an entry whose value the
	// old alias's codec could not decode.
	ErrDecode = errors.New("recovery: value does not decode")
	// ErrEncode is matched by the Failure error of an entry the secure codec
	// could not encode.
	ErrEncode = errors.New("recovery: value does not encode")
	// ErrUnknownFormat is returned by ParseFormat and MigrateFrom for a
	// Format they do not know.
	ErrUnknownFormat = errors.New("recovery: unknown source format")
	// ErrNoPatterns is returned by MigrateFrom for a Source without
	// patterns, or with an empty one.
	ErrNoPatterns = errors.New("recovery: source needs at least one non-empty key pattern")
)

// DefaultBatchSize is the SCAN COUNT hint and the largest number of keys per
// pipeline when WithBatchSize is not given.
const DefaultBatchSize = 1000

// DefaultSamples is the number of sample keys per class Audit keeps when
// WithSamples is not given.
const DefaultSamples = 10

// MaxFailures is how many Failures a report keeps; the rest are only counted
// (FailuresOmitted), so memory stays bounded however many keys fail.
const MaxFailures = 1000

// Option configures Migrate, Rotate or Audit. Options that do not apply to a
// function are ignored by it; an option that returns an error makes the
// function return it; a nil option is ignored.
type Option func(*options) error

type options struct {
	batch    int
	dryRun   bool
	clearOld bool
	prefer   Prefer
	progress func(Progress)
	samples  int

	encryptInts bool // Rotate: WithEncryptPlaintextInts (rotate.go)

	// Test hooks: called with the keys of a batch before they are read and
	// after they are read (before anything is written).
	beforeRead func(ctx context.Context, keys []string)
	afterRead  func(ctx context.Context, keys []string)
	// Migrate with WithClearOld: called with the old keys of a batch after
	// the existing secure copies are compared, before anything is replaced
	// or deleted.
	beforeClear func(ctx context.Context, keys []string)
}

func newOptions(opts []Option) (*options, error) {
	o := &options{batch: DefaultBatchSize, samples: DefaultSamples}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// WithBatchSize sets the SCAN COUNT hint and the largest number of keys in one
// pipeline. The default is DefaultBatchSize (1000). Larger batches mean fewer
// round trips and more memory (about two copies of the batch's values). A
// value that is not positive makes the function return an error.
func WithBatchSize(n int) Option {
	return func(o *options) error {
		if n <= 0 {
			return fmt.Errorf("recovery: batch size must be positive, got %d", n)
		}
		o.batch = n
		return nil
	}
}

// WithDryRun makes Migrate and Rotate read and classify every entry but write
// and delete nothing. Their reports then count what a real run would have
// done at that moment (Migrated: entries whose secure key does not exist yet;
// Rotated: entries under an older key). Audit never writes anyway.
func WithDryRun() Option { return func(o *options) error { o.dryRun = true; return nil } }

// WithClearOld makes Migrate delete each old entry once its encrypted copy is
// confirmed present in the secure alias (Django's CLEAR_OLD_ENTRIES), and only
// if it still holds the value that was read. "Confirmed" means written by this
// run, or already there holding an equal value (the secure token is decrypted
// and compared with the old value as the secure codec would store it); an
// existing secure copy with another value is a conflict, which is reported and
// kept unless WithPrefer says which side wins. Entries that failed are never
// deleted. Ignored by Rotate and Audit; a dry run counts conflicts and deletes
// nothing.
func WithClearOld() Option { return func(o *options) error { o.clearOld = true; return nil } }

// Prefer says which value wins when WithClearOld meets a conflict: an old
// entry whose value differs from the one its existing secure copy holds.
type Prefer int

// Choices for WithPrefer.
const (
	// PreferNone, the default, keeps both values and reports the conflict
	// (MigrateReport.Conflicts, MigrateReport.ConflictKeys); the report is not Clean.
	PreferNone Prefer = iota
	// PreferOld replaces the secure copy with the old entry's value (with a
	// Lua compare-and-set on the secure token that was read, and the old
	// entry's remaining TTL), then deletes the old entry (compare-and-delete
	// on the old bytes that were read). Use it when the old alias held the
	// newer data: writers kept updating it after the first run.
	PreferOld
	// PreferSecure deletes the old entry (compare-and-delete on the bytes
	// that were read) and leaves the secure copy as it is. Use it when the
	// application writes the secure alias and the old values are stale.
	PreferSecure
)

// ParsePrefer returns the Prefer named by s: "" or "none", "old", "secure".
func ParsePrefer(s string) (Prefer, error) {
	switch s {
	case "", "none":
		return PreferNone, nil
	case "old":
		return PreferOld, nil
	case "secure":
		return PreferSecure, nil
	}
	return PreferNone, fmt.Errorf("recovery: prefer %q: want old or secure", s)
}

// String returns the name ParsePrefer reads.
func (p Prefer) String() string {
	switch p {
	case PreferOld:
		return "old"
	case PreferSecure:
		return "secure"
	}
	return "none"
}

// WithPrefer resolves the conflicts Migrate meets with WithClearOld (see
// Prefer). The default is PreferNone. Migrate returns an error for an unknown
// value, or for PreferOld or PreferSecure without WithClearOld. A value written
// to either alias after Migrate read it is never overwritten or deleted: that
// entry stays a conflict (or is counted as Kept) for a later run. Ignored by
// Rotate and Audit.
func WithPrefer(p Prefer) Option {
	return func(o *options) error {
		if p < PreferNone || p > PreferSecure {
			return fmt.Errorf("recovery: unknown Prefer %d", int(p))
		}
		o.prefer = p
		return nil
	}
}

// WithProgress calls fn after each batch with the running totals of the
// batches finished so far, and once more at the end. Calls never overlap: on a single Redis they happen on the caller's goroutine; on a
// cluster, whose masters are scanned in parallel, on the goroutine scanning the
// batch's master, one at a time. fn must not block for long: it holds up the
// run. Cancelling the run's context from fn stops it before the next batch.
func WithProgress(fn func(Progress)) Option {
	return func(o *options) error { o.progress = fn; return nil }
}

// WithSamples sets how many sample keys per class Audit reports, how many
// keys of plaintext integers Rotate reports, and how many kept keys Migrate
// lists in MigrateReport.ConflictKeys. The default is DefaultSamples (10); 0
// keeps none. A negative value makes the function return an error.
func WithSamples(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("recovery: sample count must not be negative, got %d", n)
		}
		o.samples = n
		return nil
	}
}

// Progress is the running totals passed to the WithProgress callback.
// Done counts the entries the job did its work on: migrated by
// Migrate and MigrateFrom, rotated by Rotate, always 0 for Audit. Skipped
// counts every entry left as it is: for Rotate current, undecryptable,
// rewritten meanwhile or vanished; for Audit every key handled without error.
type Progress struct {
	Scanned, Done, Skipped, Failed int
}

// Failure is a key that could not be processed and why. Err names the
// operation and wraps the Redis or codec error; it never contains the value.
type Failure struct {
	Key string
	Err error
}

// failures collects Failures up to MaxFailures and counts the rest.
type failures struct {
	list    []Failure
	omitted int
}

func (f *failures) add(key string, err error) {
	if len(f.list) < MaxFailures {
		f.list = append(f.list, Failure{Key: key, Err: err})
		return
	}
	f.omitted++
}

// valueError reports a codec failure without its text, which a third-party
// codec might have filled with the value. It matches kind and the codec error
// with errors.Is.
type valueError struct {
	kind  error
	cause error
}

func (e *valueError) Error() string {
	// The codec's own sentinels are known not to carry values.
	for _, known := range []error{codec.ErrInvalidToken, codec.ErrUnsupportedValue, store.ErrNilValue, errNotFormat, errTooLarge, errTooDeep} {
		if errors.Is(e.cause, known) {
			return fmt.Sprintf("%v: %v", e.kind, known)
		}
	}
	return fmt.Sprintf("%v (%T)", e.kind, e.cause)
}

func (e *valueError) Unwrap() []error { return []error{e.kind, e.cause} }

// checkStore validates a store given to this package.
func checkStore(s *store.EncryptingStore, role string) error {
	if s == nil {
		return fmt.Errorf("%w: %s", ErrNilStore, role)
	}
	if s.Client() == nil {
		return fmt.Errorf("%w: %s", ErrNoClient, role)
	}
	return nil
}

// newSealedJob starts a job that reads s's tokens with its Fernet codec
// (Audit, Rotate): the options, the store and its codec checked in order.
func newSealedJob(name string, s *store.EncryptingStore, opts []Option) (*job, sealedCodec, error) {
	j, err := newJob(name, opts)
	if err != nil {
		return nil, nil, err
	}
	if err := checkStore(s, "store"); err != nil {
		return nil, nil, err
	}
	c, err := fernetCodec(s)
	if err != nil {
		return nil, nil, err
	}
	return j, c, nil
}

// fernetCodec returns the store's Fernet codec, native or Django.
func fernetCodec(s *store.EncryptingStore) (sealedCodec, error) {
	switch c := s.Codec().(type) {
	case *codec.Codec:
		if c != nil {
			return c, nil
		}
	case *codec.Django:
		if c != nil {
			return c, nil
		}
	}
	return nil, fmt.Errorf("%w: got %T", ErrNotFernet, s.Codec())
}
