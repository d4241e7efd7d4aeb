package store

import (
	"context"
	"errors"
	"strings"

	"github.com/redis/go-redis/v9"
)

// ErrScanInterrupted reports that the server answering a SCAN changed
// mid-scan: a Sentinel failover or a restart put another redis-server
// behind the same client, where the cursor means nothing, so the scan may
// have missed keys. Whatever scanned (Clear, a migration, rotation, audit,
// key iteration) stopped early and is not complete: run it again.
var ErrScanInterrupted = errors.New("store: the server changed during a SCAN (failover or restart); the scan is incomplete, run it again")

// Scanner walks one node's keyspace with SCAN MATCH and checks, with every
// page, that the same redis-server (its run_id) answers: a cursor carried
// over a failover would end the scan early, or skip keys, without any error.
// The zero value is not usable; use NewScanner.
type Scanner struct {
	node   Rediser
	match  string
	count  int64
	cursor uint64
	runID  string
	done   bool
}

// NewScanner returns a Scanner over node for SCAN MATCH match COUNT count.
func NewScanner(node Rediser, match string, count int64) *Scanner {
	return &Scanner{node: node, match: match, count: count}
}

// Next returns the next page of keys and whether more may follow. It
// returns ErrScanInterrupted when the server changed since the first page,
// and Redis's error otherwise. A server that does not report a run_id
// (INFO server refused, as by some embedded test servers) is not checked.
func (sc *Scanner) Next(ctx context.Context) (page []string, more bool, err error) {
	if sc.done {
		return nil, false, nil
	}
	var scan *redis.ScanCmd
	var info *redis.StringCmd
	_, _ = sc.node.Pipelined(ctx, func(p redis.Pipeliner) error {
		scan = p.Scan(ctx, sc.cursor, sc.match, sc.count)
		info = p.Info(ctx, "server")
		return nil
	})
	page, next, err := scan.Result()
	if err != nil {
		return nil, false, err
	}
	if id := runID(info); id != "" {
		switch {
		case sc.runID == "":
			sc.runID = id
		case id != sc.runID:
			return nil, false, ErrScanInterrupted
		}
	}
	sc.cursor = next
	sc.done = next == 0
	return page, !sc.done, nil
}

// runID returns the run_id line of an INFO server reply, or "".
func runID(info *redis.StringCmd) string {
	text, err := info.Result()
	if err != nil {
		return ""
	}
	for line := range strings.SplitSeq(text, "\n") {
		if v, ok := strings.CutPrefix(line, "run_id:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
