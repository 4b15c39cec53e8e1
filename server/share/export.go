package share

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/store"
)

// NativeFormat versions the native export; importers refuse other values.
const NativeFormat = "gatescope/v1"

// Formats an export can be written in.
const (
	FormatHAR  = "har"
	FormatJSON = "json"
	// FormatHTML is the share file: one self-contained HTML document that
	// shows the session read-only and embeds its native export.
	FormatHTML = "html"
)

// Native is gatescope's native export: the Exchange records as the JSON API
// shows them, plus the session and what redaction did.
type Native struct {
	Format     string               `json:"format"`
	Creator    HARCreator           `json:"creator"`
	ExportedAt time.Time            `json:"exportedAt"`
	Session    NativeSession        `json:"session"`
	Exchanges  []*exchange.Exchange `json:"exchanges"`
	Redaction  *Report              `json:"redaction"`
	// Traces are the exchanges' X-Ray traces (see Exchange.TraceID).
	Traces []TraceExport `json:"traces,omitempty"`
}

// NativeSession is the exported session.
type NativeSession struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Note string `json:"note,omitempty"`
}

// Exporter is what exports read; *store.DB implements it.
type Exporter interface {
	Session(ctx context.Context, idOrName string) (*store.Session, error)
	Exchanges(ctx context.Context, f store.Filter) ([]*exchange.Exchange, string, error)
	Annotate(ctx context.Context, xs []*exchange.Exchange) error
	TraceDocsMany(ctx context.Context, traceIDs []string) (map[string][]json.RawMessage, error)
}

var _ Exporter = (*store.DB)(nil)

// Selection picks the exchanges of a session to export. Zero fields select
// everything.
type Selection struct {
	Session string // id or name; required
	// Filter narrows by route, method, outcome, status class, text, time.
	// Its Session, Before, After and Limit are ignored.
	Filter  store.Filter
	IDs     []string // only these exchanges
	Starred bool     // only starred exchanges
}

// ExportOptions configure an export.
type ExportOptions struct {
	Format  string // FormatHAR, FormatJSON (default) or FormatHTML
	Rules   Rules
	Version string // gatescope's version, for log.creator
	Now     func() time.Time
	// APIAddr completes HAR URLs of requests that name no Host (default
	// 127.0.0.1:3000, gatescope's default api address).
	APIAddr string
}

// ExportResult says what was exported.
type ExportResult struct {
	Session   *store.Session
	Exchanges int
	Redaction *Report
}

// Export writes the selected exchanges, oldest first, redacted unless
// opts.Rules.Off. The stored exchanges are never modified.
func Export(ctx context.Context, st Exporter, w io.Writer, sel Selection, opts ExportOptions) (*ExportResult, error) {
	res, err := export(ctx, st, w, sel, opts)
	if err != nil {
		return nil, fmt.Errorf("export session %q: %w", sel.Session, err)
	}
	return res, nil
}

func export(ctx context.Context, st Exporter, w io.Writer, sel Selection, opts ExportOptions) (*ExportResult, error) {
	if opts.Format == "" {
		opts.Format = FormatJSON
	}
	if opts.Format != FormatHAR && opts.Format != FormatJSON && opts.Format != FormatHTML {
		return nil, fmt.Errorf("%w: format %q: want har, json or html", ErrInvalid, opts.Format)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	rd, err := NewRedactor(opts.Rules)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	s, xs, err := load(ctx, st, sel)
	if err != nil {
		return nil, err
	}
	traces, err := exportTraces(ctx, st, xs, rd)
	if err != nil {
		return nil, err
	}
	for i, x := range xs {
		xs[i] = rd.Exchange(x)
	}
	sess := NativeSession{ID: s.ID, Name: s.Name, Note: rd.Text(s.Note)}
	rep := rd.Report()
	if rep == nil {
		rep = &Report{Rules: []Rule{}, Disabled: true}
	}
	res := &ExportResult{Session: s, Exchanges: len(xs), Redaction: rep}
	var doc any
	if opts.Format == FormatHAR {
		h := toHAR(xs, sess, opts.Version, opts.APIAddr, rep)
		h.Log.Gatescope.Traces = traces
		doc = h
	} else {
		n := &Native{Format: NativeFormat, Creator: HARCreator{Name: "gatescope", Version: opts.Version},
			ExportedAt: opts.Now().UTC(), Session: sess, Exchanges: xs, Redaction: rep, Traces: traces}
		if opts.Format == FormatHTML {
			if err := writeShareFile(ctx, w, n); err != nil {
				return nil, err
			}
			return res, nil
		}
		doc = n
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("write: %w", err)
	}
	return res, nil
}

// load reads the selected exchanges, oldest first, with their annotations.
func load(ctx context.Context, st Exporter, sel Selection) (*store.Session, []*exchange.Exchange, error) {
	s, err := st.Session(ctx, sel.Session)
	if err != nil {
		return nil, nil, err
	}
	f := sel.Filter
	f.Session, f.After, f.Limit = s.ID, "", store.MaxLimit
	var xs []*exchange.Exchange
	for f.Before = ""; ; {
		page, next, err := st.Exchanges(ctx, f)
		if err != nil {
			return nil, nil, err
		}
		xs = append(xs, page...)
		if next == "" {
			break
		}
		f.Before = next
	}
	slices.Reverse(xs) // oldest first reads naturally and re-imports in order
	if err := st.Annotate(ctx, xs); err != nil {
		return nil, nil, err
	}
	if len(sel.IDs) > 0 || sel.Starred {
		xs = slices.DeleteFunc(xs, func(x *exchange.Exchange) bool {
			return (len(sel.IDs) > 0 && !slices.Contains(sel.IDs, x.ID)) || (sel.Starred && !x.Starred)
		})
	}
	return s, xs, nil
}
