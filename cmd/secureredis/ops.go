package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/secureredis/secureredis/recovery"
	"github.com/secureredis/secureredis/store"
)

var migrateCmd = &command{
	Name: "migrate", Config: true,
	Short: "copy the alias's data_recovery source into it, encrypted",
	Long: `Copy every entry of the old alias named by the secure alias's data_recovery
into the secure alias, encrypted, keeping each entry's TTL; an existing
secure entry is never overwritten. With --clear-old, each old entry is
deleted once its encrypted copy is in place and only if it did not change
meanwhile. Running it again finishes an interrupted run. Exit status 1 when
an entry failed (failures are listed on stderr, or in the JSON report).`,
	Setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
		alias := fs.String("alias", "", "secure `ALIAS` whose data_recovery to run (default: the secure alias)")
		dryRun := fs.Bool("dry-run", false, "read and count, write and delete nothing")
		clearOld := fs.Bool("clear-old", false, "delete each old entry once its encrypted copy is in place (default: the config's clear_old_entries)")
		prefer := fs.String("prefer", "", "resolve conflicts (an old entry whose value differs from its secure copy's): `old` overwrites the secure copy, secure deletes the old entry (default: keep both, report, exit 1)")
		asJSON := fs.Bool("json", false, "print the report as JSON (see README for the schema)")
		return func(ctx context.Context, _ []string) error {
			var opts []recovery.Option
			if *prefer != "" {
				p, err := recovery.ParsePrefer(*prefer)
				if err != nil {
					return fmt.Errorf("%w: --prefer: want old or secure", errUsage)
				}
				opts = append(opts, recovery.WithPrefer(p))
			}
			caches, secure, name, err := openAlias(ctx, e, *alias)
			if err != nil {
				return err
			}
			defer caches.Close()
			client, dr, err := caches.RecoveryClient(name)
			if err != nil {
				return err
			}
			var (
				old    *store.EncryptingStore
				source string
			)
			if len(dr.OldKeyPatterns) == 0 {
				if old, _, err = caches.RecoverySource(name); err != nil {
					return err
				}
				source = "prefix " + strconv.Quote(old.Keys().Prefix())
			} else {
				quoted := make([]string, len(dr.OldKeyPatterns))
				for i, p := range dr.OldKeyPatterns {
					quoted[i] = strconv.Quote(p)
				}
				source = "keys " + strings.Join(quoted, ", ")
			}
			update, done := progress(e, "migrate")
			opts = append(opts, recovery.WithProgress(update))
			if *dryRun {
				opts = append(opts, recovery.WithDryRun())
			}
			if *clearOld || dr.ClearOldEntries {
				opts = append(opts, recovery.WithClearOld())
			}
			if !*asJSON {
				fmt.Fprintf(e.stdout, "migrating %s (%s) into %s (prefix %s)\n", display(dr.OldCacheName),
					source, display(name), strconv.Quote(secure.Keys().Prefix()))
			}
			var report *recovery.MigrateReport
			if old != nil {
				report, err = recovery.Migrate(ctx, old, secure, opts...)
			} else {
				src := recovery.Source{Client: client, Patterns: dr.OldKeyPatterns, Format: recovery.Format(dr.OldFormat)}
				report, err = recovery.MigrateFrom(ctx, src, secure, opts...)
			}
			done()
			var out *jobOutput
			if report != nil {
				out = migrateOutput(report, dr.OldCacheName, name)
			}
			return finish(e, *asJSON, out, err)
		}
	},
}

var rotateCmd = &command{
	Name: "rotate", Config: true,
	Short: "re-encrypt entries made with older keys under the first key",
	Long: `Re-encrypt with the ring's first key every entry of the alias that an older
key opened (after a new key was put first in secret_keys). Each entry keeps
its value, serializer and TTL; an entry the application rewrote meanwhile is
left as the application wrote it. Entries no key opens are counted and left
alone (audit tells them apart). Exit status 1 when an entry failed.`,
	Setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
		alias := fs.String("alias", "", "`ALIAS` to re-encrypt (default: the secure alias)")
		dryRun := fs.Bool("dry-run", false, "count what would be rotated, write nothing")
		encryptInts := fs.Bool("encrypt-plaintext-ints", false, "also encrypt the integers django-redis stored in clear: this makes whatever integer anyone with write access to Redis planted there authentic (default: report them, leave them in clear)")
		asJSON := fs.Bool("json", false, "print the report as JSON (see README for the schema)")
		return func(ctx context.Context, _ []string) error {
			caches, s, name, err := openAlias(ctx, e, *alias)
			if err != nil {
				return err
			}
			defer caches.Close()
			update, done := progress(e, "rotate")
			opts := []recovery.Option{recovery.WithProgress(update)}
			if *dryRun {
				opts = append(opts, recovery.WithDryRun())
			}
			if *encryptInts {
				opts = append(opts, recovery.WithEncryptPlaintextInts())
			}
			report, err := recovery.Rotate(ctx, s, opts...)
			done()
			var out *jobOutput
			if report != nil {
				out = rotateOutput(report, name)
			}
			return finish(e, *asJSON, out, err)
		}
	},
}

var auditCmd = &command{
	Name: "audit", Config: true,
	Short: "classify every entry under the alias's prefix",
	Long: `Read every entry under the alias's prefix and classify it: current (first
key), old-key (an older key of the ring), undecryptable, plaintext, or
plaintext-int (a Django integer stored in clear). It writes nothing and never
prints values: counts, and up to --samples key names per class. Exit status 1
when it found plaintext or undecryptable entries or could not read one.`,
	Setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
		alias := fs.String("alias", "", "`ALIAS` to audit (default: the secure alias)")
		samples := fs.Int("samples", 10, "`N` sample key names to list per class (0 to 1000)")
		asJSON := fs.Bool("json", false, "print the report as JSON (see README for the schema)")
		return func(ctx context.Context, _ []string) error {
			if *samples < 0 || *samples > 1000 {
				return fmt.Errorf("%w: --samples must be from 0 to 1000, got %d", errUsage, *samples)
			}
			caches, s, name, err := openAlias(ctx, e, *alias)
			if err != nil {
				return err
			}
			defer caches.Close()
			update, done := progress(e, "audit")
			report, err := recovery.Audit(ctx, s, recovery.WithSamples(*samples), recovery.WithProgress(update))
			done()
			var out *jobOutput
			if report != nil {
				out = auditOutput(report, name)
			}
			return finish(e, *asJSON, out, err)
		}
	},
}

// finish prints a job's report (prose or JSON) and its failures and returns
// the command's error: runErr when the job stopped early, errReported (after
// a line on stderr saying what is wrong) when the report is not ok.
func finish(e *env, asJSON bool, out *jobOutput, runErr error) error {
	if out != nil {
		if runErr != nil {
			out.Summary.Error = errorText(runErr)
			out.Summary.OK = false
		}
		if asJSON {
			b, err := marshalReport(out.JSON)
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, string(b))
		} else {
			fmt.Fprintln(e.stdout, out.Text)
			printFailures(e.stderr, out.Failures, out.FailuresOmitted)
		}
	}
	if runErr != nil || out == nil {
		return runErr
	}
	if !out.Summary.OK {
		fmt.Fprintf(e.stderr, "secureredis %s: %s\n", out.Summary.Command, out.Problem)
		return errReported
	}
	return nil
}
