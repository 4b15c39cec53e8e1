package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/awsid"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
)

// The @connections management API of WebSocket APIs, served on the api
// address (over HTTP or HTTPS, see tls.go) at /<stage>/@connections/<id>
// and /@connections/<id>: a connection id names one connection on any
// host, so an SDK given either endpoint reaches it. Each call is an
// exchange of the connection it names; a POST that sends its message
// carries it as a frame out.

// serveManagement answers one @connections call and captures it.
func (g *Gateway) serveManagement(w http.ResponseWriter, r *http.Request) {
	start := g.now()
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(g.ws.limits.MessageBytes)+1))
	if err != nil {
		g.logger.Debug("read @connections body", slog.Any("err", err))
		if errors.Is(err, os.ErrDeadlineExceeded) {
			http.Error(w, "the request body arrived too slowly", http.StatusRequestTimeout)
		}
		return
	}
	size := len(body)
	if r.ContentLength > int64(size) {
		size = int(r.ContentLength)
	}
	req := FromHTTP(r, body, start)
	stripTokenCookie(req.Header)
	resp, x := g.manage(req, size)
	h := w.Header()
	for k, vs := range resp.Header {
		h[k] = vs
	}
	if resp.Status != http.StatusNoContent {
		h.Set("Content-Length", strconv.Itoa(len(resp.Body)))
	}
	w.WriteHeader(resp.Status)
	w.Write(resp.Body)
	g.submitWS(x, start)
}

// manage answers an @connections call (whose body is size bytes; req.Body
// holds at most one byte over the limit).
func (g *Gateway) manage(req *apigw.Request, size int) (*apigw.Response, *exchange.Exchange) {
	req.RequestID = awsid.NewUUID()
	stage, id, _ := apigw.ConnectionsPath(req.RawPath)
	x := &exchange.Exchange{
		ID: exchange.NewID(req.Time), Session: g.session(), StartedAt: req.Time, RouteKey: req.Method + " @connections",
		RequestID: req.RequestID, Request: captureRequest(req), ConnectionID: id,
	}
	if size > len(req.Body) {
		x.Request.Truncated = size
	}
	c := g.ws.get(id)
	var resp *apigw.Response
	router := g.current.Load().router.For(req.Host)
	switch {
	case c == nil:
		resp = apigw.GoneResponse(req, id, "")
		if apis := router.WebSocketAPIs(); len(apis) > 0 {
			x.API = apiRef(pickAPI(apis, stage))
		}
	case stage != "" && stage != c.api.Stage:
		resp = apigw.GoneResponse(req, id, "Connection "+id+" belongs to stage "+c.api.Stage+" of API "+c.api.ID+", not to stage "+stage)
	case !slices.Contains(router.WebSocketAPIs(), c.api):
		resp = apigw.GoneResponse(req, id, "Connection "+id+" belongs to API "+c.api.ID+", which the request's Host ("+req.Host+") does not name")
	}
	if c != nil {
		x.API = apiRef(c.api)
	}
	if resp == nil {
		switch req.Method {
		case http.MethodPost:
			resp = g.post(c, req, size, x)
		case http.MethodGet:
			resp = apigw.ConnectionResponse(req, apigw.ConnectionInfo{ConnectedAt: c.info.ConnectedAt,
				LastActiveAt: time.Unix(0, c.lastActive.Load()), SourceIP: c.info.SourceIP, UserAgent: c.info.UserAgent})
		case http.MethodDelete:
			c.close(apigw.CloseNormal, "")
			resp = apigw.DeletedResponse(req)
		default:
			resp = apigw.ManagementForbidden(req)
		}
	}
	x.Response = captureResponse(resp)
	x.Outcome, x.Explanation = resp.Outcome, resp.Explanation
	return resp, x
}

// post sends a POST's body to c as one message.
func (g *Gateway) post(c *wsConn, req *apigw.Request, size int, x *exchange.Exchange) *apigw.Response {
	if size > g.ws.limits.MessageBytes {
		return apigw.PostTooLarge(req, size)
	}
	if err := c.write(req.Body); err != nil {
		return apigw.GoneResponse(req, c.info.ID, "Connection "+c.info.ID+" closed before the message could be sent: "+err.Error())
	}
	x.Frames = []exchange.Frame{{Dir: exchange.FrameOut, At: g.now(), Opcode: exchange.OpText, Data: string(req.Body)}}
	return apigw.PostedResponse(req)
}

// pickAPI is the API an @connections call addresses when its connection is
// unknown: the one with its stage, else the first.
func pickAPI(apis []*config.API, stage string) *config.API {
	for _, a := range apis {
		if a.Stage == stage {
			return a
		}
	}
	return apis[0]
}

// PostToConnection sends data to connection id through the @connections
// API, as a function's SDK call would (the dashboard's "post as the
// server"); the call is captured like one.
func (g *Gateway) PostToConnection(ctx context.Context, id string, data []byte) (*exchange.Exchange, error) {
	return g.postTo(ctx, id, data, true)
}

// ReplayPost posts data to connection id again (a replay of a captured
// @connections POST). The replay is returned, not captured.
func (g *Gateway) ReplayPost(ctx context.Context, id string, data []byte) (*exchange.Exchange, error) {
	return g.postTo(ctx, id, data, false)
}

func (g *Gateway) postTo(_ context.Context, id string, data []byte, submit bool) (*exchange.Exchange, error) {
	c := g.ws.get(id)
	if c == nil {
		return nil, fmt.Errorf("connection %s: %w", id, ErrGone)
	}
	start := g.now()
	req := &apigw.Request{Method: http.MethodPost, RawPath: "/" + c.api.Stage + "/@connections/" + escapeID(id), Proto: "HTTP/1.1",
		Host: c.info.Host, Header: http.Header{"Content-Type": {"application/octet-stream"}, "User-Agent": {"gatescope dashboard"}},
		Body: data, SourceIP: "127.0.0.1", Time: start}
	resp, x := g.manage(req, len(data))
	if submit {
		x = g.submitWS(x, start)
	} else {
		x.Timings.SentMs = ms(g.now().Sub(start))
		x.DurationMs = x.Timings.SentMs
	}
	if resp.Status != http.StatusOK {
		return x, errors.New(x.Explanation)
	}
	return x, nil
}

// escapeID percent-encodes a connection id for a path, as SDKs do.
func escapeID(id string) string { return strings.ReplaceAll(id, "=", "%3D") }
