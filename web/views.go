// Package web holds the dashboard's templ components, their view models and
// the embedded static assets. It knows nothing of SQL or of the capture
// pipeline: server/dashboard turns exchanges into these plain view models.
package web

import (
	"slices"
	"strings"
)

// maxIndent is the deepest indentation drawn: 512 levels, the depth
// beyond which bodies are shown as text (server/jsonview).
const maxIndent = 512

var spaces = strings.Repeat("  ", maxIndent)

// Indentation is the indentation of a pretty-printed line at depth: two
// spaces a level, sliced from one shared string as the page is drawn.
func Indentation(depth int) string { return spaces[:2*min(max(depth, 0), maxIndent)] }

// Option is one choice of a filter select.
type Option struct {
	Value, Label string
}

// Filter is the list filter as the URL query and the form carry it.
type Filter struct {
	Session, Route, Method, Status, Outcome, Q string
	// Node is a service map node ("fn:Orders", "aws:DynamoDB"): the
	// exchanges whose trace reached it.
	Node string
}

// Active reports whether any filter is set.
func (f Filter) Active() bool {
	return f != Filter{}
}

// Row is one exchange in the list. The live feed's JavaScript fills a clone
// of the same markup, so both paths render identical rows.
type Row struct {
	ID          string
	Href        string
	Method      string
	Path        string
	Route       string
	Status      int
	StatusClass string // css class: s2, s3, s4, s5, or s0 when no response
	Outcome     string
	Failed      bool
	Explanation string
	Duration    string
	Cold        bool
	Time        string // shown, re-formatted to browser local time by JS
	TimeISO     string // RFC 3339, for <time datetime>
}

// ListView is the live list page.
type ListView struct {
	Filter   Filter
	Sessions []Option
	Routes   []Option
	Methods  []Option
	Statuses []Option
	Outcomes []Option
	Rows     []Row
	// SessionID is the filter's session resolved to its id, which is what
	// live-feed summaries carry.
	SessionID string
	// SessionName is set when the filter names a session that exists: the
	// session bar (export, share) is shown for it.
	SessionName string
	// OlderHref links to the next (older) page; "" on the last page.
	OlderHref string
	// Live is false on older pages: only the newest page follows the feed.
	Live     bool
	MaxRows  int
	Captured uint64
	Dropped  uint64
	Error    string
	// NotEmulated lists what the template declares and gatescope does not
	// emulate, one feature per notice.
	NotEmulated []Notice
	// Deployments are the newest deployments, newest first.
	Deployments []DeployRow
}

// Notice is one feature gatescope does not emulate and where the template
// declares it.
type Notice struct {
	Message string
	Where   []string
}

// Header is one header line.
type Header struct {
	Name, Value string
}

// Headers lists h one line per value, by name regardless of case, as a
// browser's network panel shows them.
func Headers(h map[string][]string) []Header {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	var out []Header
	for _, k := range names {
		for _, v := range h[k] {
			out = append(out, Header{Name: k, Value: v})
		}
	}
	return out
}

// Body is a request, response or event body ready to show.
type Body struct {
	Empty     bool
	Binary    bool
	Size      string // human size of the whole body
	Text      string // shown text (pretty JSON when it parses), or base64 for binary
	Cut       bool   // Text is only the start; FullURL has the rest
	StoredCut string // non-empty when the store kept only part: the original size
	FullURL   string // raw body (text/plain or octet-stream)
	Download  string // same, as an attachment
	Lang      string // "json" or ""
}

// HTTPPart is the request or response section.
type HTTPPart struct {
	Line    string // "GET /path?q" or "200"
	Headers []Header
	Body    Body
}

// FuncError is a function error or invoke failure.
type FuncError struct {
	Type, Message string
	Stack         []string
}

// LogLine is one log line; Kind is "meta" (START/END/REPORT), "err" or "".
type LogLine struct {
	Text, Kind string
}

// Fact is one label/value pair of the summary grid.
type Fact struct {
	Label, Value, Href string
}

// InspectorView is the page of one exchange.
type InspectorView struct {
	ID          string
	Method      string
	URL         string
	Status      int
	StatusClass string
	Outcome     string
	Failed      bool
	Explanation string
	Duration    string
	Cold        bool
	Starred     bool
	Note        string
	Facts       []Fact
	Request     HTTPPart
	Response    HTTPPart
	Event       Body
	Output      Body
	Error       *FuncError
	Logs        []LogLine // the start of the log (see LogsURL)
	LogLines    int       // lines in the whole stored log
	LogsURL     string    // set when Logs is only the start: the whole log as text
	LogsCut     string    // how much of the function's output gatescope did not keep, "" for none
	Trace       TraceView
	// Authorizer is the authorizer step; nil when the route has none.
	Authorizer *AuthorizerView
	// OpenTab is the tab a failed exchange opens on ("" for the function
	// output).
	OpenTab   string
	Curl      string
	EventFile string // the event as a SAM event file (pretty JSON)
	EventURL  string // download of the event file
	CanReplay bool
	// Mapping is a non-proxy integration's steps; nil for proxies.
	Mapping *MappingView
}

// NotFoundView is the 404 page.
type NotFoundView struct {
	Title, Message string
}
