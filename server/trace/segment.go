// Package trace is gatescope's X-Ray: the segment documents of a trace,
// the X-Amzn-Trace-Id header, the daemon's UDP datagrams and OTLP spans
// (both become segment documents), the segments API Gateway and Lambda
// emit for an exchange, a trace's documents nested for reading, its
// exports (X-Ray documents, OTLP JSON) and the service map.
//
// A segment document is kept as the function sent it; gatescope decodes
// the fields it reads and keeps the others (Rest) so that a trace served
// or exported holds whatever the function wrote.
package trace

import (
	"bytes"
	"encoding/json"
	"math"
	"time"
)

// Segment is an X-Ray segment or subsegment document (doc:
// xray-api-segmentdocuments). Times are epoch seconds.
type Segment struct {
	Name        string          `json:"name"`
	ID          string          `json:"id"`
	TraceID     string          `json:"trace_id,omitempty"`
	StartTime   float64         `json:"start_time"`
	EndTime     float64         `json:"end_time,omitempty"`
	InProgress  bool            `json:"in_progress,omitempty"`
	Type        string          `json:"type,omitempty"`
	ParentID    string          `json:"parent_id,omitempty"`
	Namespace   string          `json:"namespace,omitempty"`
	Origin      string          `json:"origin,omitempty"`
	ResourceARN string          `json:"resource_arn,omitempty"`
	HTTP        *HTTP           `json:"http,omitempty"`
	AWS         json.RawMessage `json:"aws,omitempty"`
	Error       bool            `json:"error,omitempty"`
	Fault       bool            `json:"fault,omitempty"`
	Throttle    bool            `json:"throttle,omitempty"`
	Cause       json.RawMessage `json:"cause,omitempty"`
	Annotations json.RawMessage `json:"annotations,omitempty"`
	Metadata    json.RawMessage `json:"metadata,omitempty"`
	SQL         json.RawMessage `json:"sql,omitempty"`
	Subsegments []*Segment      `json:"subsegments,omitempty"`
	// Rest holds the document's other keys (service, user, precursor_ids,
	// an SDK's own fields) as sent.
	Rest map[string]json.RawMessage `json:"-"`
}

// HTTP is a segment's http object.
type HTTP struct {
	Request  *HTTPRequest  `json:"request,omitempty"`
	Response *HTTPResponse `json:"response,omitempty"`
}

// HTTPRequest is http.request.
type HTTPRequest struct {
	Method        string `json:"method,omitempty"`
	URL           string `json:"url,omitempty"`
	UserAgent     string `json:"user_agent,omitempty"`
	ClientIP      string `json:"client_ip,omitempty"`
	XForwardedFor bool   `json:"x_forwarded_for,omitempty"`
	Traced        bool   `json:"traced,omitempty"`
}

// HTTPResponse is http.response. ContentLength is a number in the
// documents SDKs send, sometimes a string: kept as sent.
type HTTPResponse struct {
	Status        int             `json:"status,omitempty"`
	ContentLength json.RawMessage `json:"content_length,omitempty"`
}

// known are the keys Segment decodes itself.
var known = map[string]bool{"name": true, "id": true, "trace_id": true, "start_time": true, "end_time": true,
	"in_progress": true, "type": true, "parent_id": true, "namespace": true, "origin": true, "resource_arn": true,
	"http": true, "aws": true, "error": true, "fault": true, "throttle": true, "cause": true, "annotations": true,
	"metadata": true, "sql": true, "subsegments": true}

type plainSegment Segment

// UnmarshalJSON decodes a document, keeping keys it does not know in Rest.
// A field of the wrong type (a string where a number belongs) is an
// error: the document is not X-Ray's.
func (s *Segment) UnmarshalJSON(b []byte) error {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	if err := json.Unmarshal(b, (*plainSegment)(s)); err != nil {
		return err
	}
	for k := range all {
		if known[k] {
			delete(all, k)
		}
	}
	if len(all) > 0 {
		s.Rest = all
	} else {
		s.Rest = nil
	}
	return nil
}

// IsSubsegment reports whether the document is a subsegment sent alone.
func (s *Segment) IsSubsegment() bool { return s.Type == "subsegment" }

// Start and End are the segment's times; End is the zero time while in
// progress.
func (s *Segment) Start() time.Time { return Time(s.StartTime) }
func (s *Segment) End() time.Time {
	if s.EndTime == 0 {
		return time.Time{}
	}
	return Time(s.EndTime)
}

// Time converts X-Ray's epoch seconds to a time.
func Time(sec float64) time.Time {
	if math.IsNaN(sec) || math.IsInf(sec, 0) || sec <= 0 {
		return time.Time{}
	}
	whole, frac := math.Modf(sec)
	return time.Unix(int64(whole), int64(math.Round(frac*1e6))*1e3).UTC()
}

// Seconds converts a time to X-Ray's epoch seconds, to the microsecond.
func Seconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixMicro()) / 1e6
}

// Status is how a segment ended, as X-Ray colours it: ok (green), error
// (4xx, yellow), fault (5xx, red), throttle (429, purple).
type Status string

const (
	StatusOK       Status = "ok"
	StatusError    Status = "error"
	StatusFault    Status = "fault"
	StatusThrottle Status = "throttle"
)

// Status returns the segment's own status: throttle over fault over error.
func (s *Segment) Status() Status {
	switch {
	case s.Throttle:
		return StatusThrottle
	case s.Fault:
		return StatusFault
	case s.Error:
		return StatusError
	}
	return StatusOK
}

// Walk calls fn for s and each subsegment below it, depth first, with its
// depth below s (0 for s) and its embedding parent (nil for s).
func (s *Segment) Walk(fn func(seg, parent *Segment, depth int)) {
	var walk func(seg, parent *Segment, depth int)
	walk = func(seg, parent *Segment, depth int) {
		fn(seg, parent, depth)
		for _, c := range seg.Subsegments {
			if c != nil {
				walk(c, seg, depth+1)
			}
		}
	}
	walk(s, nil, 0)
}

// Exception is one of a cause's exceptions.
type Exception struct {
	ID      string       `json:"id,omitempty"`
	Message string       `json:"message,omitempty"`
	Type    string       `json:"type,omitempty"`
	Remote  bool         `json:"remote,omitempty"`
	Cause   string       `json:"cause,omitempty"`
	Stack   []StackFrame `json:"stack,omitempty"`
}

// StackFrame is one frame of an exception's stack.
type StackFrame struct {
	Path  string `json:"path,omitempty"`
	Line  int    `json:"line,omitempty"`
	Label string `json:"label,omitempty"`
}

// Cause is a segment's cause object; a cause that is a bare exception id
// (the exception is recorded on another subsegment) decodes to ExceptionID.
type Cause struct {
	WorkingDirectory string      `json:"working_directory,omitempty"`
	Paths            []string    `json:"paths,omitempty"`
	Exceptions       []Exception `json:"exceptions,omitempty"`
	ExceptionID      string      `json:"-"`
}

// DecodeCause reads a segment's cause; nil when there is none or it does
// not have X-Ray's shape.
func (s *Segment) DecodeCause() *Cause {
	raw := bytes.TrimSpace(s.Cause)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] == '"' {
		var id string
		if json.Unmarshal(raw, &id) != nil || id == "" {
			return nil
		}
		return &Cause{ExceptionID: id}
	}
	var c Cause
	if json.Unmarshal(raw, &c) != nil {
		return nil
	}
	return &c
}

// DownstreamKey is the service map node a subsegment calls: "aws:<name>"
// for an AWS service (namespace aws), "remote:<name>" for an HTTP host or
// a database (namespace remote); "" for anything else.
func DownstreamKey(s *Segment) string {
	if s.Name == "" {
		return ""
	}
	switch s.Namespace {
	case "aws":
		return "aws:" + s.Name
	case "remote":
		return "remote:" + s.Name
	}
	return ""
}
