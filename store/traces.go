package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
)

// TraceDoc is a segment document a function sent (the X-Ray daemon, OTLP),
// filed by its trace.
type TraceDoc struct {
	TraceID    string
	ID         string
	ParentID   string
	InProgress bool
	Source     string
	Body       json.RawMessage
	// Nodes are the downstream services the document names (see
	// Filter.Node), e.g. "aws:DynamoDB", "remote:api.example.com".
	Nodes []string
}

// Bounds on what a trace holds when read, and on what is kept.
const (
	// MaxTraceDocs is the most documents functions sent that a trace
	// returns (X-Ray itself stops a trace at 500 KB).
	MaxTraceDocs = 5000
	// maxStoredTraceRows bounds the rows of documents kept in all (each a
	// batch's documents of one trace): past it the oldest go first.
	maxStoredTraceRows = 100_000
	// orphanAge is how long documents whose trace no exchange has are
	// kept: an exchange may be written after its function's segments.
	orphanAge = 10 * time.Minute
)

// traceRoot is the X-Ray trace id in an exchange's TraceID, which holds a
// header ("Root=1-…;…") or a bare id.
func traceRoot(s string) string {
	if !strings.Contains(s, "=") {
		return strings.TrimSpace(s)
	}
	for part := range strings.SplitSeq(s, ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "Root="); ok {
			return v
		}
	}
	return ""
}

// insertTraceSQL stores an exchange's own segments; prepared once per
// batch (preparing it for each exchange was a fifth of ingest's CPU).
const insertTraceSQL = `INSERT INTO exchange_traces (exchange_id, trace_id, segments, log_times)
	VALUES (?, ?, ?, ?) ON CONFLICT (exchange_id) DO NOTHING`

// insertTrace writes an exchange's own segments beside it with ins, a
// prepared insertTraceSQL; *ins is prepared on first use in tx.
func insertTrace(ctx context.Context, tx *sql.Tx, ins **sql.Stmt, x *exchange.Exchange) error {
	if x.Trace == nil || len(x.Trace.Segments) == 0 {
		return nil
	}
	root := traceRoot(x.TraceID)
	if root == "" {
		return nil
	}
	var segs strings.Builder
	segs.WriteByte('[')
	for i, s := range x.Trace.Segments {
		if i > 0 {
			segs.WriteByte(',')
		}
		segs.Write(validUTF8(s))
	}
	segs.WriteByte(']')
	times := make([][2]int64, 0, len(x.Trace.LogTimes))
	for _, lt := range x.Trace.LogTimes {
		times = append(times, [2]int64{int64(lt.Offset), lt.At.UnixMicro()})
	}
	tj, _ := json.Marshal(times)
	if *ins == nil {
		st, err := tx.PrepareContext(ctx, insertTraceSQL)
		if err != nil {
			return err
		}
		*ins = st
	}
	_, err := (*ins).ExecContext(ctx, x.ID, root, segs.String(), tj)
	return err
}

// InsertTraceDocs stores documents functions sent, in one transaction: one
// row per trace, its documents in the order given. Reading a trace
// resolves documents sent twice (in progress, then complete).
func (db *DB) InsertTraceDocs(ctx context.Context, docs []TraceDoc) error {
	if len(docs) == 0 {
		return nil
	}
	if err := db.insertTraceDocs(ctx, docs); err != nil {
		return fmt.Errorf("insert %d trace documents: %w", len(docs), err)
	}
	return nil
}

func (db *DB) insertTraceDocs(ctx context.Context, docs []TraceDoc) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO trace_segments (trace_id, received_at, n, docs) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	node, err := tx.PrepareContext(ctx, `INSERT INTO trace_nodes (trace_id, node) VALUES (?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return err
	}
	defer node.Close()
	now := db.now().UnixNano()
	var order []string
	byTrace := map[string][]*TraceDoc{}
	for i := range docs {
		d := &docs[i]
		if _, ok := byTrace[d.TraceID]; !ok {
			order = append(order, d.TraceID)
		}
		byTrace[d.TraceID] = append(byTrace[d.TraceID], d)
	}
	var buf []byte
	for _, tid := range order {
		ds := byTrace[tid]
		buf = append(buf[:0], '[')
		nodes := map[string]bool{}
		for i, d := range ds {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, validUTF8(d.Body)...)
			for _, n := range d.Nodes {
				nodes[n] = true
			}
		}
		buf = append(buf, ']')
		if _, err := ins.ExecContext(ctx, tid, now, len(ds), buf); err != nil {
			return fmt.Errorf("trace %s: %w", tid, err)
		}
		for n := range nodes {
			if _, err := node.ExecContext(ctx, tid, n); err != nil {
				return fmt.Errorf("trace %s: %w", tid, err)
			}
		}
	}
	return tx.Commit()
}

// ExchangeTrace is what the store keeps of an exchange's trace itself.
type ExchangeTrace struct {
	TraceID  string // X-Ray's trace id, "1-…"
	LogTimes []exchange.LogTime
}

// TraceOf returns an exchange's trace id and log times. An exchange that
// gatescope recorded no segments for (an import from a browser HAR) still
// has its trace id when it carries one; ErrNotFound when the exchange does
// not exist.
func (db *DB) TraceOf(ctx context.Context, exchangeID string) (*ExchangeTrace, error) {
	var root, times sql.NullString
	var tid string
	var meta string
	err := db.r.QueryRowContext(ctx, `SELECT e.meta, t.trace_id, t.log_times FROM exchanges e
		LEFT JOIN exchange_traces t ON t.exchange_id = e.id WHERE e.id = ?`, exchangeID).Scan(&meta, &root, &times)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("trace of exchange %q: %w", exchangeID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("trace of exchange %q: %w", exchangeID, err)
	}
	tid = root.String
	if tid == "" {
		var m struct {
			TraceID string `json:"traceId"`
		}
		_ = json.Unmarshal([]byte(meta), &m)
		tid = traceRoot(m.TraceID)
	}
	et := &ExchangeTrace{TraceID: tid}
	var raw [][2]int64
	if times.Valid && json.Unmarshal([]byte(times.String), &raw) == nil {
		for _, r := range raw {
			et.LogTimes = append(et.LogTimes, exchange.LogTime{Offset: int(r[0]), At: time.UnixMicro(r[1]).UTC()})
		}
	}
	return et, nil
}

// TraceDocs returns a trace's documents, gatescope's own first (by
// exchange), then those functions sent, in the order they arrived (at
// most MaxTraceDocs).
func (db *DB) TraceDocs(ctx context.Context, traceID string) ([]json.RawMessage, error) {
	m, err := db.TraceDocsMany(ctx, []string{traceID})
	if err != nil {
		return nil, err
	}
	return m[traceID], nil
}

// TraceDocsMany is TraceDocs for several traces at once.
func (db *DB) TraceDocsMany(ctx context.Context, traceIDs []string) (map[string][]json.RawMessage, error) {
	out := map[string][]json.RawMessage{}
	for len(traceIDs) > 0 {
		n := min(len(traceIDs), 200)
		if err := db.traceDocs(ctx, traceIDs[:n], out); err != nil {
			return nil, fmt.Errorf("trace documents: %w", err)
		}
		traceIDs = traceIDs[n:]
	}
	return out, nil
}

func (db *DB) traceDocs(ctx context.Context, ids []string, out map[string][]json.RawMessage) error {
	in := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := db.r.QueryContext(ctx, `SELECT t.trace_id, t.segments FROM exchange_traces t
		JOIN exchanges e ON e.id = t.exchange_id WHERE t.trace_id IN (`+in+`) ORDER BY e.seq`, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var tid string
		var segs []byte
		if err := rows.Scan(&tid, &segs); err != nil {
			rows.Close()
			return err
		}
		var docs []json.RawMessage
		if json.Unmarshal(segs, &docs) == nil {
			out[tid] = append(out[tid], docs...)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = db.r.QueryContext(ctx, `SELECT trace_id, docs FROM trace_segments WHERE trace_id IN (`+in+`) ORDER BY seq`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	received := map[string]int{}
	for rows.Next() {
		var tid string
		var arr []byte
		if err := rows.Scan(&tid, &arr); err != nil {
			return err
		}
		if received[tid] >= MaxTraceDocs {
			continue
		}
		var docs []json.RawMessage
		if json.Unmarshal(arr, &docs) != nil {
			continue
		}
		docs = docs[:min(len(docs), MaxTraceDocs-received[tid])]
		received[tid] += len(docs)
		out[tid] = append(out[tid], docs...)
	}
	return rows.Err()
}

// PruneTraces deletes documents functions sent whose trace no exchange has
// (kept orphanAge, as an exchange may be written after them), the oldest
// past maxStoredTraceRows rows, and the downstream nodes of traces that
// are gone. It returns how many rows of documents it deleted.
func (db *DB) PruneTraces(ctx context.Context) (int, error) {
	cutoff := db.now().Add(-orphanAge).UnixNano()
	total := 0
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM trace_segments WHERE seq IN (SELECT seq FROM trace_segments s
			WHERE received_at < ? AND NOT EXISTS (SELECT 1 FROM exchange_traces t WHERE t.trace_id = s.trace_id) LIMIT ?)`,
			[]any{cutoff, pruneChunk}},
		{`DELETE FROM trace_segments WHERE seq IN (SELECT seq FROM trace_segments
			WHERE seq <= (SELECT seq FROM trace_segments ORDER BY seq DESC LIMIT 1 OFFSET ?)
			ORDER BY seq LIMIT ?)`, []any{maxStoredTraceRows, pruneChunk}},
	} {
		for {
			res, err := db.w.ExecContext(ctx, q.sql, q.args...)
			if err != nil {
				return total, fmt.Errorf("prune trace documents: %w", err)
			}
			n, _ := res.RowsAffected()
			total += int(n)
			if n < pruneChunk {
				break
			}
		}
	}
	if _, err := db.w.ExecContext(ctx, `DELETE FROM trace_nodes WHERE trace_id IN (SELECT DISTINCT trace_id FROM trace_nodes n
		WHERE NOT EXISTS (SELECT 1 FROM trace_segments s WHERE s.trace_id = n.trace_id) LIMIT ?)`, pruneChunk); err != nil {
		return total, fmt.Errorf("prune trace nodes: %w", err)
	}
	return total, nil
}
