// Package share exports and imports debug sessions (HAR 1.2 and gatescope's
// native JSON), redacts secrets from what leaves the machine, and serves
// read-only share links and the annotation API (stars, notes, session
// names). Its HTTP handlers are mounted on the dashboard's mux.
package share

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
)

// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/), written by
// hand: fields the spec requires are never omitted, gatescope's own data
// rides in "_gatescope" custom fields, which HAR readers ignore.

// HAR is a HAR file.
type HAR struct {
	Log HARLog `json:"log"`
}

// HARLog is the root of a HAR.
type HARLog struct {
	Version   string     `json:"version"`
	Creator   HARCreator `json:"creator"`
	Entries   []HAREntry `json:"entries"`
	Comment   string     `json:"comment,omitempty"`
	Gatescope *LogExt    `json:"_gatescope,omitempty"`
}

// HARCreator names the exporting application.
type HARCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// HAREntry is one request/response pair.
type HAREntry struct {
	Pageref         string      `json:"pageref,omitempty"`
	StartedDateTime string      `json:"startedDateTime"`
	Time            float64     `json:"time"`
	Request         HARRequest  `json:"request"`
	Response        HARResponse `json:"response"`
	Cache           struct{}    `json:"cache"`
	Timings         HARTimings  `json:"timings"`
	Comment         string      `json:"comment,omitempty"`
	Gatescope       *EntryExt   `json:"_gatescope,omitempty"`
	// ResourceType and WebSocketMessages are Chrome's: a WebSocket
	// handshake's entry lists its connection's messages.
	ResourceType      string                `json:"_resourceType,omitempty"`
	WebSocketMessages []HARWebSocketMessage `json:"_webSocketMessages,omitempty"`
}

// HARWebSocketMessage is one message of a WebSocket connection as Chrome
// writes it: send (client to server) or receive, time in Unix seconds,
// opcode 1 for text.
type HARWebSocketMessage struct {
	Type   string  `json:"type"`
	Time   float64 `json:"time"`
	Opcode int     `json:"opcode"`
	Data   string  `json:"data"`
}

// HARRequest is an entry's request.
type HARRequest struct {
	Method      string         `json:"method"`
	URL         string         `json:"url"`
	HTTPVersion string         `json:"httpVersion"`
	Cookies     []HARCookie    `json:"cookies"`
	Headers     []HARNameValue `json:"headers"`
	QueryString []HARNameValue `json:"queryString"`
	PostData    *HARPostData   `json:"postData,omitempty"`
	HeadersSize int64          `json:"headersSize"`
	BodySize    int64          `json:"bodySize"`
}

// HARResponse is an entry's response.
type HARResponse struct {
	Status      int            `json:"status"`
	StatusText  string         `json:"statusText"`
	HTTPVersion string         `json:"httpVersion"`
	Cookies     []HARCookie    `json:"cookies"`
	Headers     []HARNameValue `json:"headers"`
	Content     HARContent     `json:"content"`
	RedirectURL string         `json:"redirectURL"`
	HeadersSize int64          `json:"headersSize"`
	BodySize    int64          `json:"bodySize"`
}

// HARCookie is a request or response cookie.
type HARCookie struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Path     string `json:"path,omitempty"`
	Domain   string `json:"domain,omitempty"`
	Expires  string `json:"expires,omitempty"`
	HTTPOnly bool   `json:"httpOnly,omitempty"`
	Secure   bool   `json:"secure,omitempty"`
}

// HARNameValue is a header or query parameter.
type HARNameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// HARPostData is a request body. Encoding is not in HAR 1.2's postData, but
// binary request bodies need it the way content has it.
type HARPostData struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
	Encoding string `json:"encoding,omitempty"`
}

// HARContent is a response body.
type HARContent struct {
	Size     int64  `json:"size"`
	MimeType string `json:"mimeType"`
	Text     string `json:"text,omitempty"`
	Encoding string `json:"encoding,omitempty"`
}

// HARTimings are the phases of an entry, in ms; -1 for phases that do not
// apply (a local gateway has no DNS, connect or queueing).
type HARTimings struct {
	Blocked float64 `json:"blocked"`
	DNS     float64 `json:"dns"`
	Connect float64 `json:"connect"`
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
}

// LogExt is log._gatescope: the session and what redaction did.
type LogExt struct {
	Format    string        `json:"format"`
	Session   NativeSession `json:"session"`
	Redaction *Report       `json:"redaction,omitempty"`
	// Traces are the entries' X-Ray traces (see EntryExt.TraceID).
	Traces []TraceExport `json:"traces,omitempty"`
}

// EntryExt is entry._gatescope: everything of an Exchange that HAR has no
// field for, so a gatescope HAR re-imports exactly.
type EntryExt struct {
	ID          string                `json:"id"`
	API         exchange.APIRef       `json:"api"`
	RouteKey    string                `json:"routeKey"`
	RequestID   string                `json:"requestId,omitempty"`
	TraceID     string                `json:"traceId,omitempty"`
	DurationMs  float64               `json:"durationMs"`
	URL         string                `json:"url"` // path and query as received
	Request     BodyExt               `json:"request"`
	Response    BodyExt               `json:"response"`
	Event       json.RawMessage       `json:"event,omitempty"`
	Function    exchange.FunctionCall `json:"function"`
	Outcome     exchange.Outcome      `json:"outcome"`
	Explanation string                `json:"explanation,omitempty"`
	Timings     exchange.Timings      `json:"timings"`
	Logs        string                `json:"logs,omitempty"`
	// LogsTruncated is Exchange.LogsTruncated: bytes of output not kept.
	LogsTruncated int64  `json:"logsTruncated,omitempty"`
	ReplayOf      string `json:"replayOf,omitempty"`
	Starred       bool   `json:"starred,omitempty"`
	Note          string `json:"note,omitempty"`
	// ConnectionID and Frames are a WebSocket exchange's.
	ConnectionID string           `json:"connectionId,omitempty"`
	Frames       []exchange.Frame `json:"frames,omitempty"`
}

// BodyExt keeps what HAR loses about a body.
type BodyExt struct {
	IsBase64  bool `json:"isBase64,omitempty"`
	Truncated int  `json:"truncated,omitempty"`
}

// defaultHost completes request URLs when a request had no Host header and
// the export was given no api address: gatescope's default one.
const defaultHost = "127.0.0.1:3000"

// toHAR builds a HAR of exchanges (already redacted as wanted).
func toHAR(xs []*exchange.Exchange, s NativeSession, version, apiAddr string, rep *Report) *HAR {
	if apiAddr == "" {
		apiAddr = defaultHost
	}
	h := &HAR{Log: HARLog{
		Version:   "1.2",
		Creator:   HARCreator{Name: "gatescope", Version: version},
		Entries:   make([]HAREntry, 0, len(xs)),
		Gatescope: &LogExt{Format: NativeFormat, Session: s, Redaction: rep},
	}}
	for _, x := range xs {
		h.Log.Entries = append(h.Log.Entries, entryOf(x, apiAddr))
	}
	webSocketMessages(h.Log.Entries, xs)
	return h
}

// webSocketMessages gives each WebSocket handshake's entry its
// connection's text frames, from every exchange of the connection in the
// export, as Chrome's _webSocketMessages (entries[i] is xs[i]'s).
func webSocketMessages(entries []HAREntry, xs []*exchange.Exchange) {
	byConn := map[string][]exchange.Frame{}
	for _, x := range xs {
		for _, f := range x.Frames {
			if x.ConnectionID != "" && f.Opcode == exchange.OpText {
				byConn[x.ConnectionID] = append(byConn[x.ConnectionID], f)
			}
		}
	}
	for i, x := range xs {
		if x.ConnectionID == "" || x.RouteKey != "$connect" || x.Response.Status != http.StatusSwitchingProtocols {
			continue
		}
		e := &entries[i]
		e.ResourceType = "websocket"
		e.Request.URL = "ws" + strings.TrimPrefix(e.Request.URL, "http")
		frames := byConn[x.ConnectionID]
		slices.SortStableFunc(frames, func(a, b exchange.Frame) int { return a.At.Compare(b.At) })
		e.WebSocketMessages = []HARWebSocketMessage{}
		for _, f := range frames {
			typ := "receive"
			if f.Dir == exchange.FrameIn {
				typ = "send"
			}
			e.WebSocketMessages = append(e.WebSocketMessages, HARWebSocketMessage{Type: typ,
				Time: float64(f.At.UnixMicro()) / 1e6, Opcode: f.Opcode, Data: f.Data})
		}
	}
}

func entryOf(x *exchange.Exchange, apiAddr string) HAREntry {
	wait := max(x.DurationMs, 0)
	e := HAREntry{
		StartedDateTime: x.StartedAt.UTC().Format(time.RFC3339Nano),
		Time:            wait,
		Request: HARRequest{
			Method:      x.Request.Method,
			URL:         absoluteURL(x.Request.Headers, x.Request.URL, apiAddr),
			HTTPVersion: "HTTP/1.1",
			Cookies:     requestCookies(x.Request.Headers),
			Headers:     harHeaders(x.Request.Headers),
			QueryString: queryOf(x.Request.URL),
			HeadersSize: -1,
			BodySize:    bodySize(x.Request.Body, x.Request.IsBase64, x.Request.Truncated),
		},
		Response: HARResponse{
			Status:      x.Response.Status,
			StatusText:  http.StatusText(x.Response.Status),
			HTTPVersion: "HTTP/1.1",
			Cookies:     responseCookies(x.Response.Headers),
			Headers:     harHeaders(x.Response.Headers),
			Content: HARContent{
				Size:     bodySize(x.Response.Body, x.Response.IsBase64, 0),
				MimeType: headerValue(x.Response.Headers, "Content-Type"),
				Text:     x.Response.Body,
			},
			RedirectURL: "",
			HeadersSize: -1,
			BodySize:    bodySize(x.Response.Body, x.Response.IsBase64, x.Response.Truncated),
		},
		Timings: HARTimings{Blocked: -1, DNS: -1, Connect: -1, Send: 0, Wait: wait, Receive: 0},
		Gatescope: &EntryExt{
			ID: x.ID, API: x.API, RouteKey: x.RouteKey, RequestID: x.RequestID, TraceID: x.TraceID,
			DurationMs: x.DurationMs, URL: x.Request.URL,
			Request:  BodyExt{IsBase64: x.Request.IsBase64, Truncated: x.Request.Truncated},
			Response: BodyExt{IsBase64: x.Response.IsBase64, Truncated: x.Response.Truncated},
			Event:    x.Event, Function: x.Function, Outcome: x.Outcome, Explanation: x.Explanation,
			Timings: x.Timings, Logs: x.Logs, LogsTruncated: x.LogsTruncated, ReplayOf: x.ReplayOf, Starred: x.Starred, Note: x.Note,
			ConnectionID: x.ConnectionID, Frames: x.Frames,
		},
	}
	if x.Response.IsBase64 {
		e.Response.Content.Encoding = "base64"
	}
	if x.Request.Body != "" {
		e.Request.PostData = &HARPostData{MimeType: headerValue(x.Request.Headers, "Content-Type"), Text: x.Request.Body}
		if x.Request.IsBase64 {
			e.Request.PostData.Encoding = "base64"
		}
	}
	return e
}

// absoluteURL makes the request's path and query absolute, as HAR requires,
// with the Host the client sent, else fallback.
func absoluteURL(h map[string][]string, pathQuery, fallback string) string {
	host := headerValue(h, "Host")
	if host == "" || strings.ContainsAny(host, "/?#@ \t") {
		host = fallback
	}
	if !strings.HasPrefix(pathQuery, "/") {
		pathQuery = "/" + pathQuery
	}
	u, err := url.ParseRequestURI(pathQuery)
	if err != nil {
		path, query, _ := strings.Cut(pathQuery, "?")
		u = &url.URL{Path: path, RawQuery: url.PathEscape(query)}
	}
	u.Scheme, u.Host = "http", host
	return u.String()
}

func headerValue(h map[string][]string, name string) string {
	for k, vs := range h {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// harHeaders lists headers sorted by name (maps have no order), each value
// on its own line as on the wire.
func harHeaders(h map[string][]string) []HARNameValue {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	out := []HARNameValue{}
	for _, k := range names {
		for _, v := range h[k] {
			out = append(out, HARNameValue{Name: k, Value: v})
		}
	}
	return out
}

func queryOf(pathQuery string) []HARNameValue {
	out := []HARNameValue{}
	_, q, ok := strings.Cut(pathQuery, "?")
	if !ok || q == "" {
		return out
	}
	for _, kv := range strings.Split(q, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		out = append(out, HARNameValue{Name: k, Value: v})
	}
	return out
}

func requestCookies(h map[string][]string) []HARCookie {
	out := []HARCookie{}
	for k, vs := range h {
		if !strings.EqualFold(k, "Cookie") {
			continue
		}
		for _, v := range vs {
			cs, err := http.ParseCookie(v)
			if err != nil {
				continue
			}
			for _, c := range cs {
				out = append(out, HARCookie{Name: c.Name, Value: c.Value})
			}
		}
	}
	return out
}

func responseCookies(h map[string][]string) []HARCookie {
	out := []HARCookie{}
	for k, vs := range h {
		if !strings.EqualFold(k, "Set-Cookie") {
			continue
		}
		for _, v := range vs {
			c, err := http.ParseSetCookie(v)
			if err != nil {
				continue
			}
			hc := HARCookie{Name: c.Name, Value: c.Value, Path: c.Path, Domain: c.Domain,
				HTTPOnly: c.HttpOnly, Secure: c.Secure}
			if !c.Expires.IsZero() {
				hc.Expires = c.Expires.UTC().Format(time.RFC3339)
			}
			out = append(out, hc)
		}
	}
	return out
}

// bodySize is the body's size in bytes as sent: the original size when the
// store kept it cut.
func bodySize(body string, isBase64 bool, truncated int) int64 {
	if truncated > 0 {
		return int64(truncated)
	}
	if isBase64 {
		if b, err := base64.StdEncoding.DecodeString(body); err == nil {
			return int64(len(b))
		}
	}
	return int64(len(body))
}
