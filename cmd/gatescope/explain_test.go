package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/google/go-cmp/cmp"
)

// failingTemplate holds functions that fail each way a developer meets
// (testdata/failing): a timeout, a crash, a thrown error, a form post
// parsed as JSON, a handler that is not exported, a module that is not
// installed, a body returned as an object.
const failingTemplate = "testdata/failing/template.yaml"

// TestExplainedFailures makes real functions fail and holds each stored
// exchange to its explanation: what the failure was, where it comes from
// (the Timeout's line, the handler's file:line, the module), what the
// function printed last, and the field it blames.
func TestExplainedFailures(t *testing.T) {
	localPython(t)
	a := serveTemplate(t, failingTemplate, "")
	api := "http://" + a.apiLn.Addr().String()
	for _, tt := range []struct {
		name, method, path, ctype, body string
		status                          int
		outcome                         exchange.Outcome
		want                            []string
		blame                           *exchange.Blame
	}{
		{"timeout", "GET", "/slow", "", "", 500, exchange.OutcomeTimeout, []string{
			"Task timed out after 1.00 seconds: Slow's Timeout is 1 s, set at testdata/failing/template.yaml:14.",
			"the next call starts cold",
			"Its last output before it was stopped: connecting to the database / waiting on the pool"}, nil},
		{"crash", "POST", "/crash", "application/json", `{}`, 500, exchange.OutcomeFunctionError, []string{
			"Runtime exited with error: exit status 3 during the invocation",
			"Its last output: fatal: connection pool exhausted, exiting"}, nil},
		{"thrown error", "GET", "/boom", "", "", 500, exchange.OutcomeFunctionError, []string{
			"Function returned an error: TypeError: Cannot read properties of undefined (reading 'name') (at lib/greet.mjs:3)"}, nil},
		{"form post parsed as JSON", "POST", "/form", "application/x-www-form-urlencoded", "name=linus&x=1", 500, exchange.OutcomeFunctionError, []string{
			"SyntaxError: Unexpected token",
			"(at form.mjs:4)",
			"The event's body is base64 (isBase64Encoded: true: API Gateway encodes a application/x-www-form-urlencoded body), so decode it first: Buffer.from(event.body, 'base64')"},
			&exchange.Blame{Part: exchange.BlameEvent, Path: []string{"isBase64Encoded"}}},
		{"handler not exported", "GET", "/nohandler", "", "", 500, exchange.OutcomeFunctionError, []string{
			"The function could not start: its handler was not found: echo.nothere is undefined or not exported (NoHandler's Handler is echo.nothere)"}, nil},
		{"module not installed", "GET", "/badimport", "", "", 500, exchange.OutcomeFunctionError, []string{
			"The function could not start: module 'badimport' could not be loaded: No module named 'gatescope_no_such_module' (BadImport's Handler is badimport.handler)"}, nil},
		{"body returned as an object", "POST", "/Prod/upload", "text/plain", "abc", 502, exchange.OutcomeMalformedResponse, []string{
			"Function returned a body that is an object, not a string"},
			&exchange.Blame{Part: exchange.BlameOutput, Path: []string{"body"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, api+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			x := explained(t, a, tt.path)
			if x.Outcome != tt.outcome {
				t.Errorf("outcome %s, want %s", x.Outcome, tt.outcome)
			}
			for _, w := range tt.want {
				if !strings.Contains(x.Explanation, w) {
					t.Errorf("explanation %q\nlacks %q", x.Explanation, w)
				}
			}
			if d := cmp.Diff(tt.blame, x.Blame); d != "" {
				t.Errorf("blame (-want +got):\n%s", d)
			}
		})
	}
}
