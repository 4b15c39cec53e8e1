package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Session groups exchanges. Exchanges is the number of exchanges it holds.
type Session struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
	Note      string    `json:"note"`
	Exchanges int       `json:"exchanges"`
}

// newSessionID returns a short random id (8 Crockford base32 chars, 40 bits):
// plenty for the sessions of one local database, short enough to type.
func newSessionID() string {
	const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
	var b [8]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[b[i]&31]
	}
	return string(b[:])
}

// EnsureSession returns the session called name, creating it if needed.
func (db *DB) EnsureSession(ctx context.Context, name string) (*Session, error) {
	if name == "" {
		return nil, errors.New("ensure session: empty name")
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("ensure session %q: %w", name, err)
	}
	defer tx.Rollback()
	id, err := ensureSession(ctx, tx, name, db.now())
	if err != nil {
		return nil, fmt.Errorf("ensure session %q: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("ensure session %q: %w", name, err)
	}
	return db.Session(ctx, id)
}

// ensureSession returns the id of the session named name, creating it.
func ensureSession(ctx context.Context, tx *sql.Tx, name string, now time.Time) (string, error) {
	var id string
	err := tx.QueryRowContext(ctx, `SELECT id FROM sessions WHERE name = ?`, name).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	id = newSessionID()
	_, err = tx.ExecContext(ctx, `INSERT INTO sessions (id, name, created_at) VALUES (?, ?, ?)`,
		id, name, now.UnixNano())
	return id, err
}

const sessionColumns = `s.id, s.name, s.created_at, s.note,
	(SELECT coalesce(sum(n), 0) FROM route_counts c WHERE c.session_id = s.id)`

// Sessions returns every session, newest first, with exchange counts.
func (db *DB) Sessions(ctx context.Context) ([]*Session, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions s ORDER BY s.created_at DESC, s.rowid DESC`)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	var out []*Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("list sessions: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return out, nil
}

// Session returns the session with this id or, failing that, this name.
func (db *DB) Session(ctx context.Context, idOrName string) (*Session, error) {
	row := db.r.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions s
		WHERE s.id = ?1 OR s.name = ?1 ORDER BY s.id = ?1 DESC LIMIT 1`, idOrName)
	s, err := scanSession(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("session %q: %w", idOrName, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("session %q: %w", idOrName, err)
	}
	return s, nil
}

// DeleteSession deletes a session and (by cascade) its exchanges.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	res, err := db.w.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete session %q: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete session %q: %w", id, ErrNotFound)
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanSession(r scanner) (*Session, error) {
	var s Session
	var created int64
	if err := r.Scan(&s.ID, &s.Name, &created, &s.Note, &s.Exchanges); err != nil {
		return nil, err
	}
	s.CreatedAt = time.Unix(0, created).UTC()
	return &s, nil
}
