package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatescope/gatescope/server/exchange"
)

// DefaultSession is the session name for exchanges inserted without one.
const DefaultSession = "default"

// meta is the part of an Exchange no query filters on, stored as JSON.
type meta struct {
	APIType       string                  `json:"apiType,omitempty"`
	APIStage      string                  `json:"apiStage,omitempty"`
	RequestID     string                  `json:"requestId,omitempty"`
	TraceID       string                  `json:"traceId,omitempty"`
	ReqHeaders    map[string][]string     `json:"reqHeaders,omitempty"`
	ReqBase64     bool                    `json:"reqBase64,omitempty"`
	ReqTruncated  int                     `json:"reqTruncated,omitempty"`
	Target        string                  `json:"target,omitempty"`
	Error         *exchange.FunctionError `json:"error,omitempty"`
	Cold          bool                    `json:"cold,omitempty"`
	RespHeaders   map[string][]string     `json:"respHeaders,omitempty"`
	RespBase64    bool                    `json:"respBase64,omitempty"`
	RespTruncated int                     `json:"respTruncated,omitempty"`
	Explanation   string                  `json:"explanation,omitempty"`
	Blame         *exchange.Blame         `json:"blame,omitempty"`
	Timings       exchange.Timings        `json:"timings"`
	LogsTruncated int64                   `json:"logsTruncated,omitempty"`
	Frames        []exchange.Frame        `json:"frames,omitempty"`
	// Mapping is a non-proxy integration's steps (templates are small,
	// their outputs cut at 256 KB by apigw): no column of its own.
	Mapping *exchange.Mapping `json:"mapping,omitempty"`
	Version string            `json:"version,omitempty"`
}

// validUTF8 is a raw JSON document (an event, a function's output) with
// invalid UTF-8 replaced by U+FFFD. The JSON API and exports pass raw
// documents through as they are, so one that a function wrote with a
// stray byte, or a byte-flipped import, would make their JSON unreadable
// to other tools. JSON that parsed can only hold such bytes in strings.
func validUTF8(doc []byte) []byte {
	if utf8.Valid(doc) {
		return doc
	}
	return bytes.ToValidUTF8(doc, []byte("\uFFFD"))
}

// MaxLogBytes bounds the log stored with an exchange. Captured logs are
// already cut to 1 MiB of output per invocation (server/lambda), plus the
// output before START and the platform lines; this catches logs that come
// another way (imports), keeping their start and their last 64 KB.
const MaxLogBytes = 2 << 20

const logTailBytes = 64 << 10

// capLogs cuts a log over MaxLogBytes to its start and its last 64 KB, at
// line breaks when near, with a line saying how much was cut, and returns
// the number of bytes cut.
func capLogs(logs string) (string, int64) {
	if len(logs) <= MaxLogBytes {
		return logs, 0
	}
	start, end := logs[:MaxLogBytes-logTailBytes], logs[len(logs)-logTailBytes:]
	if i := strings.LastIndexByte(start, '\n'); i >= len(start)-4<<10 {
		start = start[:i+1]
	}
	for len(start) > 0 && !utf8.RuneStart(start[len(start)-1]) {
		start = start[:len(start)-1] // a sequence cut short (or a lone continuation byte)
	}
	if i := strings.IndexByte(end, '\n'); i >= 0 && i < 4<<10 {
		end = end[i+1:]
	}
	for len(end) > 0 && !utf8.RuneStart(end[0]) {
		end = end[1:]
	}
	cut := int64(len(logs) - len(start) - len(end))
	if !strings.HasSuffix(start, "\n") {
		start += "\n"
	}
	return start + fmt.Sprintf("[gatescope cut %d bytes of log here: it stores %d KB of an exchange's log, the last %d KB included]\n",
		cut, MaxLogBytes>>10, logTailBytes>>10) + end, cut
}

// InsertExchanges stores a batch in one transaction. It fills in a missing
// ID (time-sortable, see exchange.NewID) and replaces Exchange.Session, which
// may be a session id, a session name (created if new) or empty (the
// DefaultSession), with the session's id. An exchange whose id is already
// stored is skipped, so retrying a batch is safe. Bodies longer than the
// store's BodyCap are stored cut; the caller's exchanges keep their bodies.
func (db *DB) InsertExchanges(ctx context.Context, xs []*exchange.Exchange) error {
	if len(xs) == 0 {
		return nil
	}
	if err := db.insertExchanges(ctx, xs); err != nil {
		return fmt.Errorf("insert %d exchanges: %w", len(xs), err)
	}
	return nil
}

func (db *DB) insertExchanges(ctx context.Context, xs []*exchange.Exchange) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := db.insertExchangesTx(ctx, tx, xs); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	db.kickIndexer()
	return nil
}

// insertExchangesTx is InsertExchanges inside the caller's transaction
// (imports add their session and annotations in the same one).
func (db *DB) insertExchangesTx(ctx context.Context, tx *sql.Tx, xs []*exchange.Exchange) error {
	now := db.now()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO exchanges (id, session_id, started_at,
		duration_ms, method, url, path, route_key, status, outcome, function, api_id, replay_of,
		req_body, req_raw, resp_body, resp_raw, event, raw_response, logs, meta, authorizer, connection_id, deployment)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`)
	if err != nil {
		return err
	}
	defer ins.Close()
	var traceIns *sql.Stmt
	defer func() {
		if traceIns != nil {
			traceIns.Close()
		}
	}()
	sessions := map[string]string{} // as given → id
	for _, x := range xs {
		sid, ok := sessions[x.Session]
		if !ok {
			if sid, err = resolveSession(ctx, tx, x.Session, now); err != nil {
				return fmt.Errorf("session %q: %w", x.Session, err)
			}
			sessions[x.Session] = sid
		}
		x.Session = sid
		if x.ID == "" {
			t := x.StartedAt
			if t.IsZero() {
				t = now
			}
			x.ID = exchange.NewID(t)
		}

		logs, logsCut := capLogs(x.Logs)
		reqBody, reqRaw, reqCut := encodeBody(x.Request.Body, x.Request.IsBase64, db.bodyCap)
		respBody, respRaw, respCut := encodeBody(x.Response.Body, x.Response.IsBase64, db.bodyCap)
		m := meta{
			APIType: x.API.Type, APIStage: x.API.Stage,
			RequestID: x.RequestID, TraceID: x.TraceID,
			ReqHeaders: x.Request.Headers, ReqBase64: x.Request.IsBase64,
			ReqTruncated: max(reqCut, x.Request.Truncated),
			Target:       x.Function.Target, Error: x.Function.Error, Cold: x.Function.Cold,
			RespHeaders: x.Response.Headers, RespBase64: x.Response.IsBase64,
			RespTruncated: max(respCut, x.Response.Truncated),
			Explanation:   x.Explanation,
			Blame:         x.Blame,
			Timings:       finiteTimings(x.Timings),
			LogsTruncated: max(x.LogsTruncated, 0) + logsCut,
			Frames:        capFrames(x.Frames, db.bodyCap),
			Mapping:       x.Mapping,
			Version:       x.Function.Version,
		}
		mj, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("exchange %s: encode: %w", x.ID, err)
		}
		path, _, _ := strings.Cut(x.Request.URL, "?")
		az, err := encodeAuthorizer(x.Authorizer)
		if err != nil {
			return fmt.Errorf("exchange %s: encode authorizer: %w", x.ID, err)
		}
		_, err = ins.ExecContext(ctx, x.ID, sid, unixNano(x.StartedAt),
			finite(x.DurationMs), x.Request.Method, x.Request.URL, path, x.RouteKey,
			x.Response.Status, string(x.Outcome), x.Function.Name, x.API.ID, x.ReplayOf,
			reqBody, reqRaw, respBody, respRaw, validUTF8(x.Event), validUTF8(x.Function.RawResponse),
			logs, mj, az, x.ConnectionID, max(x.Deployment, 0))
		if err != nil {
			return fmt.Errorf("exchange %s: %w", x.ID, err)
		}
		if err := annotateTx(ctx, tx, x, now); err != nil {
			return fmt.Errorf("exchange %s: %w", x.ID, err)
		}
		if err := insertTrace(ctx, tx, &traceIns, x); err != nil {
			return fmt.Errorf("exchange %s: trace: %w", x.ID, err)
		}
	}
	return nil
}

// resolveSession maps what an Exchange carries as its session (id, name or
// empty) to a session id, creating a session by that name when none matches,
// so one odd exchange never fails its whole batch.
func resolveSession(ctx context.Context, tx *sql.Tx, idOrName string, now time.Time) (string, error) {
	if idOrName == "" {
		idOrName = DefaultSession
	}
	var id string
	err := tx.QueryRowContext(ctx, `SELECT id FROM sessions WHERE id = ?1 OR name = ?1
		ORDER BY id = ?1 DESC LIMIT 1`, idOrName).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	return ensureSession(ctx, tx, idOrName, now)
}

// encodeBody returns the bytes to store for a body, whether they are decoded
// base64 (re-encoded on read; a third smaller), and the original size when
// the body was cut to bodyCap (0 when not).
func encodeBody(body string, isBase64 bool, bodyCap int) (stored []byte, raw bool, truncated int) {
	if isBase64 {
		if b, err := base64.StdEncoding.DecodeString(body); err == nil {
			if len(b) > bodyCap {
				return b[:bodyCap], true, len(b)
			}
			return b, true, 0
		}
		// Not standard base64: keep the text, cut on a 4-character boundary.
		if len(body) > bodyCap {
			return []byte(body[:bodyCap-bodyCap%4]), false, len(body)
		}
		return []byte(body), false, 0
	}
	if len(body) <= bodyCap {
		return []byte(body), false, 0
	}
	cut := bodyCap
	for cut > 0 && !utf8.RuneStart(body[cut]) {
		cut-- // don't split a UTF-8 sequence
	}
	return []byte(body[:cut]), false, len(body)
}

func decodeBody(stored []byte, raw bool) string {
	if raw {
		return base64.StdEncoding.EncodeToString(stored)
	}
	return string(stored)
}

// encodeAuthorizer stores an authorizer step as JSON; NULL for none.
func encodeAuthorizer(a *exchange.Authorizer) ([]byte, error) {
	if a == nil {
		return nil, nil
	}
	c := *a
	c.StartMs, c.DurationMs = finite(c.StartMs), finite(c.DurationMs)
	return json.Marshal(&c)
}

// finite maps NaN and ±Inf (which JSON and SQLite REAL can't hold) to 0.
func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

func finiteTimings(t exchange.Timings) exchange.Timings {
	for _, f := range []*float64{&t.RouteMatchedMs, &t.InvokeStartMs, &t.InitDurationMs,
		&t.FunctionMs, &t.InvokeEndMs, &t.ResponseMappedMs, &t.SentMs} {
		*f = finite(*f)
	}
	return t
}

// unixNano stores the zero time as 0 (UnixNano of it overflows).
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

const exchangeColumns = `e.id, e.session_id, e.started_at, e.duration_ms, e.method, e.url,
	e.route_key, e.status, e.outcome, e.function, e.api_id, e.replay_of, e.req_body, e.req_raw,
	e.resp_body, e.resp_raw, e.event, e.raw_response, e.logs, e.meta, e.authorizer, e.connection_id, e.deployment`

func scanExchange(r scanner) (*exchange.Exchange, error) {
	var (
		x                  exchange.Exchange
		started            int64
		outcome, mj        string
		reqBody, respBody  []byte
		reqRaw, respRaw    bool
		event, rawResponse []byte
		az                 []byte
	)
	if err := r.Scan(&x.ID, &x.Session, &started, &x.DurationMs, &x.Request.Method,
		&x.Request.URL, &x.RouteKey, &x.Response.Status, &outcome, &x.Function.Name,
		&x.API.ID, &x.ReplayOf, &reqBody, &reqRaw, &respBody, &respRaw, &event,
		&rawResponse, &x.Logs, &mj, &az, &x.ConnectionID, &x.Deployment); err != nil {
		return nil, err
	}
	if len(az) > 0 {
		x.Authorizer = &exchange.Authorizer{}
		if err := json.Unmarshal(az, x.Authorizer); err != nil {
			return nil, fmt.Errorf("exchange %s: decode authorizer: %w", x.ID, err)
		}
	}
	var m meta
	if err := json.Unmarshal([]byte(mj), &m); err != nil {
		return nil, fmt.Errorf("exchange %s: decode: %w", x.ID, err)
	}
	x.StartedAt = fromUnixNano(started)
	x.Outcome = exchange.Outcome(outcome)
	x.Request.Body = decodeBody(reqBody, reqRaw)
	x.Response.Body = decodeBody(respBody, respRaw)
	if len(event) > 0 {
		x.Event = json.RawMessage(event)
	}
	if len(rawResponse) > 0 {
		x.Function.RawResponse = json.RawMessage(rawResponse)
	}
	x.API.Type, x.API.Stage = m.APIType, m.APIStage
	x.RequestID, x.TraceID = m.RequestID, m.TraceID
	x.Request.Headers, x.Request.IsBase64, x.Request.Truncated = m.ReqHeaders, m.ReqBase64, m.ReqTruncated
	x.Function.Target, x.Function.Error, x.Function.Cold = m.Target, m.Error, m.Cold
	x.Response.Headers, x.Response.IsBase64, x.Response.Truncated = m.RespHeaders, m.RespBase64, m.RespTruncated
	x.Explanation = m.Explanation
	x.Blame = m.Blame
	x.Timings = m.Timings
	x.LogsTruncated = m.LogsTruncated
	x.Frames = m.Frames
	x.Mapping = m.Mapping
	x.Function.Version = m.Version
	return &x, nil
}

// capFrames cuts each frame's data to bodyCap, as bodies are; the caller's
// frames keep theirs.
func capFrames(fs []exchange.Frame, bodyCap int) []exchange.Frame {
	if len(fs) == 0 {
		return nil
	}
	out := make([]exchange.Frame, len(fs))
	for i, f := range fs {
		if len(f.Data) > bodyCap {
			data, _, cut := encodeBody(f.Data, false, bodyCap)
			f.Data, f.Truncated = string(data), max(cut, f.Truncated)
		}
		out[i] = f
	}
	return out
}

// Exchange returns one exchange, or an error wrapping ErrNotFound.
func (db *DB) Exchange(ctx context.Context, id string) (*exchange.Exchange, error) {
	x, err := scanExchange(db.r.QueryRowContext(ctx,
		`SELECT `+exchangeColumns+` FROM exchanges e WHERE e.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("exchange %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("exchange %q: %w", id, err)
	}
	return x, nil
}
