package access

import (
	"encoding/json"
	"testing"
)

func TestPermissionAllows(t *testing.T) {
	const api = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"
	call := func(src string) Call {
		return Call{Principal: APIGatewayPrincipal, Action: "lambda:InvokeFunction", SourceArn: src, SourceAccount: "123456789012"}
	}
	sam := Permission{Sid: "s", Principal: APIGatewayPrincipal, Action: "lambda:InvokeFunction", SourceArn: api + "/*/GET/items/*"}
	for _, tt := range []struct {
		name string
		p    Permission
		c    Call
		want bool
	}{
		{"SAM event statement", sam, call(api + "/Prod/GET/items/{id}"), true},
		{"other method", sam, call(api + "/Prod/DELETE/items/{id}"), false},
		{"other api", sam, call("arn:aws:execute-api:us-east-1:123456789012:zzzzzzzzzz/Prod/GET/items/{id}"), false},
		{"no source arn allows any call", Permission{Principal: APIGatewayPrincipal, Action: "lambda:InvokeFunction"}, call(api + "/Prod/GET/x"), true},
		{"any principal", Permission{Principal: "*", Action: "lambda:InvokeFunction", SourceArn: api + "/*"}, call(api + "/Prod/GET/x"), true},
		{"another service", Permission{Principal: "s3.amazonaws.com", Action: "lambda:InvokeFunction"}, call(api + "/Prod/GET/x"), false},
		{"an account", Permission{Principal: "123456789012", Action: "lambda:InvokeFunction"}, call(api + "/Prod/GET/x"), false},
		{"lambda:*", Permission{Principal: APIGatewayPrincipal, Action: "lambda:*", SourceArn: api + "/*/*/*"}, call(api + "/Prod/GET/x"), true},
		{"another action", Permission{Principal: APIGatewayPrincipal, Action: "lambda:GetFunction"}, call(api + "/Prod/GET/x"), false},
		{"source account matches", Permission{Principal: APIGatewayPrincipal, Action: "lambda:InvokeFunction", SourceAccount: "123456789012"}, call(api + "/Prod/GET/x"), true},
		{"source account differs", Permission{Principal: APIGatewayPrincipal, Action: "lambda:InvokeFunction", SourceAccount: "999999999999"}, call(api + "/Prod/GET/x"), false},
		{"authorizer", Permission{Principal: APIGatewayPrincipal, Action: "lambda:InvokeFunction", SourceArn: api + "/authorizers/*"}, call(api + "/authorizers/a1b2c3"), true},
		{"root resource", Permission{Principal: APIGatewayPrincipal, Action: "lambda:InvokeFunction", SourceArn: api + "/*/GET/"}, call(api + "/Prod/GET/"), true},
		{"ANY route", Permission{Principal: APIGatewayPrincipal, Action: "lambda:InvokeFunction", SourceArn: api + "/prod/ANY/user"}, call(api + "/prod/ANY/user"), true},
		{"org condition never matches a service", Permission{Principal: APIGatewayPrincipal, Action: "lambda:InvokeFunction", PrincipalOrgID: "o-1"}, call(api + "/Prod/GET/x"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Allows(tt.c); got != tt.want {
				t.Errorf("Allows = %v, want %v", got, tt.want)
			}
		})
	}
	ps := []Permission{{Sid: "a", Principal: "s3.amazonaws.com", Action: "lambda:InvokeFunction"}, sam}
	if i := Allowing(ps, call(api+"/Prod/GET/items/7")); i != 1 {
		t.Errorf("Allowing = %d, want 1", i)
	}
	if i := Allowing(ps, call(api+"/Prod/POST/items")); i != -1 {
		t.Errorf("Allowing = %d, want -1", i)
	}
}

func TestPolicyJSONShape(t *testing.T) {
	ps := []Permission{
		{Sid: "HelloGetPermission", Principal: APIGatewayPrincipal, Action: "lambda:InvokeFunction",
			Resource: "arn:aws:lambda:us-east-1:123456789012:function:Hello", SourceArn: "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/*/GET/hello"},
		{Sid: "acct", Principal: "210987654321", Action: "lambda:InvokeFunction", Resource: "arn:aws:lambda:us-east-1:123456789012:function:Hello",
			SourceAccount: "210987654321", PrincipalOrgID: "o-abc"},
		{Sid: "any", Principal: "*", Action: "lambda:InvokeFunction", Resource: "arn:aws:lambda:us-east-1:123456789012:function:Hello"},
	}
	got := string(PolicyJSON(ps))
	want := `{"Version":"2012-10-17","Id":"default","Statement":[` +
		`{"Sid":"HelloGetPermission","Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:123456789012:function:Hello","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:us-east-1:123456789012:abcdef1234/*/GET/hello"}}},` +
		`{"Sid":"acct","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:123456789012:function:Hello","Condition":{"StringEquals":{"AWS:SourceAccount":"210987654321","aws:PrincipalOrgID":"o-abc"}}},` +
		`{"Sid":"any","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:123456789012:function:Hello"}]}`
	if got != want {
		t.Errorf("PolicyJSON =\n%s\nwant\n%s", got, want)
	}
	if !json.Valid([]byte(got)) {
		t.Error("not valid JSON")
	}
}
