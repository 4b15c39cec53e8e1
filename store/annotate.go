package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
)

// ErrNameTaken is returned when renaming a session to a name another
// session already has.
var ErrNameTaken = errors.New("session name already taken")

// ErrInvalid is returned for annotations the store refuses (an empty session
// name, a note too long).
var ErrInvalid = errors.New("invalid")

// MaxNote bounds a session or exchange note: notes are for humans, and the
// bound keeps a stray paste from bloating every export.
const MaxNote = 64 << 10

// SessionUpdate changes a session; nil fields are kept.
type SessionUpdate struct {
	Name *string
	Note *string
}

// UpdateSession renames a session and/or sets its note, and returns it.
func (db *DB) UpdateSession(ctx context.Context, id string, u SessionUpdate) (*Session, error) {
	if err := db.updateSession(ctx, id, u); err != nil {
		return nil, fmt.Errorf("update session %q: %w", id, err)
	}
	return db.Session(ctx, id)
}

func (db *DB) updateSession(ctx context.Context, id string, u SessionUpdate) error {
	if u.Name != nil {
		n := strings.TrimSpace(*u.Name)
		if n == "" {
			return fmt.Errorf("%w: empty name", ErrInvalid)
		}
		u.Name = &n
	}
	if u.Note != nil && len(*u.Note) > MaxNote {
		return fmt.Errorf("%w: note longer than %d bytes", ErrInvalid, MaxNote)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var cur string
	if err := tx.QueryRowContext(ctx, `SELECT id FROM sessions WHERE id = ?`, id).Scan(&cur); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		return err
	}
	if u.Name != nil {
		var other string
		err := tx.QueryRowContext(ctx, `SELECT id FROM sessions WHERE name = ? AND id <> ?`, *u.Name, id).Scan(&other)
		if err == nil {
			return fmt.Errorf("%w: %q", ErrNameTaken, *u.Name)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET name = ? WHERE id = ?`, *u.Name, id); err != nil {
			return err
		}
	}
	if u.Note != nil {
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET note = ? WHERE id = ?`, *u.Note, id); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// SetStar stars or unstars an exchange.
func (db *DB) SetStar(ctx context.Context, exchangeID string, starred bool) error {
	var err error
	if starred {
		_, err = db.w.ExecContext(ctx, `INSERT INTO exchange_stars (exchange_id, created_at)
			SELECT id, ? FROM exchanges WHERE id = ? ON CONFLICT DO NOTHING`, db.now().UnixNano(), exchangeID)
	} else {
		_, err = db.w.ExecContext(ctx, `DELETE FROM exchange_stars WHERE exchange_id = ?`, exchangeID)
	}
	if err != nil {
		return fmt.Errorf("star exchange %q: %w", exchangeID, err)
	}
	return db.exchangeExists(ctx, exchangeID)
}

// SetNote sets an exchange's note; an empty note removes it.
func (db *DB) SetNote(ctx context.Context, exchangeID, note string) error {
	if len(note) > MaxNote {
		return fmt.Errorf("note on exchange %q: %w: longer than %d bytes", exchangeID, ErrInvalid, MaxNote)
	}
	var err error
	if note == "" {
		_, err = db.w.ExecContext(ctx, `DELETE FROM exchange_notes WHERE exchange_id = ?`, exchangeID)
	} else {
		_, err = db.w.ExecContext(ctx, `INSERT INTO exchange_notes (exchange_id, note, updated_at)
			SELECT id, ?, ? FROM exchanges WHERE id = ?
			ON CONFLICT (exchange_id) DO UPDATE SET note = excluded.note, updated_at = excluded.updated_at`,
			note, db.now().UnixNano(), exchangeID)
	}
	if err != nil {
		return fmt.Errorf("note on exchange %q: %w", exchangeID, err)
	}
	return db.exchangeExists(ctx, exchangeID)
}

func (db *DB) exchangeExists(ctx context.Context, id string) error {
	var one int
	err := db.w.QueryRowContext(ctx, `SELECT 1 FROM exchanges WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("exchange %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("exchange %q: %w", id, err)
	}
	return nil
}

// Annotate fills Starred and Note of the given exchanges from the store.
// Reads elsewhere leave them unset; exports and share pages call this.
func (db *DB) Annotate(ctx context.Context, xs []*exchange.Exchange) error {
	byID := make(map[string]*exchange.Exchange, len(xs))
	for _, x := range xs {
		x.Starred, x.Note = false, ""
		byID[x.ID] = x
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	// Chunks keep the IN list under SQLite's bound-parameter limit.
	for len(ids) > 0 {
		n := min(len(ids), 500)
		chunk := ids[:n]
		ids = ids[n:]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		in := strings.TrimSuffix(strings.Repeat("?,", len(chunk)), ",")
		rows, err := db.r.QueryContext(ctx, `SELECT e.id, s.exchange_id IS NOT NULL, coalesce(n.note, '')
			FROM exchanges e
			LEFT JOIN exchange_stars s ON s.exchange_id = e.id
			LEFT JOIN exchange_notes n ON n.exchange_id = e.id
			WHERE e.id IN (`+in+`) AND (s.exchange_id IS NOT NULL OR n.exchange_id IS NOT NULL)`, args...)
		if err != nil {
			return fmt.Errorf("read annotations: %w", err)
		}
		for rows.Next() {
			var id, note string
			var starred bool
			if err := rows.Scan(&id, &starred, &note); err != nil {
				rows.Close()
				return fmt.Errorf("read annotations: %w", err)
			}
			if x := byID[id]; x != nil {
				x.Starred, x.Note = starred, note
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("read annotations: %w", err)
		}
	}
	return nil
}

// annotateTx stores an inserted exchange's star and note, if it has them, so
// an import writes exchanges and annotations in one transaction.
func annotateTx(ctx context.Context, tx *sql.Tx, x *exchange.Exchange, now time.Time) error {
	if x.Starred {
		if _, err := tx.ExecContext(ctx, `INSERT INTO exchange_stars (exchange_id, created_at)
			VALUES (?, ?) ON CONFLICT DO NOTHING`, x.ID, now.UnixNano()); err != nil {
			return fmt.Errorf("star: %w", err)
		}
	}
	if x.Note != "" {
		if _, err := tx.ExecContext(ctx, `INSERT INTO exchange_notes (exchange_id, note, updated_at)
			VALUES (?, ?, ?) ON CONFLICT (exchange_id) DO UPDATE SET note = excluded.note`,
			x.ID, x.Note, now.UnixNano()); err != nil {
			return fmt.Errorf("note: %w", err)
		}
	}
	return nil
}
