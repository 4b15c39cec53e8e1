package store

import (
	"context"
	"database/sql"
	"encoding/hex"
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
	// Before is the snapshot: the link shows its session's exchanges stored
	// before this store position, the next one when the link was made.
	// Filter.StoredBefore and SharedExchange apply it.
	Before int64
	// Exchanges and LastID describe the snapshot as it is now (exchanges
	// pruned or deleted since are gone from it too); only SessionShares
	// sets them.
	Exchanges int
	LastID    string
}

// ID is how the dashboard names a link whose token it never sees: the first
// 6 bytes of the token's hash, in hex. It cannot open the link.
func (s *Share) ID() string { return ShareID(s.Hash) }

// ShareID is Share.ID for a token hash.
func ShareID(hash []byte) string { return hex.EncodeToString(hash[:min(len(hash), shareIDBytes)]) }

const shareIDBytes = 6

// CreateShare stores a share link for a session, snapshotting the session
// as it is now.
func (db *DB) CreateShare(ctx context.Context, hash []byte, sessionID string, expiresAt time.Time) error {
	// On the writer connection, so the snapshot is exact: every batch the
	// capture writer committed before is in it, none after.
	_, err := db.w.ExecContext(ctx, `INSERT INTO shares (hash, session_id, created_at, expires_at, before_seq)
		SELECT ?, id, ?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM exchanges) FROM sessions WHERE id = ?`,
		hash, db.now().UnixNano(), expiresAt.UnixNano(), sessionID)
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
	err := db.r.QueryRowContext(ctx, `SELECT hash, session_id, created_at, expires_at, before_seq FROM shares
		WHERE hash = ? AND expires_at > ?`, hash, db.now().UnixNano()).Scan(&s.Hash, &s.SessionID, &created, &expires, &s.Before)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("share: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("share: %w", err)
	}
	s.CreatedAt, s.ExpiresAt = fromUnixNano(created), fromUnixNano(expires)
	return &s, nil
}

// SharedExchange returns the exchange id if the share shows it: one of its
// session's exchanges inside its snapshot. Anything else wraps ErrNotFound.
func (db *DB) SharedExchange(ctx context.Context, sh *Share, id string) (*exchange.Exchange, error) {
	row := db.r.QueryRowContext(ctx, `SELECT `+exchangeColumns+` FROM exchanges e
		WHERE e.id = ? AND e.session_id = ? AND e.seq < ?`, id, sh.SessionID, sh.Before)
	x, err := scanExchange(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("shared exchange %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("shared exchange %q: %w", id, err)
	}
	return x, nil
}

// SessionShares lists a session's live share links, newest first, with
// what each snapshot shows. Expired links are left out: they open nothing.
func (db *DB) SessionShares(ctx context.Context, sessionID string) ([]*Share, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT s.hash, s.session_id, s.created_at, s.expires_at, s.before_seq,
			(SELECT count(*) FROM exchanges e WHERE e.session_id = s.session_id AND e.seq < s.before_seq),
			coalesce((SELECT e.id FROM exchanges e WHERE e.session_id = s.session_id AND e.seq < s.before_seq
				ORDER BY e.seq DESC LIMIT 1), '')
		FROM shares s WHERE s.session_id = ? AND s.expires_at > ?
		ORDER BY s.created_at DESC, s.hash`, sessionID, db.now().UnixNano())
	if err != nil {
		return nil, fmt.Errorf("list shares of session %q: %w", sessionID, err)
	}
	defer rows.Close()
	shares := []*Share{}
	for rows.Next() {
		var s Share
		var created, expires int64
		if err := rows.Scan(&s.Hash, &s.SessionID, &created, &expires, &s.Before, &s.Exchanges, &s.LastID); err != nil {
			return nil, fmt.Errorf("list shares of session %q: %w", sessionID, err)
		}
		s.CreatedAt, s.ExpiresAt = fromUnixNano(created), fromUnixNano(expires)
		shares = append(shares, &s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list shares of session %q: %w", sessionID, err)
	}
	return shares, nil
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

// RevokeShareID deletes the session's share link whose ID is id; an id that
// names none of the session's links is ErrNotFound. (Two links of one
// session sharing an ID, a 1 in 2^48 chance, would both go: revoking too
// much is the safe side.)
func (db *DB) RevokeShareID(ctx context.Context, sessionID, id string) error {
	prefix, err := hex.DecodeString(id)
	if err != nil || len(prefix) != shareIDBytes {
		return fmt.Errorf("revoke share %q: %w", id, ErrNotFound)
	}
	res, err := db.w.ExecContext(ctx, `DELETE FROM shares WHERE session_id = ? AND substr(hash, 1, ?) = ?`,
		sessionID, shareIDBytes, prefix)
	if err != nil {
		return fmt.Errorf("revoke share %q: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("revoke share %q: %w", id, ErrNotFound)
	}
	return nil
}

// RevokeSessionShares deletes every share link of a session, expired ones
// included, and returns how many there were.
func (db *DB) RevokeSessionShares(ctx context.Context, sessionID string) (int, error) {
	res, err := db.w.ExecContext(ctx, `DELETE FROM shares WHERE session_id = ?`, sessionID)
	if err != nil {
		return 0, fmt.Errorf("revoke shares of session %q: %w", sessionID, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
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
