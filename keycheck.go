package secureredis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/secureredis/secureredis/codec"
	"github.com/secureredis/secureredis/store"
)

// OpenOption configures Open: WithKeyCheck.
type OpenOption func(*openOptions) error

type openOptions struct {
	keyCheckSamples int
	keyCheckMode    KeyCheckMode
	logger          *slog.Logger
}

// KeyCheckMode says what a failed key check does: KeyCheckFail or
// KeyCheckWarn.
type KeyCheckMode int

const (
	// KeyCheckFail makes Open fail (and close everything) when an alias's
	// entries exist and none of those sampled decrypts.
	KeyCheckFail KeyCheckMode = iota
	// KeyCheckWarn logs the failure through the logger given to
	// WithKeyCheck and opens the caches all the same.
	KeyCheckWarn
)

// WithKeyCheck makes Open sample up to samples existing entries of each
// encrypting alias (Fernet or Django-secure secret keys; plaintext and
// external aliases are skipped) with store.CheckKeys, and fail fast
// (KeyCheckFail) or warn through logger (KeyCheckWarn; nil is
// slog.Default()) when there are entries and none of them decrypts with the
// alias's key ring: a deployment with the wrong key then stops at start-up
// instead of serving only misses. The error, or the log record, names the
// alias and reports what was sampled (counts by failure class), never a key
// or a value. An alias with no entries passes. samples must be positive.
// The default is no check.
func WithKeyCheck(samples int, mode KeyCheckMode, logger *slog.Logger) OpenOption {
	return func(o *openOptions) error {
		if samples <= 0 {
			return fmt.Errorf("secureredis: key check: samples must be positive, got %d", samples)
		}
		if mode != KeyCheckFail && mode != KeyCheckWarn {
			return fmt.Errorf("secureredis: key check: unknown mode %d", mode)
		}
		if logger == nil {
			logger = slog.Default()
		}
		o.keyCheckSamples, o.keyCheckMode, o.logger = samples, mode, logger
		return nil
	}
}

func applyOpenOptions(opts []OpenOption) (openOptions, error) {
	var o openOptions
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	return o, nil
}

// checkKeys runs the key check of WithKeyCheck over the opened aliases.
func (c *Caches) checkKeys(ctx context.Context, o openOptions) error {
	if o.keyCheckSamples == 0 {
		return nil
	}
	for _, name := range sortedNames(c.cfg) {
		a, ok := c.aliases[name]
		if !ok || a.client == nil {
			continue
		}
		switch a.codec.(type) {
		case *codec.Codec, *codec.Django:
		default:
			continue
		}
		rep, err := a.store.CheckKeys(ctx, o.keyCheckSamples)
		if err == nil {
			continue
		}
		if errors.Is(err, store.ErrKeyCheck) && o.keyCheckMode == KeyCheckWarn {
			o.logger.WarnContext(ctx, "secureredis: key check: no sampled entry decrypts with the alias's key ring (wrong key?)",
				slog.String("alias", name), slog.Int("sampled", rep.Sampled), slog.Int("decrypted", rep.Decrypted),
				slog.Int(codec.FailureWrongKey.String(), rep.Failed[codec.FailureWrongKey]),
				slog.Int(codec.FailureUndecodable.String(), rep.Failed[codec.FailureUndecodable]),
				slog.Int(codec.FailurePlaintext.String(), rep.Failed[codec.FailurePlaintext]))
			continue
		}
		return fmt.Errorf("secureredis: caches.%s: %w", name, err)
	}
	return nil
}
