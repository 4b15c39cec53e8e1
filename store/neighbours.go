package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Neighbours returns the ids of the exchanges stored just after (newer)
// and just before (older) the exchange id in its session: the inspector's
// previous and next. Either is "" at the session's end. It reads ids only,
// so a neighbour with a 6 MB body costs no more than one without.
func (db *DB) Neighbours(ctx context.Context, id string) (newer, older string, err error) {
	one := func(op, order string) (string, error) {
		var n string
		err := db.r.QueryRowContext(ctx, `SELECT n.id FROM exchanges x JOIN exchanges n
			ON n.session_id = x.session_id AND n.seq `+op+` x.seq
			WHERE x.id = ? ORDER BY n.seq `+order+` LIMIT 1`, id).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			return "", nil
		}
		return n, err
	}
	if newer, err = one(">", "ASC"); err != nil {
		return "", "", fmt.Errorf("neighbours of %s: %w", id, err)
	}
	if older, err = one("<", "DESC"); err != nil {
		return "", "", fmt.Errorf("neighbours of %s: %w", id, err)
	}
	return newer, older, nil
}
