package config

import (
	"fmt"
	"time"
)

// WebSocket APIs are raw CloudFormation (SAM has no resource of its own for
// them): AWS::ApiGatewayV2::Api with ProtocolType WEBSOCKET, its Routes
// ($connect, $disconnect, $default and custom keys), Integrations,
// RouteResponses (which make a route two-way), Stage and Deployment.
// rawapi.go reads what they share with HTTP APIs; this file what only
// WebSocket APIs have.

// defaultRouteSelection is what AWS's console and samples use; CloudFormation
// requires the property, gatescope falls back to it with a warning.
const defaultRouteSelection = "$request.body.action"

// wsAPI reads a WebSocket API's own properties.
func (l *loader) wsAPI(a *API, p props) error {
	expr, n, err := p.str("RouteSelectionExpression")
	if err != nil {
		return err
	}
	if expr == "" {
		expr = defaultRouteSelection
		p.warnf(n, "RouteSelectionExpression", "a WebSocket API needs a RouteSelectionExpression; gatescope routes messages by %s", expr)
	}
	a.RouteSelection = expr
	return nil
}

// wsIntegration reads what a WebSocket integration adds: Lambda proxy
// integrations of WebSocket APIs take payload format 1.0 only, and may wait
// 50 ms to 29 s.
func (l *loader) wsIntegration(ri *rawIntegration, p props) error {
	ri.payload, ri.timeout = "1.0", defaultRESTTimeout
	v, vn, err := p.str("PayloadFormatVersion")
	if err != nil {
		return err
	}
	if pv, ok := normalizePayload(v); vn != nil && (!ok || pv != "1.0") {
		return p.errorf(vn, "PayloadFormatVersion", "a WebSocket API's integrations use payload format 1.0, got %q", v)
	}
	if ms, ok, n, err := p.integer("TimeoutInMillis"); err != nil {
		return err
	} else if ok {
		if ms < minRouteTimeoutMs || ms > maxWSTimeoutMs {
			return p.errorf(n, "TimeoutInMillis", "must be between %d and %d ms, got %d", minRouteTimeoutMs, maxWSTimeoutMs, ms)
		}
		ri.timeout = time.Duration(ms) * time.Millisecond
	}
	if ri.in.Kind == ProxyIntegration {
		// Mapping templates and their selection only apply to non-proxy
		// integrations, which are listed with their routes.
		for _, key := range []string{"RequestTemplates", "TemplateSelectionExpression", "PassthroughBehavior", "ContentHandlingStrategy"} {
			p.raw(key)
		}
		if n := p.raw("RequestParameters"); n != nil {
			p.notEmulated(n, "RequestParameters", "parameter mapping is not emulated: events pass unchanged")
		}
	}
	return nil
}

// wsRoute is a WebSocket route being read, until its RouteResponses are.
type wsRoute struct {
	api   *API
	route *Route
	res   string
	line  int
	// expr is the route's RouteResponseSelectionExpression ("" when unset);
	// response says whether a $default RouteResponse names the route.
	expr     string
	response bool
}

// wsRoute reads a WebSocket Route's own properties.
func (rc *rawChildren) wsRoute(r *resource, a *API, rt *Route, p props) error {
	expr, n, err := p.str("RouteResponseSelectionExpression")
	if err != nil {
		return err
	}
	if n != nil && expr != "$default" {
		p.notEmulated(n, "RouteResponseSelectionExpression", "route response selection other than $default is not emulated: the route answers as one-way")
		expr = ""
	}
	if rt.Path != "$connect" && rt.Authorizer != "" {
		p.warnf(p.raw("AuthorizationType"), "AuthorizationType", "API Gateway authorizes WebSocket APIs on $connect only; this route's authorization has no effect")
	}
	wr := &wsRoute{api: a, route: rt, res: r.name, line: r.line, expr: expr}
	rc.wsRoutes[r.name] = wr
	rc.wsOrder = append(rc.wsOrder, wr)
	return nil
}

// routeResponse reads an AWS::ApiGatewayV2::RouteResponse: the $default one
// makes its route two-way (with the route's RouteResponseSelectionExpression).
func (rc *rawChildren) routeResponse(r *resource) error {
	p := rc.l.props(r)
	a, ok, err := rc.apiOf(p, "ApiId", WSAPI)
	if err != nil || !ok {
		r.handled = true
		return err
	}
	id, n, err := p.str("RouteId")
	if err != nil {
		return err
	}
	if n == nil {
		r.handled = true
		p.warnf(p.raw("RouteId"), "RouteId", "the route cannot be resolved locally; route response not used")
		return nil
	}
	wr := rc.wsRoutes[id]
	if wr == nil || wr.api != a {
		return p.errorf(n, "RouteId", "%s names no AWS::ApiGatewayV2::Route of %s", id, a.ID)
	}
	key, kn, err := p.str("RouteResponseKey")
	if err != nil {
		return err
	}
	if key != "$default" {
		p.notEmulated(nodeOr(kn, p.raw("RouteResponseKey")), "RouteResponseKey", "route responses other than $default are not emulated: Lambda proxy routes answer through $default")
		return nil
	}
	wr.response = true
	return nil
}

// checkTwoWay makes a route two-way when it has both halves, as API Gateway
// does, and says which half is missing otherwise.
func (rc *rawChildren) checkTwoWay() {
	for _, wr := range rc.wsOrder {
		switch {
		case wr.expr != "" && wr.response:
			wr.route.TwoWay = true
		case wr.expr != "":
			rc.l.warn(Warning{Line: wr.line, Resource: wr.res, Property: "RouteResponseSelectionExpression",
				Message: fmt.Sprintf("route %s has no $default AWS::ApiGatewayV2::RouteResponse, so, as in AWS, it is one-way: the function's answer is not sent to the client", wr.route.Key())})
		case wr.response:
			rc.l.warn(Warning{Line: wr.line, Resource: wr.res, Property: "RouteResponseSelectionExpression",
				Message: fmt.Sprintf("route %s has a $default route response but no RouteResponseSelectionExpression: $default, so, as in AWS, it is one-way", wr.route.Key())})
		}
	}
}
