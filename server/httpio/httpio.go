// Package httpio is what every handler on gatescope's UI address does alike:
// decode a JSON request body strictly, map an error to its HTTP status in
// one place, and write a JSON answer or an HTML page through a buffer. It
// knows no route.
package httpio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/a-h/templ"

	"github.com/gatescope/gatescope/store"
	"github.com/gatescope/gatescope/web"
)

// Kind is a sentinel error that names the HTTP status it is answered with.
// Packages declare their client errors as kinds (share.ErrInvalid,
// replay.ErrBadEdit) and wrap them with %w; Status finds them.
type Kind struct {
	msg    string
	status int
}

// NewKind returns a sentinel error answered with status.
func NewKind(msg string, status int) *Kind { return &Kind{msg: msg, status: status} }

func (k *Kind) Error() string { return k.msg }

// The kinds this package's own helpers return.
var (
	// ErrBadRequest marks what the client got wrong: 400 with the message.
	ErrBadRequest = NewKind("bad request", http.StatusBadRequest)
	// ErrTooLarge marks a request body over its limit: 413.
	ErrTooLarge = NewKind("too large", http.StatusRequestEntityTooLarge)
)

// BadRequest returns an ErrBadRequest whose message is the formatted text
// alone: the client reads it as written.
func BadRequest(format string, args ...any) error {
	return &wrapped{msg: fmt.Sprintf(format, args...), kind: ErrBadRequest}
}

type wrapped struct {
	msg  string
	kind *Kind
}

func (e *wrapped) Error() string { return e.msg }
func (e *wrapped) Unwrap() error { return e.kind }

// StatusClientClosed is nginx's "client closed request"; nobody reads it,
// but logs and tests can tell it from a server fault.
const StatusClientClosed = 499

// Status maps an error to its HTTP status. Cancellation comes first: a
// client that went away is neither a 404 nor a server fault.
func Status(err error) int {
	var k *Kind
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, context.Canceled):
		return StatusClientClosed
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.As(err, &k):
		return k.status
	case errors.Is(err, store.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, store.ErrNameTaken):
		return http.StatusConflict
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}

// WriteJSON encodes v to a buffer first so an encoding error never leaves a
// half-written 200 behind. API answers are never cached.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		http.Error(w, `{"error":"encode response"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

// Detailed is an error that carries structured details for the client
// (share.InvalidError's list of problems); Error puts them beside the message.
type Detailed interface {
	error
	Details() (key string, value any)
}

// Error answers err as {"error": msg}, with the status Status gives, and
// logs server faults: handlers neither log nor pick statuses themselves.
func Error(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	code := Status(err)
	logFault(log, r, code, err)
	body := map[string]any{"error": err.Error()}
	var d Detailed
	if errors.As(err, &d) {
		k, v := d.Details()
		body[k] = v
	}
	WriteJSON(w, code, body)
}

func logFault(log *slog.Logger, r *http.Request, code int, err error) {
	if code >= 500 {
		log.Error("request failed", slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", code), slog.Any("err", err))
	}
}

// DecodeOptions say how Decode reads a body.
type DecodeOptions struct {
	// Limit bounds the body in bytes; more is ErrTooLarge.
	Limit int64
	// Optional lets an empty body leave v untouched.
	Optional bool
}

// Decode reads a JSON body into v strictly: unknown fields and trailing
// data are errors, so a typo never silently means "the default". Errors
// wrap ErrBadRequest (or ErrTooLarge) and say what was wrong in words.
func Decode(w http.ResponseWriter, r *http.Request, v any, o DecodeOptions) error {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, o.Limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fmt.Errorf("%w: the body is larger than %d bytes", ErrTooLarge, tooBig.Limit)
		}
		return fmt.Errorf("read body: %w", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		if o.Optional {
			return nil
		}
		return BadRequest("the body is empty: want a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return BadRequest("invalid body: %s", Problem(err))
	}
	if dec.More() {
		return BadRequest("invalid body: unexpected data after the JSON object")
	}
	return nil
}

// Problem words a decoding error for the client, with the byte offset when
// encoding/json knows it.
func Problem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("%s (at byte %d)", syn.Error(), syn.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("field %q must be %s, not JSON %s", typ.Field, typ.Type, typ.Value)
		}
		return fmt.Sprintf("want a JSON object, not %s", typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// Page renders c through a buffer, so a failing template yields a clean
// 500 rather than half a page. Pages are never cached: they show live data.
func Page(log *slog.Logger, w http.ResponseWriter, r *http.Request, code int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		logFault(log, r, http.StatusInternalServerError, fmt.Errorf("render page: %w", err))
		http.Error(w, "gatescope: this page failed to render; see the gatescope log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

// PageError answers a failed page with the status Status gives, as the
// not-found page with a title that says which kind of failure it was.
func PageError(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	code := Status(err)
	logFault(log, r, code, err)
	title := "Something went wrong"
	switch {
	case code == http.StatusNotFound:
		title = "Not found"
	case code < 500:
		title = "Bad request"
	}
	Page(log, w, r, code, web.NotFound(web.NotFoundView{Title: title, Message: err.Error()}))
}
