package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/secureredis/secureredis/recovery"
)

// This file is the one place the CLI reads recovery's report fields.

// auditText is the human audit summary: the counts on one line, then the
// sample keys per class, each key through display.
func auditText(r *recovery.AuditReport) string {
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
	fmt.Fprintf(&b, ", undecryptable %d, plaintext %d, vanished %d, skipped %d, failed %d in %v",
		r.Undecryptable, r.Plaintext, r.Vanished, r.Skipped, r.Failed, r.Duration.Round(time.Millisecond))
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
var auditClasses = []recovery.Class{recovery.ClassUndecryptable, recovery.ClassPlaintext, recovery.ClassPlaintextInt, recovery.ClassOldKey}

// printFailures lists failed keys and their errors, each made safe to print.
func printFailures(w io.Writer, fs []recovery.Failure, omitted int) {
	for _, f := range fs {
		fmt.Fprintf(w, "  failed %s: %s\n", display(f.Key), displayError(f.Err))
	}
	if omitted > 0 {
		fmt.Fprintf(w, "  ... and %d more\n", omitted)
	}
}
