package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
)

// Share is a stored read-only link: the SHA-256 of its token, never the
// token itself.
type Share struct {
	Hash      []byte
	SessionID string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CreateShare stores a share link for a session.
func (db *DB) CreateShare(ctx context.Context, hash []byte, sessionID string, expiresAt time.Time) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO shares (hash, session_id, created_at, expires_at)
		SELECT ?, id, ?, ? FROM sessions WHERE id = ?`, hash, db.now().UnixNano(), expiresAt.UnixNano(), sessionID)
	if err != nil {
		return fmt.Errorf("create share of session %q: %w", sessionID, err)
	}
	var n int
	if err := db.w.QueryRowContext(ctx, `SELECT count(*) FROM shares WHERE hash = ?`, hash).Scan(&n); err != nil {
		return fmt.Errorf("create share of session %q: %w", sessionID, err)
	}
	if n == 0 {
		return fmt.Errorf("create share of session %q: %w", sessionID, ErrNotFound)
	}
	return nil
}

// ShareByHash returns the live (unexpired) share with this token hash, or an
// error wrapping ErrNotFound: expired, revoked and unknown look the same.
// The lookup is by hash, so no comparison leaks timing about the token.
func (db *DB) ShareByHash(ctx context.Context, hash []byte) (*Share, error) {
	var s Share
	var created, expires int64
	err := db.r.QueryRowContext(ctx, `SELECT hash, session_id, created_at, expires_at FROM shares
		WHERE hash = ? AND expires_at > ?`, hash, db.now().UnixNano()).Scan(&s.Hash, &s.SessionID, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("share: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("share: %w", err)
	}
	s.CreatedAt, s.ExpiresAt = fromUnixNano(created), fromUnixNano(expires)
	return &s, nil
}

// RevokeShare deletes a share link; an unknown one is ErrNotFound. Expired
// links are deleted too, which doubles as their clean-up.
func (db *DB) RevokeShare(ctx context.Context, hash []byte) error {
	res, err := db.w.ExecContext(ctx, `DELETE FROM shares WHERE hash = ?`, hash)
	if err != nil {
		return fmt.Errorf("revoke share: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("revoke share: %w", ErrNotFound)
	}
	return nil
}

// ImportExchanges stores imported exchanges into the session called
// sessionName (created, with note, if new) in one transaction: all of them or
// none. Exchange ids already stored (re-importing into the database they came
// from) get fresh ids, and ReplayOf links inside the batch follow them. It
// returns the session.
func (db *DB) ImportExchanges(ctx context.Context, sessionName, note string, xs []*exchange.Exchange) (*Session, error) {
	id, err := db.importExchanges(ctx, sessionName, note, xs)
	if err != nil {
		return nil, fmt.Errorf("import %d exchanges into session %q: %w", len(xs), sessionName, err)
	}
	return db.Session(ctx, id)
}

func (db *DB) importExchanges(ctx context.Context, sessionName, note string, xs []*exchange.Exchange) (string, error) {
	if sessionName == "" {
		return "", fmt.Errorf("%w: empty session name", ErrInvalid)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	now := db.now()
	var sid string
	err = tx.QueryRowContext(ctx, `SELECT id FROM sessions WHERE name = ?`, sessionName).Scan(&sid)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if sid, err = ensureSession(ctx, tx, sessionName, now); err != nil {
			return "", err
		}
		if note != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET note = ? WHERE id = ?`, note, sid); err != nil {
				return "", err
			}
		}
	case err != nil:
		return "", err
	}

	renamed := map[string]string{}
	seen := map[string]bool{}
	for _, x := range xs {
		x.Session = sid
		if x.ID == "" {
			continue
		}
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM exchanges WHERE id = ?`, x.ID).Scan(&one)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return "", err
		}
		switch {
		case seen[x.ID]: // a duplicate inside the file: links keep the first
			x.ID = exchange.NewID(now)
		case err == nil:
			fresh := exchange.NewID(now)
			renamed[x.ID] = fresh
			x.ID = fresh
		}
		seen[x.ID] = true
	}
	for _, x := range xs {
		if to, ok := renamed[x.ReplayOf]; ok {
			x.ReplayOf = to
		}
	}
	if err := db.insertExchangesTx(ctx, tx, xs); err != nil {
		return "", err
	}
	if err := tx.Commit(); err != nil {
		return "", err
	}
	db.kickIndexer()
	return sid, nil
}
