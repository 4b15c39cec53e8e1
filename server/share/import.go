package share

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/httpio"
	"github.com/gatescope/gatescope/store"
)

// MaxImportSize bounds an import file: the whole file is held in memory.
const MaxImportSize = 256 << 20

// Errors an import or export returns (wrapped).
var (
	// ErrInvalid marks a file or request that cannot be used as given.
	ErrInvalid = httpio.NewKind("invalid", http.StatusBadRequest)
	// ErrTooLarge marks an import file over MaxImportSize.
	ErrTooLarge = httpio.NewKind("too large", http.StatusRequestEntityTooLarge)
)

// Problem is one thing wrong with an import file, at a JSON path such as
// "log.entries[3].request.method".
type Problem struct {
	Path string `json:"path"`
	Msg  string `json:"error"`
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Msg
	}
	return p.Path + ": " + p.Msg
}

// InvalidError lists what is wrong with an import file. It wraps ErrInvalid.
type InvalidError struct {
	Problems []Problem
}

func (e *InvalidError) Error() string {
	if len(e.Problems) == 0 {
		return "invalid file"
	}
	msg := e.Problems[0].String()
	if n := len(e.Problems) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more problems; nothing imported, --partial imports the valid ones)", n)
	}
	return msg
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// Unwrap lets the API find ErrInvalid's status.
func (e *InvalidError) Unwrap() error { return ErrInvalid }

// Details lists the problems beside the message in the API's answer.
func (e *InvalidError) Details() (string, any) { return "problems", e.Problems }

func invalid(path, format string, a ...any) error {
	return &InvalidError{Problems: []Problem{{Path: path, Msg: fmt.Sprintf(format, a...)}}}
}

// Parsed is a decoded import file. Problems lists the entries left out of
// Exchanges, each with its path.
type Parsed struct {
	Format    string // FormatHAR, FormatJSON or FormatHTML
	Session   NativeSession
	Exchanges []*exchange.Exchange
	Problems  []Problem
	Traces    []TraceExport
}

// Parse reads a HAR 1.2 file (gatescope's, or a browser's), a native
// export, or a share file (the native export it embeds). Errors that spoil the whole file are returned; a bad entry is
// reported in Parsed.Problems and left out.
func Parse(r io.Reader) (*Parsed, error) {
	return parse(r, MaxImportSize)
}

// parse is Parse with a size limit tests can lower.
func parse(r io.Reader, limit int64) (*Parsed, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: the file is larger than %s", ErrTooLarge, sizeText(limit))
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // editors on Windows add a BOM
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, invalid("", "empty file: want a HAR, a gatescope JSON export or a share file")
	}
	if t := bytes.TrimSpace(data); t[0] == '<' {
		return parseShareFile(data)
	}
	return parseJSON(data)
}

// parseJSON reads a HAR or a native export.
func parseJSON(data []byte) (*Parsed, error) {
	if err := syntaxCheck(data); err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, invalid("", "top level is %s: want an object with \"log\" (HAR) or \"format\" (gatescope export)", kindOf(data))
	}
	switch {
	case top["log"] != nil:
		return parseHAR(top["log"])
	case top["format"] != nil:
		return parseNative(top)
	}
	return nil, invalid("", "neither a HAR (no \"log\") nor a gatescope export (no \"format\")")
}

func sizeText(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// syntaxCheck names where a file stops being JSON.
func syntaxCheck(data []byte) error {
	if json.Valid(data) {
		return nil
	}
	var v any
	err := json.Unmarshal(data, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		if se.Offset >= int64(len(data)) || strings.Contains(se.Error(), "unexpected end") {
			return invalid("", "truncated: the JSON ends early, after %d bytes", len(data))
		}
		line := 1 + bytes.Count(data[:se.Offset], []byte("\n"))
		col := se.Offset - int64(bytes.LastIndexByte(data[:se.Offset], '\n')) - 1
		return invalid("", "not JSON: %v at line %d, column %d", se, line, col)
	}
	if err == nil {
		err = errors.New("invalid JSON")
	}
	return invalid("", "not JSON: %v", err)
}

// kindOf names the JSON type of a raw value for messages.
func kindOf(raw []byte) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "empty"
	}
	switch t[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// fieldProblem turns a json decoding error into a problem at path.
func fieldProblem(path string, err error) Problem {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		p := path
		if te.Field != "" {
			p += "." + te.Field
		}
		return Problem{Path: p, Msg: fmt.Sprintf("want %s, got %s", typeName(te.Type), te.Value)}
	}
	return Problem{Path: path, Msg: err.Error()}
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "JSON"
		}
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return typeName(t.Elem())
	}
	return "a number"
}

// object decodes raw as a JSON object (keys to raw values).
func object(path string, raw json.RawMessage) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, invalid(path, "want an object, got %s", kindOf(raw))
	}
	return m, nil
}

func array(path string, raw json.RawMessage) ([]json.RawMessage, error) {
	if raw == nil {
		return nil, invalid(path, "missing")
	}
	var a []json.RawMessage
	if err := json.Unmarshal(raw, &a); err != nil || a == nil {
		return nil, invalid(path, "want an array, got %s", kindOf(raw))
	}
	return a, nil
}

func str(path string, raw json.RawMessage) (string, error) {
	if raw == nil {
		return "", invalid(path, "missing")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", invalid(path, "want a string, got %s", kindOf(raw))
	}
	return s, nil
}

func parseHAR(raw json.RawMessage) (*Parsed, error) {
	lg, err := object("log", raw)
	if err != nil {
		return nil, err
	}
	v, err := str("log.version", lg["version"])
	if err != nil {
		return nil, err
	}
	if v != "1.2" && v != "1.1" {
		return nil, invalid("log.version", "%q is not a supported HAR version (want \"1.2\")", v)
	}
	entries, err := array("log.entries", lg["entries"])
	if err != nil {
		return nil, err
	}
	p := &Parsed{Format: FormatHAR}
	if ext := lg["_gatescope"]; ext != nil {
		var le LogExt
		if err := json.Unmarshal(ext, &le); err != nil {
			return nil, &InvalidError{Problems: []Problem{fieldProblem("log._gatescope", err)}}
		}
		p.Session = le.Session
		p.Traces = le.Traces
	}
	for i, e := range entries {
		path := fmt.Sprintf("log.entries[%d]", i)
		x, prob := entryExchange(path, e)
		if prob != nil {
			p.Problems = append(p.Problems, *prob)
			continue
		}
		p.Exchanges = append(p.Exchanges, x)
	}
	return p, nil
}

// entryExchange turns one HAR entry into an Exchange. Entries gatescope
// wrote carry _gatescope and come back exactly; others (a browser's) become
// request + response exchanges with no event, replayable through a gateway.
func entryExchange(path string, raw json.RawMessage) (*exchange.Exchange, *Problem) {
	m, err := object(path, raw)
	if err != nil {
		return nil, &err.(*InvalidError).Problems[0]
	}
	for _, k := range []string{"startedDateTime", "request", "response"} {
		if m[k] == nil {
			return nil, &Problem{Path: path + "." + k, Msg: "missing"}
		}
	}
	for _, k := range []string{"request", "response"} {
		if _, err := object(path+"."+k, m[k]); err != nil {
			return nil, &err.(*InvalidError).Problems[0]
		}
	}
	req, _ := object("", m["request"])
	resp, _ := object("", m["response"])
	for _, k := range []string{"method", "url"} {
		if req[k] == nil || string(req[k]) == `""` {
			return nil, &Problem{Path: path + ".request." + k, Msg: "missing"}
		}
	}
	if resp["status"] == nil {
		return nil, &Problem{Path: path + ".response.status", Msg: "missing"}
	}
	var e HAREntry
	if err := json.Unmarshal(raw, &e); err != nil {
		pr := fieldProblem(path, err)
		return nil, &pr
	}
	started, err := time.Parse(time.RFC3339Nano, e.StartedDateTime)
	if err != nil {
		return nil, &Problem{Path: path + ".startedDateTime", Msg: fmt.Sprintf("%q is not an ISO 8601 date and time", e.StartedDateTime)}
	}
	u, err := url.Parse(e.Request.URL)
	if err != nil {
		return nil, &Problem{Path: path + ".request.url", Msg: fmt.Sprintf("%q is not a URL", e.Request.URL)}
	}
	if e.Response.Status < 0 || e.Response.Status > 999 {
		return nil, &Problem{Path: path + ".response.status", Msg: fmt.Sprintf("%d is not an HTTP status", e.Response.Status)}
	}
	x := &exchange.Exchange{
		StartedAt:  started.UTC(),
		DurationMs: max(e.Time, 0),
		Request: exchange.HTTPRequest{
			Method:  e.Request.Method,
			URL:     u.RequestURI(),
			Headers: headerMap(e.Request.Headers),
		},
		Response: exchange.HTTPResponse{
			Status:  e.Response.Status,
			Headers: headerMap(e.Response.Headers),
			Body:    e.Response.Content.Text,
		},
	}
	if pd := e.Request.PostData; pd != nil {
		x.Request.Body = pd.Text
		x.Request.IsBase64 = pd.Encoding == "base64"
	}
	x.Response.IsBase64 = e.Response.Content.Encoding == "base64"
	for _, b := range []struct {
		field string
		body  string
		is64  bool
	}{{"request.postData.text", x.Request.Body, x.Request.IsBase64}, {"response.content.text", x.Response.Body, x.Response.IsBase64}} {
		if b.is64 {
			if _, err := base64.StdEncoding.DecodeString(b.body); err != nil {
				return nil, &Problem{Path: path + "." + b.field, Msg: "encoding is base64 but the text is not base64"}
			}
		}
	}
	g := e.Gatescope
	if g == nil {
		// A browser's HAR: HTTP/2 pseudo-headers are not headers a gateway
		// accepts, and the Host is in the URL.
		for k := range x.Request.Headers {
			if strings.HasPrefix(k, ":") {
				delete(x.Request.Headers, k)
			}
		}
		if headerValue(x.Request.Headers, "Host") == "" && u.Host != "" {
			if x.Request.Headers == nil {
				x.Request.Headers = map[string][]string{}
			}
			x.Request.Headers["Host"] = []string{u.Host}
		}
		x.Outcome, x.Explanation = outcomeOf(x.Response.Status)
		return x, nil
	}
	if g.Outcome != "" && !g.Outcome.Valid() {
		return nil, &Problem{Path: path + "._gatescope.outcome", Msg: fmt.Sprintf("%q is not an outcome", g.Outcome)}
	}
	g.Event, g.Function.RawResponse = validUTF8(g.Event), validUTF8(g.Function.RawResponse)
	x.ID, x.API, x.RouteKey, x.RequestID, x.TraceID = g.ID, g.API, g.RouteKey, g.RequestID, g.TraceID
	x.DurationMs = g.DurationMs
	if g.URL != "" {
		x.Request.URL = g.URL
	}
	x.Request.IsBase64, x.Request.Truncated = g.Request.IsBase64, g.Request.Truncated
	x.Response.IsBase64, x.Response.Truncated = g.Response.IsBase64, g.Response.Truncated
	x.Event, x.Function, x.Outcome, x.Explanation = g.Event, g.Function, g.Outcome, g.Explanation
	x.Timings, x.Logs, x.ReplayOf, x.Starred, x.Note = g.Timings, g.Logs, g.ReplayOf, g.Starred, g.Note
	x.LogsTruncated = max(g.LogsTruncated, 0)
	x.ConnectionID, x.Frames = g.ConnectionID, g.Frames
	return x, nil
}

// outcomeOf derives an outcome for an exchange recorded elsewhere (a
// browser's HAR) from its status alone.
func outcomeOf(status int) (exchange.Outcome, string) {
	const from = "Imported from a HAR recorded outside gatescope: no Lambda event or function output was captured."
	switch status {
	case 0:
		return exchange.OutcomeInvokeFailed, "The recording has no response (status 0): the request failed or was blocked. " + from
	case 401:
		return exchange.OutcomeUnauthorized, from
	case 403:
		return exchange.OutcomeForbidden, from
	case 413:
		return exchange.OutcomePayloadTooLarge, from
	case 429:
		return exchange.OutcomeThrottled, from
	case 504:
		return exchange.OutcomeTimeout, from
	}
	return exchange.OutcomeOK, from
}

// headerMap collects HAR header lines by name, keeping their order.
func headerMap(hs []HARNameValue) map[string][]string {
	if len(hs) == 0 {
		return nil
	}
	m := make(map[string][]string, len(hs))
	for _, h := range hs {
		m[h.Name] = append(m[h.Name], h.Value)
	}
	return m
}

func parseNative(top map[string]json.RawMessage) (*Parsed, error) {
	f, err := str("format", top["format"])
	if err != nil {
		return nil, err
	}
	if f != NativeFormat {
		return nil, invalid("format", "%q is not supported (want %q)", f, NativeFormat)
	}
	p := &Parsed{Format: FormatJSON}
	if s := top["session"]; s != nil {
		if err := json.Unmarshal(s, &p.Session); err != nil {
			return nil, &InvalidError{Problems: []Problem{fieldProblem("session", err)}}
		}
	}
	xs, err := array("exchanges", top["exchanges"])
	if err != nil {
		return nil, err
	}
	if t := top["traces"]; t != nil {
		if err := json.Unmarshal(t, &p.Traces); err != nil {
			p.Problems = append(p.Problems, fieldProblem("traces", err))
		}
	}
	for i, raw := range xs {
		path := fmt.Sprintf("exchanges[%d]", i)
		x, prob := nativeExchange(path, raw)
		if prob != nil {
			p.Problems = append(p.Problems, *prob)
			continue
		}
		p.Exchanges = append(p.Exchanges, x)
	}
	return p, nil
}

func nativeExchange(path string, raw json.RawMessage) (*exchange.Exchange, *Problem) {
	m, err := object(path, raw)
	if err != nil {
		return nil, &err.(*InvalidError).Problems[0]
	}
	if m["request"] == nil {
		return nil, &Problem{Path: path + ".request", Msg: "missing"}
	}
	var x exchange.Exchange
	if err := json.Unmarshal(raw, &x); err != nil {
		pr := fieldProblem(path, err)
		return nil, &pr
	}
	switch {
	case x.Request.Method == "":
		return nil, &Problem{Path: path + ".request.method", Msg: "missing"}
	case x.Outcome != "" && !x.Outcome.Valid():
		return nil, &Problem{Path: path + ".outcome", Msg: fmt.Sprintf("%q is not an outcome", x.Outcome)}
	case x.Response.Status < 0 || x.Response.Status > 999:
		return nil, &Problem{Path: path + ".response.status", Msg: fmt.Sprintf("%d is not an HTTP status", x.Response.Status)}
	}
	for _, b := range []struct {
		field, body string
		is64        bool
	}{{"request.body", x.Request.Body, x.Request.IsBase64}, {"response.body", x.Response.Body, x.Response.IsBase64}} {
		if b.is64 {
			if _, err := base64.StdEncoding.DecodeString(b.body); err != nil {
				return nil, &Problem{Path: path + "." + b.field, Msg: "isBase64 is set but the body is not base64"}
			}
		}
	}
	x.Event, x.Function.RawResponse = validUTF8(x.Event), validUTF8(x.Function.RawResponse)
	if string(x.Event) == "null" {
		x.Event = nil
	}
	if string(x.Function.RawResponse) == "null" {
		x.Function.RawResponse = nil
	}
	x.Session = ""
	x.LogsTruncated = max(x.LogsTruncated, 0)
	return &x, nil
}

// validUTF8 re-encodes the invalid UTF-8 of a raw JSON document (a
// byte-flipped file) as U+FFFD, as encoding/json does for the strings it
// decodes: a raw document is kept as it is, and would otherwise reach the
// JSON API and exports as JSON no other tool reads. Invalid bytes can only
// be inside strings (the file parsed), so the result is still JSON.
func validUTF8(raw json.RawMessage) json.RawMessage {
	if utf8.Valid(raw) {
		return raw
	}
	return bytes.ToValidUTF8(raw, []byte("\uFFFD"))
}

// Importer is what an import writes to; *store.DB implements it.
type Importer interface {
	Session(ctx context.Context, idOrName string) (*store.Session, error)
	ImportExchanges(ctx context.Context, sessionName, note string, xs []*exchange.Exchange) (*store.Session, error)
}

var _ Importer = (*store.DB)(nil)

// ImportOptions configure an import.
type ImportOptions struct {
	// Session is the session to import into (created if new; an existing
	// one is added to). Default: the exported session's name, or a new
	// "imported ..." name when that is taken or absent.
	Session string
	// Partial imports the valid entries of a file with bad ones; without
	// it a single bad entry imports nothing.
	Partial bool
	Now     func() time.Time

	limit int64 // tests: a lower MaxImportSize
}

// ImportResult says what an import did.
type ImportResult struct {
	Format   string         `json:"format"`
	Session  *store.Session `json:"session"`
	Imported int            `json:"imported"`
	Skipped  []Problem      `json:"skipped"`
}

// Import parses r and stores its exchanges in one transaction: all of them,
// or (with Partial) all the valid ones, or none.
func Import(ctx context.Context, st Importer, r io.Reader, opts ImportOptions) (*ImportResult, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.limit == 0 {
		opts.limit = MaxImportSize
	}
	p, err := parse(r, opts.limit)
	if err != nil {
		return nil, err
	}
	if len(p.Problems) > 0 && (!opts.Partial || len(p.Exchanges) == 0) {
		return nil, &InvalidError{Problems: p.Problems}
	}
	name := strings.TrimSpace(opts.Session)
	if name == "" {
		name = strings.TrimSpace(p.Session.Name)
		if name != "" {
			if _, err := st.Session(ctx, name); err == nil {
				name += " (imported " + opts.Now().Format("2006-01-02 15:04:05") + ")"
			} else if !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
		}
	}
	if name == "" {
		name = "imported " + opts.Now().Format("2006-01-02 15:04:05")
	}
	attachTraces(p.Exchanges, p.Traces)
	s, err := st.ImportExchanges(ctx, name, p.Session.Note, p.Exchanges)
	if err != nil {
		return nil, err
	}
	skipped := p.Problems
	if skipped == nil {
		skipped = []Problem{}
	}
	return &ImportResult{Format: p.Format, Session: s, Imported: len(p.Exchanges), Skipped: skipped}, nil
}
