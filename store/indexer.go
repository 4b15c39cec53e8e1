package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"
)

// indexChunk bounds one indexing transaction (~25 ms of trigram work), so an
// insert batch never waits long for the writer connection.
const indexChunk = 200

// kickIndexer wakes the background indexer without blocking.
func (db *DB) kickIndexer() {
	select {
	case db.idxKick <- struct{}{}:
	default: // already awake or about to be
	}
}

// runIndexer adds committed exchanges to the full-text index. It runs until
// ctx is done; rows left unindexed are picked up at the next Open and are
// searchable meanwhile through the LIKE scan of the tail.
//
// It yields between chunks: after a chunk that took d it rests 7d, so the
// indexer takes at most an eighth of a core and of the writer connection.
// Under sustained load the index lags instead of slowing the gateway and
// the capture writer; searches stay complete through the tail scan.
func (db *DB) runIndexer(ctx context.Context) {
	defer close(db.idxDone)
	for {
		if err := db.indexPaced(ctx); err != nil && ctx.Err() == nil {
			db.log.Error("full-text indexing", slog.String("db", db.path), slog.Any("err", err))
			select { // back off; searches stay correct meanwhile
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-db.idxKick:
		}
	}
}

// indexPaced indexes what is pending chunk by chunk, resting between chunks.
func (db *DB) indexPaced(ctx context.Context) error {
	for {
		start := time.Now()
		n, err := db.indexChunk(ctx)
		if err != nil {
			return fmt.Errorf("index exchanges: %w", err)
		}
		if n < indexChunk {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(min(7*time.Since(start), 500*time.Millisecond)):
		}
	}
}

// IndexPending adds every committed exchange not yet in the full-text index
// to it and returns how many it added. The store does this in the
// background; call it to make an import fully indexed before returning.
func (db *DB) IndexPending(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := db.indexChunk(ctx)
		total += n
		if err != nil {
			return total, fmt.Errorf("index exchanges: %w", err)
		}
		if n < indexChunk {
			return total, nil
		}
	}
}

func (db *DB) indexChunk(ctx context.Context) (int, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var lo int64
	var hi sql.NullInt64
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT indexed_seq FROM fts_state`).Scan(&lo); err != nil {
		return 0, err
	}
	if err := tx.QueryRowContext(ctx, `SELECT max(seq), count(*) FROM (SELECT seq FROM exchanges
		WHERE seq > ? ORDER BY seq LIMIT ?)`, lo, indexChunk).Scan(&hi, &n); err != nil {
		return 0, err
	}
	if !hi.Valid {
		return 0, nil
	}
	// Base64 bodies (stored raw) are not indexed: they would match nonsense.
	if _, err := tx.ExecContext(ctx, `INSERT INTO exchanges_fts (rowid, method, path, route_key,
		status, outcome, req_body, resp_body, logs)
		SELECT seq, method, path, route_key, status, outcome,
			CASE WHEN req_raw = 0 THEN CAST(req_body AS TEXT) END,
			CASE WHEN resp_raw = 0 THEN CAST(resp_body AS TEXT) END, logs
		FROM exchanges WHERE seq > ? AND seq <= ?`, lo, hi.Int64); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE fts_state SET indexed_seq = ?`, hi.Int64); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return n, nil
}
