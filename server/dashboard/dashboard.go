// Package dashboard serves what a developer reads on the UI address: the
// live list and the exchange inspector (pages), and the JSON API over
// exchanges and sessions, with their stars, notes and names. Its handlers
// are mounted by package ui, which holds the address's one route table.
package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/store"
)

// Store is what the dashboard reads and annotates; *store.DB implements it.
type Store interface {
	Exchanges(ctx context.Context, f store.Filter) ([]*exchange.Exchange, string, error)
	Exchange(ctx context.Context, id string) (*exchange.Exchange, error)
	Sessions(ctx context.Context) ([]*store.Session, error)
	Session(ctx context.Context, idOrName string) (*store.Session, error)
	DeleteSession(ctx context.Context, id string) error
	UpdateSession(ctx context.Context, id string, u store.SessionUpdate) (*store.Session, error)
	Stats(ctx context.Context, session string) (*store.Stats, error)
	RouteCounts(ctx context.Context, session string) ([]store.RouteCount, error)
	// Annotate fills in stars and notes, which live beside the exchanges.
	Annotate(ctx context.Context, xs []*exchange.Exchange) error
	SetStar(ctx context.Context, exchangeID string, starred bool) error
	SetNote(ctx context.Context, exchangeID, note string) error
	// TraceOf and TraceDocs read an exchange's X-Ray trace.
	TraceOf(ctx context.Context, exchangeID string) (*store.ExchangeTrace, error)
	TraceDocs(ctx context.Context, traceID string) ([]json.RawMessage, error)
	TraceDocsMany(ctx context.Context, traceIDs []string) (map[string][]json.RawMessage, error)
	// Deployments are gatescope's start and its reloads, newest first.
	Deployments(ctx context.Context, limit int) ([]*exchange.Deployment, error)
	Deployment(ctx context.Context, id int64) (*exchange.Deployment, error)
}

var _ Store = (*store.DB)(nil)

// ErrStarting is what Options.Health returns (wrapped) while gatescope is
// still building functions: /api/health then answers 503 "starting".
var ErrStarting = errors.New("starting")

// Counters are the capture pipeline's counters since start.
type Counters struct {
	Captured uint64 `json:"captured"`
	Dropped  uint64 `json:"dropped"`
}

// Options are the dashboard's dependencies. Store is required; a nil
// Health or Counters reports ready and zero.
type Options struct {
	Store Store
	// Health reports readiness: nil → 200 {"status":"ok"}; an error wrapping
	// ErrStarting → 503 "starting"; any other error → 503 "error".
	Health func() error
	// Counters feeds the UI's counters and /api/stats.
	Counters func() Counters
	// CanReplay shows the inspector's replay buttons.
	CanReplay bool
	// APIAddr is the api address, for "copy as curl" of a request that
	// names no Host (default 127.0.0.1:3000).
	APIAddr string
	// NotEmulated is what the template declares and gatescope does not
	// emulate, grouped by feature; the list page shows it.
	NotEmulated []Notice
	// Connections are the open WebSocket connections (connections.go);
	// nil when there are none to show or send to.
	Connections Connections
	// NotEmulatedNow, when set, gives that list as it is now, in place of
	// NotEmulated: a reload of the template changes it.
	NotEmulatedNow func() []Notice
}

// Notice is one feature the template declares that gatescope does not
// emulate, and where ("Resource.Property (file:line)").
type Notice struct {
	Message string
	Where   []string
}

// listPageSize is how many rows the list page renders; maxRows bounds the
// rows the live list keeps in the DOM.
const (
	listPageSize = 100
	maxRows      = 500
)

// Handlers serve the dashboard's pages and JSON API.
type Handlers struct {
	log  *slog.Logger
	opts Options
}

// New returns the handlers. It panics without a Store, a wiring bug that
// should fail at start.
func New(logger *slog.Logger, opts Options) *Handlers {
	if opts.Store == nil {
		panic("dashboard.New: Options.Store is required")
	}
	if opts.APIAddr == "" {
		opts.APIAddr = "127.0.0.1:3000"
	}
	return &Handlers{log: logger, opts: opts}
}

func (h *Handlers) counters() Counters {
	if h.opts.Counters == nil {
		return Counters{}
	}
	return h.opts.Counters()
}
