package apigw

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
)

const (
	wsConnID = "L0SM9cOFvHcCIhw="
	wsReqID  = "L0SM9Hc9vHcFgPg="
	wsMsgID  = "L0SNbdkZPHcCIhw="
)

func wsAPI(routes ...*config.Route) *config.API {
	return &config.API{ID: "ChatApi", Type: config.WSAPI, Stage: "production", RouteSelection: "$request.body.action", Routes: routes}
}

func wsRoute(key string, twoWay bool) *config.Route {
	return &config.Route{Path: key, Function: "Fn", PayloadVersion: "1.0", TwoWay: twoWay}
}

func wsConn(host, ua string) *WSConn {
	return &WSConn{ID: wsConnID, ConnectedAt: testTime.Add(-1500 * time.Millisecond), SourceIP: "203.0.113.7", UserAgent: ua, Host: host}
}

// TestWebSocketEventGoldens: each event type against the spec's captures
// ($connect with its headers in the client's casing and a query only when
// there is one; a message with its messageId and body and nothing else; a
// $disconnect with its status and reason and exactly four headers).
func TestWebSocketEventGoldens(t *testing.T) {
	api := wsAPI(wsRoute("$connect", false), wsRoute("sendmessage", true))
	connect := newRequest("GET", "/production?token=abc&room=1&room=2", "",
		"Host: localhost:3000", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13",
		"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits", "Connection: Upgrade", "Upgrade: websocket",
		"User-Agent: Mozilla/5.0", "Origin: http://localhost:3000")
	connect.RequestID = wsReqID
	connect.HeaderCase = map[string]string{"Sec-Websocket-Key": "Sec-WebSocket-Key", "Sec-Websocket-Version": "Sec-WebSocket-Version",
		"Sec-Websocket-Extensions": "Sec-WebSocket-Extensions", "User-Agent": "User-Agent", "Origin": "origin"}
	noQuery := newRequest("GET", "/production", "", "Host: chatapi.localhost:3000", "Sec-WebSocket-Key: x", "Sec-WebSocket-Version: 13")
	noQuery.RequestID = wsReqID
	msg := &WSMessage{ID: wsMsgID, RequestID: wsReqID, Time: testTime, Body: []byte(`{"action":"sendmessage","message":"hello <b>&</b>"}`)}
	tests := []struct {
		name  string
		event []byte
	}{
		{"connect", WSConnectEvent(api, wsConn("localhost:3000", "Mozilla/5.0"), connect)},
		{"connect_no_query_own_host", WSConnectEvent(api, wsConn("chatapi.localhost:3000", ""), noQuery)},
		{"message", WSMessageEvent(api, "sendmessage", wsConn("localhost:3000", "Mozilla/5.0"), msg)},
		{"message_default_not_json", WSMessageEvent(api, "$default", wsConn("127.0.0.1:3000", "Go-http-client/1.1"),
			&WSMessage{ID: wsMsgID, RequestID: wsReqID, Time: testTime, Body: []byte("plain text")})},
		{"disconnect_no_status", WSDisconnectEvent(api, wsConn("localhost:3000", "Mozilla/5.0"),
			&WSDisconnect{RequestID: wsReqID, Time: testTime, Code: CloseNoStatus, Reason: CloseReason(CloseNoStatus)})},
		{"disconnect_client_reason", WSDisconnectEvent(api, wsConn("localhost:3000", ""),
			&WSDisconnect{RequestID: wsReqID, Time: testTime, Code: 4000, Reason: "bye"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkGolden(t, "websocket/"+tt.name+".json", indent(t, tt.event))
			// aws-lambda-go's type reads it (its requestTime tag is the
			// epoch's; the spec's shape is the reference, not the fixture).
			var ev events.APIGatewayWebsocketProxyRequest
			if err := json.Unmarshal(tt.event, &ev); err != nil {
				t.Fatalf("aws-lambda-go cannot read the event: %v", err)
			}
			if ev.RequestContext.ConnectionID != wsConnID || ev.RequestContext.Stage != "production" || ev.RequestContext.APIID != APIID("ChatApi") ||
				ev.RequestContext.MessageDirection != "IN" || ev.RequestContext.RequestID != wsReqID || ev.RequestContext.ExtendedRequestID != wsReqID {
				t.Errorf("request context %+v", ev.RequestContext)
			}
		})
	}
}

// TestWebSocketEventFields pins what the spec says of each event type
// beside the goldens: which top-level keys each has and how the context
// is filled.
func TestWebSocketEventFields(t *testing.T) {
	api := wsAPI(wsRoute("$default", false))
	c := wsConn("chatapi.localhost:3000", "")
	req := newRequest("GET", "/production", "", "Host: chatapi.localhost:3000")
	req.RequestID = wsReqID
	keys := func(b []byte) string {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return strings.Join(sortedKeys(m), ",")
	}
	if got := keys(WSConnectEvent(api, c, req)); got != "headers,isBase64Encoded,multiValueHeaders,requestContext" {
		t.Errorf("$connect keys %s", got)
	}
	msg := WSMessageEvent(api, "$default", c, &WSMessage{ID: wsMsgID, RequestID: wsReqID, Time: testTime, Body: []byte("x")})
	if got := keys(msg); got != "body,isBase64Encoded,requestContext" {
		t.Errorf("message keys %s", got)
	}
	var ev struct {
		RequestContext map[string]any `json:"requestContext"`
	}
	json.Unmarshal(msg, &ev)
	rc := ev.RequestContext
	want := map[string]any{"routeKey": "$default", "messageId": wsMsgID, "eventType": "MESSAGE", "requestTime": "14/Apr/2025:22:13:56 +0000",
		"connectedAt": float64(testTime.Add(-1500 * time.Millisecond).UnixMilli()), "requestTimeEpoch": float64(testTime.UnixMilli()),
		"domainName": "localhost:3000", "identity": map[string]any{"sourceIp": "203.0.113.7"}}
	for k, v := range want {
		if fmt.Sprint(rc[k]) != fmt.Sprint(v) {
			t.Errorf("requestContext.%s = %v, want %v", k, rc[k], v)
		}
	}
	d := WSDisconnectEvent(api, c, &WSDisconnect{RequestID: wsReqID, Time: testTime, Code: 1005, Reason: CloseReason(1005)})
	if got := keys(d); got != "headers,isBase64Encoded,multiValueHeaders,requestContext" {
		t.Errorf("$disconnect keys %s", got)
	}
	var dv events.APIGatewayWebsocketProxyRequest
	json.Unmarshal(d, &dv)
	if len(dv.Headers) != 4 || dv.Headers["Host"] != "chatapi.localhost:3000" || dv.Headers["x-api-key"] != "" || dv.Headers["x-restapi"] != "" {
		t.Errorf("$disconnect headers %v", dv.Headers)
	}
}

// TestWebSocketFrames: the frames API Gateway writes itself, byte for byte.
func TestWebSocketFrames(t *testing.T) {
	for name, got := range map[string][]byte{
		"forbidden": ForbiddenFrame(wsConnID, wsReqID),
		"internal":  InternalErrorFrame(wsConnID, wsReqID),
	} {
		t.Run(name, func(t *testing.T) { checkGolden(t, "websocket/frame_"+name+".txt", append(got, '\n')) })
	}
	if got := string(ForbiddenFrame(wsConnID, wsReqID)); got != `{"message": "Forbidden", "connectionId":"L0SM9cOFvHcCIhw=", "requestId":"L0SM9Hc9vHcFgPg="}` {
		t.Errorf("Forbidden frame %s", got)
	}
	if got := string(InternalErrorFrame(wsConnID, wsReqID)); got != `{"message": "Internal server error", "connectionId":"L0SM9cOFvHcCIhw=", "requestId":"L0SM9Hc9vHcFgPg="}` {
		t.Errorf("Internal server error frame %s", got)
	}
}

func TestSelectRoute(t *testing.T) {
	send, dflt := wsRoute("sendmessage", false), wsRoute("$default", false)
	num := wsRoute("7", false)
	tests := []struct {
		name   string
		expr   string
		routes []*config.Route
		body   string
		want   *config.Route
		key    string
		ok     bool
	}{
		{"by action", "$request.body.action", []*config.Route{dflt, send}, `{"action":"sendmessage","x":1}`, send, "sendmessage", true},
		{"template form", "${request.body.action}", []*config.Route{send}, `{"action":"sendmessage"}`, send, "sendmessage", true},
		{"template with literal", "${request.body.kind}message", []*config.Route{send}, `{"kind":"send"}`, send, "sendmessage", true},
		{"nested path", "$request.body.meta.op", []*config.Route{send}, `{"meta":{"op":"sendmessage"}}`, send, "sendmessage", true},
		{"number as written", "$request.body.action", []*config.Route{num}, `{"action":7}`, num, "7", true},
		{"unknown action falls back", "$request.body.action", []*config.Route{send, dflt}, `{"action":"nope"}`, dflt, "nope", true},
		{"not JSON falls back", "$request.body.action", []*config.Route{send, dflt}, `hello`, dflt, "", true},
		{"object value selects nothing", "$request.body.action", []*config.Route{send, dflt}, `{"action":{"a":1}}`, dflt, "", true},
		{"no default: forbidden", "$request.body.action", []*config.Route{send}, `{"action":"nope"}`, nil, "nope", false},
		{"JSON array is not an object", "$request.body.action", []*config.Route{send}, `[1]`, nil, "", false},
		{"$connect is never selected", "$request.body.action", []*config.Route{wsRoute("$connect", false)}, `{"action":"$connect"}`, nil, "$connect", false},
		{"static expression", "$default", []*config.Route{send, dflt}, `{"action":"sendmessage"}`, dflt, "$default", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := wsAPI(tt.routes...)
			api.RouteSelection = tt.expr
			got, key, ok := SelectRoute(api, []byte(tt.body))
			if got != tt.want || key != tt.key || ok != tt.ok {
				t.Errorf("got %v %q %v, want %v %q %v", got, key, ok, tt.want, tt.key, tt.ok)
			}
		})
	}
}

func TestConnectAnswer(t *testing.T) {
	api := wsAPI(wsRoute("$connect", false))
	rt := api.Routes[0]
	ok := func(s string) Invocation { return Invocation{Kind: InvokeOK, Payload: []byte(s)} }
	tests := []struct {
		name        string
		inv         Invocation
		accept      bool
		status      int
		body        string
		subprotocol string
		outcome     exchange.Outcome
		explain     string
	}{
		{"200 accepts", ok(`{"statusCode":200,"body":"Connected."}`), true, 101, "", "", exchange.OutcomeOK, ""},
		{"204 accepts", ok(`{"statusCode":"204"}`), true, 101, "", "", exchange.OutcomeOK, ""},
		{"subprotocol only when returned", ok(`{"statusCode":200,"headers":{"Sec-WebSocket-Protocol":"chat.v2"}}`), true, 101, "", "chat.v2", exchange.OutcomeOK, ""},
		{"subprotocol in multiValueHeaders", ok(`{"statusCode":200,"multiValueHeaders":{"sec-websocket-protocol":["chat.v1"]}}`), true, 101, "", "chat.v1", exchange.OutcomeOK, ""},
		{"403 rejects with its status", ok(`{"statusCode":403,"body":"no"}`), false, 403, "no", "", exchange.OutcomeForbidden,
			"$connect returned statusCode 403, so API Gateway refused the connection with that status"},
		{"null result: 502", ok(`null`), false, 502, `{"message": "Internal server error"}`, "", exchange.OutcomeMalformedResponse,
			`The connection was refused: Function returned null null; $connect needs {"statusCode":200} to accept`},
		{"no statusCode: 502", ok(`{"body":"hi"}`), false, 502, `{"message": "Internal server error"}`, "", exchange.OutcomeMalformedResponse,
			`The connection was refused: Function returned no statusCode; $connect needs {"statusCode":200} to accept`},
		{"function error: 502", Invocation{Kind: InvokeFunctionError, Payload: []byte(`{"errorType":"Error","errorMessage":"boom"}`)}, false, 502,
			`{"message": "Internal server error"}`, "", exchange.OutcomeFunctionError, "The connection was refused: Function returned an error: Error: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ConnectAnswer(api, rt, tt.inv)
			if got.Accept != tt.accept || got.Status != tt.status || string(got.Body) != tt.body || got.Subprotocol != tt.subprotocol ||
				got.Outcome != tt.outcome || got.Explanation != tt.explain {
				t.Errorf("got %+v (body %s)", got, got.Body)
			}
		})
	}
}

func TestMessageAnswer(t *testing.T) {
	twoWay, oneWay := wsRoute("echo", true), wsRoute("fire", false)
	api := wsAPI(twoWay, oneWay)
	ok := func(s string) Invocation { return Invocation{Kind: InvokeOK, Payload: []byte(s)} }
	internal := `{"message": "Internal server error", "connectionId":"L0SM9cOFvHcCIhw=", "requestId":"L0SM9Hc9vHcFgPg="}`
	tests := []struct {
		name    string
		route   *config.Route
		inv     Invocation
		frame   string // "-" for none
		status  int
		outcome exchange.Outcome
	}{
		{"two-way sends the body, status ignored", twoWay, ok(`{"statusCode":500,"body":"pong"}`), "pong", 200, exchange.OutcomeOK},
		{"two-way without a body sends nothing", twoWay, ok(`{"statusCode":200}`), "-", 200, exchange.OutcomeOK},
		{"one-way sends nothing", oneWay, ok(`{"statusCode":200,"body":"pong"}`), "-", 200, exchange.OutcomeOK},
		{"one-way ignores a bad result", oneWay, ok(`"hello"`), "-", 200, exchange.OutcomeOK},
		{"two-way with a bad result", twoWay, ok(`"hello"`), internal, 502, exchange.OutcomeMalformedResponse},
		{"two-way with an object body", twoWay, ok(`{"body":{"a":1}}`), internal, 502, exchange.OutcomeMalformedResponse},
		{"function error on a one-way route", oneWay, Invocation{Kind: InvokeFunctionError, Payload: []byte(`{"errorMessage":"x"}`)}, internal, 502, exchange.OutcomeFunctionError},
		{"throttled", oneWay, Invocation{Kind: InvokeThrottled}, internal, 500, exchange.OutcomeThrottled},
		{"integration timeout", twoWay, Invocation{Kind: IntegrationTimeout},
			`{"message": "Endpoint request timed out", "connectionId":"L0SM9cOFvHcCIhw=", "requestId":"L0SM9Hc9vHcFgPg="}`, 504, exchange.OutcomeTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MessageAnswer(api, tt.route, wsConnID, wsReqID, tt.inv)
			frame := "-"
			if got.Frame != nil {
				frame = string(got.Frame)
			}
			if frame != tt.frame || got.Status != tt.status || got.Outcome != tt.outcome {
				t.Errorf("got frame %s status %d outcome %s (%s)", frame, got.Status, got.Outcome, got.Explanation)
			}
			if got.Outcome != exchange.OutcomeOK && got.Explanation == "" {
				t.Errorf("outcome %s without an explanation", got.Outcome)
			}
		})
	}
	nr := NoRoute(wsAPI(twoWay), wsConnID, wsReqID, "nope")
	if string(nr.Frame) != string(ForbiddenFrame(wsConnID, wsReqID)) || nr.Status != 403 || nr.Outcome != exchange.OutcomeNoRoute ||
		!strings.Contains(nr.Explanation, `selected "nope"`) {
		t.Errorf("no route: %+v", nr)
	}
}

// TestConnectionsAPI: the management API's paths and answers.
func TestConnectionsAPI(t *testing.T) {
	paths := []struct {
		path, stage, id string
		ok              bool
	}{
		{"/production/@connections/L0SM9cOFvHcCIhw%3D", "production", "L0SM9cOFvHcCIhw=", true},
		{"/@connections/abc%3D", "", "abc=", true},
		{"/a/b/@connections/abc", "", "", false},
		{"/production/@connections/", "", "", false},
		{"/production/@connections/a/b", "", "", false},
		{"/production/connections/a", "", "", false},
	}
	for _, p := range paths {
		stage, id, ok := ConnectionsPath(p.path)
		if stage != p.stage || id != p.id || ok != p.ok {
			t.Errorf("%s: got %q %q %v", p.path, stage, id, ok)
		}
	}
	req := &Request{Method: "GET", RequestID: restRequestID}
	info := ConnectionResponse(req, ConnectionInfo{ConnectedAt: testTime, LastActiveAt: testTime.Add(2 * time.Second), SourceIP: "203.0.113.7", UserAgent: "ua"})
	if string(info.Body) != `{"connectedAt":"2025-04-14T22:13:56.789Z","identity":{"sourceIp":"203.0.113.7","userAgent":"ua"},"lastActiveAt":"2025-04-14T22:13:58.789Z"}` ||
		info.Status != 200 || info.Header.Get("Content-Type") != "application/json" || info.Header.Get("X-Amzn-RequestId") != restRequestID {
		t.Errorf("GET: %d %v %s", info.Status, info.Header, info.Body)
	}
	gone := GoneResponse(req, "abc=", "")
	if gone.Status != http.StatusGone || len(gone.Body) != 0 || gone.Header.Get("X-Amzn-ErrorType") != "GoneException" || gone.Outcome != exchange.OutcomeNoRoute {
		t.Errorf("gone: %d %v %q", gone.Status, gone.Header, gone.Body)
	}
	big := PostTooLarge(req, MaxMessageBytes+1)
	if big.Status != 413 || big.Header.Get("X-Amzn-ErrorType") != "PayloadTooLargeException" || !strings.Contains(big.Explanation, "131073 bytes") {
		t.Errorf("too large: %d %v %s", big.Status, big.Header, big.Explanation)
	}
	if r := PostedResponse(req); r.Status != 200 || len(r.Body) != 0 {
		t.Errorf("posted: %+v", r)
	}
	if r := DeletedResponse(req); r.Status != 204 {
		t.Errorf("deleted: %+v", r)
	}
}

// TestRouterWebSocket: handshakes find their API by stage on the merged
// address, and at the root on the API's own host.
func TestRouterWebSocket(t *testing.T) {
	chat := wsAPI(wsRoute("$default", false))
	other := &config.API{ID: "Other", Type: config.WSAPI, Stage: "production"}
	r := mustRouter(t, httpAPI("HttpApi", route("GET /items")), chat, other)
	for _, tt := range []struct {
		host, path string
		want       *config.API
	}{
		{"127.0.0.1:3000", "/production", chat},
		{"127.0.0.1:3000", "/production/", chat},
		{"127.0.0.1:3000", "/", nil},
		{"127.0.0.1:3000", "/items", nil},
		{"other.localhost:3000", "/production", other},
		{"other.localhost:3000", "/", other},
		{"chatapi.localhost", "/production", chat},
	} {
		got, ok := r.For(tt.host).WebSocket(tt.path)
		if got != tt.want || ok != (tt.want != nil) {
			t.Errorf("%s%s: got %v", tt.host, tt.path, got)
		}
	}
	if len(r.WebSocketAPIs()) != 2 || len(r.For("other.localhost").WebSocketAPIs()) != 1 {
		t.Error("WebSocketAPIs")
	}
	if _, ok := r.Match("GET", "/items"); !ok {
		t.Error("HTTP routes still match beside WebSocket APIs")
	}
}
