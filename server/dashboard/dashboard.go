// Package dashboard serves the gatescope UI on the ui address: the HTML
// pages (live list, exchange inspector), the JSON API under /api, the live
// websocket feed and whatever extra routes the caller mounts (the Lambda
// Invoke API). It reads the store and never writes exchanges itself.
package dashboard

import (
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/store"
	"github.com/gatescope/gatescope/web"
)

// Store is what the dashboard reads; *store.DB implements it.
type Store interface {
	Exchanges(ctx context.Context, f store.Filter) ([]*exchange.Exchange, string, error)
	Exchange(ctx context.Context, id string) (*exchange.Exchange, error)
	Sessions(ctx context.Context) ([]*store.Session, error)
	Session(ctx context.Context, idOrName string) (*store.Session, error)
	DeleteSession(ctx context.Context, id string) error
	Stats(ctx context.Context, session string) (*store.Stats, error)
	RouteCounts(ctx context.Context, session string) ([]store.RouteCount, error)
	// Annotate fills in stars and notes, which live beside the exchanges.
	Annotate(ctx context.Context, xs []*exchange.Exchange) error
}

var _ Store = (*store.DB)(nil)

// Live serves the live feed websocket (capture's Hub).
type Live interface {
	ServeWS(http.ResponseWriter, *http.Request)
}

// Replayer replays a stored exchange, possibly edited, and returns the new
// exchange (with ReplayOf set). It returns errors wrapping store.ErrNotFound
// for an unknown exchange and ErrBadRequest for a request it cannot honour.
type Replayer interface {
	Replay(ctx context.Context, id string, req ReplayRequest) (*exchange.Exchange, error)
}

// ReplayRequest is the optional body of POST /api/exchanges/{id}/replay.
// Request and Event are exclusive; with neither, the original is replayed.
type ReplayRequest struct {
	Request *EditedRequest  `json:"request,omitempty"`
	Event   json.RawMessage `json:"event,omitempty"`
	// Target is "local", a function name or an ARN; "" keeps the original's.
	Target string `json:"target,omitempty"`
}

// EditedRequest overrides parts of the original HTTP request; zero fields
// (nil Headers, nil Body) keep the original's.
type EditedRequest struct {
	Method  string              `json:"method,omitempty"`
	Path    string              `json:"path,omitempty"`
	Query   string              `json:"query,omitempty"`
	Headers map[string][]string `json:"headers,omitempty"`
	Body    *string             `json:"body,omitempty"`
}

// Counters are the capture pipeline's counters since start.
type Counters struct {
	Captured uint64 `json:"captured"`
	Dropped  uint64 `json:"dropped"`
}

// Options are the dashboard's dependencies. Store is required; a nil Live,
// Replay, Health or Counters disables (or zeroes) what depends on it.
type Options struct {
	Store Store
	Live  Live
	// Replay serves the replay endpoint and button; nil answers 501.
	Replay Replayer
	// Health reports readiness: nil → 200 {"status":"ok"}; an error wrapping
	// ErrStarting → 503 "starting"; any other error → 503 "error".
	Health func() error
	// Counters feeds the UI's counters and /api/stats.
	Counters func() Counters
	// Mount registers extra routes on the same mux, e.g. the Invoke API.
	Mount func(mux *http.ServeMux)
}

// listPageSize is how many rows the list page renders; maxRows bounds the
// rows the live list keeps in the DOM.
const (
	listPageSize = 100
	maxRows      = 500
)

type server struct {
	log  *slog.Logger
	opts Options
}

// New returns the dashboard handler. It panics without a Store, a wiring
// bug that should fail at start.
func New(logger *slog.Logger, opts Options) http.Handler {
	if opts.Store == nil {
		panic("dashboard.New: Options.Store is required")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &server{log: logger, opts: opts}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/health", s.getHealth)
	mux.HandleFunc("GET /api/exchanges", s.listExchanges)
	mux.HandleFunc("GET /api/exchanges/{id}", s.getExchange)
	mux.HandleFunc("POST /api/exchanges/{id}/replay", s.replayExchange)
	mux.HandleFunc("GET /api/sessions", s.listSessions)
	mux.HandleFunc("DELETE /api/sessions/{id}", s.deleteSession)
	mux.HandleFunc("GET /api/stats", s.getStats)
	mux.HandleFunc("GET /api/live", s.live)
	mux.HandleFunc("/api/", s.apiNotFound)

	mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler(web.Static)))
	mux.HandleFunc("GET /{$}", s.listPage)
	mux.HandleFunc("GET /exchanges/{id}", s.exchangePage)
	mux.HandleFunc("GET /exchanges/{id}/body/{part}", s.exchangeBody)
	mux.HandleFunc("GET /exchanges/{id}/event.json", s.exchangeEvent)
	mux.HandleFunc("/", s.pageNotFound)
	if opts.Mount != nil {
		opts.Mount(mux)
	}
	return secureHeaders(mux)
}

// secureHeaders sets headers every dashboard answer carries. Captured bodies
// are user content shown on this origin, so scripts run only from /static.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "+
			"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		next.ServeHTTP(w, r)
	})
}

// staticHandler serves the embedded assets; pages ask for them with a
// content version in the query, so they may be cached for long.
func staticHandler(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("v") != "" {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}
