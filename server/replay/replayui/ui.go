// Package replayui serves the replay pages of the dashboard: the side-by-side
// diff of an exchange and a replay, the replay history and the "Edit &
// replay" form. It turns exchanges and diffs into web view models; package
// replay itself stays free of HTML. Package ui mounts the pages.
package replayui

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/httpio"
	"github.com/gatescope/gatescope/server/replay"
	"github.com/gatescope/gatescope/web"
)

// Pages serve the replay pages.
type Pages struct {
	log *slog.Logger
	r   *replay.Replayer
}

// New returns the pages over r.
func New(logger *slog.Logger, r *replay.Replayer) *Pages {
	return &Pages{log: logger, r: r}
}

// DiffPage serves GET /exchanges/{id}/diff/{replayId}.
func (p *Pages) DiffPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	d, orig, rep, err := p.r.DiffOf(r.Context(), id, r.PathValue("replayId"), replay.Ignores(r.URL.Query()["ignore"]))
	if err != nil {
		httpio.PageError(p.log, w, r, err)
		return
	}
	hist, err := p.history(r.Context(), orig, rep.ID)
	if err != nil {
		httpio.PageError(p.log, w, r, err)
		return
	}
	httpio.Page(p.log, w, r, http.StatusOK, web.ReplayDiff(DiffView(d, orig, rep, hist)))
}

// EditPage serves GET /exchanges/{id}/edit, the edit & replay form.
func (p *Pages) EditPage(w http.ResponseWriter, r *http.Request) {
	x, err := p.r.Exchange(r.Context(), r.PathValue("id"))
	if err != nil {
		httpio.PageError(p.log, w, r, err)
		return
	}
	hist, err := p.history(r.Context(), x, "")
	if err != nil {
		httpio.PageError(p.log, w, r, err)
		return
	}
	httpio.Page(p.log, w, r, http.StatusOK, web.ReplayEdit(EditView(x, hist)))
}

func (p *Pages) history(ctx context.Context, orig *exchange.Exchange, current string) (web.HistoryView, error) {
	xs, err := p.r.Replays(ctx, orig.ID)
	if err != nil {
		return web.HistoryView{}, err
	}
	return HistoryView(orig, xs, current), nil
}

// DiffView builds the diff page's view model.
func DiffView(d *replay.Diff, orig, rep *exchange.Exchange, hist web.HistoryView) web.DiffView {
	v := web.DiffView{
		Class: string(d.Class), ClassKey: classKey(d.Class),
		Text:     d.Text(),
		EditHref: "/exchanges/" + orig.ID + "/edit",
		History:  hist, BodyTitle: "Body",
	}
	root := "body"
	if (orig.RouteKey == "") != (rep.RouteKey == "") {
		root, v.BodyTitle = "output", "Function output"
	}
	for _, c := range d.Changes {
		v.Changes = append(v.Changes, web.ChangeRow{Path: c.Path, Before: c.Before, After: c.After, Kind: c.Kind})
	}
	v.Before = side("Original", orig, root, d.Changes, bodyOf(rep, root))
	v.After = side("Replay", rep, root, d.Changes, bodyOf(orig, root))
	if root == "body" {
		v.Headers = headerRows(orig.Response.Headers, rep.Response.Headers, d)
	}
	return v
}

func classKey(c replay.Class) string {
	switch c {
	case replay.ClassNewlyFailing:
		return "failing"
	case replay.ClassNewlyPassing:
		return "passing"
	}
	return string(c)
}

func bodyOf(x *exchange.Exchange, root string) string {
	if root == "output" {
		return string(x.Function.RawResponse)
	}
	if x.Response.IsBase64 {
		return "(binary, base64)\n" + x.Response.Body
	}
	return x.Response.Body
}

func side(label string, x *exchange.Exchange, root string, changes []replay.Change, other string) web.DiffSide {
	s := web.DiffSide{
		Label: label, ID: x.ID, Href: "/exchanges/" + x.ID,
		Line:   requestLine(x),
		Status: x.Response.Status, StatusClass: statusClass(x.Response.Status),
		Outcome: string(x.Outcome),
		Time:    x.StartedAt.UTC().Format("2006-01-02 15:04:05.000"), TimeISO: x.StartedAt.UTC().Format(time.RFC3339Nano),
	}
	if x.Function.Name != "" && x.Function.Target != "" && x.Function.Target != "local" {
		s.Target = x.Function.Target
	} else if x.Function.Name != "" {
		s.Target = x.Function.Name + " (local)"
	}
	body := bodyOf(x, root)
	if strings.TrimSpace(body) == "" {
		s.BodyEmpty = true
		return s
	}
	if lines, ok := JSONLines(body, root); ok {
		for _, l := range lines {
			s.Body = append(s.Body, web.DiffLine{Text: l.Text, Changed: marked(l, changes)})
		}
		return s
	}
	// Text: lines the other side lacks are the changed ones.
	changed := slices.ContainsFunc(changes, func(c replay.Change) bool { return c.Path == root })
	theirs := map[string]bool{}
	for _, l := range strings.Split(other, "\n") {
		theirs[l] = true
	}
	for _, l := range strings.Split(body, "\n") {
		s.Body = append(s.Body, web.DiffLine{Text: l, Changed: changed && !theirs[l]})
	}
	return s
}

func requestLine(x *exchange.Exchange) string {
	if x.RouteKey == "" && x.Function.Name != "" {
		return "invoke " + x.Function.Name
	}
	return x.Request.Method + " " + x.Request.URL
}

func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "s0"
	}
	return "s" + strconv.Itoa(status/100)
}

// marked reports whether a body line shows a changed path: the path itself,
// anything under it, or (for a scalar holding JSON) something inside it.
func marked(l Line, changes []replay.Change) bool {
	for _, c := range changes {
		if l.Path == c.Path || under(l.Path, c.Path) || (l.Leaf && under(c.Path, l.Path)) {
			return true
		}
	}
	return false
}

func under(path, parent string) bool {
	return strings.HasPrefix(path, parent) && len(path) > len(parent) && (path[len(parent)] == '.' || path[len(parent)] == '[')
}

func headerRows(a, b map[string][]string, d *replay.Diff) []web.HeaderDiff {
	names, ca, cb := replay.JoinedHeaders(a, b)
	rows := make([]web.HeaderDiff, 0, len(names))
	for _, k := range names {
		rows = append(rows, web.HeaderDiff{Name: k, Before: ca[k], After: cb[k], Changed: d.Has("headers." + k)})
	}
	return rows
}

// HistoryView builds the replay history of orig; current is the replay
// being shown, if any.
func HistoryView(orig *exchange.Exchange, replays []*exchange.Exchange, current string) web.HistoryView {
	v := web.HistoryView{OrigID: orig.ID}
	for _, x := range replays {
		d := replay.Compare(orig, x, nil)
		target := x.Function.Target
		if target == "" || target == "local" {
			target = x.Function.Name
		}
		v.Items = append(v.Items, web.HistoryItem{
			ID: x.ID, Href: "/exchanges/" + x.ID, DiffHref: "/exchanges/" + orig.ID + "/diff/" + x.ID,
			Time: x.StartedAt.UTC().Format("2006-01-02 15:04:05"), TimeISO: x.StartedAt.UTC().Format(time.RFC3339Nano),
			Status: x.Response.Status, StatusClass: statusClass(x.Response.Status),
			Outcome: string(x.Outcome), Target: target,
			Class: string(d.Class), ClassKey: classKey(d.Class), Current: x.ID == current,
		})
	}
	return v
}

// EditView builds the edit form, filled with the exchange's request, event
// and target.
func EditView(x *exchange.Exchange, hist web.HistoryView) web.EditView {
	v := web.EditView{
		ID: x.ID, Href: "/exchanges/" + x.ID, Line: requestLine(x),
		HasRequest: x.RouteKey != "",
		Target:     "local",
		History:    hist,
	}
	if x.RouteKey == "" {
		v.Target = x.Function.Name
	}
	path, query, _ := strings.Cut(x.Request.URL, "?")
	v.Method, v.Path, v.Query = x.Request.Method, path, query
	names := make([]string, 0, len(x.Request.Headers))
	for k := range x.Request.Headers {
		names = append(names, k)
	}
	slices.Sort(names)
	var hb strings.Builder
	for _, k := range names {
		for _, val := range x.Request.Headers[k] {
			hb.WriteString(http.CanonicalHeaderKey(k) + ": " + val + "\n")
		}
	}
	v.Headers = hb.String()
	v.Body = x.Request.Body
	if x.Request.IsBase64 {
		if b, err := base64.StdEncoding.DecodeString(x.Request.Body); err == nil {
			v.Body = string(b)
		}
		v.BodyBinary = true
	}
	v.Event = pretty(x.Event)
	return v
}

func pretty(raw json.RawMessage) string {
	var buf bytes.Buffer
	if len(raw) == 0 {
		return "{}"
	}
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return string(raw)
	}
	return buf.String()
}

// Line is one line of pretty-printed JSON with the path of its value.
// Leaf is set for scalars.
type Line struct {
	Text string
	Path string
	Leaf bool
}

// JSONLines pretty-prints s (two-space indent, key order kept) and tags
// every line with the path of its value, rooted at root. ok is false when s
// is not one JSON value.
func JSONLines(s, root string) ([]Line, bool) {
	if strings.TrimSpace(s) == "" {
		return nil, false
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var out []Line
	if err := jsonValue(dec, root, "", 0, &out); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return out, true
}

func jsonValue(dec *json.Decoder, path, prefix string, depth int, out *[]Line) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	ind := strings.Repeat("  ", depth)
	delim, ok := tok.(json.Delim)
	if !ok {
		*out = append(*out, Line{Text: ind + prefix + scalar(tok), Path: path, Leaf: true})
		return nil
	}
	closing := "}"
	if delim == '[' {
		closing = "]"
	}
	if !dec.More() {
		if _, err := dec.Token(); err != nil {
			return err
		}
		*out = append(*out, Line{Text: ind + prefix + string(delim) + closing, Path: path, Leaf: true})
		return nil
	}
	*out = append(*out, Line{Text: ind + prefix + string(delim), Path: path})
	for i := 0; dec.More(); i++ {
		if delim == '{' {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			k, _ := kt.(string)
			if err := jsonValue(dec, replay.KeyPath(path, k), quote(k)+": ", depth+1, out); err != nil {
				return err
			}
		} else if err := jsonValue(dec, replay.IndexPath(path, i), "", depth+1, out); err != nil {
			return err
		}
		if dec.More() {
			(*out)[len(*out)-1].Text += ","
		}
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	*out = append(*out, Line{Text: ind + closing, Path: path})
	return nil
}

func scalar(tok json.Token) string {
	switch t := tok.(type) {
	case string:
		return quote(t)
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	case nil:
		return "null"
	}
	return ""
}

func quote(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return strings.TrimSuffix(buf.String(), "\n")
}
