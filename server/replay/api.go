package replay

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

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/httpjson"
	"github.com/gatescope/gatescope/store"
)

// maxOptionsBody bounds the body of a session replay: a few options.
const maxOptionsBody = 64 << 10

// Handlers serve the replay JSON API. Mount them beside the dashboard's
// routes (dashboard.Options.Mount).
type Handlers struct {
	log *slog.Logger
	r   *Replayer
}

// NewHandlers returns the JSON API over r.
func NewHandlers(logger *slog.Logger, r *Replayer) *Handlers {
	return &Handlers{log: logger, r: r}
}

// Register adds the replay API routes to mux. POST /api/exchanges/{id}/replay
// is the dashboard's own.
func (h *Handlers) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/sessions/{id}/replay", h.replaySession)
	mux.HandleFunc("GET /api/exchanges/{id}/diff", h.getDiff)
	mux.HandleFunc("GET /api/exchanges/{id}/replays", h.listReplays)
}

// errBadRequest marks what the client got wrong: 400 with the message.
var errBadRequest = errors.New("bad request")

func (h *Handlers) replaySession(w http.ResponseWriter, r *http.Request) {
	opts, err := DecodeSessionOptions(http.MaxBytesReader(w, r.Body, maxOptionsBody))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rep, err := h.r.ReplaySession(r.Context(), r.PathValue("id"), opts)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, rep)
}

// DecodeSessionOptions reads the optional body of a session replay
// strictly: an unknown field or trailing data is an error, so a typo never
// replays with defaults.
func DecodeSessionOptions(body io.Reader) (SessionOptions, error) {
	var opts SessionOptions
	b, err := io.ReadAll(body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return opts, fmt.Errorf("%w: replay options are larger than %d bytes", errBadRequest, tooBig.Limit)
		}
		return opts, fmt.Errorf("read replay options: %w", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return opts, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&opts); err != nil {
		return opts, fmt.Errorf("%w: invalid replay options: %s", errBadRequest, httpjson.Problem(err))
	}
	if dec.More() {
		return opts, fmt.Errorf("%w: invalid replay options: unexpected data after the JSON object", errBadRequest)
	}
	if opts.Concurrency < 0 || opts.Concurrency > MaxConcurrency {
		return opts, fmt.Errorf("%w: concurrency %d: want 1 to %d", errBadRequest, opts.Concurrency, MaxConcurrency)
	}
	return opts, nil
}

func (h *Handlers) getDiff(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d, _, _, err := h.r.DiffOf(r.Context(), r.PathValue("id"), q.Get("against"), Ignores(q["ignore"]))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, d)
}

// Ignores splits repeated and comma-separated ignore values.
func Ignores(vs []string) []string {
	var out []string
	for _, v := range vs {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

type replaysResponse struct {
	Replays []*exchange.Exchange `json:"replays"`
}

func (h *Handlers) listReplays(w http.ResponseWriter, r *http.Request) {
	xs, err := h.r.Replays(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, replaysResponse{Replays: xs})
}

// StatusOf maps an error to its HTTP status, cancellation first.
func StatusOf(err error) int {
	switch {
	case errors.Is(err, context.Canceled):
		return 499
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.Is(err, errBadRequest), errors.Is(err, ErrBadEdit):
		return http.StatusBadRequest
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}

// fail answers err as {"error": msg}, logging server faults once here.
func (h *Handlers) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := StatusOf(err)
	if code >= 500 {
		h.log.Error("replay API", slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", code), slog.Any("err", err))
	}
	httpjson.Write(w, code, map[string]string{"error": err.Error()})
}
