package dashboard

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gatescope/gatescope/server/exchange"
)

// TestInspectorAuthorizerStep: an exchange with an authorizer step shows
// it as its own tab and section, with the decision, the cache, the event,
// the answer and the context the function got; a refused one opens on it
// and has no context to show.
func TestInspectorAuthorizerStep(t *testing.T) {
	ts, db, xs := testServer(t, Options{})
	allowed := okExchange(40, func(x *exchange.Exchange) {
		x.Authorizer = &exchange.Authorizer{Name: "NodeToken", Type: "TOKEN", Function: "NodeAuth", Decision: exchange.DecisionAllow, Cached: true,
			Event:   json.RawMessage(`{"type":"TOKEN","authorizationToken":"Bearer allow-1","methodArn":"arn:aws:execute-api:us-east-1:123456789012:abc/Prod/GET/token/7"}`),
			Output:  json.RawMessage(`{"principalId":"user-allow-1","policyDocument":{"Version":"2012-10-17","Statement":[]}}`),
			Context: json.RawMessage(`{"principalId":"user-allow-1","integrationLatency":12,"user":"allow-1"}`),
			StartMs: 0.1, DurationMs: 0.05}
	})
	refused := okExchange(41, func(x *exchange.Exchange) {
		x.Authorizer = &exchange.Authorizer{Name: "NodeToken", Type: "TOKEN", Function: "NodeAuth", Decision: exchange.DecisionDeny,
			Event:       json.RawMessage(`{"type":"TOKEN"}`),
			Explanation: "The policy allows GET /token/1 but this is GET /token/7", StartMs: 0.1, DurationMs: 40, Logs: "START RequestId: a\nEND RequestId: a"}
		x.Response = exchange.HTTPResponse{Status: 403, Body: `{"Message":"User is not authorized to access this resource"}`}
		x.Outcome, x.Explanation = exchange.OutcomeForbidden, x.Authorizer.Explanation
		x.Event, x.Function = nil, exchange.FunctionCall{}
	})
	if err := db.InsertExchanges(context.Background(), []*exchange.Exchange{allowed, refused}); err != nil {
		t.Fatal(err)
	}

	d := getPage(t, ts.URL+"/exchanges/"+allowed.ID, 200)
	if got := text(d.one(t, "authorizer-name")); got != "NodeToken · TOKEN" {
		t.Errorf("name = %q", got)
	}
	if got := text(d.one(t, "authorizer-decision")); got != "allow" {
		t.Errorf("decision = %q", got)
	}
	if got := strings.TrimSpace(text(d.one(t, "authorizer-cache"))); got != "the authorizer's cache (not invoked)" {
		t.Errorf("cache = %q", got)
	}
	for id, want := range map[string]string{"authorizer-event": `"authorizationToken": "Bearer allow-1"`,
		"authorizer-output": `"principalId": "user-allow-1"`, "authorizer-context": `"integrationLatency": 12`} {
		if got := text(d.one(t, id)); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want %q in it", id, got, want)
		}
	}
	if !strings.Contains(text(d.one(t, "facts")), "NodeToken · allow (cached)") {
		t.Errorf("facts lack the authorizer: %q", text(d.one(t, "facts")))
	}
	if !strings.Contains(text(d.one(t, "trace")), "Authorizer NodeToken (cached)") {
		t.Errorf("the trace lacks the authorizer: %q", text(d.one(t, "trace")))
	}

	d = getPage(t, ts.URL+"/exchanges/"+refused.ID, 200)
	if got := attr(d.one(t, "explanation"), "data-open"); got != "authorizer" {
		t.Errorf("a refused exchange opens on %q", got)
	}
	if !strings.Contains(attr(d.one(t, "tab-authorizer"), "class"), "tab-bad") {
		t.Error("the refusing authorizer's tab is not marked")
	}
	if got := text(d.one(t, "authorizer-explanation")); got != "The policy allows GET /token/1 but this is GET /token/7" {
		t.Errorf("explanation = %q", got)
	}
	if got := text(d.one(t, "authorizer-context")); !strings.Contains(got, "answered before invoking") {
		t.Errorf("context = %q", got)
	}
	if got := text(d.one(t, "authorizer-logs")); !strings.Contains(got, "START RequestId: a") {
		t.Errorf("logs = %q", got)
	}

	// An exchange without an authorizer has no such tab.
	d = getPage(t, ts.URL+"/exchanges/"+xs[0].ID, 200)
	if n := len(d.all("tab-authorizer")) + len(d.all("panel-authorizer")); n != 0 {
		t.Errorf("an exchange without an authorizer shows %d authorizer parts", n)
	}
}
