package dashboard

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/jsonview"
	"github.com/gatescope/gatescope/server/trace"
	"github.com/gatescope/gatescope/web"
)

// Bounds on what a trace view draws.
const (
	maxTraceRows = 2000
	maxLogTicks  = 300
	metaShown    = 8 << 10
)

// traceViewOf draws an exchange's trace: its rows on one axis from the
// request's arrival to the last segment's end. An HTTP API (X-Ray does not
// trace HTTP APIs), an unrouted request or an exchange without segments
// gets a first row from gatescope's own timings, so the waterfall always
// starts at the gateway.
func traceViewOf(x *exchange.Exchange, t *trace.Trace, logTimes []exchange.LogTime) web.TraceView {
	rows := t.Rows()
	v := web.TraceView{TraceID: t.TraceID}
	if t.TraceID != "" {
		base := "/api/exchanges/" + url.PathEscape(x.ID) + "/trace"
		v.JSONURL, v.XRayURL, v.OTLPURL = base, base+"?format=xray", base+"?format=otlp"
	}
	hasStage := false
	for _, r := range rows {
		if r.Seg.Origin == "AWS::ApiGateway::Stage" {
			hasStage = true
		}
	}

	// The axis: from the request's arrival (or the first segment) to the
	// last end.
	t0, t1 := x.StartedAt, x.StartedAt.Add(time.Duration(x.DurationMs*float64(time.Millisecond)))
	for _, r := range rows {
		s, e := r.Seg.Start(), r.Seg.End()
		if !s.IsZero() && (t0.IsZero() || s.Before(t0)) {
			t0 = s
		}
		if e.After(t1) {
			t1 = e
		}
		if s.After(t1) {
			t1 = s
		}
	}
	if t0.IsZero() {
		return v
	}
	total := t1.Sub(t0)
	if total <= 0 {
		total = time.Millisecond
	}
	pos := func(at time.Time) float64 { return 100 * float64(at.Sub(t0)) / float64(total) }
	msFrom := func(at time.Time) string { return web.FormatMs(float64(at.Sub(t0)) / float64(time.Millisecond)) }
	v.Total = web.FormatMs(float64(total) / float64(time.Millisecond))
	v.Ticks = axisTicks(total)

	shift := 0
	if !hasStage && x.API.ID != "" || len(rows) == 0 && x.DurationMs > 0 {
		shift = 1
		name := strings.TrimSpace(x.API.ID + "/" + x.API.Stage)
		kind := "HTTP API · gatescope's timing, not an X-Ray segment"
		switch {
		case x.API.ID == "":
			name, kind = strings.TrimSpace(x.Request.Method+" "+x.Request.URL), "request · gatescope's timing"
		case x.API.Type != "HTTP":
			kind = x.API.Type + " API · gatescope's timing"
		}
		status := string(trace.StatusOK)
		switch st := x.Response.Status; {
		case st == 429:
			status = string(trace.StatusThrottle)
		case st >= 500:
			status = string(trace.StatusFault)
		case st >= 400:
			status = string(trace.StatusError)
		}
		end := x.StartedAt.Add(time.Duration(x.DurationMs * float64(time.Millisecond)))
		v.Rows = append(v.Rows, web.TraceRow{Name: name, Kind: kind, Source: "gatescope", Status: status,
			Left: pos(x.StartedAt), Width: max(pos(end)-pos(x.StartedAt), 0.2), Start: msFrom(x.StartedAt),
			Took: web.FormatMs(x.DurationMs), HTTP: fmt.Sprintf("%s %s\n→ %d", x.Request.Method, x.Request.URL, x.Response.Status)})
		if x.API.Type == "HTTP" {
			v.Notes = append(v.Notes, "X-Ray does not trace HTTP APIs: the first row is gatescope's own timing of the request. Lambda's segments below are what X-Ray records when the function samples.")
		}
	}

	// gatescope's own steps that no segment records: the authorizer and the
	// wait for a free environment, under the request.
	step := func(name, status string, fromMs, durMs float64) {
		from := x.StartedAt.Add(time.Duration(fromMs * float64(time.Millisecond)))
		to := from.Add(time.Duration(durMs * float64(time.Millisecond)))
		v.Rows = append(v.Rows, web.TraceRow{Name: name, Kind: "gatescope's timing", Source: "gatescope", Depth: shift,
			Status: status, Left: pos(from), Width: max(pos(to)-pos(from), 0.2), Start: msFrom(from), Took: web.FormatMs(durMs)})
	}
	if a := x.Authorizer; a != nil && a.DurationMs > 0 {
		name, status := "Authorizer "+a.Name, string(trace.StatusOK)
		if a.Cached {
			name += " (cached)"
		}
		switch a.Decision {
		case "deny", "unauthorized":
			status = string(trace.StatusError)
		case "error":
			status = string(trace.StatusFault)
		}
		step(name, status, a.StartMs, a.DurationMs)
	}
	if w := x.Timings.EnvWaitMs; w > 0 {
		step("Waiting for an environment (raise --max-environments)", string(trace.StatusOK), x.Timings.InvokeStartMs, w)
	}

	var timeout *web.Marker
	for i, r := range rows {
		if i == maxTraceRows {
			v.Notes = append(v.Notes, fmt.Sprintf("%d more segments are not drawn.", len(rows)-maxTraceRows))
			break
		}
		s := r.Seg
		start, end := s.Start(), s.End()
		status := string(s.Status())
		if s.InProgress || end.IsZero() {
			status, end = "pending", t1
		}
		row := web.TraceRow{Name: s.Name, Kind: segKind(s, r.Service), Source: segSource(s), Depth: r.Depth + shift, Status: status,
			Left: pos(start), Width: max(pos(end)-pos(start), 0.2), Start: msFrom(start),
			Took: web.FormatMs(float64(end.Sub(start)) / float64(time.Millisecond))}
		if status == "pending" {
			row.Took = "in progress"
		}
		fillDetails(&row, s)
		v.Rows = append(v.Rows, row)
		if row.Source != "gatescope" {
			v.Received++
		}
		if s.Origin == "AWS::Lambda::Function" && timeout == nil {
			var m struct {
				Gatescope struct {
					TimeoutMs int64 `json:"timeout_ms"`
					Sampled   *bool `json:"sampled"`
				} `json:"gatescope"`
			}
			_ = json.Unmarshal(s.Metadata, &m)
			invStart := start
			for _, c := range s.Subsegments {
				if c.Name == "Invocation" {
					invStart = c.Start()
				}
			}
			if ms := m.Gatescope.TimeoutMs; ms > 0 {
				at := invStart.Add(time.Duration(ms) * time.Millisecond)
				label := fmt.Sprintf("%s times out %s after its handler starts", s.Name, web.FormatMs(float64(ms)))
				if p := pos(at); p <= 100.5 {
					timeout = &web.Marker{Left: min(p, 100), Label: label}
				} else {
					v.TimeoutNote = "Timeout: " + label + ", at " + msFrom(at) + " (beyond the axis)."
				}
			}
			if sm := m.Gatescope.Sampled; sm != nil && !*sm {
				v.Notes = append(v.Notes, fmt.Sprintf("%s was not sampled (Sampled=0): its tracing is PassThrough and its caller did not sample, so a deployed function would send no segments of its own, and neither did this one. Set Tracing: Active on the function, or TracingEnabled on its REST API, to see its subsegments.", s.Name))
			}
		}
	}
	v.Timeout = timeout
	v.LogTicks, v.LogTicksCut = logTicks(x.Logs, logTimes, pos, msFrom)
	return v
}

// axisTicks are at most seven labels at a round step (1, 2 or 5 times a
// power of ten, in milliseconds).
func axisTicks(total time.Duration) []web.AxisTick {
	ms := float64(total) / float64(time.Millisecond)
	step := 0.001
	for p := -3; p < 9 && ms/step > 6; p++ {
		for _, m := range []float64{1, 2, 5} {
			step = m * math.Pow(10, float64(p))
			if ms/step <= 6 {
				break
			}
		}
	}
	var ticks []web.AxisTick
	for i := 0; float64(i)*step <= ms*(1+1e-9) && i < 12; i++ {
		at := float64(i) * step
		ticks = append(ticks, web.AxisTick{Left: 100 * at / ms, Label: web.FormatMs(at)})
	}
	return ticks
}

func segKind(s *trace.Segment, service bool) string {
	switch {
	case s.Origin != "":
		return s.Origin
	case s.Namespace == "aws":
		return "AWS call"
	case s.Namespace == "remote" && len(s.SQL) > 0:
		return "database call"
	case s.Namespace == "remote":
		return "remote call"
	case service:
		return "segment"
	}
	return "subsegment"
}

// segSource says who recorded a segment: gatescope (API Gateway's and
// Lambda's segments), an X-Ray SDK or OpenTelemetry.
func segSource(s *trace.Segment) string {
	switch {
	case strings.Contains(string(s.Metadata), `"otel"`):
		return "OpenTelemetry"
	case s.Origin == "AWS::ApiGateway::Stage" || s.Origin == "AWS::Lambda" || s.Origin == "AWS::Lambda::Function":
		return "gatescope"
	case s.Name == "Initialization" || s.Name == "Invocation" || s.Name == "Overhead" || s.Name == "Lambda" && s.Namespace == "aws" && s.TraceID == "":
		if strings.Contains(string(s.AWS), "function_arn") || s.Name == "Lambda" {
			return "gatescope"
		}
	}
	return "X-Ray SDK"
}

func fillDetails(row *web.TraceRow, s *trace.Segment) {
	add := func(label, value string) {
		if value != "" {
			row.Details = append(row.Details, web.Detail{Label: label, Value: value})
		}
	}
	add("Recorded by", row.Source)
	add("Segment id", s.ID)
	add("Parent id", s.ParentID)
	add("Resource", s.ResourceARN)
	if st := s.Start(); !st.IsZero() {
		add("Started", st.Local().Format("15:04:05.000000"))
	}
	if len(s.AWS) > 0 {
		add("aws", compactJSON(s.AWS))
	}
	if h := s.HTTP; h != nil {
		var b strings.Builder
		if r := h.Request; r != nil {
			fmt.Fprintf(&b, "%s %s", r.Method, r.URL)
			if r.ClientIP != "" {
				fmt.Fprintf(&b, "\nclient %s", r.ClientIP)
			}
			if r.UserAgent != "" {
				fmt.Fprintf(&b, "\nuser agent %s", r.UserAgent)
			}
		}
		if r := h.Response; r != nil && r.Status != 0 {
			fmt.Fprintf(&b, "\n→ %d", r.Status)
			if cl := strings.Trim(string(r.ContentLength), `"`); cl != "" && cl != "0" {
				fmt.Fprintf(&b, ", %s bytes", cl)
			}
		}
		row.HTTP = strings.TrimSpace(b.String())
	}
	if len(s.SQL) > 0 {
		var q map[string]any
		if json.Unmarshal(s.SQL, &q) == nil {
			var b strings.Builder
			if v, ok := q["sanitized_query"].(string); ok {
				b.WriteString(v + "\n")
			}
			for _, k := range []string{"url", "database_type", "database_version", "user", "driver_version"} {
				if v, ok := q[k]; ok {
					fmt.Fprintf(&b, "%s: %v\n", k, v)
				}
			}
			row.SQL = strings.TrimSpace(b.String())
		}
	}
	if c := s.DecodeCause(); c != nil {
		if c.ExceptionID != "" {
			row.Exceptions = append(row.Exceptions, web.TraceException{Type: "exception", Message: "recorded on the subsegment with exception " + c.ExceptionID})
		}
		for i, e := range c.Exceptions {
			if i == 20 {
				break
			}
			te := web.TraceException{Type: e.Type, Message: e.Message, Remote: e.Remote}
			for j, f := range e.Stack {
				if j == 100 {
					break
				}
				line := f.Label
				if f.Path != "" {
					line += fmt.Sprintf("  %s:%d", f.Path, f.Line)
				}
				te.Stack = append(te.Stack, strings.TrimSpace(line))
			}
			row.Exceptions = append(row.Exceptions, te)
		}
	}
	var ann map[string]json.RawMessage
	if json.Unmarshal(s.Annotations, &ann) == nil {
		keys := make([]string, 0, len(ann))
		for k := range ann {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			val := string(ann[k])
			var str string
			if json.Unmarshal(ann[k], &str) == nil {
				val = str
			}
			row.Annotations = append(row.Annotations, web.Header{Name: k, Value: val})
		}
	}
	if len(s.Metadata) > 0 {
		if text, cut, ok := jsonview.Indent(s.Metadata, metaShown); ok {
			row.Metadata = text
			if cut {
				row.Metadata += "\n…"
			}
		}
	}
}

func compactJSON(raw json.RawMessage) string {
	s := strings.Join(strings.Fields(string(raw)), " ")
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}

// logTicks places the function's output lines on the axis at the time
// they were read from its pipe: a line was written at or before the read
// that began at or before it. Lines before the first read (init output)
// and after the invocation's end are left out.
func logTicks(logs string, times []exchange.LogTime, pos func(time.Time) float64, msFrom func(time.Time) string) ([]web.LogTick, int) {
	if len(times) == 0 || logs == "" {
		return nil, 0
	}
	times = slices.Clone(times)
	slices.SortStableFunc(times, func(a, b exchange.LogTime) int { return a.Offset - b.Offset })
	var ticks []web.LogTick
	more := 0
	for off := 0; off < len(logs); {
		end := strings.IndexByte(logs[off:], '\n')
		if end < 0 {
			end = len(logs) - off
		}
		line := logs[off : off+end]
		start := off
		off += end + 1
		if start < times[0].Offset {
			continue
		}
		if strings.HasPrefix(line, "END RequestId") || strings.HasPrefix(line, "[gatescope cut ") {
			break
		}
		if strings.Contains(line, " Task timed out after ") || strings.HasPrefix(line, "RequestId: ") {
			continue // Lambda's own line about the end: the marker and the bars say it
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		if len(ticks) == maxLogTicks {
			more++
			continue
		}
		i := sort.Search(len(times), func(i int) bool { return times[i].Offset > start }) - 1
		at := times[max(i, 0)].At
		kind := ""
		if ll := logLines(line); len(ll) == 1 && ll[0].Kind == "err" {
			kind = "err"
		}
		if len(line) > 200 {
			line = line[:200] + "…"
		}
		ticks = append(ticks, web.LogTick{Left: min(max(pos(at), 0), 100), At: msFrom(at), Text: line, Kind: kind})
	}
	return ticks, more
}
