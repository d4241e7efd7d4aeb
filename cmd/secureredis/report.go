package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/secureredis/secureredis/recovery"
)

// This file is the one place the CLI reads recovery's report fields: each
// report becomes a jobOutput, prose for people and a JSON document for
// programs (schema in README, "The secureredis command").

// jobOutput is a finished (or stopped) job, ready to print.
type jobOutput struct {
	Text            string // the human summary
	JSON            any    // the JSON report; embeds *Summary
	Summary         *jobSummary
	Failures        []recovery.Failure
	FailuresOmitted int
	Problem         string // what to say on stderr when !Summary.OK
}

// jobSummary holds the fields every JSON job report starts with.
type jobSummary struct {
	Command string `json:"command"`
	Alias   string `json:"alias"`
	// OK is false when the job stopped early (Error says why) or found
	// what makes the command exit 1.
	OK              bool       `json:"ok"`
	Error           string     `json:"error,omitempty"`
	Scanned         int        `json:"scanned"`
	Failed          int        `json:"failed"`
	Failures        []keyError `json:"failures"`
	FailuresOmitted int        `json:"failures_omitted"`
	DurationMS      int64      `json:"duration_ms"`
}

// jsonKey is a Redis key name in a JSON report: Key is the name (invalid
// UTF-8 replaced by U+FFFD), KeyBase64 its exact bytes.
type jsonKey struct {
	Key       string `json:"key"`
	KeyBase64 string `json:"key_base64"`
}

// keyError is a failed key and why.
type keyError struct {
	jsonKey
	Error string `json:"error"`
}

func newJSONKey(k string) jsonKey {
	return jsonKey{Key: strings.ToValidUTF8(k, "\uFFFD"), KeyBase64: base64.StdEncoding.EncodeToString([]byte(k))}
}

func summary(command, alias string, scanned, failed int, fs []recovery.Failure, omitted int, d time.Duration) *jobSummary {
	s := &jobSummary{Command: command, Alias: alias, OK: failed == 0, Scanned: scanned, Failed: failed,
		Failures: []keyError{}, FailuresOmitted: omitted, DurationMS: d.Milliseconds()}
	for _, f := range fs {
		s.Failures = append(s.Failures, keyError{newJSONKey(f.Key), errorText(f.Err)})
	}
	return s
}

func migrateOutput(r *recovery.MigrateReport, oldAlias, alias string) *jobOutput {
	type migrateJSON struct {
		*jobSummary
		OldAlias     string         `json:"old_alias"`
		DryRun       bool           `json:"dry_run"`
		Migrated     int            `json:"migrated"`
		Skipped      int            `json:"skipped"`
		SkippedBy    map[string]int `json:"skipped_by"`
		Deleted      int            `json:"deleted"`
		Kept         int            `json:"kept"`
		Conflicts    int            `json:"conflicts"`
		Resolved     int            `json:"resolved"`
		ConflictKeys []jsonKey      `json:"conflict_keys"`
		DeleteFailed int            `json:"delete_failed"`
	}
	s := summary("migrate", alias, r.Scanned, r.Failed, r.Failures, r.FailuresOmitted, r.Duration)
	s.OK = r.Clean()
	j := migrateJSON{jobSummary: s, OldAlias: oldAlias, DryRun: r.DryRun, Migrated: r.Migrated, Skipped: r.Skipped,
		SkippedBy: map[string]int{}, Deleted: r.Deleted, Kept: r.Kept, Conflicts: r.Conflicts, Resolved: r.Resolved,
		ConflictKeys: []jsonKey{}, DeleteFailed: r.DeleteFailed}
	for reason, n := range r.SkippedBy {
		j.SkippedBy[string(reason)] = n
	}
	for _, k := range r.ConflictKeys {
		j.ConflictKeys = append(j.ConflictKeys, newJSONKey(k))
	}
	var problems []string
	if r.Failed > 0 || r.DeleteFailed > 0 {
		problems = append(problems, fmt.Sprintf("%d entries failed; run it again once the cause is fixed", r.Failed+r.DeleteFailed))
	}
	if r.Conflicts > 0 {
		problems = append(problems, fmt.Sprintf("%d old entries differ from their secure copies and were kept (both values); rerun with --prefer old or --prefer secure to resolve", r.Conflicts))
	}
	if r.Kept > 0 {
		problems = append(problems, fmt.Sprintf("%d old entries changed during the run and were kept; run it again", r.Kept))
	}
	return &jobOutput{Text: displayText(r.String()), JSON: j, Summary: s, Failures: r.Failures, FailuresOmitted: r.FailuresOmitted,
		Problem: strings.Join(problems, "; ")}
}

func rotateOutput(r *recovery.RotateReport, alias string) *jobOutput {
	type rotateJSON struct {
		*jobSummary
		DryRun        bool `json:"dry_run"`
		Rotated       int  `json:"rotated"`
		Current       int  `json:"current"`
		Undecryptable int  `json:"undecryptable"`
		Conflicts     int  `json:"conflicts"`
		Vanished      int  `json:"vanished"`
		Skipped       int  `json:"skipped"`
		// PlaintextInts counts django-redis's integers in clear, left as
		// they are (IntsEncrypted: encrypted with --encrypt-plaintext-ints).
		PlaintextInts       int       `json:"plaintext_ints"`
		PlaintextIntSamples []jsonKey `json:"plaintext_int_samples"`
		IntsEncrypted       int       `json:"ints_encrypted"`
		// Renamed counts the rotated entries of a hashed-names alias moved
		// to the first name secret's name.
		Renamed int `json:"renamed"`
	}
	s := summary("rotate", alias, r.Scanned, r.Failed, r.Failures, r.FailuresOmitted, r.Duration)
	j := rotateJSON{jobSummary: s, DryRun: r.DryRun, Rotated: r.Rotated, Current: r.Current, Undecryptable: r.Undecryptable,
		Conflicts: r.Conflicts, Vanished: r.Vanished, Skipped: r.Skipped,
		PlaintextInts: r.PlaintextInts, PlaintextIntSamples: []jsonKey{}, IntsEncrypted: r.IntsEncrypted, Renamed: r.Renamed}
	for _, k := range r.PlaintextIntSamples {
		j.PlaintextIntSamples = append(j.PlaintextIntSamples, newJSONKey(k))
	}
	return &jobOutput{Text: displayText(r.String()), JSON: j, Summary: s, Failures: r.Failures, FailuresOmitted: r.FailuresOmitted,
		Problem: fmt.Sprintf("%d entries failed", r.Failed)}
}

func auditOutput(r *recovery.AuditReport, alias string) *jobOutput {
	type auditJSON struct {
		*jobSummary
		Current       int                  `json:"current"`
		OldKey        int                  `json:"old_key"`
		Undecryptable int                  `json:"undecryptable"`
		Plaintext     int                  `json:"plaintext"`
		PlaintextInt  int                  `json:"plaintext_int"`
		Unsupported   int                  `json:"unsupported_type"`
		UnsupTypes    map[string]int       `json:"unsupported_types,omitempty"`
		Vanished      int                  `json:"vanished"`
		Skipped       int                  `json:"skipped"`
		ByKeyIndex    map[string]int       `json:"by_key_index"`
		Samples       map[string][]jsonKey `json:"samples"`
	}
	s := summary("audit", alias, r.Scanned, r.Failed, r.Failures, r.FailuresOmitted, r.Duration)
	s.OK = r.Clean()
	j := auditJSON{jobSummary: s, Current: r.Current, OldKey: r.OldKey, Undecryptable: r.Undecryptable, Plaintext: r.Plaintext,
		PlaintextInt: r.PlaintextInt, Unsupported: r.UnsupportedType, UnsupTypes: r.UnsupportedTypes,
		Vanished: r.Vanished, Skipped: r.Skipped, ByKeyIndex: map[string]int{}, Samples: map[string][]jsonKey{}}
	for i, n := range r.ByKeyIndex {
		j.ByKeyIndex[fmt.Sprint(i)] = n
	}
	for c, ks := range r.Samples {
		for _, k := range ks {
			j.Samples[string(c)] = append(j.Samples[string(c)], newJSONKey(k))
		}
	}
	return &jobOutput{Text: auditText(r), JSON: j, Summary: s, Failures: r.Failures, FailuresOmitted: r.FailuresOmitted,
		Problem: "plaintext or undecryptable entries under the prefix"}
}

// auditText is the human audit summary: the report's own counts line (its
// numbers and the pickle reader's quoted type names), then the sample keys
// per class, each key through display.
func auditText(r *recovery.AuditReport) string {
	counts, _, _ := strings.Cut(r.String(), "\n")
	var b strings.Builder
	b.WriteString(displayText(counts))
	for _, c := range auditClasses {
		if ks := r.Samples[c]; len(ks) > 0 {
			names := make([]string, len(ks))
			for i, k := range ks {
				names[i] = display(k)
			}
			fmt.Fprintf(&b, "\n  %s: %s", displayText(string(c)), strings.Join(names, " "))
		}
	}
	return b.String()
}

// auditClasses are the classes whose sample keys are listed, worst first.
var auditClasses = []recovery.Class{recovery.ClassUndecryptable, recovery.ClassPlaintext, recovery.ClassPlaintextInt, recovery.ClassUnsupportedType, recovery.ClassOldKey}

// printFailures lists failed keys and their errors, each made safe to print.
func printFailures(w io.Writer, fs []recovery.Failure, omitted int) {
	for _, f := range fs {
		fmt.Fprintf(w, "  failed %s: %s\n", display(f.Key), errorText(f.Err))
	}
	if omitted > 0 {
		fmt.Fprintf(w, "  ... and %d more\n", omitted)
	}
}

// marshalReport writes a JSON report on one line, safe for a terminal.
func marshalReport(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonSafe(b), nil
}

// progress returns a callback that draws a progress bar when stderr is a
// terminal and otherwise prints a plain line at most once a second, and a
// function that clears the bar (call it before printing the summary). The
// total is unknown while SCAN runs, so the bar counts keys.
func progress(e *env, verb string) (update func(recovery.Progress), done func()) {
	if isTerminal(e.stderr) {
		bar := progressbar.NewOptions(-1,
			progressbar.OptionSetWriter(e.stderr.(*os.File)),
			progressbar.OptionSetDescription(verb),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("keys"),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond),
		)
		update = func(p recovery.Progress) {
			_ = bar.Set(p.Scanned)
			bar.Describe(fmt.Sprintf("%s: %d done, %d skipped, %d failed", verb, p.Done, p.Skipped, p.Failed))
		}
		return update, func() { _ = bar.Finish() }
	}
	var last time.Time
	update = func(p recovery.Progress) {
		if time.Since(last) < time.Second {
			return
		}
		last = time.Now()
		fmt.Fprintf(e.stderr, "%s: scanned %d, done %d, skipped %d, failed %d\n", verb, p.Scanned, p.Done, p.Skipped, p.Failed)
	}
	return update, func() {}
}
