package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Raw CloudFormation APIs, as written by hand or synthesized by the CDK:
// REST APIs (AWS::ApiGateway::RestApi with an OpenAPI Body or a tree of
// Resource and Method resources, deployed by Deployment and Stage) and
// HTTP and WebSocket APIs (AWS::ApiGatewayV2::Api, quick-created with a
// Target or built from Route, Integration and Stage). Child resources name
// their API and each other by Ref, which resolves to logical ids.

// rawAPI reads an AWS::ApiGateway::RestApi or AWS::ApiGatewayV2::Api; its
// child resources are read by rawChildren once every API exists.
func (l *loader) rawAPI(s *apiSet, r *resource) (*API, error) {
	p := l.props(r)
	a := &API{ID: r.name, Type: RESTAPI}
	if r.typ == "AWS::ApiGatewayV2::Api" {
		proto, n, err := p.str("ProtocolType")
		if err != nil {
			return nil, err
		}
		switch strings.ToUpper(proto) {
		case "HTTP", "":
			// Without ProtocolType the API is imported from Body, which
			// makes an HTTP API.
			a.Type = HTTPAPI
		case "WEBSOCKET":
			a.Type = WSAPI
			if err := l.wsAPI(a, p); err != nil {
				return nil, err
			}
		default:
			return nil, p.errorf(nodeOr(n, p.raw("ProtocolType")), "ProtocolType", "must be HTTP or WEBSOCKET, got %q", proto)
		}
	}
	if src, _, err := p.str("ApiKeySourceType"); err != nil {
		return nil, err
	} else if a.Type == RESTAPI {
		a.APIKeySource = strings.ToUpper(src)
	}
	key, doc, err := l.rawBody(p)
	if err != nil {
		return nil, err
	}
	def, err := l.openAPI(s, a, doc, p, key)
	if err != nil {
		return nil, err
	}
	switch a.Type {
	case RESTAPI:
		binary, err := p.stringList("BinaryMediaTypes")
		if err != nil {
			return nil, err
		}
		for _, t := range append(def.binaryMediaTypes, binary...) {
			if t = strings.ReplaceAll(t, "~1", "/"); !slices.Contains(a.BinaryMediaTypes, t) {
				a.BinaryMediaTypes = append(a.BinaryMediaTypes, t)
			}
		}
	case HTTPAPI:
		a.Cors = def.cors
		if n := p.get("CorsConfiguration"); n != nil {
			c, err := corsObject(n)
			if err != nil {
				return nil, p.errorf(n, "CorsConfiguration", "%v", err)
			}
			a.Cors = c
		}
		if err := l.quickCreate(a, p); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// rawBody returns an API's OpenAPI Body, or the local file BodyS3Location
// names (a path, as `aws cloudformation package` takes it); nil for none.
func (l *loader) rawBody(p props) (string, *yaml.Node, error) {
	if doc := p.get("Body"); doc != nil || p.raw("Body") != nil {
		return "Body", doc, nil
	}
	const key = "BodyS3Location"
	n := p.get(key)
	if n == nil {
		return key, nil, nil
	}
	where, ok := scalar(n)
	if !ok || strings.Contains(where, "://") {
		p.notEmulated(n, key, "a definition in S3 cannot be read locally: only the routes the template itself declares are served")
		return key, nil, nil
	}
	raw, err := l.readDoc(where)
	if err != nil {
		return key, nil, &Error{File: l.file, Line: n.Line, Resource: p.res, Property: p.prefix + key, Message: "read definition", Err: err}
	}
	doc, _ := l.resolve(raw, p.at(key))
	return key, doc, nil
}

// quickCreate reads an HTTP API's quick-create properties: Target (a
// function) makes a route (RouteKey, default $default) and a $default
// stage, as API Gateway does.
func (l *loader) quickCreate(a *API, p props) error {
	target, n, err := p.str("Target")
	if err != nil || n == nil {
		return err
	}
	key, kn, err := p.str("RouteKey")
	if err != nil {
		return err
	}
	r := &Route{Method: "ANY", Path: "$default", PayloadVersion: "2.0", Timeout: defaultHTTPTimeout}
	if key != "" && key != "$default" {
		method, path, ok := strings.Cut(key, " ")
		if r.Method, err = normalizeMethod(method); err != nil || !ok || !strings.HasPrefix(path, "/") {
			return p.errorf(kn, "RouteKey", "must be $default or METHOD /path, got %q", key)
		}
		r.Path = path
	}
	l.integrate(r, "AWS_PROXY", "", target)
	l.listIntegration(a.Type, r, n, p.at("Target"))
	l.addRoute(a, r, n, p.at("Target"))
	a.Stage = defaultHTTPStage
	return nil
}

// rawChildren reads the child resources of the raw APIs: REST Resources,
// Methods, Deployments and Stages; HTTP API Integrations, Routes and Stages.
func (l *loader) rawChildren(s *apiSet) error {
	rc := &rawChildren{l: l, s: s, resources: map[string]*restResource{}, integrations: map[string]*rawIntegration{},
		stages: map[*API][]stage{}, quick: map[*API]bool{}, wsRoutes: map[string]*wsRoute{}}
	for _, a := range s.explicit {
		if a.Stage != "" {
			rc.quick[a] = true // a quick-created HTTP API has its $default stage
		}
	}
	for _, r := range l.order {
		if !l.included(r) {
			continue
		}
		var err error
		switch r.typ {
		case "AWS::ApiGateway::Resource":
			err = rc.resource(r)
		case "AWS::ApiGatewayV2::Integration":
			err = rc.integration(r)
		case "AWS::ApiGateway::Authorizer", "AWS::ApiGatewayV2::Authorizer":
			err = rc.authorizer(r)
		}
		if err != nil {
			return err
		}
	}
	for _, r := range l.order {
		if !l.included(r) {
			continue
		}
		var err error
		switch r.typ {
		case "AWS::ApiGateway::Method":
			err = rc.method(r)
		case "AWS::ApiGatewayV2::Route":
			err = rc.route(r)
		case "AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage":
			err = rc.stage(r)
		case "AWS::ApiGateway::Deployment", "AWS::ApiGatewayV2::Deployment":
			err = rc.deployment(r)
		}
		if err != nil {
			return err
		}
	}
	for _, r := range l.order {
		if l.included(r) && r.typ == "AWS::ApiGatewayV2::RouteResponse" {
			if err := rc.routeResponse(r); err != nil {
				return err
			}
		}
	}
	rc.checkTwoWay()
	for _, a := range s.explicit {
		if _, ok := s.raw[a.ID]; ok {
			rc.pickStage(a)
		}
	}
	return nil
}

type rawChildren struct {
	l            *loader
	s            *apiSet
	resources    map[string]*restResource
	integrations map[string]*rawIntegration
	stages       map[*API][]stage
	quick        map[*API]bool
	// wsRoutes are the WebSocket routes by logical id, for their
	// RouteResponses.
	wsRoutes map[string]*wsRoute
	wsOrder  []*wsRoute
}

// restResource is an AWS::ApiGateway::Resource: one path segment under its
// parent (another Resource, or its API's root).
type restResource struct {
	api      string
	parent   string // a Resource's logical id, or rootResource(api)
	part     string
	line     int
	resolved string // the full path once computed
	busy     bool
}

// rawIntegration is an AWS::ApiGatewayV2::Integration, read once for the
// routes that target it.
type rawIntegration struct {
	api      string
	in       Integration
	function string
	payload  string
	timeout  time.Duration
}

// stage is one Stage (or a Deployment's StageName) of a raw API.
type stage struct {
	name    string
	vars    map[string]string
	tracing bool // TracingEnabled (REST)
	n       *yaml.Node
	at      loc
}

// apiOf resolves a child's RestApiId or ApiId to its raw API.
func (rc *rawChildren) apiOf(p props, key string, want APIType) (*API, bool, error) {
	id, n, err := p.str(key)
	if err != nil {
		return nil, false, err
	}
	if n == nil {
		if p.raw(key) == nil {
			return nil, false, p.errorf(nil, key, "required")
		}
		p.warnf(p.raw(key), key, "the API cannot be resolved locally; resource not served")
		return nil, false, nil
	}
	a := rc.s.raw[id]
	if a == nil || (a.Type == RESTAPI) != (want == RESTAPI) {
		kind := "AWS::ApiGateway::RestApi"
		if want != RESTAPI {
			kind = "AWS::ApiGatewayV2::Api"
		}
		return nil, false, p.errorf(n, key, "%s names no %s in the template", id, kind)
	}
	return a, true, nil
}

func (rc *rawChildren) resource(r *resource) error {
	p := rc.l.props(r)
	a, ok, err := rc.apiOf(p, "RestApiId", RESTAPI)
	if err != nil || !ok {
		r.handled = true
		return err
	}
	parent, pn, err := p.str("ParentId")
	if err != nil {
		return err
	}
	part, partNode, err := p.str("PathPart")
	if err != nil {
		return err
	}
	if pn == nil || partNode == nil {
		r.handled = true
		p.warnf(nodeOr(pn, partNode), "ParentId", "the resource's parent or path part cannot be resolved locally; its methods are not served")
		return nil
	}
	if part == "" || strings.Contains(part, "/") {
		return p.errorf(partNode, "PathPart", "must be one path segment, got %q", part)
	}
	rc.resources[r.name] = &restResource{api: a.ID, parent: parent, part: part, line: r.line}
	return nil
}

// path is a Resource's full path, following ParentId to the API's root.
func (rc *rawChildren) path(id string) (string, error) {
	res := rc.resources[id]
	if res == nil {
		return "", fmt.Errorf("%s is not a resource of the API", id)
	}
	if res.resolved != "" {
		return res.resolved, nil
	}
	if res.busy {
		return "", fmt.Errorf("resource %s is its own ancestor", id)
	}
	res.busy = true
	defer func() { res.busy = false }()
	parent := ""
	if res.parent != rootResource(res.api) {
		p, err := rc.path(res.parent)
		if err != nil {
			return "", err
		}
		if rc.resources[res.parent].api != res.api {
			return "", fmt.Errorf("parent %s belongs to another API", res.parent)
		}
		parent = strings.TrimSuffix(p, "/")
	}
	res.resolved = parent + "/" + res.part
	return res.resolved, nil
}

// method reads an AWS::ApiGateway::Method into a route.
func (rc *rawChildren) method(r *resource) error {
	l := rc.l
	p := l.props(r)
	a, ok, err := rc.apiOf(p, "RestApiId", RESTAPI)
	if err != nil || !ok {
		r.handled = true
		return err
	}
	resID, rn, err := p.str("ResourceId")
	if err != nil {
		return err
	}
	if rn == nil {
		r.handled = true
		p.warnf(p.raw("ResourceId"), "ResourceId", "the method's resource cannot be resolved locally; method not served")
		return nil
	}
	path := "/"
	if resID != rootResource(a.ID) {
		if path, err = rc.path(resID); err != nil {
			return p.errorf(rn, "ResourceId", "%v", err)
		}
		if rc.resources[resID].api != a.ID {
			return p.errorf(rn, "ResourceId", "%s belongs to another API than %s", resID, a.ID)
		}
	}
	m, mn, err := p.str("HttpMethod")
	if err != nil {
		return err
	}
	method, err := normalizeMethod(m)
	if err != nil {
		return p.errorf(mn, "HttpMethod", "%v", err)
	}
	rt := &Route{Method: method, Path: path, PayloadVersion: "1.0", Timeout: defaultRESTTimeout}
	if rt.OperationName, _, err = p.str("OperationName"); err != nil {
		return err
	}
	if err := rc.methodAuth(rt, p); err != nil {
		return err
	}
	rt.APIKeyRequired = truthy(p.get("ApiKeyRequired"))
	integ := p.get("Integration")
	if integ == nil {
		l.warnAt(nodeOr(p.raw("Integration"), &yaml.Node{Line: r.line}), p.at("Integration"), "method %s has no Integration it can resolve; route not served", rt.Key())
		return nil
	}
	at := p.at("Integration")
	typ, _ := scalar(get(integ, "Type"))
	uri, _ := scalar(get(integ, "Uri"))
	l.integrate(rt, typ, "", uri)
	rt.MethodResponses = cfnMethodResponses(p.get("MethodResponses"))
	l.readMapping(a, rt, integ, at, true)
	if rt.Integration.Kind == ProxyIntegration || rt.Integration.Mapping != nil {
		for _, kv := range pairs(integ) {
			switch kv.key {
			case "Type", "Uri", "IntegrationHttpMethod", "TimeoutInMillis", "RequestParameters",
				"IntegrationResponses", "RequestTemplates", "PassthroughBehavior", "ContentHandling", "ConnectionType":
			case "Credentials", "CacheKeyParameters", "CacheNamespace", "ConnectionId":
				// IAM, caching and VPC links have no local effect (a VPC
				// link is listed by readMapping).
			default:
				l.notEmulatedAt(kv.k, at.field(kv.key), "Integration property %s is not emulated: gatescope ignores it", kv.key)
			}
		}
	}
	l.listIntegration(a.Type, rt, integ, at)
	if ms, ok := scalar(get(integ, "TimeoutInMillis")); ok {
		if err := rc.timeout(rt, RESTAPI, ms, get(integ, "TimeoutInMillis"), at.field("TimeoutInMillis")); err != nil {
			return err
		}
	}
	l.addRoute(a, rt, mn, p.at("HttpMethod"))
	return nil
}

func (rc *rawChildren) timeout(rt *Route, typ APIType, s string, n *yaml.Node, at loc) error {
	var ms int
	if _, err := fmt.Sscan(s, &ms); err != nil {
		return rc.l.errorf(n, at.res, at.prop, "must be a whole number of milliseconds, got %q", s)
	}
	if err := checkRouteTimeout(typ, ms); err != nil {
		return rc.l.errorf(n, at.res, at.prop, "%v", err)
	}
	rt.Timeout = time.Duration(ms) * time.Millisecond
	return nil
}

// integration reads an AWS::ApiGatewayV2::Integration.
func (rc *rawChildren) integration(r *resource) error {
	l := rc.l
	p := l.props(r)
	a, ok, err := rc.apiOf(p, "ApiId", HTTPAPI)
	if err != nil || !ok {
		r.handled = true
		return err
	}
	typ, _, err := p.str("IntegrationType")
	if err != nil {
		return err
	}
	uri, _, err := p.str("IntegrationUri")
	if err != nil {
		return err
	}
	subtype, _, err := p.str("IntegrationSubtype")
	if err != nil {
		return err
	}
	var probe Route
	l.integrate(&probe, typ, subtype, uri)
	ri := &rawIntegration{api: a.ID, in: probe.Integration, function: probe.Function, payload: "2.0", timeout: defaultHTTPTimeout}
	if a.Type == WSAPI {
		if err := rc.l.wsIntegration(ri, p); err != nil {
			return err
		}
	} else if err := rc.httpIntegration(ri, p); err != nil {
		return err
	}
	if ri.in.Kind == ProxyIntegration && a.Type == HTTPAPI {
		for _, key := range []string{"RequestParameters", "ResponseParameters"} {
			if n := p.raw(key); n != nil {
				p.notEmulated(n, key, "parameter mapping is not emulated: requests and responses pass unchanged")
			}
		}
	}
	if ct, n, _ := p.str("ConnectionType"); strings.EqualFold(ct, "VPC_LINK") {
		p.notEmulated(n, "ConnectionType", "VPC links are not emulated: their integrations are not served")
		p.raw("ConnectionId")
	}
	if ri.in.Kind != ProxyIntegration {
		// The route is listed; the rest of the integration has nothing to add.
		r.handled = true
	}
	rc.integrations[r.name] = ri
	return nil
}

// httpIntegration reads an HTTP API integration's payload version and
// timeout.
func (rc *rawChildren) httpIntegration(ri *rawIntegration, p props) error {
	v, vn, err := p.str("PayloadFormatVersion")
	if err != nil {
		return err
	}
	if vn != nil {
		pv, ok := normalizePayload(v)
		if !ok {
			return p.errorf(vn, "PayloadFormatVersion", "must be 1.0 or 2.0, got %q", v)
		}
		ri.payload = pv
	}
	if ms, ok, n, err := p.integer("TimeoutInMillis"); err != nil {
		return err
	} else if ok {
		if err := checkRouteTimeout(HTTPAPI, ms); err != nil {
			return p.errorf(n, "TimeoutInMillis", "%v", err)
		}
		ri.timeout = time.Duration(ms) * time.Millisecond
	}
	return nil
}

// route reads an AWS::ApiGatewayV2::Route.
func (rc *rawChildren) route(r *resource) error {
	l := rc.l
	p := l.props(r)
	a, ok, err := rc.apiOf(p, "ApiId", HTTPAPI)
	if err != nil || !ok {
		r.handled = true
		return err
	}
	key, kn, err := p.str("RouteKey")
	if err != nil {
		return err
	}
	if kn == nil {
		return p.errorf(p.raw("RouteKey"), "RouteKey", "required")
	}
	rt := &Route{PayloadVersion: "2.0", Timeout: defaultHTTPTimeout}
	switch {
	case strings.HasPrefix(key, "$") || a.Type == WSAPI:
		rt.Method, rt.Path = "ANY", key // $default; WebSocket route keys ($connect, action names)
		if a.Type == WSAPI {
			rt.Method = ""
		}
	default:
		method, path, ok := strings.Cut(key, " ")
		if rt.Method, err = normalizeMethod(method); err != nil || !ok || !strings.HasPrefix(path, "/") {
			return p.errorf(kn, "RouteKey", "must be $default or METHOD /path, got %q", key)
		}
		rt.Path = path
	}
	if rt.OperationName, _, err = p.str("OperationName"); err != nil {
		return err
	}
	if err := rc.methodAuth(rt, p); err != nil {
		return err
	}
	if truthy(p.get("ApiKeyRequired")) && a.Type == HTTPAPI {
		p.notEmulated(p.raw("ApiKeyRequired"), "ApiKeyRequired", "API keys are a REST API feature: an HTTP API ignores ApiKeyRequired")
	}
	if a.Type == WSAPI {
		if err := rc.wsRoute(r, a, rt, p); err != nil {
			return err
		}
	}
	target, tn, err := p.str("Target")
	if err != nil {
		return err
	}
	id, found := strings.CutPrefix(target, "integrations/")
	ri := rc.integrations[id]
	switch {
	case tn == nil:
		l.warnAt(nodeOr(p.raw("Target"), &yaml.Node{Line: r.line}), p.at("Target"), "route %s has no Target it can resolve; route not served", key)
		return nil
	case !found || ri == nil || ri.api != a.ID:
		return p.errorf(tn, "Target", "must be integrations/<an AWS::ApiGatewayV2::Integration of %s>, got %q", a.ID, target)
	}
	rt.Integration, rt.Function, rt.PayloadVersion, rt.Timeout = ri.in, ri.function, ri.payload, ri.timeout
	l.listIntegration(a.Type, rt, tn, p.at("Target"))
	l.addRoute(a, rt, kn, p.at("RouteKey"))
	return nil
}

// stage reads an AWS::ApiGateway::Stage or AWS::ApiGatewayV2::Stage.
func (rc *rawChildren) stage(r *resource) error {
	l := rc.l
	p := l.props(r)
	idKey, want, varsKey := "ApiId", HTTPAPI, "StageVariables"
	if r.typ == "AWS::ApiGateway::Stage" {
		idKey, want, varsKey = "RestApiId", RESTAPI, "Variables"
	}
	a, ok, err := rc.apiOf(p, idKey, want)
	if err != nil || !ok {
		r.handled = true
		return err
	}
	name, n, err := p.str("StageName")
	if err != nil {
		return err
	}
	if n == nil {
		r.handled = true
		p.warnf(p.raw("StageName"), "StageName", "the stage name cannot be resolved locally; stage not served")
		return nil
	}
	p.raw("DeploymentId")
	if want == RESTAPI {
		l.settings(p, "MethodSettings")
	} else {
		l.settings(p, "DefaultRouteSettings")
		l.settings(p, "RouteSettings")
	}
	st := stage{name: name, vars: p.stringMap(varsKey), n: n, at: p.at("StageName")}
	if want == RESTAPI {
		st.tracing = truthy(p.get("TracingEnabled"))
	}
	rc.stages[a] = append(rc.stages[a], st)
	return nil
}

// deployment reads a Deployment: a REST deployment's StageName creates that
// stage, with StageDescription's settings.
func (rc *rawChildren) deployment(r *resource) error {
	l := rc.l
	p := l.props(r)
	idKey, want := "ApiId", HTTPAPI
	if r.typ == "AWS::ApiGateway::Deployment" {
		idKey, want = "RestApiId", RESTAPI
	}
	a, ok, err := rc.apiOf(p, idKey, want)
	if err != nil || !ok {
		r.handled = true
		return err
	}
	name, n, err := p.str("StageName")
	if err != nil || n == nil || want != RESTAPI {
		return err // an HTTP API deployment's StageName names an existing Stage
	}
	st := stage{name: name, n: n, at: p.at("StageName")}
	desc := p.get("StageDescription")
	dat := p.at("StageDescription")
	for _, kv := range pairs(desc) {
		kat := dat.field(kv.key)
		switch kv.key {
		case "Variables":
			st.vars = l.stringMap(kv.v, kat)
		case "Description", "LoggingLevel", "MetricsEnabled", "DataTraceEnabled", "AccessLogSetting", "Tags", "DocumentationVersion":
		case "TracingEnabled":
			st.tracing = truthy(kv.v)
		case "MethodSettings":
			l.settings(props{l: l, res: r.name, node: desc, prefix: "StageDescription.", line: kv.k.Line}, kv.key)
		case "CanarySetting":
			l.notEmulatedAt(kv.k, kat, msgCanary)
		default:
			l.notEmulatedAt(kv.k, kat, msgThrottle)
		}
	}
	rc.stages[a] = append(rc.stages[a], st)
	return nil
}

// pickStage fixes the stage a raw API is served as: its only stage; the
// first of several (the others listed); $default for a quick-created HTTP
// API. A REST API with no stage is not deployed in AWS: gatescope serves it
// as Prod and says so.
func (rc *rawChildren) pickStage(a *API) {
	sts := rc.stages[a]
	if rc.quick[a] {
		for _, st := range sts {
			rc.l.notEmulatedAt(st.n, st.at, msgStages)
		}
		return
	}
	if len(sts) == 0 {
		a.Stage = defaultHTTPStage
		if a.Type != HTTPAPI {
			a.Stage = defaultRESTStage // a WebSocket API has no $default stage either
		}
		rc.l.warn(Warning{Line: rc.line(a), Resource: a.ID, Message: fmt.Sprintf("no Stage or Deployment deploys this API, so AWS would not serve it; gatescope serves it as stage %s", a.Stage)})
		return
	}
	a.Stage, a.StageVariables, a.TracingEnabled = sts[0].name, sts[0].vars, sts[0].tracing
	for _, st := range sts[1:] {
		if st.name != a.Stage {
			rc.l.notEmulatedAt(st.n, st.at, msgStages)
		}
	}
}

func (rc *rawChildren) line(a *API) int {
	if r := rc.l.resources[a.ID]; r != nil {
		return r.line
	}
	return 0
}
