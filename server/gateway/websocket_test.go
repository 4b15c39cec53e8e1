package gateway

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"
	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/lambda"
	"github.com/gatescope/gatescope/server/testenv"
	"github.com/gorilla/websocket"
)

// wsEnv is testdata/ws/template.yaml served as cmd/gatescope serves a
// project with a WebSocket API: HTTPS beside HTTP on the api address, and
// functions that trust its CA.
type wsEnv struct {
	t       *testing.T
	router  *apigw.Router
	manager *lambda.Manager
	tls     *TLS
}

func newWSEnv(t *testing.T) *wsEnv {
	t.Helper()
	project, err := config.Load("testdata/ws/template.yaml", config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	router, err := apigw.NewRouter(project.APIs)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := NewTLS()
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := tl.WriteBundle(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := lambda.New(logger, project, lambda.Options{CacheDir: t.TempDir(),
		Env: []string{"AWS_CA_BUNDLE=" + bundle, "NODE_EXTRA_CA_CERTS=" + bundle, "SSL_CERT_FILE=" + bundle}})
	t.Cleanup(m.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := m.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	return &wsEnv{t: t, router: router, manager: m, tls: tl}
}

// serve starts a gateway with the limits given and returns it, its
// address (host:port) and its capture sink.
func (e *wsEnv) serve(limits WSLimits) (*Gateway, string, *collector) {
	t := e.t
	sink := &collector{}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	g := New(logger, e.router, e.manager, sink, func() string { return "s1" }, WithWebSocketLimits(limits))
	srv := httptest.NewUnstartedServer(g)
	srv.Listener = RecordHeaderNames(e.tls.Listener(srv.Listener))
	srv.Config.ConnContext = HeaderNamesContext
	srv.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := g.CloseWebSockets(ctx); err != nil {
			t.Error(err)
		}
		srv.Close()
	})
	return g, srv.Listener.Addr().String(), sink
}

// dial opens a WebSocket connection; it fails the test unless the
// handshake succeeds.
func dial(t *testing.T, url string, h http.Header) *websocket.Conn {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial(url, h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", url, err, status)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// bigFrames sends each message as one frame, up to 256 KB.
var bigFrames = &websocket.Dialer{WriteBufferSize: 256 << 10}

func dialWith(t *testing.T, d *websocket.Dialer, url string) *websocket.Conn {
	t.Helper()
	c, _, err := d.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// read reads the next text message within 10 s.
func read(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	typ, data, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if typ != websocket.TextMessage {
		t.Fatalf("read a message of type %d", typ)
	}
	return string(data)
}

func send(t *testing.T, c *websocket.Conn, msg string) {
	t.Helper()
	if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// readClose reads until the server's close frame and returns its code and
// text.
func readClose(t *testing.T, c *websocket.Conn) (int, string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, _, err := c.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code, ce.Text
		}
		if err != nil {
			t.Fatalf("read until close: %v", err)
		}
	}
}

// find waits for the exchange of connection id and route key that match.
func (c *collector) find(t *testing.T, conn, routeKey string, match func(*exchange.Exchange) bool) *exchange.Exchange {
	t.Helper()
	var found *exchange.Exchange
	testenv.Eventually(t, 15*time.Second, "exchange "+routeKey+" of "+conn, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, x := range c.xs {
			if x.ConnectionID == conn && x.RouteKey == routeKey && (match == nil || match(x)) {
				found = x
				return true
			}
		}
		return false
	})
	return found
}

// connectionID asks the echo route which connection c is.
func connectionID(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	send(t, c, `{"action":"echo"}`)
	var r map[string]string
	if err := json.Unmarshal([]byte(read(t, c)), &r); err != nil {
		t.Fatal(err)
	}
	return r["connectionId"]
}

// managementClient is an aws-sdk-go-v2 ApiGatewayManagementApi client for
// the gateway at addr, trusting its CA.
func (e *wsEnv) managementClient(addr, stage string) *apigatewaymanagementapi.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(e.tls.CAPEM())
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	return apigatewaymanagementapi.New(apigatewaymanagementapi.Options{
		Region: "us-east-1", BaseEndpoint: aws.String("https://" + addr + "/" + stage), HTTPClient: hc,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""), RetryMaxAttempts: 1,
	})
}

func TestWebSocket(t *testing.T) {
	env := newWSEnv(t)
	_, addr, sink := env.serve(WSLimits{})
	chat := "ws://" + addr + "/production"

	t.Run("connect runs $connect and is captured", func(t *testing.T) {
		c := dial(t, chat+"?room=a&room=b", http.Header{"X-Custom-Header": {"v"}, "User-Agent": {"ws-test/1"}})
		id := connectionID(t, c)
		x := sink.find(t, id, "$connect", nil)
		if x.API.Type != "websocket" || x.API.ID != "Chat" || x.Response.Status != 101 || x.Outcome != exchange.OutcomeOK || x.Function.Name != "GoFn" {
			t.Errorf("$connect exchange: api %+v status %d outcome %s fn %s", x.API, x.Response.Status, x.Outcome, x.Function.Name)
		}
		var ev struct {
			Headers    map[string]string   `json:"headers"`
			MultiQuery map[string][]string `json:"multiValueQueryStringParameters"`
			RequestCtx map[string]any      `json:"requestContext"`
			IsBase64   *bool               `json:"isBase64Encoded"`
			Body       *string             `json:"body"`
			Query      map[string]string   `json:"queryStringParameters"`
		}
		if err := json.Unmarshal(x.Event, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Headers["X-Custom-Header"] != "v" || ev.Headers["Host"] != addr || ev.Headers["Sec-WebSocket-Key"] == "" || ev.Query["room"] != "b" ||
			len(ev.MultiQuery["room"]) != 2 || ev.Body != nil || ev.IsBase64 == nil || *ev.IsBase64 {
			t.Errorf("$connect event: %s", x.Event)
		}
		if ev.RequestCtx["connectionId"] != id || ev.RequestCtx["eventType"] != "CONNECT" || ev.RequestCtx["domainName"] != addr {
			t.Errorf("requestContext %v", ev.RequestCtx)
		}
		// The @connections API describes it (the Go SDK, over HTTPS).
		out, err := env.managementClient(addr, "production").GetConnection(context.Background(),
			&apigatewaymanagementapi.GetConnectionInput{ConnectionId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.Identity.SourceIp) != "127.0.0.1" || aws.ToString(out.Identity.UserAgent) != "ws-test/1" || out.ConnectedAt == nil || out.LastActiveAt == nil {
			t.Errorf("GetConnection: %+v %+v", out, out.Identity)
		}
	})

	t.Run("$connect refuses with the function's status, 502 when it fails", func(t *testing.T) {
		for _, tt := range []struct {
			query  string
			status int
			body   string
		}{{"reject=1", 403, "go away"}, {"crash=1", 502, `{"message": "Internal server error"}`}} {
			_, resp, err := websocket.DefaultDialer.Dial(chat+"?"+tt.query, nil)
			if err == nil || resp == nil || resp.StatusCode != tt.status {
				t.Fatalf("%s: err %v resp %v", tt.query, err, resp)
			}
			b, _ := io.ReadAll(resp.Body)
			if string(b) != tt.body {
				t.Errorf("%s: body %q", tt.query, b)
			}
		}
		sink.mu.Lock()
		defer sink.mu.Unlock()
		var outcomes []string
		for _, x := range sink.xs {
			if x.RouteKey == "$connect" && x.Response.Status >= 400 {
				outcomes = append(outcomes, string(x.Outcome))
			}
		}
		if strings.Join(outcomes, ",") != "forbidden,function_error" {
			t.Errorf("refused handshakes captured as %v", outcomes)
		}
	})

	t.Run("subprotocol only when the function returns one", func(t *testing.T) {
		d := websocket.Dialer{Subprotocols: []string{"chat.v1", "chat.v2"}}
		c, _, err := d.Dial(chat+"?proto=chat.v2", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if c.Subprotocol() != "chat.v2" {
			t.Errorf("subprotocol %q", c.Subprotocol())
		}
		c2, _, err := d.Dial(chat, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c2.Close()
		if c2.Subprotocol() != "" {
			t.Errorf("subprotocol %q without the function returning one", c2.Subprotocol())
		}
	})

	t.Run("routing by action, $default fallback, one-way routes answer nothing", func(t *testing.T) {
		c := dial(t, chat, nil)
		for _, tt := range []struct{ msg, route string }{
			{`{"action":"echo","text":"hi"}`, "echo"},
			{`not json`, "$default"},
			{`{"action":"nope"}`, "$default"},
			{`{"action":"fire"}`, ""}, // one-way: the next frame is the echo after it
			{`{"action":"echo","n":2}`, "echo"},
		} {
			send(t, c, tt.msg)
			if tt.route == "" {
				continue
			}
			var r map[string]string
			json.Unmarshal([]byte(read(t, c)), &r)
			if r["route"] != tt.route || r["body"] != tt.msg || r["messageId"] == "" || r["stage"] != "production" {
				t.Errorf("%s: reply %v", tt.msg, r)
			}
		}
		id := connectionID(t, c)
		x := sink.find(t, id, "fire", nil)
		if len(x.Frames) != 1 || x.Frames[0].Dir != "in" || x.Response.Status != 200 || x.Outcome != exchange.OutcomeOK {
			t.Errorf("one-way exchange: frames %+v status %d", x.Frames, x.Response.Status)
		}
		x = sink.find(t, id, "echo", func(x *exchange.Exchange) bool { return strings.Contains(x.Request.Body, `"n":2`) })
		if len(x.Frames) != 2 || x.Frames[1].Dir != "out" || x.Frames[1].Data != x.Response.Body || x.Request.Method != "MESSAGE" || x.API.Type != "websocket" {
			t.Errorf("two-way exchange: %+v", x)
		}
	})

	t.Run("no route and no $default: the Forbidden frame, and the socket stays open", func(t *testing.T) {
		c := dial(t, "ws://"+addr+"/strict", nil)
		send(t, c, `{"action":"nope"}`)
		got := read(t, c)
		var f struct{ ConnectionID, RequestID string }
		json.Unmarshal([]byte(got), &f)
		want := `{"message": "Forbidden", "connectionId":"` + f.ConnectionID + `", "requestId":"` + f.RequestID + `"}`
		if got != want || f.ConnectionID == "" {
			t.Errorf("frame %s, want %s", got, want)
		}
		x := sink.find(t, f.ConnectionID, "", nil)
		if x.RequestID != f.RequestID || x.Outcome != exchange.OutcomeNoRoute || x.Response.Status != 403 {
			t.Errorf("exchange %+v", x)
		}
		send(t, c, `{"action":"echo"}`)
		if r := read(t, c); !strings.Contains(r, `"route":"echo"`) {
			t.Errorf("after Forbidden: %s", r)
		}
	})

	t.Run("wss:// on the same port", func(t *testing.T) {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(env.tls.CAPEM())
		c := dialWith(t, &websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: pool}}, "wss://"+addr+"/production")
		send(t, c, `{"action":"echo"}`)
		if r := read(t, c); !strings.Contains(r, `"route":"echo"`) {
			t.Errorf("reply %s", r)
		}
	})

	t.Run("each API answers on its own host, at its root too", func(t *testing.T) {
		d := &websocket.Dialer{NetDial: func(network, _ string) (net.Conn, error) { return net.Dial(network, addr) }}
		_, port, _ := net.SplitHostPort(addr)
		c := dialWith(t, d, "ws://strict.localhost:"+port+"/")
		send(t, c, `{"action":"echo"}`)
		var r map[string]string
		json.Unmarshal([]byte(read(t, c)), &r)
		// A function building https://<domainName>/<stage> must reach
		// gatescope: *.localhost is not resolvable everywhere, localhost is.
		if r["route"] != "echo" || r["stage"] != "strict" || r["domainName"] != "localhost:"+port {
			t.Errorf("reply %v", r)
		}
		if _, resp, err := d.Dial("ws://strict.localhost:"+port+"/production", nil); err == nil || resp.StatusCode != http.StatusNotFound {
			t.Errorf("another API's stage on this host: %v", err)
		}
	})

	t.Run("a failing integration sends Internal server error; a slow one times out", func(t *testing.T) {
		c := dial(t, chat, nil)
		id := connectionID(t, c)
		send(t, c, `{"action":"fail"}`)
		got := read(t, c)
		x := sink.find(t, id, "fail", nil)
		if got != `{"message": "Internal server error", "connectionId":"`+id+`", "requestId":"`+x.RequestID+`"}` {
			t.Errorf("frame %s", got)
		}
		if x.Outcome != exchange.OutcomeFunctionError || x.Response.Status != 502 || !strings.Contains(x.Explanation, "the message failed") {
			t.Errorf("fail exchange: %s %d %s", x.Outcome, x.Response.Status, x.Explanation)
		}
		send(t, c, `{"action":"slow"}`)
		if got := read(t, c); !strings.HasPrefix(got, `{"message": "Endpoint request timed out", "connectionId":"`+id+`"`) {
			t.Errorf("timeout frame %s", got)
		}
	})

	t.Run("broadcast through @connections from Go, Node.js and Python SDKs", func(t *testing.T) {
		for _, route := range []string{"broadcast", "broadcast-node", "broadcast-py"} {
			t.Run(route, func(t *testing.T) {
				switch route {
				case "broadcast-node":
					nodeModules(t, "testdata/ws/nodefn")
				case "broadcast-py":
					havePython(t, "boto3")
				}
				a, b, c := dial(t, chat, nil), dial(t, chat, nil), dial(t, chat, nil)
				connectionID(t, a)
				idb, idc := connectionID(t, b), connectionID(t, c)
				gone := dial(t, chat, nil)
				idGone := connectionID(t, gone)
				gone.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), time.Now().Add(time.Second))
				sink.find(t, idGone, "$disconnect", nil)

				msg, _ := json.Marshal(map[string]any{"action": route, "to": []string{idb, idc, idGone}, "data": "hello from " + route})
				send(t, a, string(msg))
				for _, peer := range []*websocket.Conn{b, c} {
					if got := read(t, peer); got != "hello from "+route {
						t.Errorf("peer got %q", got)
					}
				}
				var results map[string]string
				reply := read(t, a)
				if err := json.Unmarshal([]byte(reply), &results); err != nil {
					t.Fatalf("reply %s: %v", reply, err)
				}
				if results[idb] != "ok" || results[idc] != "ok" || !strings.Contains(results[idGone], "GoneException") {
					t.Errorf("results %v", results)
				}
				if route == "broadcast-node" && results["self"] != "127.0.0.1" {
					t.Errorf("GetConnection from Node.js: %v", results)
				}
				// Each POST is an exchange of its connection, with its frame out.
				x := sink.find(t, idb, "POST @connections", nil)
				if x.Response.Status != 200 || len(x.Frames) != 1 || x.Frames[0].Data != "hello from "+route || x.API.Type != "websocket" {
					t.Errorf("POST exchange %+v", x)
				}
				x = sink.find(t, idGone, "POST @connections", nil)
				if x.Response.Status != 410 || x.Response.Headers["X-Amzn-Errortype"][0] != "GoneException" || x.Response.Body != "" {
					t.Errorf("gone POST exchange %+v", x.Response)
				}
			})
		}
		t.Run("boto3 delete_connection closes it", func(t *testing.T) {
			havePython(t, "boto3")
			a, b := dial(t, chat, nil), dial(t, chat, nil)
			idb := connectionID(t, b)
			connectionID(t, a)
			msg, _ := json.Marshal(map[string]any{"action": "broadcast-py", "to": []string{}, "data": "", "close": idb})
			send(t, a, string(msg))
			if code, _ := readClose(t, b); code != 1000 {
				t.Errorf("closed with %d", code)
			}
			x := sink.find(t, idb, "$disconnect", nil)
			if x.Frames[0].Code != 1000 || x.Frames[0].Dir != "out" {
				t.Errorf("$disconnect frames %+v", x.Frames)
			}
		})
	})

	t.Run("@connections answers", func(t *testing.T) {
		client := env.managementClient(addr, "production")
		ctx := context.Background()
		_, err := client.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String("bm9uZXN1Y2g="), Data: []byte("x")})
		var ge *types.GoneException
		if !errors.As(err, &ge) {
			t.Errorf("unknown id: %v, want GoneException", err)
		}
		c := dial(t, chat, nil)
		id := connectionID(t, c)
		_, err = client.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String(id), Data: bytes.Repeat([]byte("x"), apigw.MaxMessageBytes+1)})
		var pe *types.PayloadTooLargeException
		if !errors.As(err, &pe) {
			t.Errorf("over 128 KB: %v, want PayloadTooLargeException", err)
		}
		// Without the stage, as AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI gives it.
		if _, err := env.managementClient(addr, "").PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String(id), Data: []byte("direct")}); err != nil {
			t.Fatal(err)
		}
		if got := read(t, c); got != "direct" {
			t.Errorf("got %q", got)
		}
		if _, err := client.DeleteConnection(ctx, &apigatewaymanagementapi.DeleteConnectionInput{ConnectionId: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
		readClose(t, c)
		sink.find(t, id, "$disconnect", nil)
		if _, err := client.GetConnection(ctx, &apigatewaymanagementapi.GetConnectionInput{ConnectionId: aws.String(id)}); !errors.As(err, &ge) {
			t.Errorf("after DELETE: %v, want GoneException", err)
		}
		// Plain HTTP reaches it too.
		resp, err := http.Post("http://"+addr+"/production/@connections/"+strings.ReplaceAll(id, "=", "%3D"), "text/plain", strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 410 || resp.Header.Get("x-amzn-ErrorType") != "GoneException" {
			t.Errorf("plain HTTP POST to a closed connection: %d %v", resp.StatusCode, resp.Header)
		}
	})

	t.Run("$disconnect has the real status code and reason", func(t *testing.T) {
		for _, tt := range []struct {
			name   string
			close  func(c *websocket.Conn)
			code   int
			reason string
		}{
			{"client code and reason", func(c *websocket.Conn) {
				c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4000, "bye"), time.Now().Add(time.Second))
			}, 4000, "bye"},
			{"close frame without status", func(c *websocket.Conn) {
				c.WriteControl(websocket.CloseMessage, nil, time.Now().Add(time.Second))
			}, 1005, "Client-side close frame status not set"},
			{"connection dropped", func(c *websocket.Conn) { c.NetConn().Close() }, 1006, "Connection closed abnormally"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				c := dial(t, chat, nil)
				id := connectionID(t, c)
				tt.close(c)
				x := sink.find(t, id, "$disconnect", nil)
				var ev struct {
					RequestContext struct {
						Code   int    `json:"disconnectStatusCode"`
						Reason string `json:"disconnectReason"`
						Event  string `json:"eventType"`
					} `json:"requestContext"`
				}
				json.Unmarshal(x.Event, &ev)
				if rc := ev.RequestContext; rc.Code != tt.code || rc.Reason != tt.reason || rc.Event != "DISCONNECT" {
					t.Errorf("event %+v", rc)
				}
				if f := x.Frames[0]; f.Opcode != 8 || f.Code != tt.code || f.Data != tt.reason || f.Dir != "in" {
					t.Errorf("close frame %+v", f)
				}
				if !strings.Contains(x.Logs, "disconnected "+id) || x.Outcome != exchange.OutcomeOK {
					t.Errorf("$disconnect ran: outcome %s logs %q", x.Outcome, x.Logs)
				}
			})
		}
	})

	t.Run("limits: frame, message and binary frames close the connection", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			send func(c *websocket.Conn) error
			code int
		}{
			{"a 33 KB frame", func(c *websocket.Conn) error {
				return c.WriteMessage(websocket.TextMessage, bytes.Repeat([]byte("a"), apigw.MaxFrameBytes+1))
			}, 1009},
			{"a 129 KB frame", func(c *websocket.Conn) error {
				return c.WriteMessage(websocket.TextMessage, bytes.Repeat([]byte("a"), apigw.MaxMessageBytes+1))
			}, 1009},
			{"a 129 KB message in 32 KB frames", func(c *websocket.Conn) error {
				w, err := c.NextWriter(websocket.TextMessage)
				if err != nil {
					return err
				}
				for range 5 {
					w.Write(bytes.Repeat([]byte("a"), 26<<10)) // framed by the writer's 4 KB buffer
				}
				return w.Close()
			}, 1009},
			{"a binary frame", func(c *websocket.Conn) error { return c.WriteMessage(websocket.BinaryMessage, []byte{1, 2}) }, 1003},
		} {
			t.Run(tt.name, func(t *testing.T) {
				// One frame per message up to 256 KB; gorilla's default
				// 4 KB buffer would send 4 KB frames.
				c := dialWith(t, bigFrames, chat)
				id := connectionID(t, c)
				if err := tt.send(c); err != nil {
					t.Fatal(err)
				}
				if code, _ := readClose(t, c); code != tt.code {
					t.Errorf("closed with %d, want %d", code, tt.code)
				}
				x := sink.find(t, id, "$disconnect", nil)
				if f := x.Frames[0]; f.Code != tt.code || f.Dir != "out" {
					t.Errorf("close frame %+v", f)
				}
			})
		}
		// A 32 KB frame and a 128 KB message in 32 KB frames pass.
		big := dialWith(t, bigFrames, chat)
		msg := `{"action":"echo","pad":"` + strings.Repeat("p", apigw.MaxFrameBytes-30) + `"}`
		send(t, big, msg)
		if got := read(t, big); !strings.Contains(got, `"route":"echo"`) {
			t.Errorf("a 32 KB frame: %.80s", got)
		}
		frames := dialWith(t, &websocket.Dialer{WriteBufferSize: apigw.MaxFrameBytes}, chat)
		msg = `{"action":"echo","pad":"` + strings.Repeat("p", apigw.MaxMessageBytes-30) + `"}`
		send(t, frames, msg)
		if got := read(t, frames); !strings.Contains(got, `"route":"echo"`) {
			t.Errorf("a 128 KB message: %.80s", got)
		}
	})
}

// TestWebSocketTimeouts: idle connections and connections at their
// lifetime are closed with 1001 Going away, and say so in $disconnect.
func TestWebSocketTimeouts(t *testing.T) {
	env := newWSEnv(t)
	for _, tt := range []struct {
		name   string
		limits WSLimits
		ping   bool
	}{
		{"idle", WSLimits{Idle: 300 * time.Millisecond}, false},
		{"lifetime, however busy", WSLimits{Lifetime: 700 * time.Millisecond, Idle: time.Hour}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, addr, sink := env.serve(tt.limits)
			c := dial(t, "ws://"+addr+"/production", nil)
			id := connectionID(t, c)
			stop := make(chan struct{})
			var wg sync.WaitGroup
			if tt.ping {
				wg.Add(1)
				go func() { // keep messages flowing until the close
					defer wg.Done()
					tick := time.NewTicker(50 * time.Millisecond)
					defer tick.Stop()
					for {
						select {
						case <-stop:
							return
						case <-tick.C:
							c.WriteMessage(websocket.TextMessage, []byte(`{"action":"fire"}`))
						}
					}
				}()
			}
			code, text := readClose(t, c)
			close(stop)
			wg.Wait()
			if code != 1001 || text != "Going away" {
				t.Errorf("closed with %d %q", code, text)
			}
			x := sink.find(t, id, "$disconnect", nil)
			if !bytes.Contains(x.Event, []byte(`"disconnectStatusCode":1001`)) || !bytes.Contains(x.Event, []byte(`"disconnectReason":"Going away"`)) {
				t.Errorf("event %s", x.Event)
			}
		})
	}
}

// TestWebSocketShutdown: closing the gateway closes every connection with
// 1001 and captures each $disconnect before it returns.
func TestWebSocketShutdown(t *testing.T) {
	env := newWSEnv(t)
	g, addr, sink := env.serve(WSLimits{})
	c := dial(t, "ws://"+addr+"/production", nil)
	id := connectionID(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := g.CloseWebSockets(ctx); err != nil {
		t.Fatal(err)
	}
	sink.mu.Lock()
	n := 0
	for _, x := range sink.xs {
		if x.ConnectionID == id && x.RouteKey == "$disconnect" {
			n++
		}
	}
	sink.mu.Unlock()
	if n != 1 {
		t.Errorf("%d $disconnect exchanges captured by the time Close returned, want 1", n)
	}
	if code, _ := readClose(t, c); code != 1001 {
		t.Errorf("closed with %d", code)
	}
	if _, resp, err := websocket.DefaultDialer.Dial("ws://"+addr+"/production", nil); err == nil {
		t.Errorf("a new connection after close was kept (%v)", resp.Status)
	}
}

// nodeModules reports whether the Node.js function's SDK is installed,
// installing it with npm ci when it is not. Without npm or the registry the
// test skips (fails under CI, where .ci/run installs it).
func nodeModules(t *testing.T, dir string) bool {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@aws-sdk", "client-apigatewaymanagementapi")); err == nil {
		return true
	}
	npm := testenv.Need(t, "npm")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
		t.Skipf("npm ci in %s (needs the npm registry): %v", dir, err)
	}
	return true
}

// havePython reports whether python3 can import module (skipping or, under
// CI, failing without it).
func havePython(t *testing.T, module string) bool {
	t.Helper()
	py := testenv.Need(t, "python3")
	if err := exec.Command(py, "-c", "import "+module).Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 cannot import %s (.ci/run installs python3-%s): %v", module, module, err)
		}
		t.Skipf("python3 cannot import %s: %v", module, err)
	}
	return true
}
