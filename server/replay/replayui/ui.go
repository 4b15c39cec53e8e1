// Package replayui serves the replay pages of the dashboard: the side-by-side
// diff of an exchange and a replay, the replay history and the "Edit &
// replay" form. It turns exchanges and diffs into web view models; package
// replay itself stays free of HTML. Package ui mounts the pages.
package replayui

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/httpio"
	"github.com/gatescope/gatescope/server/jsonview"
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
	ignore := replay.Ignores(r.URL.Query()["ignore"])
	d, orig, rep, err := p.r.DiffOf(r.Context(), id, r.PathValue("replayId"), ignore)
	if err != nil {
		httpio.PageError(p.log, w, r, err)
		return
	}
	known := d // the history classes replays without ignores: reuse d only if it was too
	if len(ignore) > 0 {
		known = nil
	}
	hist, err := p.history(r.Context(), orig, rep.ID, known)
	if err != nil {
		httpio.PageError(p.log, w, r, err)
		return
	}
	v := DiffView(d, orig, rep, hist)
	if err := r.Context().Err(); err != nil { // the client left: no page to build
		httpio.PageError(p.log, w, r, err)
		return
	}
	httpio.Page(p.log, w, r, http.StatusOK, web.ReplayDiff(v))
}

// EditPage serves GET /exchanges/{id}/edit, the edit & replay form.
func (p *Pages) EditPage(w http.ResponseWriter, r *http.Request) {
	x, err := p.r.Exchange(r.Context(), r.PathValue("id"))
	if err != nil {
		httpio.PageError(p.log, w, r, err)
		return
	}
	hist, err := p.history(r.Context(), x, "", nil)
	if err != nil {
		httpio.PageError(p.log, w, r, err)
		return
	}
	httpio.Page(p.log, w, r, http.StatusOK, web.ReplayEdit(EditView(x, hist)))
}

func (p *Pages) history(ctx context.Context, orig *exchange.Exchange, current string, known *replay.Diff) (web.HistoryView, error) {
	xs, err := p.r.Replays(ctx, orig.ID)
	if err != nil {
		return web.HistoryView{}, err
	}
	return HistoryView(ctx, orig, xs, current, known)
}

// What a diff page renders, whatever the diff holds: the page of a
// 6 MB body, or of a thousand changes, stays a few hundred KB.
const (
	maxChangeRows = 300       // rows of the change table
	maxShownValue = 1 << 10   // bytes of a value in the change table
	maxShownText  = 64 << 10  // bytes of the diff as text
	sideBytes     = 128 << 10 // bytes of each side's body, indentation included
	sideLines     = 4000      // lines of each side's body
)

// DiffView builds the diff page's view model.
func DiffView(d *replay.Diff, orig, rep *exchange.Exchange, hist web.HistoryView) web.DiffView {
	v := web.DiffView{
		Class: d.Verdict(), ClassKey: classKey(d.Class),
		EditHref:   "/exchanges/" + orig.ID + "/edit",
		History:    hist,
		BodyTitle:  "Body",
		Incomplete: d.Incomplete,
	}
	v.Text, _ = cutText(d.Text(), maxShownText)
	root := "body"
	if (orig.RouteKey == "") != (rep.RouteKey == "") {
		root, v.BodyTitle = "output", "Function output"
	}
	for i, c := range d.Changes {
		if i == maxChangeRows {
			v.MoreChanges = len(d.Changes) - i
			break
		}
		before, _ := cutText(c.Before, maxShownValue)
		after, _ := cutText(c.After, maxShownValue)
		v.Changes = append(v.Changes, web.ChangeRow{Path: c.Path, Before: before, After: after, Kind: c.Kind})
	}
	v.ChangeCount = len(d.Changes)
	marks := NewMarks(d.Changes)
	v.Before = side("Original", orig, root, marks, bodyOf(rep, root))
	v.After = side("Replay", rep, root, marks, bodyOf(orig, root))
	if root == "body" {
		v.Headers = headerRows(orig.Response.Headers, rep.Response.Headers, marks)
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

func side(label string, x *exchange.Exchange, root string, marks Marks, other string) web.DiffSide {
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
	if lines, more, ok := JSONLines(body, root, marks, sideBytes); ok {
		for _, l := range lines {
			s.Body = append(s.Body, web.DiffLine{Depth: l.Depth, Text: l.Text, Changed: l.Changed})
		}
		s.BodyCut = more
		return s
	}
	s.Body, s.BodyCut = textLines(body, other, marks.has(root), sideBytes)
	return s
}

// textLines shows the start of a text body; when it changed, the lines
// the other side lacks are the changed ones. Only the shown lines are
// looked for in the other side, so a long other side costs a scan, not a
// copy.
func textLines(body, other string, changed bool, limit int) (lines []web.DiffLine, cut bool) {
	size := 0
	for rest := body; ; {
		l, after, found := strings.Cut(rest, "\n")
		if size += len(l) + 1; size > limit || len(lines) == sideLines {
			cut = true
			break
		}
		lines = append(lines, web.DiffLine{Text: l})
		if !found {
			break
		}
		rest = after
	}
	if !changed {
		return lines, cut
	}
	shown := make(map[string]bool, len(lines))
	for _, l := range lines {
		shown[l.Text] = false
	}
	for rest := other; ; {
		l, after, found := strings.Cut(rest, "\n")
		if _, ok := shown[l]; ok {
			shown[l] = true // the other side has it
		}
		if !found {
			break
		}
		rest = after
	}
	for i := range lines {
		lines[i].Changed = !shown[lines[i].Text]
	}
	return lines, cut
}

// cutText keeps the first n bytes of s on a rune boundary, marked "…".
func cutText(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…", true
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

func headerRows(a, b map[string][]string, marks Marks) []web.HeaderDiff {
	names, ca, cb := replay.JoinedHeaders(a, b)
	rows := make([]web.HeaderDiff, 0, len(names))
	for _, k := range names {
		rows = append(rows, web.HeaderDiff{Name: k, Before: ca[k], After: cb[k], Changed: marks.has("headers." + k)})
	}
	return rows
}

// HistoryView builds the replay history of orig; current is the replay
// being shown, if any. It diffs each replay for its class (known, a diff
// of orig without ignores already made, is not made again), and stops with
// ctx's error when the client leaves.
func HistoryView(ctx context.Context, orig *exchange.Exchange, replays []*exchange.Exchange, current string, known *replay.Diff) (web.HistoryView, error) {
	v := web.HistoryView{OrigID: orig.ID}
	for _, x := range replays {
		d := known
		if d == nil || d.Replay != x.ID {
			var err error
			if d, err = replay.CompareContext(ctx, orig, x, nil); err != nil {
				return v, err
			}
		}
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
	return v, nil
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
	if mp := x.Mapping; mp != nil && x.RouteKey != "" {
		t := &web.EditTemplates{Integration: mp.Integration}
		if s := mp.Request; s != nil {
			t.HasRequest, t.RequestKey, t.Request = true, s.ContentType, s.Template
		}
		if s := mp.Response; s != nil {
			t.HasResponse, t.ResponseKey, t.Response = true, s.ContentType, s.Template
		}
		if t.HasRequest || t.HasResponse {
			v.Templates = t
		}
	}
	return v
}

// pretty is the event for editing: indented when that costs no more than
// a few times its size (jsonview), else as stored.
func pretty(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "{}"
	}
	if p := jsonview.Whole(raw, jsonview.Budget(raw)); p != "" {
		return p
	}
	return string(raw)
}

// Line is one line of a pretty-printed body: its depth (drawn as
// indentation, never stored as spaces), its text, and whether it shows a
// changed path.
type Line struct {
	Depth   int
	Text    string
	Changed bool
}

// Marks are a diff's changed paths, sorted, so a body line learns whether
// it shows a change by binary search instead of comparing every change.
type Marks []string

// NewMarks returns the changed paths of a diff.
func NewMarks(changes []replay.Change) Marks {
	m := make(Marks, len(changes))
	for i, c := range changes {
		m[i] = c.Path
	}
	slices.Sort(m)
	return slices.Compact(m)
}

func (m Marks) has(path string) bool {
	_, found := slices.BinarySearch(m, path)
	return found
}

// narrow returns the part [a, b) of m[lo:hi] — paths that all start with
// the same off bytes — whose next bytes are seg.
func (m Marks) narrow(lo, hi, off int, seg string) (int, int) {
	cmp := func(p string) int {
		rest := p[off:]
		return strings.Compare(rest[:min(len(rest), len(seg))], seg)
	}
	a := lo + sort.Search(hi-lo, func(k int) bool { return cmp(m[lo+k]) >= 0 })
	b := a + sort.Search(hi-a, func(k int) bool { return cmp(m[a+k]) > 0 })
	return a, b
}

// JSONLines pretty-prints s (two-space indent, key order and the source's
// spelling kept) rooted at path root, marking the lines that show a path
// in marks: the path itself, anything under it, or, for a scalar holding
// JSON, something inside it. ok is false when s is not one JSON document
// nested at most jsonview.MaxDepth deep (show it as text). Lines stop
// before their drawn size, indentation included, passes limit; more says
// so. Work is linear in the lines shown plus len(s).
func JSONLines(s, root string, m Marks, limit int) (lines []Line, more, ok bool) {
	if !jsonview.Check([]byte(s)) {
		return nil, false, false
	}
	w := &jsonWalk{t: jsonview.NewTokens([]byte(strings.TrimSpace(s))), m: m, limit: limit}
	lo, hi := m.narrow(0, len(m), 0, root)
	w.value(0, "", lo, hi, len(root), false)
	return w.lines, w.full, true
}

type jsonWalk struct {
	t     *jsonview.Tokens
	m     Marks
	lines []Line
	size  int
	limit int
	full  bool
}

func (w *jsonWalk) emit(depth int, text string, changed bool) {
	if w.full {
		return
	}
	// +2: the newline, and the comma that may follow.
	if w.size += 2*depth + len(text) + 2; w.size > w.limit || len(w.lines) == sideLines {
		w.full = true
		return
	}
	w.lines = append(w.lines, Line{Depth: depth, Text: text, Changed: changed})
}

// value draws the value at w.t. Its path is off bytes long, and m[lo:hi]
// are the changed paths that start with it; inChanged says an enclosing
// value changed.
func (w *jsonWalk) value(depth int, prefix string, lo, hi, off int, inChanged bool) {
	exact := lo < hi && len(w.m[lo]) == off
	inChanged = inChanged || exact
	below := false // a changed path lies under this one
	if lo < hi && !inChanged {
		a, b := w.m.narrow(lo, hi, off, ".")
		c, d := w.m.narrow(lo, hi, off, "[")
		below = a < b || c < d
	}
	kind, tok := w.t.Next()
	if kind != '{' && kind != '[' {
		w.emit(depth, prefix+string(tok), inChanged || below)
		return
	}
	closing := byte('}')
	if kind == '[' {
		closing = ']'
	}
	if w.t.Peek() == closing {
		w.t.Next()
		w.emit(depth, prefix+string(kind)+string(closing), inChanged || below)
		return
	}
	w.emit(depth, prefix+string(kind), inChanged)
	for i := 0; !w.full; i++ {
		if i > 0 {
			w.t.Next() // ','
		}
		childPrefix, seg := "", ""
		if kind == '{' {
			_, kt := w.t.Next()
			w.t.Next() // ':'
			childPrefix = string(kt) + ": "
			if lo < hi {
				seg = replay.KeyPath("", unquote(kt))
			}
		} else if lo < hi {
			seg = replay.IndexPath("", i)
		}
		clo, chi := lo, lo
		if lo < hi {
			clo, chi = w.m.narrow(lo, hi, off, seg)
		}
		w.value(depth+1, childPrefix, clo, chi, off+len(seg), inChanged)
		if w.t.Peek() != ',' {
			break
		}
		if !w.full {
			w.lines[len(w.lines)-1].Text += ","
		}
	}
	if w.full {
		return
	}
	w.t.Next()
	w.emit(depth, string(closing), inChanged)
}

// unquote decodes a JSON string token that jsonview.Check accepted.
func unquote(tok []byte) string {
	var k string
	if err := json.Unmarshal(tok, &k); err != nil {
		return string(tok)
	}
	return k
}
