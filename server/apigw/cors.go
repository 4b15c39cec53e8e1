package apigw

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
)

// Preflight answers the OPTIONS requests API Gateway answers itself, before
// routing: an HTTP API with a CorsConfiguration answers every CORS preflight
// (OPTIONS with Origin and Access-Control-Request-Method), even with no
// OPTIONS route; a REST API with SAM's Cors answers OPTIONS on each of its
// resources with the mock integration SAM generates, unless the resource
// declares its own OPTIONS method.
func (r *Router) Preflight(req *Request) (*Response, bool) {
	if req.Method != http.MethodOptions {
		return nil, false
	}
	preflight := req.Header.Get("Origin") != "" && req.Header.Get("Access-Control-Request-Method") != ""
	m, ca, ok := r.match(anyMethod, req.RawPath)
	if !ok {
		if !preflight {
			return nil, false
		}
		// No route owns the path; an HTTP API with CORS still answers.
		for _, ca := range r.apis {
			if ca.api.Type == config.HTTPAPI && ca.api.Cors != nil {
				return httpPreflight(ca.api.Cors, req), true
			}
		}
		return nil, false
	}
	c := ca.api.Cors
	if c == nil {
		return nil, false
	}
	if ca.api.Type == config.HTTPAPI {
		if !preflight {
			return nil, false
		}
		return httpPreflight(c, req), true
	}
	key := ca.pathKeyOf(m.Route)
	methods := ca.methods[key]
	for _, meth := range methods {
		if meth == http.MethodOptions {
			return nil, false
		}
	}
	return restCorsMock(c, methods, req), true
}

func (ca *compiledAPI) pathKeyOf(rt *config.Route) string {
	for _, cr := range ca.routes {
		if cr.route == rt {
			return cr.pathKey
		}
	}
	return ""
}

// httpPreflight is the HTTP API's own 204 answer; an origin that is not
// allowed gets no CORS headers at all.
func httpPreflight(c *config.Cors, req *Request) *Response {
	h := baseHeader(config.HTTPAPI, req)
	if origin, ok := allowedOrigin(c, req.Header.Get("Origin")); ok {
		h["Access-Control-Allow-Origin"] = []string{origin}
		if len(c.AllowMethods) > 0 {
			h["Access-Control-Allow-Methods"] = []string{strings.Join(c.AllowMethods, ",")}
		}
		if len(c.AllowHeaders) > 0 {
			h["Access-Control-Allow-Headers"] = []string{strings.Join(c.AllowHeaders, ",")}
		}
		if c.MaxAge > 0 {
			h["Access-Control-Max-Age"] = []string{strconv.Itoa(c.MaxAge)}
		}
		if c.AllowCredentials {
			h["Access-Control-Allow-Credentials"] = []string{"true"}
		}
	}
	return &Response{Status: http.StatusNoContent, Header: h, Body: []byte{}, Outcome: exchange.OutcomeOK}
}

// restCorsMock is the OPTIONS method SAM adds for Cors: a mock integration
// answering 200 {} with fixed headers, whatever the request's Origin. The
// values are sent as the template wrote them (config keeps each as one
// string, spaces and all).
func restCorsMock(c *config.Cors, methods []string, req *Request) *Response {
	h := baseHeader(config.RESTAPI, req)
	h["Content-Type"] = []string{"application/json"}
	if len(c.AllowOrigins) > 0 {
		h["Access-Control-Allow-Origin"] = []string{strings.Join(c.AllowOrigins, ",")}
	}
	if len(c.AllowHeaders) > 0 {
		h["Access-Control-Allow-Headers"] = []string{strings.Join(c.AllowHeaders, ",")}
	}
	allow := c.AllowMethods
	if len(allow) == 0 {
		allow = samAllowMethods(methods)
	}
	h["Access-Control-Allow-Methods"] = []string{strings.Join(allow, ",")}
	if c.MaxAge > 0 {
		h["Access-Control-Max-Age"] = []string{strconv.Itoa(c.MaxAge)}
	}
	if c.AllowCredentials {
		h["Access-Control-Allow-Credentials"] = []string{"true"}
	}
	return &Response{Status: http.StatusOK, Header: h, Body: []byte("{}"), Outcome: exchange.OutcomeOK}
}

// samAllowMethods is SAM's generated Allow-Methods: the resource's methods
// plus OPTIONS, upper case, sorted; ANY stands for every method.
func samAllowMethods(methods []string) []string {
	set := map[string]bool{http.MethodOptions: true}
	for _, m := range methods {
		if m == "ANY" {
			for _, a := range []string{"DELETE", "GET", "HEAD", "PATCH", "POST", "PUT"} {
				set[a] = true
			}
			continue
		}
		set[strings.ToUpper(m)] = true
	}
	out := make([]string, 0, len(set))
	for m := range set {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// allowedOrigin returns the Access-Control-Allow-Origin value for origin:
// the origin itself when listed, "*" when any origin is allowed.
func allowedOrigin(c *config.Cors, origin string) (string, bool) {
	if origin == "" {
		return "", false
	}
	for _, o := range c.AllowOrigins {
		if o == origin {
			return origin, true
		}
	}
	for _, o := range c.AllowOrigins {
		if o == "*" {
			return "*", true
		}
	}
	return "", false
}

// applyCORS makes an HTTP API response carry the configured CORS headers and
// none of the function's: with CorsConfiguration set, API Gateway ignores
// CORS headers from the integration.
func applyCORS(c *config.Cors, req *Request, h http.Header) {
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			delete(h, k)
		}
	}
	origin, ok := allowedOrigin(c, req.Header.Get("Origin"))
	if !ok {
		return
	}
	h["Access-Control-Allow-Origin"] = []string{origin}
	if len(c.ExposeHeaders) > 0 {
		h["Access-Control-Expose-Headers"] = []string{strings.Join(c.ExposeHeaders, ",")}
	}
	if c.AllowCredentials {
		h["Access-Control-Allow-Credentials"] = []string{"true"}
	}
}
