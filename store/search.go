package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatescope/gatescope/server/exchange"
)

// Page size limits for Exchanges.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

// Filter selects exchanges. Zero fields match everything.
type Filter struct {
	Session     string // session id or name
	Route       string // route key, exact
	Method      string // HTTP method, any case
	Outcome     string
	StatusClass int    // 2 → 2xx, 4 → 4xx, ...
	Status      int    // an exact status code
	Query       string // full text over method, path, route, status, outcome, text bodies and logs
	ReplayOf    string // only replays of this exchange id, in any session
	Since       time.Time
	Until       time.Time // exclusive
	// StoredBefore, when not 0, keeps only exchanges stored before this
	// store position: a share link's snapshot (Share.Before).
	StoredBefore int64
	// Connection selects one WebSocket connection's exchanges, in any session.
	Connection string
	// Node is a service map node: "api:<api id>", "fn:<function>" or a
	// downstream service its trace called ("aws:DynamoDB",
	// "remote:api.example.com").
	Node string
	// Function and API select one function's, or one API's (by id),
	// exchanges.
	Function string
	API      string
	// MinMs and MaxMs bound the duration (inclusive); 0 leaves a bound open.
	MinMs, MaxMs float64
	// Cold keeps only cold starts; Failed only failed exchanges, by
	// exchange.Failed's rule.
	Cold, Failed bool
	// Replays keeps only replays (ReplaysOnly) or leaves them out
	// (ReplaysHidden); "" keeps both.
	Replays string
	// Before is a cursor (an exchange id): return exchanges stored before it.
	Before string
	// After is a cursor (an exchange id): return exchanges stored after it,
	// oldest first, e.g. what a reconnecting live client missed.
	After string
	Limit int // default DefaultLimit, at most MaxLimit
}

// Exchanges returns the exchanges matching f, newest first (oldest first with
// f.After), and the cursor for the next page ("" on the last page). Order is
// insertion order, so pages neither repeat nor skip rows while the writer
// keeps inserting. A cursor naming an exchange that no longer exists returns
// an error wrapping ErrNotFound.
func (db *DB) Exchanges(ctx context.Context, f Filter) ([]*exchange.Exchange, string, error) {
	xs, next, err := db.exchanges(ctx, f)
	if err != nil {
		return nil, "", fmt.Errorf("list exchanges: %w", err)
	}
	return xs, next, nil
}

func (db *DB) exchanges(ctx context.Context, f Filter) ([]*exchange.Exchange, string, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)

	where, args := f.where()
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	order := "DESC"
	for _, c := range []struct {
		id, op string
	}{{f.Before, "<"}, {f.After, ">"}} {
		if c.id == "" {
			continue
		}
		seq, err := db.seqOf(ctx, c.id)
		if err != nil {
			return nil, "", err
		}
		add(`e.seq `+c.op+` ?`, seq)
	}
	if f.After != "" {
		order = "ASC"
	}

	q := `SELECT ` + exchangeColumns + ` FROM exchanges e`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY e.seq ` + order + ` LIMIT ?`
	args = append(args, limit+1) // one more tells whether there is a next page

	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var xs []*exchange.Exchange
	for rows.Next() {
		x, err := scanExchange(rows)
		if err != nil {
			return nil, "", err
		}
		xs = append(xs, x)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	var next string
	if len(xs) > limit {
		xs = xs[:limit]
		next = xs[limit-1].ID
	}
	return xs, next, nil
}

// Replays filter values.
const (
	ReplaysOnly   = "only"
	ReplaysHidden = "hide"
)

// failedSQL is exchange.Failed in SQL: an outcome other than ok (an
// exchange with none is judged by its status), or a 5xx answer.
// TestFailedFilterIsExchangeFailed keeps the two the same.
const failedSQL = `((e.outcome <> '' AND e.outcome <> 'ok') OR e.status >= 500)`

// where returns f's conditions (cursors aside) over exchanges e, and
// their arguments.
func (f Filter) where() ([]string, []any) {
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if f.Session != "" {
		add(`e.session_id = (SELECT id FROM sessions WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1)`,
			f.Session, f.Session, f.Session)
	}
	if f.Route != "" {
		// The unary + keeps SQLite from using a route index here:
		// walking seq backwards and stopping at the page is far cheaper than
		// fetching every row of the route and sorting them.
		add(`+e.route_key = ?`, f.Route)
	}
	if f.Method != "" {
		add(`e.method = ?`, strings.ToUpper(f.Method))
	}
	if f.Function != "" {
		add(`e.function = ?`, f.Function)
	}
	if f.API != "" {
		add(`e.api_id = ?`, f.API)
	}
	if f.ReplayOf != "" {
		// The second term lets SQLite use the partial replay_of index.
		add(`e.replay_of = ? AND e.replay_of <> ''`, f.ReplayOf)
	}
	switch f.Replays {
	case ReplaysOnly:
		add(`e.replay_of <> ''`)
	case ReplaysHidden:
		add(`e.replay_of = ''`)
	}
	if f.Connection != "" {
		// The second term lets SQLite use the partial connection index.
		add(`e.connection_id = ? AND e.connection_id <> ''`, f.Connection)
	}
	if f.Outcome != "" {
		add(`e.outcome = ?`, f.Outcome)
	}
	if f.Failed {
		add(failedSQL)
	}
	if f.Cold {
		add(`json_extract(e.meta, '$.cold') = 1`)
	}
	if f.MinMs > 0 {
		add(`e.duration_ms >= ?`, f.MinMs)
	}
	if f.MaxMs > 0 {
		add(`e.duration_ms <= ?`, f.MaxMs)
	}
	if kind, name, ok := strings.Cut(f.Node, ":"); ok {
		switch kind {
		case "api":
			add(`e.api_id = ?`, name)
		case "fn":
			add(`e.function = ?`, name)
		default:
			add(`EXISTS (SELECT 1 FROM exchange_traces t JOIN trace_nodes n ON n.trace_id = t.trace_id
				WHERE t.exchange_id = e.id AND n.node = ?)`, f.Node)
		}
	}
	if f.Status > 0 {
		add(`e.status = ?`, f.Status)
	} else if f.StatusClass > 0 {
		add(`e.status >= ? AND e.status < ?`, f.StatusClass*100, (f.StatusClass+1)*100)
	}
	if !f.Since.IsZero() {
		add(`e.started_at >= ?`, f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		add(`e.started_at < ?`, f.Until.UnixNano())
	}
	if f.StoredBefore != 0 {
		// The unary + keeps SQLite from reading the table's rows as a
		// rowid range (a count up to the snapshot would read them all);
		// the narrow indexes hold seq too.
		add(`+e.seq < ?`, f.StoredBefore)
	}
	// SQLite text ends at NUL: "a\x00" would search for "a".
	if q := f.query(); q != "" {
		cond, a := textMatch(q)
		add(cond, a...)
	}
	return where, args
}

// query is the text query as searched.
func (f Filter) query() string {
	return strings.TrimSpace(strings.ReplaceAll(f.Query, "\x00", ""))
}

func (db *DB) seqOf(ctx context.Context, id string) (int64, error) {
	var seq int64
	err := db.r.QueryRowContext(ctx, `SELECT seq FROM exchanges WHERE id = ?`, id).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("cursor %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("cursor %q: %w", id, err)
	}
	return seq, nil
}

// textMatch returns the SQL condition for a full-text query. The trigram
// index only answers queries of 3+ characters; shorter ones scan with LIKE,
// as do rows the background indexer has not reached yet.
// The user's text is always one quoted phrase, so FTS syntax in it (quotes,
// AND, *, :, ...) is matched literally, never parsed.
func textMatch(q string) (string, []any) {
	pattern := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q) + "%"
	cols := []string{"e.method", "e.path", "e.route_key", "CAST(e.status AS TEXT)", "e.outcome",
		"e.logs", "(CASE WHEN e.req_raw = 0 THEN CAST(e.req_body AS TEXT) END)",
		"(CASE WHEN e.resp_raw = 0 THEN CAST(e.resp_body AS TEXT) END)"}
	var ors []string
	var args []any
	for _, c := range cols {
		ors = append(ors, c+` LIKE ? ESCAPE '\'`)
		args = append(args, pattern)
	}
	like := "(" + strings.Join(ors, " OR ") + ")"
	if utf8.RuneCountInString(q) < 3 {
		return like, args
	}
	phrase := `"` + strings.ReplaceAll(q, `"`, `""`) + `"`
	// One IN over a UNION lets SQLite look the matches up by rowid; an OR of
	// the two conditions made it scan every row (600 ms at 100k exchanges).
	// A WebSocket connection id finds its connection's exchanges, by index.
	return `e.seq IN (SELECT rowid FROM exchanges_fts WHERE exchanges_fts MATCH ?
		UNION ALL SELECT e.seq FROM exchanges e WHERE e.seq > (SELECT indexed_seq FROM fts_state) AND ` + like + `
		UNION ALL SELECT seq FROM exchanges WHERE connection_id = ? AND connection_id <> '')`,
		append(append([]any{phrase}, args...), q)
}
