package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/awsid"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/lambda"
)

// integrate answers a request routed to a REST API's non-proxy
// integration: apigw maps the request, the integration runs (a function
// invoked with the mapped payload, an HTTP call, or nothing for a mock),
// and apigw maps its answer. The exchange records each step (Mapping).
func (g *Gateway) integrate(ctx context.Context, m *apigw.Match, req *apigw.Request, x *exchange.Exchange, target string) *apigw.Response {
	start := req.Time
	x.Timings.RouteMatchedMs = ms(g.now().Sub(start))
	ir, resp := apigw.MapRequest(m, req)
	x.Mapping = ir.Mapping
	if resp != nil {
		return resp
	}
	var res apigw.IntegrationResult
	switch m.Route.Integration.Kind {
	case config.CustomIntegration:
		fn := m.Route.Function
		if target != "" {
			fn = target
		}
		x.Event = rawJSON(ir.Body)
		res.Invocation = g.invokeMapped(ctx, m, req, x, fn, ir.Body)
	case config.MockIntegration:
		res = apigw.MockResult(ir)
	case config.HTTPIntegration:
		var err error
		x.Timings.InvokeStartMs = ms(g.now().Sub(start))
		res, err = g.callHTTP(ctx, m, ir)
		x.Timings.InvokeEndMs = ms(g.now().Sub(start))
		if err != nil {
			return apigw.BackendFailure(m, req, ir, err, errors.Is(err, context.DeadlineExceeded))
		}
	}
	return apigw.MapIntegrationResponse(m, req, ir, res)
}

// invokeMapped invokes fn with a mapped payload, recording the result as
// invoke does for proxies.
func (g *Gateway) invokeMapped(ctx context.Context, m *apigw.Match, req *apigw.Request, x *exchange.Exchange, fn string, payload []byte) apigw.Invocation {
	start := req.Time
	ictx, cancel := context.WithTimeout(ctx, m.Route.IntegrationTimeout(m.API.Type))
	defer cancel()
	x.Timings.InvokeStartMs = ms(g.now().Sub(start))
	res, err := g.invoker.Invoke(ictx, fn, lambda.Request{
		Payload: payload,
		TraceID: req.TraceID + ";Parent=" + awsid.Hex(8) + ";Sampled=0",
	})
	x.Timings.InvokeEndMs = ms(g.now().Sub(start))
	inv := invocation(ictx, err, res, fn)
	recordInvoke(ictx, x, res, err, inv.Detail)
	return inv
}

// callHTTP sends an HTTP integration's request. Redirects are answered to
// the client, not followed, as API Gateway does.
func (g *Gateway) callHTTP(ctx context.Context, m *apigw.Match, ir *apigw.IntegrationRequest) (apigw.IntegrationResult, error) {
	ctx, cancel := context.WithTimeout(ctx, m.Route.IntegrationTimeout(m.API.Type))
	defer cancel()
	var body io.Reader
	if len(ir.Body) > 0 {
		body = bytes.NewReader(ir.Body)
	}
	hreq, err := http.NewRequestWithContext(ctx, ir.Method, ir.URL, body)
	if err != nil {
		return apigw.IntegrationResult{}, err
	}
	for k, vs := range ir.Header {
		hreq.Header[k] = vs
	}
	if host := ir.Header.Get("Host"); host != "" {
		hreq.Host = host
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(hreq)
	if err != nil {
		return apigw.IntegrationResult{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, apigw.MaxRequestBytes+1))
	if err != nil {
		return apigw.IntegrationResult{}, err
	}
	return apigw.IntegrationResult{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}
