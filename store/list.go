package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatescope/gatescope/server/exchange"
)

// ErrBadCursor is returned for a list cursor this store did not hand out,
// or one made for another sort.
var ErrBadCursor = errors.New("bad cursor")

// Sort keys of List. SortTime is the store's order (newest first unless Asc).
const (
	SortTime     = ""
	SortDuration = "duration"
	SortSize     = "size"
	SortFunction = "function"
)

// storedSizeSQL is the stored response body's length, as the size sort
// and its index (migrations/0008_list.sql) write it. length() of a blob
// reads its header, not its bytes.
const storedSizeSQL = `ifnull(length(e.resp_body), 0)`

// sortKeys maps a sort to the SQL it orders by, before seq, which breaks
// ties so that a cursor is a position. Each has an index.
var sortKeys = map[string]string{
	SortDuration: `e.duration_ms`,
	SortSize:     storedSizeSQL,
	SortFunction: `e.function`,
}

// listMeta is the part of an exchange's meta a list row shows. Decoding
// it in Go costs a fraction of SQLite's json_extract on each key.
type listMeta struct {
	Cold          bool             `json:"cold"`
	Explanation   string           `json:"explanation"`
	Timings       exchange.Timings `json:"timings"`
	RespTruncated int              `json:"respTruncated"`
}

// ValidSort reports whether by names a sort List knows.
func ValidSort(by string) bool {
	_, ok := sortKeys[by]
	return ok || by == SortTime
}

// ListQuery is one window of the list: the exchanges matching Filter in
// the order Sort and Asc say, from Cursor (a Window's Next) or else from
// Offset. Filter.StoredBefore is the window's snapshot: pass a Window's
// Snapshot back so that offsets stay put while exchanges keep arriving.
// With Filter.After the order is the store's, oldest first, as Exchanges.
type ListQuery struct {
	Filter
	Sort   string
	Asc    bool
	Cursor string
	Offset int
	// Count asks for Window.Total.
	Count bool
}

// Window is a run of list rows.
type Window struct {
	Items []exchange.Summary
	// Next is the cursor of the following window, "" after the last.
	Next string
	// Snapshot is the store position the window was read at (the query's
	// StoredBefore, or the newest position when it had none).
	Snapshot int64
	// Total is how many exchanges match in the snapshot, when asked.
	Total int
}

type cursor struct {
	Sort  string `json:"s"`
	Value any    `json:"v,omitempty"`
	Seq   int64  `json:"q"`
}

// List returns a window of row summaries, read without bodies, logs or
// events. A text query's matches in bodies and logs carry a Match.
func (db *DB) List(ctx context.Context, q ListQuery) (*Window, error) {
	w, err := db.list(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	return w, nil
}

func (db *DB) list(ctx context.Context, q ListQuery) (*Window, error) {
	key, ok := sortKeys[q.Sort]
	if !ok && q.Sort != SortTime {
		return nil, fmt.Errorf("sort %q: %w", q.Sort, ErrBadCursor)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	w := &Window{Snapshot: q.StoredBefore}
	if q.After == "" && w.Snapshot == 0 {
		if err := db.r.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) + 1 FROM exchanges`).Scan(&w.Snapshot); err != nil {
			return nil, err
		}
		q.StoredBefore = w.Snapshot
	}
	where, args := q.where()
	if q.Count {
		cq := `SELECT count(*) FROM exchanges e`
		if len(where) > 0 {
			cq += ` WHERE ` + strings.Join(where, ` AND `)
		}
		if err := db.r.QueryRowContext(ctx, cq, args...).Scan(&w.Total); err != nil {
			return nil, err
		}
	}

	asc := q.Asc
	for _, c := range []struct {
		id, op string
	}{{q.Before, "<"}, {q.After, ">"}} {
		if c.id == "" {
			continue
		}
		if key != "" {
			return nil, fmt.Errorf("before and after walk the store's order, not a sort: %w", ErrBadCursor)
		}
		seq, err := db.seqOf(ctx, c.id)
		if err != nil {
			return nil, err
		}
		where, args = append(where, `e.seq `+c.op+` ?`), append(args, seq)
		asc = q.After != ""
	}
	dir, op := "DESC", "<"
	if asc {
		dir, op = "ASC", ">"
	}
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor, q.Sort)
		if err != nil {
			return nil, err
		}
		if key == "" {
			where, args = append(where, `e.seq `+op+` ?`), append(args, c.Seq)
		} else {
			// (key, seq) past the cursor's, written so that the key's
			// bound is a range of its index.
			where = append(where, key+` `+op+`= ? AND (`+key+` `+op+` ? OR e.seq `+op+` ?)`)
			args = append(args, c.Value, c.Value, c.Seq)
		}
	}
	order := `e.seq ` + dir
	sel := `''`
	if key != "" {
		order = key + ` ` + dir + `, ` + order
		sel = key
	}
	// The window's positions first, reading only the sort's index (or the
	// rows' keys), then the columns of those rows alone.
	page := `SELECT e.seq FROM exchanges e`
	if len(where) > 0 {
		page += ` WHERE ` + strings.Join(where, ` AND `)
	}
	page += ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`
	args = append(args, limit+1, max(q.Offset, 0))
	if q.Cursor != "" || q.Before != "" || q.After != "" {
		args[len(args)-1] = 0 // a cursor is the position: no offset on top
	}
	sq := `WITH page AS (` + page + `) SELECT ` + sel + `, e.seq, e.id, e.session_id, e.started_at, e.duration_ms,
		e.method, e.url, e.route_key, e.status, e.outcome, e.function, e.api_id, e.replay_of, e.connection_id,
		` + storedSizeSQL + `, e.meta
		FROM page CROSS JOIN exchanges e ON e.seq = page.seq ORDER BY ` + order // CROSS: page first
	rows, err := db.r.QueryContext(ctx, sq, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var seqs []int64
	var last any
	for rows.Next() {
		var (
			s       exchange.Summary
			k       any
			seq     int64
			started int64
			mj      []byte
			m       listMeta
		)
		if err := rows.Scan(&k, &seq, &s.ID, &s.Session, &started, &s.DurationMs, &s.Method, &s.URL,
			&s.RouteKey, &s.Status, &s.Outcome, &s.Function, &s.APIID, &s.ReplayOf, &s.ConnectionID, &s.Size, &mj); err != nil {
			return nil, err
		}
		if len(w.Items) == limit {
			c := cursor{Sort: q.Sort, Seq: seqs[len(seqs)-1]}
			if key != "" {
				c.Value = last
			}
			w.Next = encodeCursor(c)
			break
		}
		if err := json.Unmarshal(mj, &m); err != nil {
			return nil, fmt.Errorf("exchange %s: decode: %w", s.ID, err)
		}
		if m.RespTruncated > 0 {
			s.Size = m.RespTruncated
		}
		s.StartedAt = fromUnixNano(started)
		s.Cold, s.Explanation = m.Cold, m.Explanation
		s.Failed = exchange.Failed(exchange.Outcome(s.Outcome), s.Status)
		s.Phases = exchange.PhasesOf(s.DurationMs, m.Timings)
		w.Items = append(w.Items, s)
		seqs = append(seqs, seq)
		last = k
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if q.query() != "" && len(w.Items) > 0 {
		if err := db.matches(ctx, q.query(), seqs, w.Items); err != nil {
			return nil, fmt.Errorf("snippets: %w", err)
		}
	}
	return w, nil
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c) // a string, a number or nil: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, sort string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.Sort != sort || (sort != SortTime) != (c.Value != nil) {
		return c, fmt.Errorf("cursor %q: %w", s, ErrBadCursor)
	}
	return c, nil
}

// matchFields are where a search match is worth showing under a row, in
// the order looked at: the row itself shows the path, route and status.
var matchFields = []struct{ name, sql string }{
	{"response body", `CASE WHEN e.resp_raw = 0 THEN CAST(e.resp_body AS TEXT) END`},
	{"request body", `CASE WHEN e.req_raw = 0 THEN CAST(e.req_body AS TEXT) END`},
	{"logs", `e.logs`},
}

// How much text a Match keeps before and after the hit: little before, so
// that the hit shows in a narrow column.
const snippetBefore, snippetAfter = 24, 64

// matches fills in where the query matched each row, for the rows of one
// window only. The full-text index is contentless (it stores no text), so
// FTS5's snippet() has nothing to cut from: SQLite finds the first hit in
// each field with instr() and sends back only the text around it.
// lower() folds ASCII letters, as the trigram index does (and more).
func (db *DB) matches(ctx context.Context, q string, seqs []int64, items []exchange.Summary) error {
	lq := asciiLower(q)
	var cols []string
	for _, f := range matchFields {
		// From max(i-before, 1): the runes before the hit (up to before),
		// the hit, the runes after (up to after); then NUL and the hit's
		// offset in the text sent.
		cols = append(cols, fmt.Sprintf(`(SELECT CASE WHEN i > 0 THEN substr(t, max(i - %[1]d, 1), min(i - 1, %[1]d) + %[2]d) || char(0) || min(i - 1, %[1]d) END
			FROM (SELECT t, instr(lower(t), ?1) AS i FROM (SELECT %[3]s AS t)))`, snippetBefore, utf8.RuneCountInString(q)+snippetAfter, f.sql))
	}
	ph := strings.Repeat(",?", len(seqs))[1:]
	args := []any{lq}
	for _, s := range seqs {
		args = append(args, s)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT e.seq, `+strings.Join(cols, ", ")+` FROM exchanges e WHERE e.seq IN (`+ph+`)`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	at := make(map[int64]int, len(seqs))
	for i, s := range seqs {
		at[s] = i
	}
	for rows.Next() {
		var seq int64
		hits := make([]sql.NullString, len(matchFields))
		dest := []any{&seq}
		for i := range hits {
			dest = append(dest, &hits[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		for i, h := range hits {
			if m := cutMatch(h, matchFields[i].name, utf8.RuneCountInString(q)); m != nil {
				items[at[seq]].Match = m
				break
			}
		}
	}
	return rows.Err()
}

// cutMatch splits the matches query's answer for one field, "text NUL
// offset" (the hit's offset in runes), into a Match.
func cutMatch(h sql.NullString, field string, hitRunes int) *exchange.Match {
	text, off, ok := strings.Cut(h.String, "\x00")
	if !h.Valid || !ok {
		return nil
	}
	n, err := strconv.Atoi(off)
	if err != nil {
		return nil
	}
	r := []rune(strings.ToValidUTF8(text, "\uFFFD"))
	if n < 0 || n+hitRunes > len(r) {
		return nil
	}
	return &exchange.Match{Field: field, Before: oneLine(string(r[:n])), Hit: string(r[n : n+hitRunes]), After: oneLine(string(r[n+hitRunes:]))}
}

// oneLine shows text on one line: each run of white space one space.
func oneLine(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	if space {
		b.WriteByte(' ')
	}
	return b.String()
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// Facets are the counts behind the list's chips: how many exchanges match
// the filter's other fields (search, session, route, function, ...) in
// each status class and outcome, how many failed and how many are replays.
// The chips' own fields (status class, exact status, outcome, failed,
// replays) are left out, so each count is what choosing that chip shows.
type Facets struct {
	Total   int            `json:"total"`
	Status  map[string]int `json:"status"` // "2xx" … "5xx"; "none" when no response
	Outcome map[string]int `json:"outcome"`
	Failed  int            `json:"failed"`
	Replays int            `json:"replays"`
}

// Facets counts what f matches, as Facets says.
func (db *DB) Facets(ctx context.Context, f Filter) (*Facets, error) {
	f.StatusClass, f.Status, f.Outcome, f.Failed, f.Replays = 0, 0, "", false, ""
	f.Before, f.After = "", ""
	where, args := f.where()
	q := `SELECT e.status / 100, e.outcome, e.replay_of <> '', count(*) FROM exchanges e`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	rows, err := db.r.QueryContext(ctx, q+` GROUP BY 1, 2, 3`, args...)
	if err != nil {
		return nil, fmt.Errorf("facets: %w", err)
	}
	defer rows.Close()
	fc := &Facets{Status: map[string]int{}, Outcome: map[string]int{}}
	for rows.Next() {
		var (
			class, n int
			outcome  string
			replay   bool
		)
		if err := rows.Scan(&class, &outcome, &replay, &n); err != nil {
			return nil, fmt.Errorf("facets: %w", err)
		}
		fc.Total += n
		if class >= 1 && class <= 5 {
			fc.Status[strconv.Itoa(class)+"xx"] += n
		} else {
			fc.Status["none"] += n
		}
		if outcome != "" {
			fc.Outcome[outcome] += n
		}
		if exchange.Failed(exchange.Outcome(outcome), class*100) {
			fc.Failed += n
		}
		if replay {
			fc.Replays += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("facets: %w", err)
	}
	return fc, nil
}

// Names are the distinct function names and API ids of the stored
// exchanges, sorted.
type Names struct {
	Functions []string
	APIs      []string
}

// Names returns the functions and APIs exchanges name. It reads every
// exchange's two columns (no index holds them): a few milliseconds at
// 100k exchanges, measured in bench/.
func (db *DB) Names(ctx context.Context) (*Names, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT DISTINCT 'f', function FROM exchanges WHERE function <> ''
		UNION SELECT DISTINCT 'a', api_id FROM exchanges WHERE api_id <> '' ORDER BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("names: %w", err)
	}
	defer rows.Close()
	n := &Names{}
	for rows.Next() {
		var kind, name string
		if err := rows.Scan(&kind, &name); err != nil {
			return nil, fmt.Errorf("names: %w", err)
		}
		if kind == "f" {
			n.Functions = append(n.Functions, name)
		} else {
			n.APIs = append(n.APIs, name)
		}
	}
	return n, rows.Err()
}
