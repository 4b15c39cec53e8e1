package dashboard

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/jsonview"
	"github.com/gatescope/gatescope/web"
)

// shownBytes is how much of a body the inspector renders inline; "show all"
// fetches the rest, so a 6 MB body never makes a 6 MB page.
const shownBytes = 32 << 10

func exchangeHref(id string) string { return "/exchanges/" + url.PathEscape(id) }

func fmtSize(n int) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KB", float64(n)/1024)
	default:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
}

func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "s0"
	}
	return fmt.Sprintf("s%d", status/100)
}

func rowOf(x *exchange.Exchange) web.Row {
	return web.Row{
		ID:          x.ID,
		Href:        exchangeHref(x.ID),
		Method:      x.Request.Method,
		Path:        x.Request.URL,
		Route:       x.RouteKey,
		Status:      x.Response.Status,
		StatusClass: statusClass(x.Response.Status),
		Outcome:     string(x.Outcome),
		Failed:      x.Failed(),
		Explanation: x.Explanation,
		Duration:    web.FormatMs(x.DurationMs),
		Cold:        x.Function.Cold,
		Time:        x.StartedAt.Local().Format("15:04:05.000"),
		TimeISO:     x.StartedAt.Format(time.RFC3339Nano),
	}
}

// inspectorOf builds the inspector's view model; sessionName is "" when
// unknown.
func inspectorOf(x *exchange.Exchange, sessionName string, canReplay bool, apiAddr string) web.InspectorView {
	href := exchangeHref(x.ID)
	v := web.InspectorView{
		ID:          x.ID,
		Method:      x.Request.Method,
		URL:         x.Request.URL,
		Status:      x.Response.Status,
		StatusClass: statusClass(x.Response.Status),
		Outcome:     string(x.Outcome),
		Failed:      x.Failed(),
		Explanation: x.Explanation,
		Duration:    web.FormatMs(x.DurationMs),
		Cold:        x.Function.Cold,
		Starred:     x.Starred,
		Note:        x.Note,
		Request: web.HTTPPart{
			Line:    strings.TrimSpace(x.Request.Method + " " + x.Request.URL),
			Headers: web.Headers(x.Request.Headers),
			Body:    bodyOf(x.Request.Body, x.Request.IsBase64, x.Request.Truncated, href+"/body/request"),
		},
		Response: web.HTTPPart{
			Line:    responseLine(x.Response.Status),
			Headers: web.Headers(x.Response.Headers),
			Body:    bodyOf(x.Response.Body, x.Response.IsBase64, x.Response.Truncated, href+"/body/response"),
		},
		Event:     jsonBody(x.Event, href+"/event.json"),
		Output:    jsonBody(x.Function.RawResponse, href+"/body/output"),
		Curl:      curlOf(x, apiAddr),
		EventFile: eventFile(x.Event),
		EventURL:  href + "/event.json",
		CanReplay: canReplay,
		Mapping:   mappingOf(x, canReplay),
	}
	logs, logsCut := cutLines(x.Logs)
	v.Logs = logLines(logs)
	v.LogLines = lineCount(x.Logs)
	if x.LogsTruncated > 0 {
		v.LogsCut = fmtSize(int(min(x.LogsTruncated, math.MaxInt)))
	}
	if logsCut {
		v.LogsURL = href + "/logs"
	}
	if e := x.Function.Error; e != nil {
		v.Error = &web.FuncError{Type: e.Type, Message: e.Message, Stack: e.StackTrace}
	}
	if a := x.Authorizer; a != nil {
		v.Authorizer = authorizerOf(a)
		if !v.Authorizer.Allowed {
			v.OpenTab = "authorizer"
		}
	}
	session := x.Session
	if sessionName != "" && sessionName != x.Session {
		session = sessionName + " (" + x.Session + ")"
	}
	fn := x.Function.Name
	if x.Function.Target != "" {
		fn += " · " + x.Function.Target
	}
	facts := []web.Fact{
		{Label: "Started", Value: x.StartedAt.Local().Format("2006-01-02 15:04:05.000 MST")},
		{Label: "Route", Value: x.RouteKey},
		{Label: "Function", Value: fn},
		{Label: "Code", Value: codeFact(x)},
		{Label: "Authorizer", Value: authorizerFact(x.Authorizer)},
		{Label: "API", Value: strings.TrimSpace(x.API.Type + " " + x.API.ID + " " + x.API.Stage)},
		{Label: "Session", Value: session, Href: "/?session=" + url.QueryEscape(x.Session)},
		{Label: "Request ID", Value: x.RequestID},
		{Label: "Trace ID", Value: x.TraceID},
		{Label: "Exchange ID", Value: x.ID, Href: href},
	}
	if w := x.Timings.EnvWaitMs; w > 0 {
		facts = append(facts, web.Fact{Label: "Queued",
			Value: "waited " + web.FormatMs(w) + " for an environment: raise --max-environments"})
	}
	if x.ReplayOf != "" {
		facts = append(facts,
			web.Fact{Label: "Replay of", Value: x.ReplayOf, Href: exchangeHref(x.ReplayOf)},
			web.Fact{Label: "Diff", Value: "compare with the original", Href: exchangeHref(x.ReplayOf) + "/diff/" + url.PathEscape(x.ID)})
	}
	for _, f := range facts {
		if strings.TrimSpace(f.Value) != "" {
			v.Facts = append(v.Facts, f)
		}
	}
	return v
}

// codeFact says which code served the exchange: its deployment and the
// version of the function's code ("" when neither was recorded).
func codeFact(x *exchange.Exchange) string {
	var parts []string
	if x.Deployment > 0 {
		parts = append(parts, fmt.Sprintf("deployment %d", x.Deployment))
	}
	if x.Function.Version != "" {
		parts = append(parts, "version "+x.Function.Version)
	}
	return strings.Join(parts, " · ")
}

func responseLine(status int) string {
	if status == 0 {
		return "no response"
	}
	return fmt.Sprint(status)
}

// bodyOf prepares an HTTP body. Base64 bodies that decode to printable UTF-8
// are shown as text: API Gateway base64-encodes by media type, not content.
func bodyOf(body string, isBase64 bool, storedFrom int, rawURL string) web.Body {
	if body == "" {
		return web.Body{Empty: true}
	}
	raw := []byte(body)
	if isBase64 {
		dec, err := base64.StdEncoding.DecodeString(body)
		if err == nil {
			raw = dec
		}
		if err != nil || !printable(dec) {
			b := web.Body{Binary: true, Size: fmtSize(len(raw)), Download: rawURL + "?download=1", FullURL: rawURL}
			b.Text, b.Cut = cut(body)
			b.StoredCut = storedCut(storedFrom)
			return b
		}
	}
	b := web.Body{Size: fmtSize(len(raw)), FullURL: rawURL, Download: rawURL + "?download=1", StoredCut: storedCut(storedFrom)}
	if text, isCut, ok := shownJSON(raw); ok {
		b.Text, b.Cut, b.Lang = text, isCut, "json"
		return b
	}
	b.Text, b.Cut = cut(string(raw[:min(len(raw), shownBytes+utf8.UTFMax)]))
	b.Cut = b.Cut || len(raw) > len(b.Text)
	return b
}

func storedCut(n int) string {
	if n <= 0 {
		return ""
	}
	return fmtSize(n)
}

// jsonBody shows JSON (an event, a function's raw response) pretty, cut
// like bodies; fullURL serves the whole document.
func jsonBody(raw json.RawMessage, fullURL string) web.Body {
	if len(bytes.TrimSpace(raw)) == 0 || string(raw) == "null" {
		return web.Body{Empty: true}
	}
	b := web.Body{Size: fmtSize(len(raw)), FullURL: fullURL}
	if text, isCut, ok := shownJSON(raw); ok {
		b.Text, b.Cut, b.Lang = text, isCut, "json"
		return b
	}
	b.Text, b.Cut = cut(string(raw[:min(len(raw), shownBytes+utf8.UTFMax)]))
	b.Cut = b.Cut || len(raw) > len(b.Text)
	return b
}

// prettyable reports whether raw is a document worth indenting: an object,
// an array or a string (a number or a boolean reads best as it is).
func prettyable(raw []byte) ([]byte, bool) {
	t := bytes.TrimSpace(raw)
	return t, len(t) > 0 && (t[0] == '{' || t[0] == '[' || t[0] == '"')
}

// shownJSON is the first shownBytes of raw pretty-printed; ok is false when
// raw is not JSON or nests too deeply (see jsonview), and it is shown as text.
func shownJSON(raw []byte) (text string, isCut, ok bool) {
	t, ok := prettyable(raw)
	if !ok {
		return "", false, false
	}
	return jsonview.Indent(t, shownBytes)
}

// wholeJSON is raw pretty-printed whole, for copying, editing and
// download, or raw itself when indenting would cost more than a few times
// its size; "" when raw is not a JSON document.
func wholeJSON(raw []byte) string {
	t, ok := prettyable(raw)
	if !ok {
		return ""
	}
	return jsonview.Whole(t, jsonview.Budget(t))
}

// eventFile is the event as a SAM events/*.json file: pretty when that is
// affordable, else as stored.
func eventFile(raw []byte) string {
	if ev := wholeJSON(raw); ev != "" {
		return ev
	}
	return string(raw)
}

// cut keeps the first shownBytes of s on a rune boundary.
func cut(s string) (string, bool) {
	if len(s) <= shownBytes {
		return s, false
	}
	n := shownBytes
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], true
}

// cutLines keeps the first shownBytes of a log, ending at a line's end
// when one is near.
func cutLines(s string) (string, bool) {
	c, isCut := cut(s)
	if isCut {
		if i := strings.LastIndexByte(c, '\n'); i > len(c)/2 {
			c = c[:i+1]
		}
	}
	return c, isCut
}

func lineCount(s string) int {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return 0
	}
	return strings.Count(s, "\n") + 1
}

// printable reports whether b is UTF-8 text without control characters
// other than whitespace.
func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' || r == 0x7f {
			return false
		}
	}
	return true
}

// logLines marks the runtime's own lines (START, END, REPORT, INIT_*) and
// error-looking lines so they stand out from the function's output.
func logLines(logs string) []web.LogLine {
	logs = strings.TrimRight(logs, "\n")
	if logs == "" {
		return nil
	}
	lines := strings.Split(logs, "\n")
	out := make([]web.LogLine, 0, len(lines))
	for _, l := range lines {
		kind := ""
		switch {
		case hasAnyPrefix(l, "START RequestId", "END RequestId", "REPORT RequestId", "INIT_START", "INIT_REPORT", "EXTENSION"):
			kind = "meta"
		case strings.Contains(l, "ERROR") || strings.Contains(l, "Task timed out") || strings.Contains(l, "Runtime.") ||
			strings.Contains(l, "panic:") || strings.Contains(l, "Traceback"):
			kind = "err"
		}
		out = append(out, web.LogLine{Text: l, Kind: kind})
	}
	return out
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
