package dashboard

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/httpio"
	"github.com/gatescope/gatescope/store"
	"github.com/gatescope/gatescope/web"
)

// The WebSocket connection view: the open connections, one connection's
// life as frames in and out (from its exchanges), and sending to it as its
// client or as the server (through the @connections API).

// Connections is the gateway's side of WebSocket connections
// (gateway.Gateway): which are open, and sending to one.
type Connections interface {
	Connections() []exchange.Connection
	// Inject handles data as a message from the connection's client.
	Inject(ctx context.Context, id string, data []byte) (*exchange.Exchange, error)
	// PostToConnection sends data through the @connections API.
	PostToConnection(ctx context.Context, id string, data []byte) (*exchange.Exchange, error)
}

// errGone answers sending to a connection that is not open.
var errGone = httpio.NewKind("the WebSocket connection is closed", http.StatusGone)

// timelineExchanges bounds the exchanges a connection page renders; the
// newest are kept.
const timelineExchanges = 500

// maxMessage bounds what the send boxes take: API Gateway's message limit,
// plus room for the JSON around it.
const maxMessage = 128<<10 + 1024

func connectionHref(id string) string { return "/connections/" + url.PathEscape(id) }

func (h *Handlers) open() []exchange.Connection {
	if h.opts.Connections == nil {
		return nil
	}
	return h.opts.Connections.Connections()
}

func (h *Handlers) openConnection(id string) (exchange.Connection, bool) {
	for _, c := range h.open() {
		if c.ID == id {
			return c, true
		}
	}
	return exchange.Connection{}, false
}

// ConnectionsPage serves GET /connections.
func (h *Handlers) ConnectionsPage(w http.ResponseWriter, r *http.Request) {
	var v web.ConnectionsView
	now := time.Now()
	open := map[string]bool{}
	for _, c := range h.open() {
		v.Open = append(v.Open, connRow(c, now))
		open[c.ID] = true
	}
	xs, _, err := h.opts.Store.Exchanges(r.Context(), store.Filter{Route: "$connect", Limit: 20})
	if err != nil {
		v.Error = err.Error()
	}
	for _, x := range xs {
		if x.ConnectionID == "" || x.Response.Status != http.StatusSwitchingProtocols {
			continue
		}
		row := web.ConnRow{ID: x.ConnectionID, Href: connectionHref(x.ConnectionID), API: x.API.ID + " " + x.API.Stage,
			Source: source(x.Request.Headers), Since: localTime(x.StartedAt), SinceTS: x.StartedAt.Format(time.RFC3339Nano),
			Open: open[x.ConnectionID]}
		v.Recent = append(v.Recent, row)
	}
	httpio.Page(h.log, w, r, http.StatusOK, web.Connections(v))
}

func connRow(c exchange.Connection, now time.Time) web.ConnRow {
	src := c.SourceIP
	if c.UserAgent != "" {
		src += " · " + c.UserAgent
	}
	return web.ConnRow{ID: c.ID, Href: connectionHref(c.ID), API: c.API.ID + " " + c.API.Stage, Source: src,
		Since: localTime(c.ConnectedAt), SinceTS: c.ConnectedAt.Format(time.RFC3339Nano),
		Age: web.FormatAge(now.Sub(c.ConnectedAt)), In: c.In, Out: c.Out, Open: true}
}

func localTime(t time.Time) string { return t.Local().Format("15:04:05.000") }

func source(h map[string][]string) string {
	for k, vs := range h {
		if strings.EqualFold(k, "User-Agent") && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// ConnectionPage serves GET /connections/{id}: the connection's timeline.
func (h *Handlers) ConnectionPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	xs, next, err := h.opts.Store.Exchanges(r.Context(), store.Filter{Connection: id, Limit: timelineExchanges})
	if err != nil {
		httpio.PageError(h.log, w, r, err)
		return
	}
	c, open := h.openConnection(id)
	if len(xs) == 0 && !open {
		httpio.Page(h.log, w, r, http.StatusNotFound, web.NotFound(web.NotFoundView{Title: "Connection not found",
			Message: fmt.Sprintf("No WebSocket connection %q is open or stored. Its exchanges may have been pruned.", id)}))
		return
	}
	slices.Reverse(xs) // oldest first
	v := web.ConnectionView{ID: id, Open: open, Truncated: next != ""}
	if len(xs) > 0 {
		v.Cursor = xs[len(xs)-1].ID
		v.API = xs[0].API.ID + " " + xs[0].API.Stage
	}
	for _, x := range xs {
		v.Frames = append(v.Frames, framesOf(x)...)
		switch x.RouteKey {
		case "$connect":
			v.Since, v.SinceTS, v.Source = localTime(x.StartedAt), x.StartedAt.Format(time.RFC3339Nano), source(x.Request.Headers)
		case "$disconnect":
			if len(x.Frames) > 0 {
				v.Closed = closeText(x.Frames[0])
			}
		}
		for _, f := range x.Frames {
			switch {
			case f.Opcode != exchange.OpText:
			case f.Dir == exchange.FrameIn:
				v.In++
			default:
				v.Out++
			}
		}
	}
	slices.SortStableFunc(v.Frames, func(a, b web.FrameRow) int { return cmp.Compare(a.Ms, b.Ms) })
	if open {
		v.API, v.In, v.Out = c.API.ID+" "+c.API.Stage, c.In, c.Out
		v.Since, v.SinceTS = localTime(c.ConnectedAt), c.ConnectedAt.Format(time.RFC3339Nano)
		v.Source = c.SourceIP
		if c.UserAgent != "" {
			v.Source += " · " + c.UserAgent
		}
	}
	httpio.Page(h.log, w, r, http.StatusOK, web.Connection(v))
}

// closeText says how a connection closed: "1001 Going away".
func closeText(f exchange.Frame) string {
	return strings.TrimSpace(strconv.Itoa(f.Code) + " " + f.Data)
}

// framesOf is the timeline rows of one exchange of a connection: its
// handshake, the frames it carried, a refused @connections post. It is
// connections.js's framesOf; web/testdata/frames.json keeps them alike.
func framesOf(x *exchange.Exchange) []web.FrameRow {
	href := exchangeHref(x.ID)
	failed := x.Failed()
	row := func(dir, kind, data, label string, at time.Time) web.FrameRow {
		return web.FrameRow{Dir: dir, Kind: kind, Data: data, Label: label, Size: fmtSize(len(data)), Href: href, Failed: failed,
			Time: localTime(at), TimeISO: at.UTC().Format(time.RFC3339Nano), Ms: at.UnixMilli()}
	}
	var out []web.FrameRow
	post := x.Request.Method == http.MethodPost && strings.HasSuffix(x.RouteKey, "@connections")
	switch {
	case x.RouteKey == "$connect" && x.Response.Status == http.StatusSwitchingProtocols:
		out = append(out, row(exchange.FrameIn, "connect", "connected", "$connect", x.StartedAt))
	case x.RouteKey == "$connect":
		out = append(out, row(exchange.FrameIn, "refused", x.Response.Body, "$connect "+strconv.Itoa(x.Response.Status), x.StartedAt))
	case post && len(x.Frames) == 0:
		out = append(out, row(exchange.FrameOut, "refused", x.Request.Body, "@connections "+strconv.Itoa(x.Response.Status), x.StartedAt))
	}
	for _, f := range x.Frames {
		switch {
		case f.Opcode == exchange.OpClose:
			out = append(out, row(f.Dir, "close", f.Data, "close "+strconv.Itoa(f.Code), f.At))
		case post:
			out = append(out, row(f.Dir, "text", f.Data, "@connections", f.At))
		case f.Dir == exchange.FrameIn:
			label := x.RouteKey
			if label == "" {
				label = "no route"
			}
			out = append(out, row(f.Dir, "text", f.Data, label, f.At))
		default:
			label := "reply"
			if failed {
				label = "API Gateway"
			}
			out = append(out, row(f.Dir, "text", f.Data, label, f.At))
		}
	}
	return out
}

type connectionsResponse struct {
	Connections []exchange.Connection `json:"connections"`
}

// ListConnections serves GET /api/connections: the open WebSocket
// connections, oldest first.
func (h *Handlers) ListConnections(w http.ResponseWriter, r *http.Request) {
	cs := h.open()
	if cs == nil {
		cs = []exchange.Connection{}
	}
	httpio.WriteJSON(w, http.StatusOK, connectionsResponse{Connections: cs})
}

// GetConnection serves GET /api/connections/{id}: the connection while it
// is open (its exchanges are at /api/exchanges?connection=).
func (h *Handlers) GetConnection(w http.ResponseWriter, r *http.Request) {
	c, ok := h.openConnection(r.PathValue("id"))
	if !ok {
		httpio.Error(h.log, w, r, errGone)
		return
	}
	httpio.WriteJSON(w, http.StatusOK, c)
}

type sendBody struct {
	Data string `json:"data"`
}

type sentResponse struct {
	Exchange *exchange.Exchange `json:"exchange"`
}

// SendMessage serves POST /api/connections/{id}/messages: {"data"} handled
// as a message from the connection's client.
func (h *Handlers) SendMessage(w http.ResponseWriter, r *http.Request) {
	h.send(w, r, func(ctx context.Context, id string, data []byte) (*exchange.Exchange, error) {
		return h.opts.Connections.Inject(ctx, id, data)
	})
}

// PostMessage serves POST /api/connections/{id}/posts: {"data"} sent to
// the client through the @connections API, as a function would.
func (h *Handlers) PostMessage(w http.ResponseWriter, r *http.Request) {
	h.send(w, r, func(ctx context.Context, id string, data []byte) (*exchange.Exchange, error) {
		return h.opts.Connections.PostToConnection(ctx, id, data)
	})
}

func (h *Handlers) send(w http.ResponseWriter, r *http.Request, do func(context.Context, string, []byte) (*exchange.Exchange, error)) {
	var body sendBody
	if err := httpio.Decode(w, r, &body, httpio.DecodeOptions{Limit: maxMessage}); err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	if h.opts.Connections == nil {
		httpio.Error(h.log, w, r, errGone)
		return
	}
	x, err := do(r.Context(), r.PathValue("id"), []byte(body.Data))
	switch {
	case errors.Is(err, exchange.ErrConnectionGone):
		httpio.Error(h.log, w, r, errGone)
	case err != nil && x != nil:
		// The call was made and refused (410, 413): the exchange says why.
		httpio.WriteJSON(w, x.Response.Status, map[string]any{"error": err.Error(), "exchange": x})
	case err != nil:
		httpio.Error(h.log, w, r, err)
	default:
		httpio.WriteJSON(w, http.StatusOK, sentResponse{Exchange: x})
	}
}
