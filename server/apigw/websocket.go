package apigw

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
)

// WebSocket APIs, as pure functions: the $connect, message and $disconnect
// events, route selection, the answer to a handshake after $connect, what a
// message's integration sends back, and the frames API Gateway writes
// itself. The gateway holds the connections; everything it sends or
// invokes is decided here.

// WebSocket API limits (doc). A frame or message over its limit closes the
// connection with CloseMessageTooBig; @connections refuses a POST over
// MaxMessageBytes with 413.
const (
	MaxFrameBytes   = 32 << 10
	MaxMessageBytes = 128 << 10
	IdleTimeout     = 10 * time.Minute
	MaxLifetime     = 2 * time.Hour
)

// Close codes API Gateway sends (RFC 6455 §7.4.1) and the disconnect
// reasons its $disconnect events carry. The reasons of the codes the
// captures do not show are the RFC's names for them (inf).
const (
	CloseNormal          = 1000
	CloseGoingAway       = 1001
	CloseUnsupportedData = 1003
	CloseNoStatus        = 1005
	CloseAbnormal        = 1006
	CloseMessageTooBig   = 1009
)

// CloseReason is the disconnectReason of a close code API Gateway itself
// decided, or of one the client sent without a reason.
func CloseReason(code int) string {
	switch code {
	case CloseNoStatus:
		return "Client-side close frame status not set" // capture
	case CloseAbnormal:
		return "Connection closed abnormally"
	case CloseGoingAway:
		return "Going away"
	case CloseUnsupportedData:
		return "Unsupported data"
	case CloseMessageTooBig:
		return "Message too big"
	}
	return ""
}

// WSConn is what API Gateway keeps of a WebSocket connection and repeats in
// each of its events.
type WSConn struct {
	ID          string // connectionId
	ConnectedAt time.Time
	SourceIP    string
	UserAgent   string // "" when the client sent none
	// Host is the Host header of the handshake.
	Host string
}

// DomainName is requestContext.domainName of the connection's events: the
// host the client addressed, so that https://<domainName>/<stage> reaches
// gatescope's @connections API. A name under .localhost (an API's own
// host) becomes localhost: browsers and curl resolve those names, but the
// resolvers functions use (getaddrinfo in Node.js and Python) often do not,
// and a connection id alone names its connection on any host.
func (c *WSConn) DomainName(api *config.API) string {
	host := c.Host
	name, port, err := net.SplitHostPort(host)
	if err != nil {
		name, port = host, ""
	}
	if n := strings.TrimSuffix(strings.ToLower(name), "."); strings.HasSuffix(n, ".localhost") {
		name = "localhost"
		host = name
		if port != "" {
			host = net.JoinHostPort(name, port)
		}
	}
	return domainName(host, APIID(api.ID), api)
}

// WSMessage is one message a client sent: its ids and when it arrived.
type WSMessage struct {
	ID        string // messageId
	RequestID string // requestId and extendedRequestId
	Time      time.Time
	Body      []byte
}

// WSDisconnect is how a connection ended.
type WSDisconnect struct {
	RequestID string
	Time      time.Time
	Code      int
	Reason    string
}

// WSConnectEvent is the $connect event of a handshake request (whose
// RequestID, Time and TraceID are set): the client's headers in its own
// casing with the forwarding headers API Gateway adds, the query only when
// there is one, no body.
func WSConnectEvent(api *config.API, c *WSConn, req *Request) []byte {
	w := jsonw{b: make([]byte, 0, 2048)}
	w.open('{')
	single, multi := wsConnectHeaders(req)
	w.strMap("headers", single)
	w.listMap("multiValueHeaders", multi)
	if q := parseQuery(req.RawQuery); len(q) > 0 {
		last := make(map[string]string, len(q))
		all := make(map[string][]string, len(q))
		for _, p := range q {
			last[p.key] = p.value
			all[p.key] = append(all[p.key], p.value)
		}
		w.strMap("queryStringParameters", last)
		w.listMap("multiValueQueryStringParameters", all)
	}
	wsContext(&w, api, c, wsContextFields{routeKey: "$connect", eventType: "CONNECT", requestID: req.RequestID, time: req.Time})
	w.boolean("isBase64Encoded", false)
	w.close('}')
	return w.b
}

// WSMessageEvent is the event of one message routed to routeKey: its
// messageId and body, no headers, no query.
func WSMessageEvent(api *config.API, routeKey string, c *WSConn, m *WSMessage) []byte {
	w := jsonw{b: make([]byte, 0, 1024+len(m.Body)*5/4)}
	w.open('{')
	wsContext(&w, api, c, wsContextFields{routeKey: routeKey, messageID: m.ID, eventType: "MESSAGE", requestID: m.RequestID, time: m.Time})
	w.str("body", string(m.Body))
	w.boolean("isBase64Encoded", false)
	w.close('}')
	return w.b
}

// WSDisconnectEvent is the $disconnect event: the status code and reason
// the connection ended with, and exactly the four headers API Gateway
// sends (capture).
func WSDisconnectEvent(api *config.API, c *WSConn, d *WSDisconnect) []byte {
	w := jsonw{b: make([]byte, 0, 1024)}
	w.open('{')
	h := map[string]string{"Host": c.Host, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}
	w.strMap("headers", h)
	mh := make(map[string][]string, len(h))
	for k, v := range h {
		mh[k] = []string{v}
	}
	w.listMap("multiValueHeaders", mh)
	wsContext(&w, api, c, wsContextFields{routeKey: "$disconnect", eventType: "DISCONNECT", requestID: d.RequestID, time: d.Time,
		disconnect: true, code: d.Code, reason: d.Reason})
	w.boolean("isBase64Encoded", false)
	w.close('}')
	return w.b
}

type wsContextFields struct {
	routeKey, messageID, eventType, requestID string
	time                                      time.Time
	disconnect                                bool
	code                                      int
	reason                                    string
}

// wsContext writes requestContext in the order AWS does.
func wsContext(w *jsonw, api *config.API, c *WSConn, f wsContextFields) {
	w.key("requestContext")
	w.open('{')
	w.str("routeKey", f.routeKey)
	if f.messageID != "" {
		w.str("messageId", f.messageID)
	}
	if f.disconnect {
		w.int("disconnectStatusCode", int64(f.code))
	}
	w.str("eventType", f.eventType)
	w.str("extendedRequestId", f.requestID)
	w.str("requestTime", requestTime(f.time))
	w.str("messageDirection", "IN")
	if f.disconnect {
		w.str("disconnectReason", f.reason)
	}
	w.str("stage", api.Stage)
	w.int("connectedAt", c.ConnectedAt.UnixMilli())
	w.int("requestTimeEpoch", f.time.UnixMilli())
	w.key("identity")
	w.open('{')
	w.str("sourceIp", c.SourceIP)
	if c.UserAgent != "" {
		w.str("userAgent", c.UserAgent)
	}
	w.close('}')
	w.str("requestId", f.requestID)
	w.str("domainName", c.DomainName(api))
	w.str("connectionId", c.ID)
	w.str("apiId", APIID(api.ID))
	w.close('}')
}

// hopHeaders are the handshake's connection-level headers, which the
// proxies in front of API Gateway consume.
var hopHeaders = map[string]bool{"Connection": true, "Upgrade": true, "Content-Length": true}

// wsConnectHeaders are the $connect event's headers: as the client named
// them, last value in headers, every value in multiValueHeaders, plus
// X-Forwarded-For/Port/Proto and X-Amzn-Trace-Id.
func wsConnectHeaders(req *Request) (map[string]string, map[string][]string) {
	single := make(map[string]string, len(req.Header)+5)
	multi := make(map[string][]string, len(req.Header)+5)
	set := func(k string, vs ...string) {
		if sent, ok := req.HeaderCase[k]; ok {
			k = sent
		}
		single[k] = vs[len(vs)-1]
		multi[k] = vs
	}
	for k, vs := range req.Header {
		if len(vs) > 0 && !hopHeaders[k] {
			set(k, vs...)
		}
	}
	if req.Header.Get("Host") == "" && req.Host != "" {
		set("Host", req.Host)
	}
	set("X-Forwarded-For", forwardedFor(req))
	set("X-Forwarded-Port", forwardedPort(req.Host))
	set("X-Forwarded-Proto", forwardedProto)
	if req.TraceID != "" {
		set("X-Amzn-Trace-Id", req.TraceID)
	}
	return single, multi
}

// SelectRoute picks the route of a text message by the API's route
// selection expression. A message that is not JSON, or whose selected value
// names no route, goes to $default; ok is false when the API has no
// $default either (the client then gets ForbiddenFrame). key is the value
// the expression selected ("" when it selected nothing).
func SelectRoute(api *config.API, body []byte) (route *config.Route, key string, ok bool) {
	key, found := evalSelection(api.RouteSelection, body)
	var dflt *config.Route
	for _, r := range api.Routes {
		switch r.Path {
		case "$connect", "$disconnect":
			continue
		case "$default":
			dflt = r
			continue
		}
		if found && r.Path == key {
			return r, key, true
		}
	}
	return dflt, key, dflt != nil
}

// evalSelection evaluates a route selection expression against a message:
// $request.body.a.b, or a template of ${request.body.a.b} parts and
// literal text. Selected values must be JSON strings, numbers or booleans
// (numbers and booleans as written). An expression without $request
// selects itself.
func evalSelection(expr string, body []byte) (string, bool) {
	if path, ok := strings.CutPrefix(expr, "$request.body."); ok {
		return selectValue(body, path)
	}
	if !strings.Contains(expr, "${request.body.") {
		return expr, expr != ""
	}
	var out strings.Builder
	rest := expr
	for {
		i := strings.Index(rest, "${request.body.")
		if i < 0 {
			out.WriteString(rest)
			return out.String(), true
		}
		out.WriteString(rest[:i])
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return "", false
		}
		v, ok := selectValue(body, rest[i+len("${request.body."):i+j])
		if !ok {
			return "", false
		}
		out.WriteString(v)
		rest = rest[i+j+1:]
	}
}

// selectValue reads the value at a dotted path of a JSON object.
func selectValue(body []byte, path string) (string, bool) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return "", false
	}
	var cur json.RawMessage = trimmed
	for part := range strings.SplitSeq(path, ".") {
		var obj map[string]json.RawMessage
		if json.Unmarshal(cur, &obj) != nil {
			return "", false
		}
		v, ok := obj[part]
		if !ok {
			return "", false
		}
		cur = v
	}
	if isNull(cur) {
		return "", false
	}
	switch cur[0] {
	case '"':
		var s string
		if json.Unmarshal(cur, &s) != nil {
			return "", false
		}
		return s, true
	case '{', '[':
		return "", false
	}
	return string(cur), true
}

// Frames API Gateway sends itself, byte for byte: a space after the first
// colon only (capture).
const (
	wsForbidden = "Forbidden"
	wsInternal  = "Internal server error"
	wsTimedOut  = "Endpoint request timed out"
)

func gatewayFrame(message, connID, reqID string) []byte {
	b := make([]byte, 0, 96)
	b = append(b, `{"message": `...)
	b = appendString(b, message)
	b = append(b, `, "connectionId":`...)
	b = appendString(b, connID)
	b = append(b, `, "requestId":`...)
	b = appendString(b, reqID)
	return append(b, '}')
}

// ForbiddenFrame is the text frame a message gets when no route matches
// and the API has no $default route; the connection stays open.
func ForbiddenFrame(connID, reqID string) []byte { return gatewayFrame(wsForbidden, connID, reqID) }

// InternalErrorFrame is the text frame a message gets when its
// integration fails.
func InternalErrorFrame(connID, reqID string) []byte { return gatewayFrame(wsInternal, connID, reqID) }

// ConnectResult is API Gateway's answer to a handshake once $connect ran.
type ConnectResult struct {
	// Accept upgrades the connection; otherwise Status and Body answer
	// the handshake.
	Accept bool
	Status int
	Body   []byte
	// Subprotocol is the Sec-WebSocket-Protocol the function returned, the
	// only way a connection gets one.
	Subprotocol string
	Outcome     exchange.Outcome
	Explanation string
}

// Bodies of refused handshakes API Gateway writes itself (inf: the
// captures show the statuses only).
const (
	bodyWSConnectFailed = `{"message": "Internal server error"}`
	bodyWSForbidden     = `{"message":"Forbidden"}`
)

// ConnectAnswer decides a handshake from its $connect integration: a 2xx
// statusCode accepts, any other status rejects with that status (and the
// function's body), and a failure or unusable result rejects with 502.
func ConnectAnswer(api *config.API, route *config.Route, inv Invocation) *ConnectResult {
	if inv.Kind != InvokeOK {
		why := wsFailure(api, route, inv)
		return &ConnectResult{Status: http.StatusBadGateway, Body: []byte(bodyWSConnectFailed), Outcome: why.Outcome,
			Explanation: "The connection was refused: " + why.Explanation}
	}
	fail := func(why string) *ConnectResult {
		return &ConnectResult{Status: http.StatusBadGateway, Body: []byte(bodyWSConnectFailed), Outcome: exchange.OutcomeMalformedResponse,
			Explanation: "The connection was refused: " + why}
	}
	obj, why := resultObject(inv.Payload)
	if why != "" {
		return fail(why + `; $connect needs {"statusCode":200} to accept`)
	}
	raw, ok := obj["statusCode"]
	if !ok {
		return fail(`Function returned no statusCode; $connect needs {"statusCode":200} to accept`)
	}
	status, why := parseStatus(raw)
	if why != "" {
		return fail(why)
	}
	body, why := parseBody(obj)
	if why != "" {
		return fail(why)
	}
	if status < 200 || status > 299 {
		return &ConnectResult{Status: status, Body: []byte(body), Outcome: exchange.OutcomeForbidden,
			Explanation: fmt.Sprintf("$connect returned statusCode %d, so API Gateway refused the connection with that status", status)}
	}
	headers, why := parseHeaders(obj["headers"])
	if why != "" {
		return fail(why)
	}
	multi, why := parseMultiHeaders(obj["multiValueHeaders"])
	if why != "" {
		return fail(why)
	}
	res := &ConnectResult{Accept: true, Status: http.StatusSwitchingProtocols, Outcome: exchange.OutcomeOK}
	for _, h := range append(multi, headers...) {
		if strings.EqualFold(h.name, "Sec-WebSocket-Protocol") && len(h.values) > 0 {
			res.Subprotocol = h.values[len(h.values)-1]
		}
	}
	return res
}

// ConnectNotServed is the answer to a handshake on a route gatescope does
// not serve ($connect with an integration other than a local function's
// Lambda proxy): refused, as an integration API Gateway cannot run.
func ConnectNotServed(api *config.API, route *config.Route) *ConnectResult {
	m := &Match{API: api, Route: route}
	resp := NotServedResponse(m, &Request{})
	return &ConnectResult{Status: http.StatusForbidden, Body: []byte(bodyWSForbidden), Outcome: exchange.OutcomeNoRoute,
		Explanation: "The connection was refused: " + resp.Explanation}
}

// resultObject reads a function's proxy result as a JSON object.
func resultObject(out []byte) (map[string]json.RawMessage, string) {
	trimmed := bytes.TrimSpace(out)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		kind := "nothing"
		if len(trimmed) > 0 {
			kind = jsonKind(trimmed) + " " + quoteJSON(trimmed)
		}
		return nil, "Function returned " + kind
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &obj); err != nil {
		return nil, "Function output is not valid JSON: " + err.Error()
	}
	return obj, ""
}

// MessageResult is what follows a message's integration: a frame to the
// client or nothing, and how the exchange is recorded.
type MessageResult struct {
	// Frame is the text frame sent back; nil sends nothing.
	Frame []byte
	// Status is what API Gateway's access log records for the message:
	// 200, 403 when no route matched, 5xx when the integration failed.
	Status      int
	Outcome     exchange.Outcome
	Explanation string
}

// NoRoute is the answer to a message no route takes.
func NoRoute(api *config.API, connID, reqID, key string) *MessageResult {
	why := "The message selects no route and the API has no $default route, so API Gateway answered Forbidden"
	switch {
	case key != "":
		why = fmt.Sprintf("The route selection expression %s selected %q, which is no route key of API %s, and the API has no $default route, so API Gateway answered Forbidden",
			api.RouteSelection, key, api.ID)
	case api.RouteSelection != "":
		why = fmt.Sprintf("The route selection expression %s selected nothing in this message (not JSON, or no such key), and the API has no $default route, so API Gateway answered Forbidden",
			api.RouteSelection)
	}
	return &MessageResult{Frame: ForbiddenFrame(connID, reqID), Status: http.StatusForbidden, Outcome: exchange.OutcomeNoRoute, Explanation: why}
}

// MessageNotServed answers a message routed to a route gatescope does not
// serve: nothing is sent, and the exchange says why.
func MessageNotServed(api *config.API, route *config.Route) *MessageResult {
	resp := NotServedResponse(&Match{API: api, Route: route}, &Request{})
	return &MessageResult{Status: http.StatusForbidden, Outcome: exchange.OutcomeNoRoute, Explanation: resp.Explanation}
}

// MessageAnswer maps a message's integration result: a failure sends the
// Internal server error frame (Endpoint request timed out when API
// Gateway's own timeout fired); a two-way route sends the result's body as
// one text frame (its statusCode is ignored); a one-way route sends nothing.
func MessageAnswer(api *config.API, route *config.Route, connID, reqID string, inv Invocation) *MessageResult {
	if inv.Kind != InvokeOK {
		why := wsFailure(api, route, inv)
		msg, status := wsInternal, http.StatusInternalServerError
		switch {
		case inv.Kind == IntegrationTimeout:
			msg, status = wsTimedOut, http.StatusGatewayTimeout
		case inv.Kind == InvokeFunctionError:
			status = http.StatusBadGateway
		}
		return &MessageResult{Frame: gatewayFrame(msg, connID, reqID), Status: status, Outcome: why.Outcome, Explanation: why.Explanation}
	}
	if !route.TwoWay {
		return &MessageResult{Status: http.StatusOK, Outcome: exchange.OutcomeOK}
	}
	malformed := func(why string) *MessageResult {
		return &MessageResult{Frame: InternalErrorFrame(connID, reqID), Status: http.StatusBadGateway,
			Outcome: exchange.OutcomeMalformedResponse, Explanation: why}
	}
	obj, why := resultObject(inv.Payload)
	if why != "" {
		return malformed(why + `: a two-way route sends the body of {"statusCode":200,"body":"..."} back`)
	}
	raw, ok := obj["body"]
	if !ok || isNull(raw) {
		return &MessageResult{Status: http.StatusOK, Outcome: exchange.OutcomeOK,
			Explanation: "The function's result has no body, so nothing was sent back on this two-way route"}
	}
	body, why := parseBody(obj)
	if why != "" {
		return malformed(why)
	}
	return &MessageResult{Frame: []byte(body), Status: http.StatusOK, Outcome: exchange.OutcomeOK}
}

// wsFailure is the outcome and explanation of a failed integration.
func wsFailure(api *config.API, route *config.Route, inv Invocation) *Response {
	resp := invokeFailure(&Match{API: api, Route: route}, &Request{}, inv)
	if inv.Kind == IntegrationTimeout && inv.Detail == "" {
		resp.Explanation = fmt.Sprintf("API Gateway's integration timeout of %s fired before the function answered; make the function faster or answer through @connections later",
			route.IntegrationTimeout(api.Type))
	}
	return resp
}
