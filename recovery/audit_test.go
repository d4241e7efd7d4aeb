package recovery_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	gocachestore "github.com/eko/gocache/lib/v4/store"
	"github.com/google/go-cmp/cmp"

	"github.com/secureredis/secureredis/internal/redistest"
	"github.com/secureredis/secureredis/recovery"
)

// TestAudit plants a mix of entries under the secure prefix and checks the
// counts, the sample keys, and that no value appears in the report.
func TestAudit(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t, 0)
	ctx := t.Context()
	const secret = "SECRET-VALUE"
	c := newCodec(t, testKey, otherKey)
	s := newStore(t, client, c, "app1:secure")
	older := newStore(t, client, newCodec(t, otherKey), "app1:secure")
	unknown := newCodec(t, thirdKey)

	classOf := map[string]recovery.Class{}
	for i := range 30 {
		k := fmt.Sprintf("cur%02d", i)
		if err := s.Set(ctx, k, secret); err != nil {
			t.Fatal(err)
		}
		classOf[s.Keys().Key(k)] = recovery.ClassCurrent
	}
	for i := range 20 {
		k := fmt.Sprintf("old%02d", i)
		if err := older.Set(ctx, k, map[string]any{"v": secret}); err != nil {
			t.Fatal(err)
		}
		classOf[s.Keys().Key(k)] = recovery.ClassOldKey
	}
	plant := func(k, v string, class recovery.Class) {
		client.Set(ctx, k, v, 0)
		classOf[k] = class
	}
	for i := range 4 { // a key the ring does not hold
		sk := fmt.Sprintf("app1:secure:1:unknown%d", i)
		tok, _ := unknown.Encode(sk, secret)
		plant(sk, string(tok), recovery.ClassUndecryptable)
	}
	good, _ := c.Encode("app1:secure:1:elsewhere", secret)
	plant("app1:secure:1:moved", string(good), recovery.ClassUndecryptable) // bound to another key
	tampered := []byte(string(good))
	// Another base64 character, so the token keeps the shape of one.
	if tampered[len(tampered)/2] == 'A' {
		tampered[len(tampered)/2] = 'B'
	} else {
		tampered[len(tampered)/2] = 'A'
	}
	plant("app1:secure:1:tampered", string(tampered), recovery.ClassUndecryptable)
	plant("app1:secure:1:p-text", secret, recovery.ClassPlaintext)
	plant("app1:secure:1:p-json", `{"password":"`+secret+`"}`, recovery.ClassPlaintext)
	plant("app1:secure:1:p-gAAAA", "gAAAAA"+secret, recovery.ClassPlaintext)  // not base64
	plant("app1:secure:1:p-b64", "U0VDUkVULVZBTFVF", recovery.ClassPlaintext) // base64, no 0x80
	plant("app1:secure:1:p-empty", "", recovery.ClassPlaintext)
	client.HSet(ctx, "app1:secure:1:p-hash", "f", secret)
	classOf["app1:secure:1:p-hash"] = recovery.ClassPlaintext
	if err := s.Set(ctx, "tagged", secret, gocachestore.WithTags([]string{"t"})); err != nil {
		t.Fatal(err)
	}
	classOf[s.Keys().Key("tagged")] = recovery.ClassCurrent
	client.Set(ctx, "app1:1:outside", secret, 0) // the old alias: not audited

	rep, err := recovery.Audit(ctx, s, recovery.WithSamples(3), recovery.WithBatchSize(10))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("audit: %v", rep)
	got := map[string]int{"scanned": rep.Scanned, "current": rep.Current, "old": rep.OldKey, "undecryptable": rep.Undecryptable, "plaintext": rep.Plaintext, "skipped": rep.Skipped, "failed": rep.Failed}
	want := map[string]int{"scanned": 31 + 20 + 6 + 6 + 1, "current": 31, "old": 20, "undecryptable": 6, "plaintext": 6, "skipped": 1, "failed": 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[int]int{0: 31, 1: 20}, rep.ByKeyIndex); diff != "" {
		t.Errorf("ByKeyIndex (-want +got):\n%s", diff)
	}
	for class, keys := range rep.Samples {
		if len(keys) == 0 || len(keys) > 3 {
			t.Errorf("%s: %d samples, want 1 to 3", class, len(keys))
		}
		for _, k := range keys {
			if classOf[k] != class {
				t.Errorf("sample %s under %s, is %s", k, class, classOf[k])
			}
		}
	}
	if len(rep.Samples) != 4 {
		t.Errorf("samples for %d classes, want 4", len(rep.Samples))
	}
	if rep.Clean() {
		t.Error("Clean() = true with plaintext and undecryptable entries")
	}
	for _, out := range []string{rep.String(), fmt.Sprintf("%+v", *rep), fmt.Sprintf("%#v", *rep)} {
		if strings.Contains(out, "SECRET") || strings.Contains(out, "U0VDUkVU") || strings.Contains(out, string(good[20:40])) {
			t.Errorf("the report shows a value:\n%s", out)
		}
	}
	if !strings.Contains(rep.String(), "plaintext 6") || !strings.Contains(rep.String(), "app1:secure:1:p-") {
		t.Errorf("String() = %s", rep.String())
	}

	// After rotating and deleting the bad entries, the audit is clean.
	if _, err := recovery.Rotate(ctx, s); err != nil {
		t.Fatal(err)
	}
	for k, class := range classOf {
		if class == recovery.ClassPlaintext || class == recovery.ClassUndecryptable {
			client.Del(ctx, k)
		}
	}
	clean, err := recovery.Audit(ctx, s, recovery.WithSamples(0))
	if err != nil {
		t.Fatal(err)
	}
	if !clean.Clean() || clean.Current != 51 || clean.OldKey != 0 || len(clean.Samples) != 0 {
		t.Errorf("after rotation = %v, want 51 current and clean", clean)
	}
	if keys := redistest.Keys(t, client); !slices.Contains(keys, "app1:1:outside") {
		t.Error("a key outside the prefix was touched")
	}
}
