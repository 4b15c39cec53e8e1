package share

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/a-h/templ"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/httpio"
	"github.com/gatescope/gatescope/store"
	"github.com/gatescope/gatescope/web"
)

// sharePageRows bounds the rows a share page renders; exports carry more.
const sharePageRows = 2000

// page renders a share page. Share pages are for other people: keep them
// out of search engines, whoever they are forwarded to.
func (h *Handlers) page(w http.ResponseWriter, r *http.Request, code int, c templ.Component) {
	w.Header().Set("X-Robots-Tag", "noindex")
	httpio.Page(h.log, w, r, code, c)
}

func (h *Handlers) notFound(w http.ResponseWriter, r *http.Request) {
	h.page(w, r, http.StatusNotFound, web.ShareNotFound())
}

// pageError answers a failed share page: not found as the one 404 page,
// anything else as a plain 500 (logged) that reveals nothing.
func (h *Handlers) pageError(w http.ResponseWriter, r *http.Request, err error) {
	if code := httpio.Status(err); code == http.StatusNotFound || code == httpio.StatusClientClosed {
		h.notFound(w, r)
		return
	}
	h.log.Error("share page", slog.String("path", r.URL.Path), slog.Any("err", err))
	http.Error(w, "gatescope: this page failed; see the gatescope log", http.StatusInternalServerError)
}

// ShareOther answers the rest of /s/: other paths are 404, and any method
// but GET/HEAD is refused, so a share link can never change data.
func (h *Handlers) ShareOther(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "share links are read-only", http.StatusMethodNotAllowed)
		return
	}
	h.notFound(w, r)
}

// share resolves a token to its live share and session.
func (h *Handlers) share(r *http.Request) (*store.Share, *store.Session, error) {
	tok := r.PathValue("token")
	if len(tok) != 22 { // 16 bytes, base64url: anything else was never issued
		return nil, nil, store.ErrNotFound
	}
	sh, err := h.st.ShareByHash(r.Context(), hashToken(tok))
	if err != nil {
		return nil, nil, err
	}
	s, err := h.st.Session(r.Context(), sh.SessionID)
	if err != nil {
		return nil, nil, err
	}
	return sh, s, nil
}

func (h *Handlers) redactor() *Redactor {
	rd, err := NewRedactor(h.opts.Rules)
	if err != nil {
		// Rules come from flags checked at start; fall back to the defaults.
		h.log.Warn("share redaction rules", slog.Any("err", err))
		rd, _ = NewRedactor(Rules{})
	}
	return rd
}

// SharePage serves GET /s/{token}: the shared session's list.
func (h *Handlers) SharePage(w http.ResponseWriter, r *http.Request) {
	sh, s, err := h.share(r)
	if err != nil {
		h.pageError(w, r, err)
		return
	}
	_, xs, err := load(r.Context(), h.st, Selection{Session: s.ID, Filter: store.Filter{StoredBefore: sh.Before}})
	if err != nil {
		h.pageError(w, r, err)
		return
	}
	home := "/s/" + url.PathEscape(r.PathValue("token"))
	rd := h.redactor()
	v := web.ShareListView{SessionName: s.Name, SessionNote: rd.Text(s.Note), Home: home,
		ExpiresAt: sh.ExpiresAt.UTC().Format("2006-01-02 15:04 MST")}
	v.TakenAt = sh.CreatedAt.UTC().Format("2006-01-02 15:04 MST") // a snapshot: later exchanges are not shown
	if len(xs) > sharePageRows {
		v.More = len(xs) - sharePageRows
		xs = xs[:sharePageRows]
	}
	for _, x := range xs {
		v.Rows = append(v.Rows, shareRow(rd.Exchange(x), home))
	}
	v.Redacted = rd.Report().Redacted
	h.page(w, r, http.StatusOK, web.ShareList(v))
}

// ShareExchangePage serves GET /s/{token}/exchanges/{id}.
func (h *Handlers) ShareExchangePage(w http.ResponseWriter, r *http.Request) {
	sh, s, err := h.share(r)
	if err != nil {
		h.pageError(w, r, err)
		return
	}
	// Another session's exchange, or one recorded after the link was made,
	// is not shared.
	x, err := h.st.SharedExchange(r.Context(), sh, r.PathValue("id"))
	if err == nil {
		err = h.st.Annotate(r.Context(), []*exchange.Exchange{x})
	}
	if err != nil {
		h.pageError(w, r, err)
		return
	}
	home := "/s/" + url.PathEscape(r.PathValue("token"))
	x = h.redactor().Exchange(x)
	h.page(w, r, http.StatusOK, web.ShareExchange(shareExchangeView(x, s.Name, home)))
}

func shareRow(x *exchange.Exchange, home string) web.ShareRow {
	status, class := "—", "s0"
	if x.Response.Status >= 100 && x.Response.Status <= 599 {
		status, class = fmt.Sprint(x.Response.Status), fmt.Sprintf("s%d", x.Response.Status/100)
	}
	return web.ShareRow{
		Href:        home + "/exchanges/" + url.PathEscape(x.ID),
		Time:        x.StartedAt.UTC().Format("15:04:05.000"),
		TimeISO:     x.StartedAt.UTC().Format(time.RFC3339Nano),
		Method:      x.Request.Method,
		Path:        x.Request.URL,
		Route:       x.RouteKey,
		Status:      status,
		StatusClass: class,
		Outcome:     string(x.Outcome),
		Explanation: x.Explanation,
		Duration:    web.FormatMs(x.DurationMs),
		Starred:     x.Starred,
		Note:        x.Note,
	}
}

func shareExchangeView(x *exchange.Exchange, sessionName, home string) web.ShareExchangeView {
	v := web.ShareExchangeView{SessionName: sessionName, Home: home, Row: shareRow(x, home), Logs: x.Logs}
	for _, f := range []web.Fact{
		{Label: "Started", Value: x.StartedAt.UTC().Format("2006-01-02 15:04:05.000 MST")},
		{Label: "Route", Value: x.RouteKey},
		{Label: "Function", Value: strings.TrimSpace(x.Function.Name + " " + x.Function.Target)},
		{Label: "API", Value: strings.TrimSpace(x.API.Type + " " + x.API.ID + " " + x.API.Stage)},
		{Label: "Request ID", Value: x.RequestID},
		{Label: "Exchange ID", Value: x.ID},
		{Label: "Replay of", Value: x.ReplayOf},
	} {
		if f.Value != "" {
			v.Facts = append(v.Facts, f)
		}
	}
	req := shareBody(x.Request.Body, x.Request.IsBase64)
	resp := shareBody(x.Response.Body, x.Response.IsBase64)
	v.Sections = []web.ShareSection{
		{Title: "HTTP request", TestID: "share-request", Headers: web.Headers(x.Request.Headers), Body: req.text, Note: req.note},
		{Title: "Lambda event", TestID: "share-event", Body: pretty(x.Event)},
		{Title: "Function output", TestID: "share-output", Body: pretty(x.Function.RawResponse)},
		{Title: "HTTP response", TestID: "share-response", Headers: web.Headers(x.Response.Headers), Body: resp.text, Note: resp.note},
	}
	if e := x.Function.Error; e != nil {
		v.Error = strings.TrimSpace(e.Type + ": " + e.Message + "\n" + strings.Join(e.StackTrace, "\n"))
	}
	return v
}

type shownBody struct{ text, note string }

// shareBody shows a body as text: pretty JSON when it parses, decoded
// base64 when that is text, else the base64 itself.
func shareBody(body string, isBase64 bool) shownBody {
	if isBase64 {
		raw, err := base64.StdEncoding.DecodeString(body)
		if err != nil || !utf8.Valid(raw) || bytes.ContainsRune(raw, 0) {
			return shownBody{text: body, note: "binary, shown as base64"}
		}
		body = string(raw)
	}
	if p := pretty([]byte(body)); p != "" {
		return shownBody{text: p}
	}
	return shownBody{text: body}
}

func pretty(b []byte) string {
	t := bytes.TrimSpace(b)
	if len(t) == 0 || string(t) == "null" {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, t, "", "  "); err != nil {
		return string(b)
	}
	return buf.String()
}
