package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gatescope/gatescope/server/exchange"
)

// keepDeployments is how many deployments Prune keeps: a few bytes each,
// and the dashboard shows the newest few.
const keepDeployments = 1000

// CreateDeployment stores a new deployment and sets its ID, which is
// never reused.
func (db *DB) CreateDeployment(ctx context.Context, d *exchange.Deployment) error {
	doc, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode deployment: %w", err)
	}
	res, err := db.w.ExecContext(ctx, `INSERT INTO deployments (started_at, status, doc) VALUES (?, ?, ?)`,
		unixNano(d.StartedAt), d.Status, doc)
	if err != nil {
		return fmt.Errorf("store deployment: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("store deployment: %w", err)
	}
	d.ID = id
	return nil
}

// UpdateDeployment stores d's new state (its builds ended, say).
func (db *DB) UpdateDeployment(ctx context.Context, d *exchange.Deployment) error {
	doc, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode deployment %d: %w", d.ID, err)
	}
	res, err := db.w.ExecContext(ctx, `UPDATE deployments SET status = ?, doc = ? WHERE id = ?`, d.Status, doc, d.ID)
	if err != nil {
		return fmt.Errorf("store deployment %d: %w", d.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("deployment %d: %w", d.ID, ErrNotFound)
	}
	return nil
}

// Deployments returns the newest deployments, newest first, at most limit
// (MaxLimit when limit <= 0).
func (db *DB) Deployments(ctx context.Context, limit int) ([]*exchange.Deployment, error) {
	if limit <= 0 || limit > MaxLimit {
		limit = MaxLimit
	}
	return db.queryDeployments(ctx, `SELECT id, started_at, status, doc FROM deployments ORDER BY id DESC LIMIT ?`, limit)
}

// DeploymentsBetween returns the deployments after the one numbered after
// up to and including upto, oldest first: what happened between two
// exchanges' deployments.
func (db *DB) DeploymentsBetween(ctx context.Context, after, upto int64) ([]*exchange.Deployment, error) {
	return db.queryDeployments(ctx, `SELECT id, started_at, status, doc FROM deployments WHERE id > ? AND id <= ? ORDER BY id LIMIT ?`,
		after, upto, MaxLimit)
}

// Deployment returns one deployment, or an error wrapping ErrNotFound.
func (db *DB) Deployment(ctx context.Context, id int64) (*exchange.Deployment, error) {
	ds, err := db.queryDeployments(ctx, `SELECT id, started_at, status, doc FROM deployments WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, fmt.Errorf("deployment %d: %w", id, ErrNotFound)
	}
	return ds[0], nil
}

func (db *DB) queryDeployments(ctx context.Context, q string, args ...any) ([]*exchange.Deployment, error) {
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("deployments: %w", err)
	}
	defer rows.Close()
	var out []*exchange.Deployment
	for rows.Next() {
		var (
			d       exchange.Deployment
			started int64
			status  string
			doc     []byte
		)
		if err := rows.Scan(&d.ID, &started, &status, &doc); err != nil {
			return nil, fmt.Errorf("deployments: %w", err)
		}
		id := d.ID
		if err := json.Unmarshal(doc, &d); err != nil {
			return nil, fmt.Errorf("deployment %d: decode: %w", id, err)
		}
		d.ID, d.StartedAt, d.Status = id, fromUnixNano(started), status
		out = append(out, &d)
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("deployments: %w", err)
	}
	return out, nil
}

// pruneDeployments keeps the newest keepDeployments deployments.
func (db *DB) pruneDeployments(ctx context.Context) error {
	_, err := db.w.ExecContext(ctx, `DELETE FROM deployments WHERE id <= (SELECT id FROM deployments ORDER BY id DESC LIMIT 1 OFFSET ?)`,
		keepDeployments)
	if err != nil {
		return fmt.Errorf("prune deployments: %w", err)
	}
	return nil
}
