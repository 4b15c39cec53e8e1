package share

import (
	"bytes"
	"encoding/base64"
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
	"github.com/gatescope/gatescope/server/jsonview"
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
		v.Rows = append(v.Rows, shareRow(rd.Exchange(x), home+"/exchanges/"+url.PathEscape(x.ID)))
	}
	v.Redacted = rd.Report().Redacted
	h.page(w, r, http.StatusOK, web.ShareList(v))
}

// sharedExchange resolves a share link's exchange, redacted: the link's own
// session's exchanges recorded before the link was made, so nothing else
// is reachable through /s/.
func (h *Handlers) sharedExchange(r *http.Request) (*exchange.Exchange, *store.Session, error) {
	sh, s, err := h.share(r)
	if err != nil {
		return nil, nil, err
	}
	x, err := h.st.SharedExchange(r.Context(), sh, r.PathValue("id"))
	if err == nil {
		err = h.st.Annotate(r.Context(), []*exchange.Exchange{x})
	}
	if err != nil {
		return nil, nil, err
	}
	return h.redactor().Exchange(x), s, nil
}

// ShareExchangePage serves GET /s/{token}/exchanges/{id}.
func (h *Handlers) ShareExchangePage(w http.ResponseWriter, r *http.Request) {
	x, s, err := h.sharedExchange(r)
	if err != nil {
		h.pageError(w, r, err)
		return
	}
	home := "/s/" + url.PathEscape(r.PathValue("token"))
	page := home + "/exchanges/" + url.PathEscape(x.ID)
	h.page(w, r, http.StatusOK, web.ShareExchange(shareExchangeView(x, s.Name, home, page, page+"/raw/")))
}

// Parts of a shared exchange that ShareRaw serves whole.
const (
	partRequest  = "request"
	partEvent    = "event"
	partOutput   = "output"
	partResponse = "response"
	partLogs     = "logs"
)

// ShareRaw serves GET /s/{token}/exchanges/{id}/raw/{part}: one part of a
// shared exchange whole (request, event, output, response or logs),
// redacted as the page is, as text (or bytes for a binary body) that can
// never render as a page: share pages cut what they show.
func (h *Handlers) ShareRaw(w http.ResponseWriter, r *http.Request) {
	x, _, err := h.sharedExchange(r)
	if err != nil {
		h.pageError(w, r, err)
		return
	}
	var raw []byte
	switch part := r.PathValue("part"); part {
	case partRequest:
		raw = bodyBytes(x.Request.Body, x.Request.IsBase64)
	case partResponse:
		raw = bodyBytes(x.Response.Body, x.Response.IsBase64)
	case partEvent:
		raw = x.Event
	case partOutput:
		raw = x.Function.RawResponse
	case partLogs:
		raw = []byte(x.Logs)
	default:
		h.notFound(w, r)
		return
	}
	ctype := "text/plain; charset=utf-8"
	if !utf8.Valid(raw) || bytes.ContainsRune(raw, 0) {
		ctype = "application/octet-stream"
	}
	hd := w.Header()
	hd.Set("Content-Type", ctype)
	hd.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Robots-Tag", "noindex")
	if r.URL.Query().Get("download") != "" || ctype == "application/octet-stream" {
		hd.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", x.ID+"-"+r.PathValue("part")+".txt"))
	}
	w.Write(raw)
}

// bodyBytes is a stored body's bytes: base64 decoded when it is.
func bodyBytes(body string, isBase64 bool) []byte {
	if isBase64 {
		if b, err := base64.StdEncoding.DecodeString(body); err == nil {
			return b
		}
	}
	return []byte(body)
}

// shareRow is x as a row of a shared list, linking to href.
func shareRow(x *exchange.Exchange, href string) web.ShareRow {
	status, class := "—", "s0"
	if x.Response.Status >= 100 && x.Response.Status <= 599 {
		status, class = fmt.Sprint(x.Response.Status), fmt.Sprintf("s%d", x.Response.Status/100)
	}
	return web.ShareRow{
		Href:        href,
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

// shownBytes is how much of each part a share page shows, as the
// inspector does; the rest is a download away.
const shownBytes = 32 << 10

// shareExchangeView is x as a share link's page shows it, back to home,
// itself at href; a part shown in part links to raw + part. A share file
// has no server to ask: with raw "", its script shows a whole part from
// the data the file embeds.
func shareExchangeView(x *exchange.Exchange, sessionName, home, href, raw string) web.ShareExchangeView {
	v := web.ShareExchangeView{SessionName: sessionName, Home: home, Row: shareRow(x, href)}
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
	section := func(title, testID, part string, headers map[string][]string, b shownBody) web.ShareSection {
		sec := web.ShareSection{Title: title, TestID: testID, Part: part, Headers: web.Headers(headers),
			Body: b.text, Note: b.note, Cut: b.cut}
		if b.cut && raw != "" {
			sec.FullURL = raw + part
		}
		return sec
	}
	v.Sections = []web.ShareSection{
		section("HTTP request", "share-request", partRequest, x.Request.Headers, shareBody(x.Request.Body, x.Request.IsBase64)),
		section("Lambda event", "share-event", partEvent, nil, shareJSON(x.Event)),
		section("Function output", "share-output", partOutput, nil, shareJSON(x.Function.RawResponse)),
		section("HTTP response", "share-response", partResponse, x.Response.Headers, shareBody(x.Response.Body, x.Response.IsBase64)),
	}
	if e := x.Function.Error; e != nil {
		v.Error, _ = cutText(strings.TrimSpace(e.Type + ": " + e.Message + "\n" + strings.Join(e.StackTrace, "\n")))
	}
	if v.Logs, v.LogsPartial = cutText(x.Logs); v.LogsPartial && raw != "" {
		v.LogsURL = raw + partLogs
	}
	if x.LogsTruncated > 0 {
		v.LogsCut = sizeWords(x.LogsTruncated)
	}
	return v
}

// sizeWords is a size as the inspector says it: 512 B, 12.1 KB, 3.0 MB.
func sizeWords(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

// shownBody is the start of a part as a share page shows it; cut says
// there is more.
type shownBody struct {
	text, note string
	cut        bool
}

// shareBody shows a body as text: pretty JSON when it parses, decoded
// base64 when that is text, else the base64 itself; at most shownBytes.
func shareBody(body string, isBase64 bool) shownBody {
	if isBase64 {
		raw, err := base64.StdEncoding.DecodeString(body)
		if err != nil || !utf8.Valid(raw) || bytes.ContainsRune(raw, 0) {
			text, cut := cutText(body)
			return shownBody{text: text, note: "binary, shown as base64", cut: cut}
		}
		body = string(raw)
	}
	if b := shareJSON([]byte(body)); b.text != "" {
		return b
	}
	text, cut := cutText(body)
	return shownBody{text: text, cut: cut}
}

// shareJSON pretty-prints the start of a JSON document (jsonview: bounded,
// and text when nested too deeply to indent); other text as it is.
func shareJSON(b []byte) shownBody {
	t := bytes.TrimSpace(b)
	if len(t) == 0 || string(t) == "null" {
		return shownBody{}
	}
	if text, cut, ok := jsonview.Indent(t, shownBytes); ok {
		return shownBody{text: text, cut: cut}
	}
	text, cut := cutText(string(b[:min(len(b), shownBytes+utf8.UTFMax)]))
	return shownBody{text: text, cut: cut || len(b) > len(text)}
}

// cutText keeps the first shownBytes of s on a rune boundary.
func cutText(s string) (string, bool) {
	if len(s) <= shownBytes {
		return s, false
	}
	n := shownBytes
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], true
}
