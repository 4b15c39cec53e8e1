package share

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gatescope/gatescope/server/exchange"
)

// An authorizer's token and identity values are gone from every byte of a
// redacted export: its event, answer, context, logs and explanation, and
// wherever else the request carried them (a custom identity header, the
// query string); the stored exchange keeps them.
func TestRedactAuthorizerStep(t *testing.T) {
	const (
		token    = "tok-opaque-5f4e3d2c1b"
		identity = "user-secret-9a8b7c"
	)
	x := sample("s")[0]
	x.Request.URL = "/Prod/items?who=" + identity
	x.Request.Headers = map[string][]string{"X-Token": {token}, "X-User": {identity}}
	ev, _ := json.Marshal(map[string]any{"type": "TOKEN", "authorizationToken": token, "methodArn": "arn:aws:execute-api:us-east-1:123456789012:a/Prod/GET/items"})
	v2, _ := json.Marshal(map[string]any{"version": "2.0", "type": "REQUEST", "identitySource": []string{identity}})
	x.Event = v2
	x.Authorizer = &exchange.Authorizer{Name: "A", Type: "TOKEN", Function: "AuthFn", Decision: exchange.DecisionAllow,
		Event:       ev,
		Output:      json.RawMessage(`{"principalId":"p","context":{"echo":"` + token + `"}}`),
		Context:     json.RawMessage(`{"principalId":"p","echo":"` + token + `"}`),
		Logs:        "got token " + token + " for " + identity,
		Explanation: "token " + token,
		Error:       &exchange.FunctionError{Type: "E", Message: "bad " + token},
	}
	orig, _ := json.Marshal(x)
	rd, err := NewRedactor(WithAuthorizers(Rules{}, "X-Token"))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(rd.Exchange(x))
	for _, sec := range []string{token, identity} {
		if bytes.Contains(out, []byte(sec)) {
			t.Errorf("%s leaks: %s", sec, out)
		}
	}
	if !strings.Contains(string(out), `"authorizationToken":"[REDACTED]"`) {
		t.Errorf("the token is not redacted in place: %s", out)
	}
	if again, _ := json.Marshal(x); !bytes.Equal(again, orig) {
		t.Error("redaction changed the exchange it copied")
	}
}
