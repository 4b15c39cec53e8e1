package dashboard

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/httpio"
	"github.com/gatescope/gatescope/store"
	"github.com/gatescope/gatescope/web"
)

// PageNotFound answers page paths no route serves.
func (h *Handlers) PageNotFound(w http.ResponseWriter, r *http.Request) {
	httpio.Page(h.log, w, r, http.StatusNotFound, web.NotFound(web.NotFoundView{
		Title: "Not found", Message: fmt.Sprintf("Nothing lives at %s.", r.URL.Path)}))
}

var methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

// ListPage serves GET /, the live list: the first window of rows, which
// list.js then virtualises over the whole list.
func (h *Handlers) ListPage(w http.ResponseWriter, r *http.Request) {
	params := r.URL.Query()
	q, err := parseQuery(params, listPageSize)
	if !params.Has("session") && h.opts.Session != "" {
		q.Session = h.opts.Session // the current run's, unless asked for another or all (*)
	}
	q.Count = true
	v := web.ListView{Filter: q.Form, Live: q.Before == "" && q.After == "", AllSessions: q.Session == ""}
	notEmulated := h.opts.NotEmulated
	if h.opts.NotEmulatedNow != nil {
		notEmulated = h.opts.NotEmulatedNow()
	}
	for _, n := range notEmulated {
		v.NotEmulated = append(v.NotEmulated, web.Notice{Message: n.Message, Where: n.Where})
	}
	c := h.counters()
	v.Captured, v.Dropped = c.Captured, c.Dropped
	h.fillOptions(r.Context(), &v, q.Session)
	code := http.StatusOK
	if err == nil {
		var win *store.Window
		win, err = h.opts.Store.List(r.Context(), q.ListQuery)
		switch {
		case errors.Is(err, store.ErrNotFound):
			err = httpio.BadRequest("That page no longer exists: its first exchange was deleted.")
		case errors.Is(err, store.ErrBadCursor):
			err = httpio.BadRequest("%v", err)
		}
		if err == nil {
			names := map[string]string{}
			for _, o := range v.Sessions {
				names[o.ID] = o.Value
			}
			for _, s := range win.Items {
				v.Rows = append(v.Rows, rowOf(s, names[s.Session]))
			}
			v.Total, v.Snapshot = win.Total, win.Snapshot
			if win.Next != "" && q.Sort == store.SortTime && len(win.Items) > 0 {
				v.OlderHref = olderHref(params, win.Items[len(win.Items)-1].ID)
			}
		}
		if err == nil {
			var fc *store.Facets
			if fc, err = h.opts.Store.Facets(r.Context(), q.Filter); err == nil {
				v.Chips = chipsOf(fc, q.Form)
			}
		}
	}
	if err != nil {
		code = httpio.Status(err)
		v.Error = err.Error()
		if code >= 500 {
			h.log.Error("list page", slog.Any("err", err))
		}
	}
	if v.Live {
		// A convenience, as the filters: a failing query leaves it out.
		if ds, err := h.opts.Store.Deployments(r.Context(), shownDeployments); err == nil {
			for _, d := range ds {
				v.Deployments = append(v.Deployments, deployRowOf(d))
			}
		}
	}
	httpio.Page(h.log, w, r, code, web.List(v))
}

// chipsOf is the chips above the list with their counts: status classes,
// outcomes, failed, replays and cold starts. An outcome chip shows when it
// counts something or is on.
func chipsOf(fc *store.Facets, f web.Filter) []web.Chip {
	var out []web.Chip
	for _, c := range []string{"2xx", "3xx", "4xx", "5xx"} {
		out = append(out, web.Chip{Field: "status", Value: c, Label: c, Count: fc.Status[c], On: f.Status == c})
	}
	for _, o := range exchange.Outcomes() {
		n := fc.Outcome[string(o)]
		out = append(out, web.Chip{Field: "outcome", Value: string(o), Label: string(o), Count: n, On: f.Outcome == string(o),
			Hidden: n == 0 && f.Outcome != string(o)})
	}
	return append(out,
		web.Chip{Field: "failed", Value: "1", Label: "failed", Count: fc.Failed, On: f.Failed},
		web.Chip{Field: "replays", Value: store.ReplaysOnly, Label: "replays", Count: fc.Replays, On: f.Replays == store.ReplaysOnly},
		web.Chip{Field: "cold", Value: "1", Label: "cold starts", Count: -1, On: f.Cold})
}

func olderHref(v url.Values, next string) string {
	o := url.Values{}
	for k, vs := range v {
		if k != "before" && k != "after" && len(vs) > 0 && vs[0] != "" {
			o.Set(k, vs[0])
		}
	}
	o.Set("before", next)
	return "/?" + o.Encode()
}

// fillOptions fills the filter selects. They are conveniences: a failing
// query leaves a select short, never the page broken.
func (h *Handlers) fillOptions(ctx context.Context, v *web.ListView, session string) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if ss, err := h.opts.Store.Sessions(ctx); err == nil {
		for _, se := range ss {
			label := fmt.Sprintf("%s (%d)", se.Name, se.Exchanges)
			v.Sessions = append(v.Sessions, web.Option{Value: se.Name, Label: label, ID: se.ID})
			if session != "" && (se.ID == session || se.Name == session) {
				v.SessionID = se.ID
				v.SessionName = se.Name
				v.Filter.Session = se.Name
			}
		}
	}
	if session != "" && v.SessionID == "" {
		v.SessionID = session // unknown session: nothing matches, live or not
	}
	// RouteCounts, not Stats: the menu needs no percentiles, and at 100k
	// exchanges Stats costs 150 ms against a few for the counts.
	if rcs, err := h.opts.Store.RouteCounts(ctx, session); err == nil {
		for _, rc := range rcs {
			if rc.RouteKey != "" {
				v.Routes = append(v.Routes, web.Option{Value: rc.RouteKey, Label: fmt.Sprintf("%s (%d)", rc.RouteKey, rc.Count)})
			}
		}
	}
	if names, err := h.opts.Store.Names(ctx); err == nil {
		for _, f := range names.Functions {
			v.Functions = append(v.Functions, web.Option{Value: f, Label: f})
		}
		for _, a := range names.APIs {
			v.APIs = append(v.APIs, web.Option{Value: a, Label: a})
		}
	}
	for _, m := range methods {
		v.Methods = append(v.Methods, web.Option{Value: m, Label: m})
	}
	for _, c := range []string{"2xx", "3xx", "4xx", "5xx"} {
		v.Statuses = append(v.Statuses, web.Option{Value: c, Label: c})
	}
	for _, o := range exchange.Outcomes() {
		v.Outcomes = append(v.Outcomes, web.Option{Value: string(o), Label: string(o)})
	}
	// A bookmarked value missing from the options (an exact status, a route
	// with no exchanges left) stays selected.
	keep := func(opts []web.Option, val string) []web.Option {
		if val == "" || slices.ContainsFunc(opts, func(o web.Option) bool { return o.Value == val }) {
			return opts
		}
		return append(opts, web.Option{Value: val, Label: val})
	}
	if v.Filter.Session != AllSessions { // "All sessions" is the select's first option
		v.Sessions = keep(v.Sessions, v.Filter.Session)
	}
	v.Routes = keep(v.Routes, v.Filter.Route)
	v.Methods = keep(v.Methods, v.Filter.Method)
	v.Statuses = keep(v.Statuses, v.Filter.Status)
	v.Outcomes = keep(v.Outcomes, v.Filter.Outcome)
	v.Functions = keep(v.Functions, v.Filter.Function)
	v.APIs = keep(v.APIs, v.Filter.API)
}

// ExchangePage serves GET /exchanges/{id}, the inspector.
func (h *Handlers) ExchangePage(w http.ResponseWriter, r *http.Request) {
	x, err := h.opts.Store.Exchange(r.Context(), r.PathValue("id"))
	if err == nil {
		err = h.opts.Store.Annotate(r.Context(), []*exchange.Exchange{x})
	}
	if err != nil {
		if httpio.Status(err) == http.StatusNotFound {
			httpio.Page(h.log, w, r, http.StatusNotFound, web.NotFound(web.NotFoundView{Title: "Exchange not found",
				Message: fmt.Sprintf("No exchange %q is stored. It may have been pruned or its session deleted.", r.PathValue("id"))}))
			return
		}
		httpio.PageError(h.log, w, r, err)
		return
	}
	name := ""
	if se, err := h.opts.Store.Session(r.Context(), x.Session); err == nil {
		name = se.Name
	}
	v := inspectorOf(x, name, h.opts.CanReplay, h.opts.APIAddr)
	t, et, err := h.traceOf(r.Context(), x.ID)
	if err != nil {
		httpio.PageError(h.log, w, r, err)
		return
	}
	v.Trace = traceViewOf(x, t, et.LogTimes)
	v.ListHref = "/?session=" + url.QueryEscape(cmp.Or(name, x.Session))
	v.PrevHref, v.NextHref = h.neighbours(r.Context(), x)
	httpio.Page(h.log, w, r, http.StatusOK, web.Inspector(v))
}

// neighbours are the links to the exchanges above (newer) and below
// (older) x in its session's list, for the inspector's k and j; "" at
// either end. They are a convenience: a failing query leaves them out.
func (h *Handlers) neighbours(ctx context.Context, x *exchange.Exchange) (prev, next string) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	newer, older, err := h.opts.Store.Neighbours(ctx, x.ID)
	if err != nil {
		h.log.Warn("inspector neighbours", slog.Any("err", err))
		return "", ""
	}
	if newer != "" {
		prev = exchangeHref(newer)
	}
	if older != "" {
		next = exchangeHref(older)
	}
	return prev, next
}

// ExchangeCopy serves GET /exchanges/{id}/copy/{format}: one of the
// inspector's "Copy as" texts, for those too long to carry in the page.
func (h *Handlers) ExchangeCopy(w http.ResponseWriter, r *http.Request) {
	x, err := h.opts.Store.Exchange(r.Context(), r.PathValue("id"))
	if err != nil {
		httpio.PageError(h.log, w, r, err)
		return
	}
	text, err := copyText(x, r.PathValue("format"), h.opts.APIAddr)
	if err != nil {
		h.PageNotFound(w, r)
		return
	}
	serveRaw(w, r, "text/plain; charset=utf-8", x.ID+"-"+r.PathValue("format")+".txt", []byte(text))
}

// ExchangeBody serves GET /exchanges/{id}/body/{part}: a stored body raw. Captured bodies are user content on
// the dashboard's origin, so they are never served with their own content
// type (an HTML response body would run as a dashboard page).
func (h *Handlers) ExchangeBody(w http.ResponseWriter, r *http.Request) {
	x, err := h.opts.Store.Exchange(r.Context(), r.PathValue("id"))
	if err != nil {
		httpio.PageError(h.log, w, r, err)
		return
	}
	var body string
	var isBase64 bool
	switch part := r.PathValue("part"); part {
	case "request":
		body, isBase64 = x.Request.Body, x.Request.IsBase64
	case "response":
		body, isBase64 = x.Response.Body, x.Response.IsBase64
	case "output":
		body = string(x.Function.RawResponse)
	default:
		h.PageNotFound(w, r)
		return
	}
	raw := []byte(body)
	if isBase64 {
		if dec, err := base64.StdEncoding.DecodeString(body); err == nil {
			raw = dec
		}
	}
	ctype := "text/plain; charset=utf-8"
	if !printable(raw) {
		ctype = "application/octet-stream"
	}
	serveRaw(w, r, ctype, fmt.Sprintf("%s-%s.bin", x.ID, r.PathValue("part")), raw)
}

// ExchangeEvent serves GET /exchanges/{id}/event.json, the event as a SAM events/*.json file.
func (h *Handlers) ExchangeEvent(w http.ResponseWriter, r *http.Request) {
	x, err := h.opts.Store.Exchange(r.Context(), r.PathValue("id"))
	if err != nil {
		httpio.PageError(h.log, w, r, err)
		return
	}
	serveRaw(w, r, "application/json", "event-"+x.ID+".json", []byte(eventFile(x.Event)+"\n"))
}

// ExchangeLogs serves GET /exchanges/{id}/logs: the stored log whole, as
// text. The inspector shows only its start.
func (h *Handlers) ExchangeLogs(w http.ResponseWriter, r *http.Request) {
	x, err := h.opts.Store.Exchange(r.Context(), r.PathValue("id"))
	if err != nil {
		httpio.PageError(h.log, w, r, err)
		return
	}
	serveRaw(w, r, "text/plain; charset=utf-8", x.ID+"-logs.txt", []byte(x.Logs))
}

func serveRaw(w http.ResponseWriter, r *http.Request, ctype, filename string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "no-store")
	if r.URL.Query().Get("download") != "" || ctype == "application/octet-stream" {
		h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", filename))
	}
	w.Write(b)
}
