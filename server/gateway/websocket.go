package gateway

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/awsid"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/lambda"
	"github.com/gorilla/websocket"
)

// WebSocket APIs. A handshake to /<stage> of a WebSocket API runs $connect
// first and is accepted or refused as apigw.ConnectAnswer says; each text
// message is then routed and answered (apigw.MessageAnswer) on a goroutine
// of its own, as API Gateway invokes messages independently; the
// connection's end runs $disconnect. Every step is an exchange naming the
// connection. The @connections API (connections.go) writes to the same
// connections.

// WSLimits are a WebSocket connection's limits; zero fields are API
// Gateway's (apigw.IdleTimeout, apigw.MaxLifetime, apigw.MaxFrameBytes,
// apigw.MaxMessageBytes). Tests shorten them.
type WSLimits struct {
	Idle         time.Duration
	Lifetime     time.Duration
	FrameBytes   int
	MessageBytes int
}

func (l WSLimits) withDefaults() WSLimits {
	if l.Idle <= 0 {
		l.Idle = apigw.IdleTimeout
	}
	if l.Lifetime <= 0 {
		l.Lifetime = apigw.MaxLifetime
	}
	if l.FrameBytes <= 0 {
		l.FrameBytes = apigw.MaxFrameBytes
	}
	if l.MessageBytes <= 0 {
		l.MessageBytes = apigw.MaxMessageBytes
	}
	return l
}

// Option configures a Gateway.
type Option func(*Gateway)

// WithWebSocketLimits sets the limits of WebSocket connections.
func WithWebSocketLimits(l WSLimits) Option {
	return func(g *Gateway) { g.ws.limits = l.withDefaults() }
}

const (
	// wsWriteWait bounds each frame written to a client; one that cannot
	// take a frame in this time is gone.
	wsWriteWait = 10 * time.Second
	// wsCloseWait is how long a closing connection waits for the client's
	// close frame before dropping it.
	wsCloseWait = time.Second
	// wsInFlight bounds the messages of one connection invoked at once;
	// past it the connection is not read until one finishes, so a client
	// that floods waits instead of growing gatescope's memory.
	wsInFlight = 32
)

// upgrader accepts any Origin: API Gateway does not check it, and a page
// on another site connecting to a user's WebSocket API is what the API
// (its $connect) decides, not gatescope. (The dashboard's live feed, on
// the UI address, does check.) Write buffers are pooled: an idle
// connection holds none.
var upgrader = websocket.Upgrader{
	ReadBufferSize:  4096,
	WriteBufferPool: &sync.Pool{},
	CheckOrigin:     func(*http.Request) bool { return true },
}

// wsState is the gateway's open connections.
type wsState struct {
	limits WSLimits
	mu     sync.Mutex
	conns  map[string]*wsConn
	closed bool
	// wg counts connection loops and message handlers, for Close.
	wg sync.WaitGroup
}

// wsConn is one open WebSocket connection.
type wsConn struct {
	g    *Gateway
	api  *config.API
	info apigw.WSConn
	conn *websocket.Conn
	// connectID is the $connect exchange's id.
	connectID string

	wmu        sync.Mutex // one writer at a time (gorilla's rule)
	lastActive atomic.Int64
	in, out    atomic.Int64
	inflight   chan struct{}

	closeOnce   sync.Once
	closeCode   int    // set before closed is closed
	closeReason string // set before closed is closed
	closed      chan struct{}
	// idle and life are the connection's timers; ended stops checkIdle
	// from arming idle again once the connection is over.
	idle, life *time.Timer
	ended      atomic.Bool
}

// newID is an id in API Gateway's short shape: connection, request and
// message ids all look like "L0SM9cOFvHcCIhw=".
func newID() string {
	var b [12]byte
	rand.Read(b[:])
	return awsid.HTTPRequestID(b)
}

// serveWebSocket takes the requests of WebSocket APIs: handshakes to a
// WebSocket API's stage and calls to the @connections API. It reports
// whether it answered r.
func (g *Gateway) serveWebSocket(w http.ResponseWriter, r *http.Request) bool {
	router := g.current.Load().router.For(r.Host)
	apis := router.WebSocketAPIs()
	if len(apis) == 0 {
		return false
	}
	path, _, _ := strings.Cut(r.RequestURI, "?")
	if stage, _, ok := apigw.ConnectionsPath(path); ok && (stage == "" || slices.ContainsFunc(apis, func(a *config.API) bool { return a.Stage == stage })) {
		g.serveManagement(w, r)
		return true
	}
	if !websocket.IsWebSocketUpgrade(r) {
		return false
	}
	api, ok := router.WebSocket(path)
	if !ok {
		return false
	}
	g.serveConnect(w, r, api)
	return true
}

// findRoute is the route of key in api, or nil.
func findRoute(api *config.API, key string) *config.Route {
	for _, r := range api.Routes {
		if r.Path == key {
			return r
		}
	}
	return nil
}

func apiRef(api *config.API) exchange.APIRef {
	return exchange.APIRef{ID: api.ID, Type: exchange.WebSocketAPI, Stage: api.Stage}
}

// serveConnect runs a handshake: $connect, then the upgrade or the
// refusal, then the connection until it ends.
func (g *Gateway) serveConnect(w http.ResponseWriter, r *http.Request, api *config.API) {
	start := g.now()
	if r.Method != http.MethodGet || r.Header.Get("Sec-Websocket-Key") == "" || r.Header.Get("Sec-Websocket-Version") != "13" {
		upgrader.Upgrade(w, r, nil) // answers the bad handshake (400 or 405) as gorilla words it
		return
	}
	if g.ws.closing() {
		http.Error(w, "gatescope is shutting down", http.StatusServiceUnavailable)
		return
	}
	req := FromHTTP(r, nil, start)
	stripTokenCookie(req.Header)
	req.RequestID = newID()
	req.ExtendedRequestID = req.RequestID
	var tb [12]byte
	rand.Read(tb[:])
	req.TraceID = awsid.TraceRoot(start, tb)
	info := apigw.WSConn{ID: newID(), ConnectedAt: start, SourceIP: req.SourceIP, UserAgent: r.Header.Get("User-Agent"), Host: r.Host}
	x := &exchange.Exchange{
		ID: exchange.NewID(start), Session: g.session(), StartedAt: start, API: apiRef(api), RouteKey: "$connect",
		RequestID: req.RequestID, TraceID: req.TraceID, Request: captureRequest(req), ConnectionID: info.ID,
	}
	res := g.connectAnswer(r.Context(), api, &info, req, x)
	x.Outcome, x.Explanation = res.Outcome, res.Explanation

	if !res.Accept {
		h := w.Header()
		h.Set("X-Amzn-Requestid", req.RequestID)
		if len(res.Body) > 0 && res.Body[0] == '{' {
			h.Set("Content-Type", "application/json")
		}
		w.WriteHeader(res.Status)
		w.Write(res.Body)
		x.Response = captureResponse(&apigw.Response{Status: res.Status, Header: h.Clone(), Body: res.Body})
		g.submitWS(x, start)
		return
	}
	var h http.Header
	if res.Subprotocol != "" {
		h = http.Header{"Sec-Websocket-Protocol": {res.Subprotocol}}
	}
	conn, err := upgrader.Upgrade(limitWriter{ResponseWriter: w, max: g.ws.limits.FrameBytes}, r, h)
	if err != nil {
		// $connect accepted, but the client went away before the
		// upgrade: no connection was made, so there is no $disconnect.
		g.logger.Debug("websocket upgrade", slog.Any("err", err))
		x.Response.Status = http.StatusBadRequest
		x.Explanation = "The handshake failed after $connect accepted it: " + err.Error()
		g.submitWS(x, start)
		return
	}
	x.Response = exchange.HTTPResponse{Status: http.StatusSwitchingProtocols, Headers: map[string][]string{
		"Upgrade": {"websocket"}, "Connection": {"Upgrade"}, "Sec-WebSocket-Accept": {acceptKey(r.Header.Get("Sec-Websocket-Key"))}}}
	if res.Subprotocol != "" {
		x.Response.Headers["Sec-WebSocket-Protocol"] = []string{res.Subprotocol}
	}
	c := &wsConn{g: g, api: api, info: info, conn: conn, connectID: x.ID, inflight: make(chan struct{}, wsInFlight), closed: make(chan struct{})}
	c.lastActive.Store(start.UnixNano())
	if !g.ws.add(c) {
		c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(apigw.CloseGoingAway, apigw.CloseReason(apigw.CloseGoingAway)), time.Now().Add(wsWriteWait))
		conn.Close()
		x.Explanation = "gatescope was shutting down: the connection was closed at once"
		g.submitWS(x, start)
		return
	}
	g.submitWS(x, start)
	// The connection runs on a goroutine of its own and the handler
	// returns: the HTTP server's buffers and this deep stack are freed,
	// so an idle connection holds little more than gorilla's read buffer.
	go func() {
		defer g.ws.wg.Done()
		c.run()
	}()
}

// connectAnswer runs $connect, when the API has one, and decides the
// handshake. Without a $connect route API Gateway accepts every connection.
func (g *Gateway) connectAnswer(ctx context.Context, api *config.API, info *apigw.WSConn, req *apigw.Request, x *exchange.Exchange) *apigw.ConnectResult {
	route := findRoute(api, "$connect")
	switch {
	case route == nil:
		return &apigw.ConnectResult{Accept: true, Status: http.StatusSwitchingProtocols, Outcome: exchange.OutcomeOK,
			Explanation: "The API has no $connect route, so API Gateway accepts every connection"}
	case !route.Emulated():
		return apigw.ConnectNotServed(api, route)
	}
	x.Function.Name = route.Function
	// Authorizers on $connect (AuthorizationType CUSTOM or AWS_IAM) are not
	// enforced yet: the route's authorizer is listed as not emulated. The
	// access-control work runs it here, before the integration, and
	// refuses the handshake with its 401/403.
	event := apigw.WSConnectEvent(api, info, req)
	x.Event = event
	inv := g.invokeRoute(ctx, api, route, event, req.TraceID, x)
	return apigw.ConnectAnswer(api, route, inv)
}

// invokeRoute invokes a WebSocket route's function with event, within the
// route's integration timeout, through the same environments as HTTP APIs,
// and records the invoke in x.
func (g *Gateway) invokeRoute(ctx context.Context, api *config.API, route *config.Route, event []byte, traceID string, x *exchange.Exchange) apigw.Invocation {
	start := x.StartedAt
	x.Function.Name = route.Function
	x.Timings.RouteMatchedMs = ms(g.now().Sub(start))
	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), route.IntegrationTimeout(api.Type))
	defer cancel()
	x.Timings.InvokeStartMs = ms(g.now().Sub(start))
	res, err := g.invoker.Invoke(ictx, route.Function, lambda.Request{Payload: event, TraceID: traceID + ";Parent=" + awsid.Hex(8) + ";Sampled=0"})
	x.Timings.InvokeEndMs = ms(g.now().Sub(start))
	inv := invocation(ictx, err, res, route.Function)
	recordInvoke(ictx, x, res, err, inv.Detail)
	return inv
}

// submitWS finishes and captures a WebSocket exchange. It returns a copy
// for the caller to keep: the store fills in the submitted one's session
// id on its own goroutine.
func (g *Gateway) submitWS(x *exchange.Exchange, start time.Time) *exchange.Exchange {
	if x.Outcome == "" {
		x.Outcome = exchange.OutcomeOK
	}
	x.Timings.ResponseMappedMs = ms(g.now().Sub(start))
	x.Timings.SentMs = x.Timings.ResponseMappedMs
	x.DurationMs = x.Timings.SentMs
	kept := *x
	if !g.sink.Submit(x) {
		g.logger.Debug("capture queue full: exchange dropped", slog.String("id", x.ID))
	}
	return &kept
}

// add registers an open connection; false once the gateway is closing.
// It counts the connection's loop in wg.
func (s *wsState) add(c *wsConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.conns == nil {
		s.conns = map[string]*wsConn{}
	}
	s.conns[c.info.ID] = c
	s.wg.Add(1)
	return true
}

func (s *wsState) closing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *wsState) get(id string) *wsConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns[id]
}

func (s *wsState) remove(id string) {
	s.mu.Lock()
	delete(s.conns, id)
	s.mu.Unlock()
}

// run reads the connection until it ends, then runs $disconnect.
func (c *wsConn) run() {
	lim := c.g.ws.limits
	c.conn.SetReadLimit(int64(lim.MessageBytes))
	// Made stopped, then started: checkIdle reads c.idle, which must be
	// set before the timer can fire.
	c.idle = time.AfterFunc(time.Duration(math.MaxInt64), c.checkIdle)
	c.idle.Reset(lim.Idle)
	c.life = time.AfterFunc(lim.Lifetime, func() { c.close(apigw.CloseGoingAway, apigw.CloseReason(apigw.CloseGoingAway)) })
	clientCode, clientReason := apigw.CloseAbnormal, apigw.CloseReason(apigw.CloseAbnormal)
	for {
		typ, data, err := c.conn.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			switch {
			case errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure:
				// (gorilla reports a dropped connection as 1006 with its
				// read error as the text: the default reason stands.)
				clientCode, clientReason = ce.Code, ce.Text
				if ce.Text == "" {
					clientReason = apigw.CloseReason(ce.Code)
				}
			case errors.Is(err, websocket.ErrReadLimit):
				// gorilla sent the close frame (1009) itself.
				c.close(apigw.CloseMessageTooBig, apigw.CloseReason(apigw.CloseMessageTooBig))
			case errors.Is(err, errFrameTooBig):
				c.close(apigw.CloseMessageTooBig, "Frame too big")
			}
			break
		}
		at := c.g.now()
		c.touch(at)
		if typ != websocket.TextMessage {
			c.close(apigw.CloseUnsupportedData, apigw.CloseReason(apigw.CloseUnsupportedData))
			break
		}
		c.in.Add(1)
		c.inflight <- struct{}{}
		c.g.ws.wg.Add(1)
		go func() {
			defer c.g.ws.wg.Done()
			defer func() { <-c.inflight }()
			c.message(context.Background(), data, at, true)
		}()
	}
	c.ended.Store(true)
	c.idle.Stop()
	c.life.Stop()
	c.g.ws.remove(c.info.ID)
	code, reason, dir := clientCode, clientReason, exchange.FrameIn
	select {
	case <-c.closed: // gatescope closed it: its code and reason
		code, reason, dir = c.closeCode, c.closeReason, exchange.FrameOut
	default:
	}
	c.conn.Close()
	c.disconnect(code, reason, dir)
}

// touch records activity, which postpones the idle timeout.
func (c *wsConn) touch(t time.Time) { c.lastActive.Store(t.UnixNano()) }

// checkIdle closes a connection idle for the limit, or waits again for
// the rest of it. Activity only stores a time, so a busy connection costs
// no timer resets.
func (c *wsConn) checkIdle() {
	if c.ended.Load() {
		return
	}
	idle := c.g.ws.limits.Idle
	left := time.Until(time.Unix(0, c.lastActive.Load()).Add(idle))
	if left > 0 {
		c.idle.Reset(left)
		return
	}
	c.close(apigw.CloseGoingAway, apigw.CloseReason(apigw.CloseGoingAway))
}

// close ends the connection from gatescope's side: a close frame with code
// and reason, then, once the client answers (or after wsCloseWait), the
// read loop ends and $disconnect runs with that code and reason.
func (c *wsConn) close(code int, reason string) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeReason = code, reason
		close(c.closed)
		c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(wsWriteWait))
		c.conn.SetReadDeadline(time.Now().Add(wsCloseWait))
	})
}

// write sends one message to the client.
func (c *wsConn) write(data []byte) error {
	select {
	case <-c.closed:
		return errors.New("the connection is closing")
	default:
	}
	typ := websocket.TextMessage
	if !utf8.Valid(data) {
		typ = websocket.BinaryMessage
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
	if err := c.conn.WriteMessage(typ, data); err != nil {
		return err
	}
	c.out.Add(1)
	c.touch(c.g.now())
	return nil
}

// message routes and answers one text message that arrived at at, and
// returns its exchange, captured when submit is set (replays store their
// own).
func (c *wsConn) message(ctx context.Context, data []byte, at time.Time, submit bool) *exchange.Exchange {
	g, api := c.g, c.api
	reqID := newID()
	body, b64 := bodyText(data)
	x := &exchange.Exchange{
		ID: exchange.NewID(at), Session: g.session(), StartedAt: at, API: apiRef(api), RequestID: reqID, ConnectionID: c.info.ID,
		Request: exchange.HTTPRequest{Method: "MESSAGE", URL: "/" + api.Stage, Body: body, IsBase64: b64},
		Frames:  []exchange.Frame{{Dir: exchange.FrameIn, At: at, Opcode: exchange.OpText, Data: string(data)}},
	}
	var tb [12]byte
	rand.Read(tb[:])
	x.TraceID = awsid.TraceRoot(at, tb)
	route, key, ok := apigw.SelectRoute(api, data)
	var res *apigw.MessageResult
	switch {
	case !ok:
		res = apigw.NoRoute(api, c.info.ID, reqID, key)
	case !route.Emulated():
		x.RouteKey = route.Key()
		res = apigw.MessageNotServed(api, route)
	default:
		x.RouteKey = route.Key()
		event := apigw.WSMessageEvent(api, route.Key(), &c.info, &apigw.WSMessage{ID: newID(), RequestID: reqID, Time: at, Body: data})
		x.Event = event
		inv := g.invokeRoute(ctx, api, route, event, x.TraceID, x)
		res = apigw.MessageAnswer(api, route, c.info.ID, reqID, inv)
	}
	x.Outcome, x.Explanation = res.Outcome, res.Explanation
	x.Response = exchange.HTTPResponse{Status: res.Status}
	if res.Frame != nil {
		x.Response.Body, x.Response.IsBase64 = bodyText(res.Frame)
		if err := c.write(res.Frame); err != nil {
			x.Explanation = strings.TrimSpace(x.Explanation + " The frame was not sent: the connection closed first.")
		} else {
			x.Frames = append(x.Frames, exchange.Frame{Dir: exchange.FrameOut, At: g.now(), Opcode: exchange.OpText, Data: string(res.Frame)})
		}
	}
	if submit {
		return g.submitWS(x, at)
	}
	x.Timings.SentMs = ms(g.now().Sub(at))
	x.DurationMs = x.Timings.SentMs
	if x.Outcome == "" {
		x.Outcome = exchange.OutcomeOK
	}
	return x
}

// disconnect runs $disconnect (when the API has one) and captures it,
// with the close frame that ended the connection.
func (c *wsConn) disconnect(code int, reason, dir string) {
	g, api := c.g, c.api
	at := g.now()
	reqID := newID()
	x := &exchange.Exchange{
		ID: exchange.NewID(at), Session: g.session(), StartedAt: at, API: apiRef(api), RouteKey: "$disconnect", RequestID: reqID,
		ConnectionID: c.info.ID, Request: exchange.HTTPRequest{Method: "DISCONNECT", URL: "/" + api.Stage, Body: reason},
		Frames:   []exchange.Frame{{Dir: dir, At: at, Opcode: exchange.OpClose, Code: code, Data: reason}},
		Response: exchange.HTTPResponse{Status: http.StatusOK},
	}
	var tb [12]byte
	rand.Read(tb[:])
	x.TraceID = awsid.TraceRoot(at, tb)
	route := findRoute(api, "$disconnect")
	switch {
	case route == nil:
		x.Explanation = "The API has no $disconnect route: nothing was invoked"
	case !route.Emulated():
		x.Outcome, x.Explanation = exchange.OutcomeNoRoute, apigw.MessageNotServed(api, route).Explanation
	default:
		event := apigw.WSDisconnectEvent(api, &c.info, &apigw.WSDisconnect{RequestID: reqID, Time: at, Code: code, Reason: reason})
		x.Event = event
		inv := g.invokeRoute(context.Background(), api, route, event, x.TraceID, x)
		// Nothing can be sent any more; only the outcome is kept.
		res := apigw.MessageAnswer(api, route, c.info.ID, reqID, inv)
		x.Response.Status, x.Outcome, x.Explanation = res.Status, res.Outcome, res.Explanation
	}
	g.submitWS(x, at)
}

// snapshot describes the connection for the dashboard.
func (c *wsConn) snapshot() exchange.Connection {
	return exchange.Connection{ID: c.info.ID, API: apiRef(c.api), ConnectedAt: c.info.ConnectedAt,
		LastActiveAt: time.Unix(0, c.lastActive.Load()).UTC(), SourceIP: c.info.SourceIP, UserAgent: c.info.UserAgent,
		In: c.in.Load(), Out: c.out.Load(), ConnectExchange: c.connectID}
}

// Connections lists the open WebSocket connections, oldest first.
func (g *Gateway) Connections() []exchange.Connection {
	g.ws.mu.Lock()
	out := make([]exchange.Connection, 0, len(g.ws.conns))
	for _, c := range g.ws.conns {
		out = append(out, c.snapshot())
	}
	g.ws.mu.Unlock()
	slices.SortFunc(out, func(a, b exchange.Connection) int { return a.ConnectedAt.Compare(b.ConnectedAt) })
	return out
}

// ErrGone is what sending to a connection that is not open returns.
var ErrGone = exchange.ErrConnectionGone

// Inject handles data as a message the client of connection id sent (the
// dashboard's "send as the client"): routed, invoked and answered as one.
// The exchange is captured.
func (g *Gateway) Inject(ctx context.Context, id string, data []byte) (*exchange.Exchange, error) {
	return g.inject(ctx, id, data, true)
}

// ReplayMessage sends data into connection id, if it is still open, as if
// its client sent it (a replay of a captured message). The replay is
// returned, not captured: the replayer stores it.
func (g *Gateway) ReplayMessage(ctx context.Context, id string, data []byte) (*exchange.Exchange, error) {
	return g.inject(ctx, id, data, false)
}

func (g *Gateway) inject(ctx context.Context, id string, data []byte, submit bool) (*exchange.Exchange, error) {
	c := g.ws.get(id)
	if c == nil {
		return nil, fmt.Errorf("connection %s: %w", id, ErrGone)
	}
	at := g.now()
	c.touch(at)
	c.in.Add(1)
	return c.message(ctx, data, at, submit), nil
}

// CloseWebSockets closes every connection with 1001 Going away, refuses
// new ones, and waits (within ctx) for their $disconnect and any message
// still being handled. Call it after the API listener stopped accepting
// and before the capture pipeline and the functions stop.
func (g *Gateway) CloseWebSockets(ctx context.Context) error {
	g.ws.mu.Lock()
	g.ws.closed = true
	conns := make([]*wsConn, 0, len(g.ws.conns))
	for _, c := range g.ws.conns {
		conns = append(conns, c)
	}
	g.ws.mu.Unlock()
	for _, c := range conns {
		c.close(apigw.CloseGoingAway, apigw.CloseReason(apigw.CloseGoingAway))
	}
	done := make(chan struct{})
	go func() { g.ws.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("close WebSocket connections: %w", ctx.Err())
	}
}

// acceptKey is Sec-WebSocket-Accept for a client's key (RFC 6455 §4.2.2),
// for the captured handshake.
func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}
