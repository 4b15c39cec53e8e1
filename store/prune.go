package store

import (
	"context"
	"fmt"
	"time"
)

// pruneChunk bounds how many rows one prune transaction deletes, so the
// capture writer (same connection) never waits long behind retention.
const pruneChunk = 2000

// Prune deletes exchanges beyond the newest keep (keep <= 0: no count limit)
// and those started before olderThan (zero: no age limit). It returns how
// many it deleted. Sessions are kept, even when emptied; of deployments,
// the newest thousand.
func (db *DB) Prune(ctx context.Context, keep int, olderThan time.Time) (int, error) {
	if err := db.pruneDeployments(ctx); err != nil {
		return 0, err
	}
	if keep <= 0 && olderThan.IsZero() {
		return 0, nil
	}
	var cond string
	var args []any
	switch {
	case keep > 0 && !olderThan.IsZero():
		cond = `seq <= (SELECT seq FROM exchanges ORDER BY seq DESC LIMIT 1 OFFSET ?) OR started_at < ?`
		args = []any{keep, olderThan.UnixNano()}
	case keep > 0:
		cond = `seq <= (SELECT seq FROM exchanges ORDER BY seq DESC LIMIT 1 OFFSET ?)`
		args = []any{keep}
	default:
		cond = `started_at < ?`
		args = []any{olderThan.UnixNano()}
	}
	q := `DELETE FROM exchanges WHERE seq IN (SELECT seq FROM exchanges WHERE ` + cond + ` ORDER BY seq LIMIT ?)`
	total := 0
	for {
		res, err := db.w.ExecContext(ctx, q, append(args, pruneChunk)...)
		if err != nil {
			return total, fmt.Errorf("prune exchanges: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("prune exchanges: %w", err)
		}
		total += int(n)
		if n < pruneChunk {
			return total, nil
		}
	}
}
