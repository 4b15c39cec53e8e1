package dashboard

import (
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

// ListPage serves GET /, the live list.
func (h *Handlers) ListPage(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r.URL.Query(), listPageSize)
	v := web.ListView{Filter: q.Form, MaxRows: maxRows, Live: q.Before == "" && q.After == ""}
	notEmulated := h.opts.NotEmulated
	if h.opts.NotEmulatedNow != nil {
		notEmulated = h.opts.NotEmulatedNow()
	}
	for _, n := range notEmulated {
		v.NotEmulated = append(v.NotEmulated, web.Notice{Message: n.Message, Where: n.Where})
	}
	c := h.counters()
	v.Captured, v.Dropped = c.Captured, c.Dropped
	code := http.StatusOK
	if err == nil {
		xs, next, ferr := find(r.Context(), h.opts.Store, q)
		if errors.Is(ferr, store.ErrNotFound) {
			ferr = httpio.BadRequest("That page no longer exists: its first exchange was deleted.")
		}
		err = ferr
		for _, x := range xs {
			v.Rows = append(v.Rows, rowOf(x))
		}
		if next != "" {
			v.OlderHref = olderHref(r.URL.Query(), next)
		}
	}
	if err != nil {
		code = httpio.Status(err)
		v.Error = err.Error()
		if code >= 500 {
			h.log.Error("list page", slog.Any("err", err))
		}
	}
	h.fillOptions(r.Context(), &v, q.Session)
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
			v.Sessions = append(v.Sessions, web.Option{Value: se.Name, Label: label})
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
	v.Sessions = keep(v.Sessions, v.Filter.Session)
	v.Routes = keep(v.Routes, v.Filter.Route)
	v.Methods = keep(v.Methods, v.Filter.Method)
	v.Statuses = keep(v.Statuses, v.Filter.Status)
	v.Outcomes = keep(v.Outcomes, v.Filter.Outcome)
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
	httpio.Page(h.log, w, r, http.StatusOK, web.Inspector(v))
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
