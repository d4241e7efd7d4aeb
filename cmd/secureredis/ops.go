package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/secureredis/secureredis/recovery"
)

func migrate(ctx context.Context, e *env, args []string) error {
	fs := flags("migrate")
	alias := fs.String("alias", "", "secure alias whose data_recovery to run (default: the secure alias)")
	dryRun := fs.Bool("dry-run", false, "read and count, write and delete nothing")
	clearOld := fs.Bool("clear-old", false, "delete each old entry once its encrypted copy is in place (default: the config's clear_old_entries)")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	caches, secure, name, err := openAlias(ctx, e, *alias)
	if err != nil {
		return err
	}
	defer caches.Close()
	old, dr, err := caches.RecoverySource(name)
	if err != nil {
		return err
	}
	update, done := progress(e, "migrate")
	opts := []recovery.Option{recovery.WithProgress(update)}
	if *dryRun {
		opts = append(opts, recovery.WithDryRun())
	}
	if *clearOld || dr.ClearOldEntries {
		opts = append(opts, recovery.WithClearOld())
	}
	fmt.Fprintf(e.stdout, "migrating %s (prefix %s) into %s (prefix %s)\n", display(dr.OldCacheName), strconv.Quote(old.Keys().Prefix()), display(name), strconv.Quote(secure.Keys().Prefix()))
	report, err := recovery.Migrate(ctx, old, secure, opts...)
	done()
	if report != nil {
		fmt.Fprintln(e.stdout, displayText(report.String()))
		printFailures(e.stderr, report.Failures, report.FailuresOmitted)
	}
	if err != nil {
		return err
	}
	if report.Failed > 0 {
		fmt.Fprintf(e.stderr, "secureredis migrate: %d entries failed; run it again once the cause is fixed\n", report.Failed)
		return errReported
	}
	return nil
}

func rotate(ctx context.Context, e *env, args []string) error {
	fs := flags("rotate")
	alias := fs.String("alias", "", "alias to re-encrypt (default: the secure alias)")
	dryRun := fs.Bool("dry-run", false, "count what would be rotated, write nothing")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	caches, s, _, err := openAlias(ctx, e, *alias)
	if err != nil {
		return err
	}
	defer caches.Close()
	update, done := progress(e, "rotate")
	opts := []recovery.Option{recovery.WithProgress(update)}
	if *dryRun {
		opts = append(opts, recovery.WithDryRun())
	}
	report, err := recovery.Rotate(ctx, s, opts...)
	done()
	if report != nil {
		fmt.Fprintln(e.stdout, displayText(report.String()))
		printFailures(e.stderr, report.Failures, report.FailuresOmitted)
	}
	if err != nil {
		return err
	}
	if report.Failed > 0 {
		return errReported
	}
	return nil
}

func audit(ctx context.Context, e *env, args []string) error {
	fs := flags("audit")
	alias := fs.String("alias", "", "alias to audit (default: the secure alias)")
	samples := fs.Int("samples", 10, "sample keys to list per class")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	caches, s, _, err := openAlias(ctx, e, *alias)
	if err != nil {
		return err
	}
	defer caches.Close()
	update, done := progress(e, "audit")
	report, err := recovery.Audit(ctx, s, recovery.WithSamples(*samples), recovery.WithProgress(update))
	done()
	if report != nil {
		fmt.Fprintln(e.stdout, auditText(report))
		printFailures(e.stderr, report.Failures, report.FailuresOmitted)
	}
	if err != nil {
		return err
	}
	if !report.Clean() {
		fmt.Fprintln(e.stderr, "secureredis audit: plaintext or undecryptable entries under the prefix")
		return errReported
	}
	return nil
}

// progress returns a callback that draws a progress bar when stderr is a
// terminal and otherwise prints a plain line at most once a second, and a
// function that clears the bar (call it before printing the summary). The
// total is unknown while SCAN runs, so the bar counts keys.
func progress(e *env, verb string) (update func(recovery.Progress), done func()) {
	if f, ok := e.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar := progressbar.NewOptions(-1,
			progressbar.OptionSetWriter(f),
			progressbar.OptionSetDescription(verb),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("keys"),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond),
		)
		update = func(p recovery.Progress) {
			_ = bar.Set(p.Scanned)
			bar.Describe(fmt.Sprintf("%s: %d done, %d skipped, %d failed", verb, p.Migrated, p.Skipped, p.Failed))
		}
		return update, func() { _ = bar.Finish() }
	}
	var last time.Time
	update = func(p recovery.Progress) {
		if time.Since(last) < time.Second {
			return
		}
		last = time.Now()
		fmt.Fprintf(e.stderr, "%s: scanned %d, done %d, skipped %d, failed %d\n", verb, p.Scanned, p.Migrated, p.Skipped, p.Failed)
	}
	return update, func() {}
}
