package apigw

import (
	"net/http"
	"testing"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/google/go-cmp/cmp"
)

func TestPreflight(t *testing.T) {
	httpCors := httpAPI("HttpApi", route("GET /items"), route("OPTIONS /own"))
	httpCors.Cors = &config.Cors{
		AllowOrigins: []string{"https://app.example"}, AllowMethods: []string{"GET", "POST"},
		AllowHeaders: []string{"content-type", "x-api-key"}, ExposeHeaders: []string{"x-total"},
		MaxAge: 600, AllowCredentials: true,
	}
	anyOrigin := httpAPI("HttpApi", route("GET /items"))
	anyOrigin.Cors = &config.Cors{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}}
	restCors := restAPI("RestApi", route("GET /items"), route("POST /items"), route("ANY /things/{id}"), route("OPTIONS /own"))
	restCors.Cors = &config.Cors{AllowOrigins: []string{"'*'"}, AllowHeaders: []string{"Content-Type"}, MaxAge: 60}
	noCors := httpAPI("Plain", route("ANY /{proxy+}"))
	// REST Cors values are header values, sent exactly as the template
	// wrote them; config gives each as one string.
	asWritten := restAPI("RestApi", route("GET /items"))
	asWritten.Cors = &config.Cors{AllowOrigins: []string{"*"}, AllowHeaders: []string{"origin, x-requested-with"}, AllowMethods: []string{"GET, OPTIONS"}}
	noOrigin := restAPI("RestApi", route("GET /items"))
	noOrigin.Cors = &config.Cors{AllowHeaders: []string{"x-api-key"}}

	pre := func(path, origin string) *Request {
		return newRequest("OPTIONS", path, "", "Origin: "+origin, "Access-Control-Request-Method: POST")
	}
	tests := []struct {
		name    string
		apis    []*config.API
		req     *Request
		handled bool
		status  int
		body    string
		cors    http.Header // the Access-Control-* headers expected
	}{
		{"http listed origin", []*config.API{httpCors}, pre("/items", "https://app.example"), true, 204, "", http.Header{
			"Access-Control-Allow-Origin":      {"https://app.example"},
			"Access-Control-Allow-Methods":     {"GET,POST"},
			"Access-Control-Allow-Headers":     {"content-type,x-api-key"},
			"Access-Control-Max-Age":           {"600"},
			"Access-Control-Allow-Credentials": {"true"},
		}},
		{"http unlisted origin gets no CORS headers", []*config.API{httpCors}, pre("/items", "https://evil.example"), true, 204, "", http.Header{}},
		{"http answers without a route", []*config.API{httpCors}, pre("/nowhere", "https://app.example"), true, 204, "", http.Header{
			"Access-Control-Allow-Origin":      {"https://app.example"},
			"Access-Control-Allow-Methods":     {"GET,POST"},
			"Access-Control-Allow-Headers":     {"content-type,x-api-key"},
			"Access-Control-Max-Age":           {"600"},
			"Access-Control-Allow-Credentials": {"true"},
		}},
		{"http answers even over an OPTIONS route", []*config.API{httpCors}, pre("/own", "https://app.example"), true, 204, "", http.Header{
			"Access-Control-Allow-Origin":      {"https://app.example"},
			"Access-Control-Allow-Methods":     {"GET,POST"},
			"Access-Control-Allow-Headers":     {"content-type,x-api-key"},
			"Access-Control-Max-Age":           {"600"},
			"Access-Control-Allow-Credentials": {"true"},
		}},
		{"http star origin", []*config.API{anyOrigin}, pre("/items", "http://localhost:5173"), true, 204, "", http.Header{
			"Access-Control-Allow-Origin":  {"*"},
			"Access-Control-Allow-Methods": {"*"},
		}},
		{"http plain OPTIONS is not a preflight", []*config.API{httpCors}, newRequest("OPTIONS", "/items", ""), false, 0, "", nil},
		{"no CORS configured", []*config.API{noCors}, pre("/items", "https://app.example"), false, 0, "", nil},
		{"not OPTIONS", []*config.API{httpCors}, newRequest("GET", "/items", "", "Origin: https://app.example"), false, 0, "", nil},
		{"rest mock", []*config.API{restCors}, newRequest("OPTIONS", "/items", ""), true, 200, "{}", http.Header{
			"Access-Control-Allow-Origin":  {"'*'"},
			"Access-Control-Allow-Headers": {"Content-Type"},
			"Access-Control-Allow-Methods": {"GET,OPTIONS,POST"},
			"Access-Control-Max-Age":       {"60"},
		}},
		{"rest mock ANY under stage", []*config.API{restCors}, pre("/Prod/things/1", "x"), true, 200, "{}", http.Header{
			"Access-Control-Allow-Origin":  {"'*'"},
			"Access-Control-Allow-Headers": {"Content-Type"},
			"Access-Control-Allow-Methods": {"DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT"},
			"Access-Control-Max-Age":       {"60"},
		}},
		{"rest values as written", []*config.API{asWritten}, newRequest("OPTIONS", "/items", ""), true, 200, "{}", http.Header{
			"Access-Control-Allow-Origin":  {"*"},
			"Access-Control-Allow-Headers": {"origin, x-requested-with"},
			"Access-Control-Allow-Methods": {"GET, OPTIONS"},
		}},
		{"rest never sends an empty origin", []*config.API{noOrigin}, newRequest("OPTIONS", "/items", ""), true, 200, "{}", http.Header{
			"Access-Control-Allow-Headers": {"x-api-key"},
			"Access-Control-Allow-Methods": {"GET,OPTIONS"},
		}},
		{"rest own OPTIONS method wins", []*config.API{restCors}, newRequest("OPTIONS", "/own", ""), false, 0, "", nil},
		{"rest unknown resource", []*config.API{restCors}, newRequest("OPTIONS", "/nowhere", ""), false, 0, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, handled := mustRouter(t, tt.apis...).Preflight(tt.req)
			if handled != tt.handled {
				t.Fatalf("handled = %v, want %v", handled, tt.handled)
			}
			if !handled {
				return
			}
			if resp.Status != tt.status || string(resp.Body) != tt.body || resp.Outcome != exchange.OutcomeOK {
				t.Errorf("got %d %q %s", resp.Status, resp.Body, resp.Outcome)
			}
			if diff := cmp.Diff(tt.cors, corsHeaders(resp.Header)); diff != "" {
				t.Errorf("CORS headers (-want +got):\n%s", diff)
			}
		})
	}
}

func corsHeaders(h http.Header) http.Header {
	out := http.Header{}
	for k, v := range h {
		if len(k) > 15 && k[:15] == "Access-Control-" {
			out[k] = v
		}
	}
	return out
}

func TestMapResponseCORS(t *testing.T) {
	fnOut := ok(`{"statusCode":200,"headers":{"Access-Control-Allow-Origin":"https://fn.example","X-Own":"1"},"body":"x"}`)
	httpCors := httpAPI("HttpApi", route("GET /x"))
	httpCors.Cors = &config.Cors{AllowOrigins: []string{"https://app.example"}, ExposeHeaders: []string{"x-total", "x-page"}, AllowCredentials: true}
	restCors := restAPI("RestApi", route("GET /x"))
	restCors.Cors = &config.Cors{AllowOrigins: []string{"'*'"}}
	tests := []struct {
		name string
		api  *config.API
		req  *Request
		inv  Invocation
		want http.Header
	}{
		{"http origin matches: configured headers, function's dropped", httpCors, newRequest("GET", "/x", "", "Origin: https://app.example"), fnOut, http.Header{
			"Access-Control-Allow-Origin":      {"https://app.example"},
			"Access-Control-Expose-Headers":    {"x-total,x-page"},
			"Access-Control-Allow-Credentials": {"true"},
		}},
		{"http other origin: none at all", httpCors, newRequest("GET", "/x", "", "Origin: https://evil.example"), fnOut, http.Header{}},
		{"http gateway errors carry CORS too", httpCors, newRequest("GET", "/x", "", "Origin: https://app.example"), Invocation{Kind: InvokeFailed}, http.Header{
			"Access-Control-Allow-Origin":      {"https://app.example"},
			"Access-Control-Expose-Headers":    {"x-total,x-page"},
			"Access-Control-Allow-Credentials": {"true"},
		}},
		{"rest proxy: only the function's", restCors, newRequest("GET", "/x", "", "Origin: https://app.example"), fnOut, http.Header{
			"Access-Control-Allow-Origin": {"https://fn.example"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustMatch(t, mustRouter(t, tt.api), tt.req)
			resp := MapResponse(m, tt.req, tt.inv)
			if diff := cmp.Diff(tt.want, corsHeaders(resp.Header)); diff != "" {
				t.Errorf("CORS headers (-want +got):\n%s", diff)
			}
		})
	}
}
