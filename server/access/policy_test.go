package access

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestArnLike(t *testing.T) {
	const api = "arn:aws:execute-api:us-east-2:123456789012:mnh1xmpli7"
	for _, tt := range []struct {
		pattern, arn string
		want         bool
	}{
		// The seed guide's three source ARN patterns.
		{api + "/*/GET/*", api + "/prod/GET/user", true},
		{api + "/*/GET/*", api + "/default/GET/", true},
		{api + "/*/GET/*", api + "/prod/GET/user/7/orders", true}, // * spans "/"
		{api + "/*/GET/*", api + "/prod/POST/user", false},
		{api + "/prod/ANY/user", api + "/prod/ANY/user", true},
		{api + "/prod/ANY/user", api + "/prod/GET/user", false}, // ANY is a method, not a wildcard
		{api + "/prod/ANY/user", api + "/dev/ANY/user", false},
		{api + "/prod/ANY/user", api + "/prod/ANY/user/7", false},
		{api + "/*/*/*", api + "/prod/DELETE/items/7", true},
		{api + "/*/*/*", api + "/$default/$default", false}, // three slashes to match, two there
		{api + "/*/*", api + "/$default/$default", true},    // what SAM writes for a $default route
		{api + "/*/*/*", "arn:aws:execute-api:us-east-2:123456789012:otherapi1/prod/GET/x", false},
		// Each of the six parts is matched on its own: a * in the account
		// part does not reach into the resource.
		{"arn:aws:execute-api:us-east-2:*:mnh1xmpli7/*", api + "/prod/GET/user", true},
		{"arn:aws:execute-api:*:123456789012:mnh1xmpli7/*", api + "/prod/GET/user", true},
		{"arn:aws:execute-api:us-east-1:123456789012:mnh1xmpli7/*", api + "/prod/GET/user", false},
		{"arn:aws:*:us-east-2:123456789012:mnh1xmpli7/*", api + "/prod/GET/user", true},
		{"arn:aws:execute-api:us-east-2:12345678901?:mnh1xmpli7/*", api + "/prod/GET/user", true},
		{"*", api + "/prod/GET/user", true},
		{"arn:aws:execute-api:us-east-2:123456789012:*", api + "/prod/GET/user", true},
		// Case matters, as in IAM.
		{api + "/prod/get/user", api + "/prod/GET/user", false},
		// Authorizers: <api>/authorizers/<id>.
		{api + "/authorizers/*", api + "/authorizers/abc123", true},
		{api + "/authorizers/*", api + "/prod/GET/user", false},
		{api + "/*/GET/items/*", api + "/prod/GET/items/{id}", true},
	} {
		if got := ArnLike(tt.pattern, tt.arn); got != tt.want {
			t.Errorf("ArnLike(%q, %q) = %v, want %v", tt.pattern, tt.arn, got, tt.want)
		}
	}
}

func TestGlobIsLinear(t *testing.T) {
	s := make([]byte, 5000)
	for i := range s {
		s[i] = 'a'
	}
	if Glob("a*a*a*a*a*a*a*a*a*a*b", string(s)) {
		t.Fatal("matched")
	}
}

func TestPolicyEvaluate(t *testing.T) {
	const arn = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"
	policy := func(stmts string) *Policy {
		t.Helper()
		p, err := ParsePolicy(json.RawMessage(`{"Version":"2012-10-17","Statement":` + stmts + `}`))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tt := range []struct {
		name, stmts, method string
		want                Effect
		stmt                int
	}{
		{"allow exact", `[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"` + arn + `/Prod/GET/items"}]`,
			arn + "/Prod/GET/items", Allowed, 0},
		{"allow is not prefix", `[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"` + arn + `/Prod/GET/items"}]`,
			arn + "/Prod/GET/items/7", ImplicitDeny, -1},
		{"statement object", `{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"` + arn + `/*"}`,
			arn + "/Prod/DELETE/items/7", Allowed, 0},
		{"wildcard verb and path", `[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"` + arn + `/*/GET/items/*"}]`,
			arn + "/Prod/DELETE/items/7", ImplicitDeny, -1},
		{"explicit deny wins", `[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"},{"Action":"execute-api:Invoke","Effect":"Deny","Resource":"` + arn + `/*/DELETE/*"}]`,
			arn + "/Prod/DELETE/items/7", ExplicitDeny, 1},
		{"deny first, allow later", `[{"Action":"execute-api:Invoke","Effect":"Deny","Resource":"` + arn + `/*/DELETE/*"},{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"}]`,
			arn + "/Prod/GET/items/7", Allowed, 1},
		{"deny on another method", `[{"Action":"execute-api:Invoke","Effect":"Deny","Resource":"` + arn + `/*/DELETE/*"}]`,
			arn + "/Prod/GET/items/7", ImplicitDeny, -1},
		{"resource list", `[{"Action":["execute-api:Invoke"],"Effect":"Allow","Resource":["` + arn + `/*/POST/x","` + arn + `/*/GET/items/*"]}]`,
			arn + "/Prod/GET/items/7", Allowed, 0},
		{"other action ignored", `[{"Action":"execute-api:ManageConnections","Effect":"Allow","Resource":"*"}]`,
			arn + "/Prod/GET/items/7", ImplicitDeny, -1},
		{"action wildcard", `[{"Action":"execute-api:*","Effect":"Allow","Resource":"*"}]`,
			arn + "/Prod/GET/items/7", Allowed, 0},
		{"action star", `[{"Action":"*","Effect":"Allow","Resource":"*"}]`,
			arn + "/Prod/GET/items/7", Allowed, 0},
		{"action case", `[{"Action":"Execute-API:invoke","Effect":"Allow","Resource":"*"}]`,
			arn + "/Prod/GET/items/7", Allowed, 0},
		{"another api", `[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"arn:aws:execute-api:us-east-1:123456789012:zzzzzzzzzz/*"}]`,
			arn + "/Prod/GET/items/7", ImplicitDeny, -1},
		{"http default route", `[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"` + arn + `/$default/*"}]`,
			arn + "/$default/GET/hello", Allowed, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := policy(tt.stmts).Evaluate(tt.method)
			if v.Effect != tt.want || v.Statement != tt.stmt {
				t.Errorf("Evaluate = %+v, want effect %v statement %d", v, tt.want, tt.stmt)
			}
		})
	}
}

func TestParsePolicyErrors(t *testing.T) {
	for _, tt := range []struct{ doc, want string }{
		{`[]`, "policyDocument is not an object"},
		{`{"Version":"2012-10-17"}`, "policyDocument has no Statement"},
		{`{"Statement":[{"Effect":"Maybe","Action":"execute-api:Invoke","Resource":"*"}]}`, `statement 1 of policyDocument has Effect "Maybe"`},
		{`{"Statement":[{"Effect":"Allow","Resource":"*"}]}`, "statement 1 of policyDocument needs an Action"},
		{`{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke"}]}`, "statement 1 of policyDocument needs a Resource"},
		{`{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":{"a":1}}]}`, "statement 1 of policyDocument needs a Resource"},
	} {
		_, err := ParsePolicy(json.RawMessage(tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParsePolicy(%s) = %v, want %q", tt.doc, err, tt.want)
		}
	}
}

func TestMethodOf(t *testing.T) {
	const api = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"
	for arn, want := range map[string]string{
		api + "/Prod/GET/items/*":   "GET /items/*",
		api + "/*/*/items":          "ANY /items",
		api + "/Prod/GET/":          "GET /",
		api + "/*/*":                "every method",
		api + "/$default/$default":  "$default",
		"*":                         "every method",
		"arn:aws:s3:::bucket/thing": "arn:aws:s3:::bucket/thing",
	} {
		if got := MethodOf(arn); got != want {
			t.Errorf("MethodOf(%q) = %q, want %q", arn, got, want)
		}
	}
}
