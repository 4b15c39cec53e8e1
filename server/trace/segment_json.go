package trace

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"

	"github.com/gatescope/gatescope/server/jsonstr"
)

// MarshalJSON encodes the document: its known fields in order, then Rest's
// keys sorted. It is written by hand: encoding/json re-validates what each
// MarshalJSON returns, and nested subsegments made that cost grow with the
// depth of the tree (gatescope encodes its own segments on every request).
func (s *Segment) MarshalJSON() ([]byte, error) {
	return s.AppendJSON(nil), nil
}

// AppendJSON appends the document's JSON to b.
func (s *Segment) AppendJSON(b []byte) []byte {
	b = append(b, `{"name":`...)
	b = appendString(b, s.Name)
	b = append(b, `,"id":`...)
	b = appendString(b, s.ID)
	str := func(key, v string) {
		if v != "" {
			b = append(b, ',', '"')
			b = append(b, key...)
			b = append(b, '"', ':')
			b = appendString(b, v)
		}
	}
	raw := func(key string, v json.RawMessage) {
		if v = bytes.TrimSpace(v); len(v) > 0 {
			b = append(b, ',', '"')
			b = append(b, key...)
			b = append(b, '"', ':')
			b = append(b, v...)
		}
	}
	flag := func(key string, v bool) {
		if v {
			b = append(b, ',', '"')
			b = append(b, key...)
			b = append(b, `":true`...)
		}
	}
	str("trace_id", s.TraceID)
	b = append(b, `,"start_time":`...)
	b = appendFloat(b, s.StartTime)
	if s.EndTime != 0 {
		b = append(b, `,"end_time":`...)
		b = appendFloat(b, s.EndTime)
	}
	flag("in_progress", s.InProgress)
	str("type", s.Type)
	str("parent_id", s.ParentID)
	str("namespace", s.Namespace)
	str("origin", s.Origin)
	str("resource_arn", s.ResourceARN)
	if h := s.HTTP; h != nil {
		b = append(b, `,"http":{`...)
		n := len(b)
		if r := h.Request; r != nil {
			b = append(b, `"request":{`...)
			m := len(b)
			field := func(key, v string) {
				if v != "" {
					if len(b) > m {
						b = append(b, ',')
					}
					b = appendString(b, key)
					b = append(b, ':')
					b = appendString(b, v)
				}
			}
			field("method", r.Method)
			field("url", r.URL)
			field("user_agent", r.UserAgent)
			field("client_ip", r.ClientIP)
			for _, f := range []struct {
				key string
				v   bool
			}{{"x_forwarded_for", r.XForwardedFor}, {"traced", r.Traced}} {
				if f.v {
					if len(b) > m {
						b = append(b, ',')
					}
					b = append(b, '"')
					b = append(b, f.key...)
					b = append(b, `":true`...)
				}
			}
			b = append(b, '}')
		}
		if r := h.Response; r != nil {
			if len(b) > n {
				b = append(b, ',')
			}
			b = append(b, `"response":{`...)
			m := len(b)
			if r.Status != 0 {
				b = append(b, `"status":`...)
				b = strconv.AppendInt(b, int64(r.Status), 10)
			}
			if cl := bytes.TrimSpace(r.ContentLength); len(cl) > 0 {
				if len(b) > m {
					b = append(b, ',')
				}
				b = append(b, `"content_length":`...)
				b = append(b, cl...)
			}
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	raw("aws", s.AWS)
	flag("error", s.Error)
	flag("fault", s.Fault)
	flag("throttle", s.Throttle)
	raw("cause", s.Cause)
	raw("annotations", s.Annotations)
	raw("metadata", s.Metadata)
	raw("sql", s.SQL)
	if len(s.Subsegments) > 0 {
		b = append(b, `,"subsegments":[`...)
		first := true
		for _, c := range s.Subsegments {
			if c == nil {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = c.AppendJSON(b)
		}
		b = append(b, ']')
	}
	if len(s.Rest) > 0 {
		keys := make([]string, 0, len(s.Rest))
		for k := range s.Rest {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			b = append(b, ',')
			b = appendString(b, k)
			b = append(b, ':')
			b = append(b, bytes.TrimSpace(s.Rest[k])...)
		}
	}
	return append(b, '}')
}

// appendFloat writes f as encoding/json does.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, '0')
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendString appends s as a JSON string (jsonstr.Append).
func appendString(b []byte, s string) []byte { return jsonstr.Append(b, s) }
