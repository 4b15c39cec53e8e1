package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Names and defaults SAM uses for the APIs it creates from events.
const (
	implicitHTTPAPI   = "ServerlessHttpApi"
	implicitRESTAPI   = "ServerlessRestApi"
	defaultHTTPStage  = "$default"
	defaultRESTStage  = "Prod"
	maxHTTPTimeoutMs  = 30000
	minRouteTimeoutMs = 50
)

// apiSet collects APIs while routes are added from definitions and events.
type apiSet struct {
	explicit []*API
	implicit []*API
	byID     map[string]*API // explicit SAM APIs by logical id
	raw      map[string]*API // raw CloudFormation APIs by logical id
	// unbound are definition operations without an integration: fine if an
	// event supplies the route, worth a warning otherwise.
	unbound []unboundOp
	// defaultAuth is what each SAM API's Auth gives its event routes.
	defaultAuth map[*API]apiAuthDefaults
	// fromDefinition marks the routes an OpenAPI definition integrates.
	fromDefinition map[*Route]bool
}

// implicitProps is the Globals section that configured an implicit API,
// audited like a resource's properties.
type implicitProps struct {
	props    props
	used     map[string]bool
	specType string
}

type unboundOp struct {
	api *API
	key string
	n   *yaml.Node
	at  loc
}

func (l *loader) buildAPIs() ([]*API, error) {
	s := &apiSet{byID: map[string]*API{}, raw: map[string]*API{}, defaultAuth: map[*API]apiAuthDefaults{}, fromDefinition: map[*Route]bool{}}
	for _, r := range l.order {
		var typ APIType
		switch r.typ {
		case "AWS::Serverless::HttpApi":
			typ = HTTPAPI
		case "AWS::Serverless::Api":
			typ = RESTAPI
		case "AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api":
			if !l.included(r) {
				continue
			}
			a, err := l.rawAPI(s, r)
			if err != nil {
				return nil, err
			}
			s.explicit = append(s.explicit, a)
			s.raw[a.ID] = a
			continue
		default:
			continue
		}
		if !l.included(r) {
			continue
		}
		a, err := l.api(s, r.name, typ, l.props(r))
		if err != nil {
			return nil, err
		}
		s.explicit = append(s.explicit, a)
		s.byID[a.ID] = a
	}
	if err := l.rawChildren(s); err != nil {
		return nil, err
	}
	for _, ev := range l.events {
		if err := l.eventRoute(s, ev); err != nil {
			return nil, err
		}
	}
	for _, u := range s.unbound {
		if !hasRoute(u.api, u.key) {
			l.warnAt(u.n, u.at, "%s has no x-amazon-apigateway-integration and no event declares it; route not served", u.key)
		}
	}
	return append(s.explicit, s.implicit...), nil
}

// implicitAPI returns the API SAM creates for events without ApiId or
// RestApiId, configured by the matching Globals section.
func (l *loader) implicitAPI(s *apiSet, typ APIType) (*API, error) {
	id, section := implicitHTTPAPI, "HttpApi"
	if typ == RESTAPI {
		id, section = implicitRESTAPI, "Api"
	}
	for _, a := range s.implicit {
		if a.ID == id {
			return a, nil
		}
	}
	used := map[string]bool{}
	p := props{l: l, res: "Globals", node: get(l.globals, section), prefix: section + ".", used: used}
	specType := "AWS::Serverless::HttpApi"
	if typ == RESTAPI {
		specType = "AWS::Serverless::Api"
	}
	l.implicit = append(l.implicit, implicitProps{props: p, used: used, specType: specType})
	a, err := l.api(s, id, typ, p)
	if err != nil {
		return nil, err
	}
	s.implicit = append(s.implicit, a)
	return a, nil
}

// api reads an AWS::Serverless::HttpApi or AWS::Serverless::Api.
func (l *loader) api(s *apiSet, id string, typ APIType, p props) (*API, error) {
	a := &API{ID: id, Type: typ, Stage: defaultHTTPStage}
	if typ == RESTAPI {
		a.Stage = defaultRESTStage
	}
	stage, _, err := p.str("StageName")
	if err != nil {
		return nil, err
	}
	if stage != "" {
		a.Stage = stage
	}
	if s.defaultAuth[a], err = l.apiAuth(a, p); err != nil {
		return nil, err
	}
	var propBinary []string
	if typ == HTTPAPI {
		a.StageVariables = p.stringMap("StageVariables")
		if a.Cors, err = l.httpCors(p); err != nil {
			return nil, err
		}
		l.settings(p, "DefaultRouteSettings")
		l.settings(p, "RouteSettings")
	} else {
		l.settings(p, "MethodSettings")
		a.TracingEnabled = truthy(p.get("TracingEnabled"))
		a.StageVariables = p.stringMap("Variables")
		src, _, err := p.str("ApiKeySourceType")
		if err != nil {
			return nil, err
		}
		a.APIKeySource = strings.ToUpper(src)
		if propBinary, err = p.stringList("BinaryMediaTypes"); err != nil {
			return nil, err
		}
		if a.Cors, err = restCors(p); err != nil {
			return nil, err
		}
	}
	def, err := l.definition(s, a, p)
	if err != nil {
		return nil, err
	}
	if typ == RESTAPI {
		for _, t := range append(def.binaryMediaTypes, propBinary...) {
			t = strings.ReplaceAll(t, "~1", "/") // SAM's escape for "/" in media types
			if !slices.Contains(a.BinaryMediaTypes, t) {
				a.BinaryMediaTypes = append(a.BinaryMediaTypes, t)
			}
		}
	}
	if a.Cors == nil {
		a.Cors = def.cors
	}
	return a, nil
}

// eventRoute adds the route of one Api or HttpApi event to its API.
func (l *loader) eventRoute(s *apiSet, ev *event) error {
	p := ev.props
	typ, idKey, kind := HTTPAPI, "ApiId", "AWS::Serverless::HttpApi"
	if ev.typ == "Api" {
		typ, idKey, kind = RESTAPI, "RestApiId", "AWS::Serverless::Api"
	}
	var a *API
	if raw := p.raw(idKey); raw != nil {
		id, n, err := p.str(idKey)
		if err != nil {
			return err
		}
		if n == nil {
			p.warnf(raw, idKey, "the event's API cannot be resolved locally; route not served")
			ev.skipped = true
			return nil
		}
		if raw := s.raw[id]; raw != nil && raw.Type == typ {
			// SAM adds no route to an API it did not generate; the API's
			// own Methods or Routes declare them.
			if !hasPath(raw, p.get("Path"), p.get("Method")) {
				p.warnf(n, idKey, "%s is not an %s: as in SAM, the event adds no route to it, and the API declares no such route", id, kind)
			}
			ev.skipped = true
			return nil
		}
		if a = s.byID[id]; a == nil || a.Type != typ {
			return p.errorf(n, idKey, "%s names no %s in the template", id, kind)
		}
	} else {
		var err error
		if a, err = l.implicitAPI(s, typ); err != nil {
			return err
		}
	}

	path, pathNode, err := p.str("Path")
	if err != nil {
		return err
	}
	method, methodNode, err := p.str("Method")
	if err != nil {
		return err
	}
	r := &Route{Function: ev.fn.Name, PayloadVersion: "1.0", Timeout: defaultRESTTimeout}
	if typ == HTTPAPI {
		r.PayloadVersion, r.Timeout = "2.0", defaultHTTPTimeout
	}
	switch {
	case typ == RESTAPI && path == "":
		return p.errorf(p.raw("Path"), "Path", "required for an Api event")
	case typ == RESTAPI && method == "":
		return p.errorf(p.raw("Method"), "Method", "required for an Api event")
	case typ == HTTPAPI && path == "":
		r.Path, r.Method = "$default", "ANY" // SAM: no Path and Method is the $default route
	default:
		if !strings.HasPrefix(path, "/") {
			return p.errorf(pathNode, "Path", "must start with /, got %q", path)
		}
		r.Path = path
		if r.Method, err = normalizeMethod(method); err != nil {
			return p.errorf(methodNode, "Method", "%v", err)
		}
	}
	if typ == HTTPAPI {
		v, n, err := p.str("PayloadFormatVersion")
		if err != nil {
			return err
		}
		if n != nil {
			pv, ok := normalizePayload(v)
			if !ok {
				return p.errorf(n, "PayloadFormatVersion", "must be 1.0 or 2.0, got %q", v)
			}
			r.PayloadVersion = pv
		}
	}
	ms, ok, n, err := p.integer("TimeoutInMillis")
	if err != nil {
		return err
	}
	if ok {
		if err := checkRouteTimeout(typ, ms); err != nil {
			return p.errorf(n, "TimeoutInMillis", "%v", err)
		}
		r.Timeout = time.Duration(ms) * time.Millisecond
	}
	if err := l.eventAuth(a, r, p, s.defaultAuth[a]); err != nil {
		return err
	}
	l.samEventPermission(a, ev, r)
	if typ == HTTPAPI {
		l.settings(p, "RouteSettings")
	}
	l.addEventRoute(s, a, r, pathNode, p.at("Path"))
	return nil
}

// addEventRoute adds an event's route. When the API's definition already
// integrates the route key, SAM keeps the definition's integration (and
// adds the event's authorizer to it); between events, API Gateway has one
// integration per route key, so the later one is served.
func (l *loader) addEventRoute(s *apiSet, a *API, r *Route, n *yaml.Node, at loc) {
	for i, old := range a.Routes {
		if old.Key() != r.Key() {
			continue
		}
		if s.fromDefinition[old] {
			if old.Authorizer == "" {
				old.Authorizer, old.Scopes = r.Authorizer, r.Scopes
			}
			old.APIKeyRequired = old.APIKeyRequired || r.APIKeyRequired
			if old.Function != r.Function {
				l.warnAt(n, at, "route %s on API %s is integrated in its definition; as in SAM, the definition's integration is kept and %s is not routed there", r.Key(), a.ID, r.Function)
			}
			return
		}
		if old.Function == r.Function {
			return
		}
		l.warnAt(n, at, "route %s on API %s is declared more than once; %s replaces %s", r.Key(), a.ID, r.Function, old.Function)
		a.Routes[i] = r
		return
	}
	a.Routes = append(a.Routes, r)
}

// addRoute adds a route a definition declares; a key declared twice keeps
// the later declaration, as an import into API Gateway does.
func (l *loader) addRoute(a *API, r *Route, n *yaml.Node, at loc) {
	for i, old := range a.Routes {
		if old.Key() == r.Key() {
			l.warnAt(n, at, "route %s on API %s is declared more than once; the later declaration is served", r.Key(), a.ID)
			a.Routes[i] = r
			return
		}
	}
	a.Routes = append(a.Routes, r)
}

// hasPath reports whether a declares the route an event's Path and Method
// name.
func hasPath(a *API, path, method *yaml.Node) bool {
	ps, _ := scalar(path)
	ms, _ := scalar(method)
	m, err := normalizeMethod(ms)
	if err != nil {
		return false
	}
	return hasRoute(a, (&Route{Method: m, Path: ps}).Key())
}

func hasRoute(a *API, key string) bool {
	for _, r := range a.Routes {
		if r.Key() == key {
			return true
		}
	}
	return false
}

func normalizeMethod(m string) (string, error) {
	m = strings.ToUpper(strings.TrimSpace(m))
	switch m {
	case "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY":
		return m, nil
	case "X-AMAZON-APIGATEWAY-ANY-METHOD":
		return "ANY", nil
	}
	return "", fmt.Errorf("unknown HTTP method %q", m)
}

// normalizePayload turns what YAML may have made of a version (2.0 read as
// the float 2, "2", "2.0") into "1.0" or "2.0".
func normalizePayload(s string) (string, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	switch {
	case err != nil:
		return "", false
	case f == 1:
		return "1.0", true
	case f == 2:
		return "2.0", true
	}
	return "", false
}

// checkRouteTimeout applies API Gateway's integration timeout limits. REST
// APIs may raise theirs above 29 s by quota, so only the minimum is checked.
func checkRouteTimeout(typ APIType, ms int) error {
	if typ == HTTPAPI && (ms < minRouteTimeoutMs || ms > maxHTTPTimeoutMs) {
		return fmt.Errorf("must be between %d and %d ms, got %d", minRouteTimeoutMs, maxHTTPTimeoutMs, ms)
	}
	if ms < minRouteTimeoutMs {
		return fmt.Errorf("must be at least %d ms, got %d", minRouteTimeoutMs, ms)
	}
	return nil
}
