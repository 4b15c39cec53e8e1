package apigw

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/testenv"
)

// restRequestID is a REST request id (a UUID); newRequest sets the HTTP API form.
const restRequestID = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"

var testTime = time.Date(2025, 4, 14, 22, 13, 56, 789_000_000, time.UTC)

// newRequest builds a Request as the gateway would: target is the
// request-URI as sent, headers are "Name: value" lines.
func newRequest(method, target, body string, headers ...string) *Request {
	path, query, _ := strings.Cut(target, "?")
	h := http.Header{}
	host := "localhost:3000"
	for _, line := range headers {
		k, v, _ := strings.Cut(line, ": ")
		if http.CanonicalHeaderKey(k) == "Host" {
			host = v // net/http moves Host out of the header map
			continue
		}
		h.Add(k, v)
	}
	if body != "" && h.Get("Content-Length") == "" {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	return &Request{
		Method: method, RawPath: path, RawQuery: query, Proto: "HTTP/1.1",
		Host: host, Header: h, Body: b, SourceIP: "203.0.113.7", Time: testTime,
		RequestID:         "JKJaXmPLvHcESHA=",
		ExtendedRequestID: "TWegAcC4EowCHnA=",
		TraceID:           "Root=1-67fd8a54-0123456789abcdef01234567",
	}
}

func httpAPI(id string, routes ...*config.Route) *config.API {
	return &config.API{ID: id, Type: config.HTTPAPI, Stage: "$default", Routes: routes}
}

func restAPI(id string, routes ...*config.Route) *config.API {
	return &config.API{ID: id, Type: config.RESTAPI, Stage: "Prod", Routes: routes}
}

// route parses "METHOD /path" (or "$default") into a Route.
func route(key string) *config.Route {
	if key == "$default" {
		return &config.Route{Method: "ANY", Path: "$default", Function: "Fn"}
	}
	m, p, _ := strings.Cut(key, " ")
	return &config.Route{Method: m, Path: p, Function: "Fn"}
}

func mustRouter(t testing.TB, apis ...*config.API) *Router {
	t.Helper()
	r, err := NewRouter(apis)
	if err != nil {
		t.Fatalf("NewRouter: %v", err)
	}
	return r
}

func mustMatch(t testing.TB, r *Router, req *Request) *Match {
	t.Helper()
	m, ok := r.Match(req.Method, req.RawPath)
	if !ok {
		t.Fatalf("no route for %s %s", req.Method, req.RawPath)
	}
	return m
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	testenv.Golden(t, filepath.Join("testdata", name), got)
}

// indent pretty-prints JSON for golden files without changing key order or
// string contents, so compacting the golden gives back the exact bytes.
func indent(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("event is not valid JSON: %v\n%s", err, b)
	}
	out.WriteByte('\n')
	return out.Bytes()
}
