package apigw

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/gatescope/gatescope/server/config"
)

// Router matches requests to routes across all APIs served on one port.
// Routes are compiled once in NewRouter; Match only walks slices.
//
// Every API also answers alone on its own host, <api-id>.localhost: For
// returns the Router of that one API.
type Router struct {
	apis []*compiledAPI
	// hosts are the one-API views by host name (config.API.Host); nil in a
	// view.
	hosts map[string]*Router
	// scope is the API a view serves; "" for the merged address.
	scope string
	// ws are the WebSocket APIs, which answer handshakes by stage
	// (websocket.go), not HTTP routes.
	ws []*config.API
}

type compiledAPI struct {
	api    *config.API
	apiID  string
	routes []*compiledRoute
	// stagePrefix is "/" + stage for stages other than $default: AWS
	// addresses those APIs as /{stage}/..., and gatescope serves them both
	// there and at the root.
	stagePrefix string
	// methods is, per REST resource (pathKey), the methods declared on it;
	// used for SAM's CORS OPTIONS mock.
	methods map[string][]string
}

type segKind uint8

// The order is the routing priority: a literal segment beats a {param},
// which beats a {proxy+}.
const (
	segStatic segKind = iota
	segParam
	segGreedy
)

type segment struct {
	kind segKind
	lit  string // literal text, or the parameter name
}

type compiledRoute struct {
	route   *config.Route
	segs    []segment
	deflt   bool   // HTTP API $default
	pathKey string // path with parameter names erased, for conflict checks
}

// Match is a routed request.
type Match struct {
	API   *config.API
	Route *config.Route
	// PathParams as captured: raw, not decoded. Payload 2.0 decodes them,
	// payload 1.0 does not.
	PathParams map[string]string
	// Path is the request path (raw) with a stage prefix removed.
	Path string
	// StagePrefixed is set when the request addressed the API as /{stage}/...
	StagePrefixed bool

	apiID string
}

// apiIDOrDerive tolerates a Match built by hand (replays, tests) rather than
// by Router.Match.
func (m *Match) apiIDOrDerive() string {
	if m.apiID != "" {
		return m.apiID
	}
	return APIID(m.API.ID)
}

var validMethods = map[string]bool{
	"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true,
	"HEAD": true, "OPTIONS": true, "ANY": true,
}

// NewRouter compiles the routes of apis. WebSocket APIs are kept aside:
// they are not routed by HTTP path (see WebSocket). It fails on routes API
// Gateway would reject, naming the API and route.
func NewRouter(apis []*config.API) (*Router, error) {
	r := &Router{hosts: map[string]*Router{}}
	for _, api := range apis {
		if !api.Emulated() {
			continue
		}
		if api.Type == config.WSAPI {
			r.ws = append(r.ws, api)
			r.hosts[api.Host()] = &Router{ws: []*config.API{api}, scope: api.ID}
			continue
		}
		ca, err := compileAPI(api)
		if err != nil {
			return nil, err
		}
		r.apis = append(r.apis, ca)
		r.hosts[api.Host()] = &Router{apis: []*compiledAPI{ca}, scope: api.ID}
	}
	return r, nil
}

// For returns the router for a request's Host: the one API a host of the
// form <api-id>.localhost[:port] names, else r, which serves all APIs
// merged. A host naming no API is served merged rather than refused: other
// names under localhost are common in development.
func (r *Router) For(host string) *Router {
	if len(r.hosts) == 0 {
		return r
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if v, ok := r.hosts[host]; ok {
		return v
	}
	return r
}

// Shadow is a route the merged address never routes to, because an
// earlier API declares the same method and path (or its own $default
// route); only its API's own host reaches it.
type Shadow struct {
	API   *config.API
	Route *config.Route
	By    *config.API // the API that answers the route's requests when merged
}

// Shadowed lists the routes the merged address never reaches. A route of an
// API with a named stage is reachable under /{stage}/... unless that form
// is taken too.
func (r *Router) Shadowed() []Shadow {
	seen := map[string]*config.API{}
	var out []Shadow
	for _, ca := range r.apis {
		for _, cr := range ca.routes {
			keys := []string{cr.route.Method + " " + cr.pathKey}
			if ca.stagePrefix != "" && !cr.deflt {
				keys = append(keys, cr.route.Method+" "+strings.TrimSuffix(ca.stagePrefix+cr.pathKey, "/"))
			}
			var by *config.API
			for _, k := range keys {
				prev, ok := seen[k]
				if !ok || prev == ca.api {
					by = nil
					break
				}
				by = prev
			}
			if by != nil {
				out = append(out, Shadow{API: ca.api, Route: cr.route, By: by})
			}
			for _, k := range keys {
				if _, ok := seen[k]; !ok {
					seen[k] = ca.api
				}
			}
		}
	}
	return out
}

func compileAPI(api *config.API) (*compiledAPI, error) {
	ca := &compiledAPI{api: api, apiID: APIID(api.ID), methods: map[string][]string{}}
	if api.Stage != "" && api.Stage != "$default" {
		ca.stagePrefix = "/" + api.Stage
	}
	if c := api.Cors; c != nil && api.Type == config.HTTPAPI && c.AllowCredentials {
		for _, o := range c.AllowOrigins {
			if o == "*" {
				return nil, fmt.Errorf("api %s: CORS AllowCredentials cannot be used with AllowOrigins \"*\"", api.ID)
			}
		}
	}
	seen := map[string]string{}       // method + pathKey → route key
	paramNames := map[string]string{} // REST: parent pathKey → the one param name allowed there
	for _, rt := range api.Routes {
		cr, err := compileRoute(api, rt)
		if err != nil {
			return nil, fmt.Errorf("api %s: route %q: %w", api.ID, rt.Key(), err)
		}
		k := rt.Method + " " + cr.pathKey
		if prev, ok := seen[k]; ok {
			return nil, fmt.Errorf("api %s: route %q conflicts with %q: both match the same requests", api.ID, rt.Key(), prev)
		}
		seen[k] = rt.Key()
		if api.Type == config.RESTAPI {
			// A REST resource has at most one {param} child; API Gateway
			// rejects a sibling with another name.
			parent := ""
			for _, s := range cr.segs {
				if s.kind != segStatic {
					if prev, ok := paramNames[parent]; ok && prev != s.lit {
						return nil, fmt.Errorf("api %s: route %q: a sibling resource with a different variable name {%s} exists under %q", api.ID, rt.Key(), prev, parent+"/")
					}
					paramNames[parent] = s.lit
				}
				parent += "/" + segName(s)
			}
			ca.methods[cr.pathKey] = append(ca.methods[cr.pathKey], rt.Method)
		}
		ca.routes = append(ca.routes, cr)
	}
	return ca, nil
}

func segName(s segment) string {
	switch s.kind {
	case segParam:
		return "{}"
	case segGreedy:
		return "{+}"
	}
	return s.lit
}

func compileRoute(api *config.API, rt *config.Route) (*compiledRoute, error) {
	if rt.Path == "$default" {
		if api.Type != config.HTTPAPI {
			return nil, fmt.Errorf("$default routes exist only on HTTP APIs")
		}
		return &compiledRoute{route: rt, deflt: true, pathKey: "$default"}, nil
	}
	if !validMethods[rt.Method] {
		return nil, fmt.Errorf("method %q is not one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY", rt.Method)
	}
	if !strings.HasPrefix(rt.Path, "/") {
		return nil, fmt.Errorf("path must start with /")
	}
	cr := &compiledRoute{route: rt}
	p := strings.TrimSuffix(rt.Path[1:], "/")
	if p == "" {
		cr.pathKey = "/"
		return cr, nil
	}
	names := map[string]bool{}
	parts := strings.Split(p, "/")
	for i, part := range parts {
		var s segment
		switch {
		case part == "":
			return nil, fmt.Errorf("empty path segment")
		case strings.HasPrefix(part, "{") && strings.HasSuffix(part, "+}"):
			if i != len(parts)-1 {
				return nil, fmt.Errorf("greedy variable %s must be the last segment", part)
			}
			s = segment{kind: segGreedy, lit: part[1 : len(part)-2]}
		case strings.HasPrefix(part, "{") && strings.HasSuffix(part, "}"):
			s = segment{kind: segParam, lit: part[1 : len(part)-1]}
		case strings.ContainsAny(part, "{}"):
			return nil, fmt.Errorf("segment %q: a path variable must be a whole segment", part)
		default:
			s = segment{kind: segStatic, lit: part}
		}
		if s.kind != segStatic {
			if s.lit == "" || strings.ContainsAny(s.lit, "{}+") {
				return nil, fmt.Errorf("segment %q: invalid variable name", part)
			}
			if names[s.lit] {
				return nil, fmt.Errorf("variable {%s} appears twice", s.lit)
			}
			names[s.lit] = true
		}
		cr.segs = append(cr.segs, s)
		cr.pathKey += "/" + segName(s)
	}
	return cr, nil
}

// score ranks a path match: one kind per matched segment, compared in order,
// lower is more specific. A $default route ranks below every path.
type score struct {
	kinds   []segKind
	deflt   bool
	anyVerb bool
}

// less reports whether a is more specific than b.
func (a score) less(b score) bool {
	if a.deflt != b.deflt {
		return b.deflt
	}
	for i := 0; i < len(a.kinds) && i < len(b.kinds); i++ {
		if a.kinds[i] != b.kinds[i] {
			return a.kinds[i] < b.kinds[i]
		}
	}
	if len(a.kinds) != len(b.kinds) {
		// Equal prefix: the shorter one ended in a greedy segment that
		// swallowed what the longer one matched segment by segment.
		return len(a.kinds) > len(b.kinds)
	}
	return !a.anyVerb && b.anyVerb
}

// anyMethod matches routes of every method; Preflight uses it to find the
// API and resource a path belongs to.
const anyMethod = "*"

type candidate struct {
	m     *Match
	score score
}

// Match finds the route for a request. All APIs are served at the root;
// APIs with a named stage also answer under /{stage}/... The most specific
// match wins across APIs (a stage prefix counts as a literal segment); ties go
// to the earlier API, then to the stage-prefixed form.
func (r *Router) Match(method, rawPath string) (*Match, bool) {
	m, _, ok := r.match(method, rawPath)
	return m, ok
}

func (r *Router) match(method, rawPath string) (*Match, *compiledAPI, bool) {
	if rawPath == "" {
		rawPath = "/"
	}
	var best *candidate
	var bestAPI *compiledAPI
	for _, ca := range r.apis {
		consider := func(c *candidate) {
			if c != nil && (best == nil || c.score.less(best.score)) {
				best, bestAPI = c, ca
			}
		}
		if p := ca.stagePrefix; p != "" && strings.HasPrefix(rawPath, p) &&
			(len(rawPath) == len(p) || rawPath[len(p)] == '/') {
			rest := rawPath[len(p):]
			if rest == "" {
				rest = "/"
			}
			if c := ca.match(method, rest); c != nil {
				c.m.StagePrefixed = true
				c.score.kinds = append([]segKind{segStatic}, c.score.kinds...)
				consider(c)
			}
		}
		consider(ca.match(method, rawPath))
	}
	if best == nil {
		return nil, nil, false
	}
	return best.m, bestAPI, true
}

// match finds the best route of one API for path (stage already removed).
// REST selects the resource first and then its method, so a more specific
// resource without the method is a miss, as in API Gateway; HTTP APIs pick
// the most specific route that has the method.
func (ca *compiledAPI) match(method, path string) *candidate {
	segs := splitPath(path)
	rest := ca.api.Type == config.RESTAPI
	var best *compiledRoute
	var bestScore score
	var bestParams map[string]string
	for _, cr := range ca.routes {
		methodOK := method == anyMethod || cr.route.Method == method || cr.route.Method == "ANY"
		if !methodOK && !rest {
			continue
		}
		sc, params, ok := cr.matchPath(segs)
		if !ok {
			continue
		}
		if !rest {
			sc.anyVerb = cr.route.Method == "ANY"
		}
		if best == nil || sc.less(bestScore) {
			best, bestScore, bestParams = cr, sc, params
		}
	}
	if best == nil {
		return nil
	}
	if rest {
		// The resource is chosen; now its method: exact beats ANY.
		var chosen *compiledRoute
		for _, cr := range ca.routes {
			if cr.pathKey != best.pathKey {
				continue
			}
			if cr.route.Method == method || method == anyMethod {
				chosen = cr
				break
			}
			if cr.route.Method == "ANY" && chosen == nil {
				chosen = cr
			}
		}
		if chosen == nil {
			return nil
		}
		if chosen != best {
			// Same resource, so same shape; names could differ only if the
			// sibling check in compileAPI let them.
			bestScore, bestParams, _ = chosen.matchPath(segs)
		}
		best = chosen
		bestScore.anyVerb = best.route.Method == "ANY"
	}
	return &candidate{
		m: &Match{
			API: ca.api, Route: best.route, PathParams: bestParams,
			Path: path, apiID: ca.apiID,
		},
		score: bestScore,
	}
}

// pathSegs is a request path split on '/', with a single trailing slash
// ignored ("/items/" routes like "/items"; REST keeps the slash in `path`).
type pathSegs struct {
	segs     []string
	trailing bool
}

func splitPath(path string) pathSegs {
	p := strings.TrimPrefix(path, "/")
	var ps pathSegs
	if strings.HasSuffix(p, "/") {
		p = p[:len(p)-1]
		ps.trailing = true
	}
	if p == "" {
		return ps
	}
	ps.segs = strings.Split(p, "/")
	return ps
}

func (cr *compiledRoute) matchPath(ps pathSegs) (score, map[string]string, bool) {
	if cr.deflt {
		return score{deflt: true}, nil, true
	}
	kinds := make([]segKind, 0, len(cr.segs))
	var params map[string]string
	for i, s := range cr.segs {
		if s.kind == segGreedy {
			if i >= len(ps.segs) {
				return score{}, nil, false // greedy needs at least one segment
			}
			rest := strings.Join(ps.segs[i:], "/")
			if ps.trailing {
				rest += "/"
			}
			if params == nil {
				params = map[string]string{}
			}
			params[s.lit] = rest
			kinds = append(kinds, segGreedy)
			return score{kinds: kinds}, params, true
		}
		if i >= len(ps.segs) {
			return score{}, nil, false
		}
		seg := ps.segs[i]
		switch s.kind {
		case segStatic:
			if seg != s.lit && unescapePath(seg) != s.lit {
				return score{}, nil, false
			}
		case segParam:
			if seg == "" {
				return score{}, nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[s.lit] = seg
		}
		kinds = append(kinds, s.kind)
	}
	if len(cr.segs) != len(ps.segs) {
		return score{}, nil, false
	}
	return score{kinds: kinds}, params, true
}

// unescapePath percent-decodes s (%2F included); malformed escapes are kept
// as sent rather than failing the request.
func unescapePath(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	u, err := url.PathUnescape(s)
	if err != nil {
		return s
	}
	return u
}

// routeKeys lists up to n route keys across APIs, for explanations.
func (r *Router) routeKeys(n int) (keys []string, more int) {
	for _, ca := range r.apis {
		for _, cr := range ca.routes {
			if len(keys) < n {
				keys = append(keys, cr.route.Key())
			} else {
				more++
			}
		}
	}
	return keys, more
}
