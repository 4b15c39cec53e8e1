package store

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/google/go-cmp/cmp"
)

// The authorizer step is stored beside the exchange and read back whole;
// an exchange without one reads back without one.
func TestAuthorizerRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	s, err := db.EnsureSession(ctx, "auth")
	if err != nil {
		t.Fatal(err)
	}
	with := fullExchange(s.ID, 1)
	with.Authorizer = &exchange.Authorizer{Name: "TokenAuth", Type: "TOKEN", Function: "AuthFn",
		Event:    json.RawMessage(`{"type":"TOKEN","authorizationToken":"allow","methodArn":"arn:x"}`),
		Output:   json.RawMessage(`{"principalId":"u","policyDocument":{}}`),
		Decision: exchange.DecisionAllow, Cached: true, Context: json.RawMessage(`{"principalId":"u","integrationLatency":3}`),
		StartMs: 0.2, DurationMs: 3.5, Logs: "START RequestId: x\n", Error: &exchange.FunctionError{Type: "E", Message: "m"}, Cold: true}
	without := fullExchange(s.ID, 2)
	want := []exchange.Exchange{*with, *without}
	if err := db.InsertExchanges(ctx, []*exchange.Exchange{with, without}); err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{with.ID, without.ID} {
		got, err := db.Exchange(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(&want[i], got); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	}
}
