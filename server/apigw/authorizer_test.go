package apigw

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/testenv"
	"github.com/google/go-cmp/cmp"
)

func tokenAuthorizer() *config.Authorizer {
	return &config.Authorizer{Name: "TokenAuth", Type: config.TokenAuthorizer, Function: "AuthFn",
		IdentitySources: []config.IdentitySource{{Kind: "header", Name: "Authorization", Expr: "method.request.header.Authorization"}}}
}

func requestAuthorizer(version string) *config.Authorizer {
	expr := "method.request.header.X-User"
	if version != "" {
		expr = "$request.header.X-User"
	}
	return &config.Authorizer{Name: "RequestAuth", Type: config.RequestAuthorizer, Function: "AuthFn", PayloadVersion: version,
		IdentitySources: []config.IdentitySource{{Kind: "header", Name: "X-User", Expr: expr}, {Kind: "querystring", Name: "tenant"}}}
}

// authorizerEventCases are the events Lambda authorizers get.
func authorizerEventCases() []struct {
	name string
	api  *config.API
	req  *Request
	ev   func(m *Match, req *Request) []byte
} {
	restVars := restAPI("RestApi", route("GET /items/{id}"))
	restVars.StageVariables = map[string]string{"env": "local"}
	httpVars := httpAPI("HttpApi", route("GET /items/{id}"))
	httpVars.StageVariables = map[string]string{"env": "local"}
	headers := []string{"Authorization: Bearer abc.def.ghi", "X-User: ada", "User-Agent: curl/8.5.0", "Cookie: s=1; theme=dark"}
	return []struct {
		name string
		api  *config.API
		req  *Request
		ev   func(m *Match, req *Request) []byte
	}{
		{"rest_token", restAPI("RestApi", route("GET /items/{id}")), newRequest("GET", "/items/7", "", headers...),
			func(m *Match, req *Request) []byte { return TokenEvent(m, req, req.Header.Get("Authorization")) }},
		{"rest_token_root", restAPI("RestApi", route("GET /")), newRequest("GET", "/Prod/", "", headers...),
			func(m *Match, req *Request) []byte { return TokenEvent(m, req, "allow") }},
		{"rest_request", restVars, newRequest("GET", "/items/7?tenant=t1&tenant=t2", `{"ignored":true}`, append(headers, "Content-Type: application/json")...),
			func(m *Match, req *Request) []byte {
				return RequestEvent(m, req, requestAuthorizer(""), []string{"ada", "t2"})
			}},
		{"http_authorizer_v1", httpVars, newRequest("GET", "/items/7?tenant=t1", "", headers...),
			func(m *Match, req *Request) []byte {
				return RequestEvent(m, req, requestAuthorizer("1.0"), []string{"ada", "t1"})
			}},
		{"http_authorizer_v2", httpVars, newRequest("GET", "/items/7?tenant=t1&tenant=t2", `{"ignored":true}`, append(headers, "Content-Type: application/json")...),
			func(m *Match, req *Request) []byte {
				return RequestEvent(m, req, requestAuthorizer("2.0"), []string{"ada", "t1,t2"})
			}},
		{"http_authorizer_v2_default_route", httpAPI("HttpApi", route("$default")), newRequest("GET", "/anything", "", headers...),
			func(m *Match, req *Request) []byte {
				return RequestEvent(m, req, requestAuthorizer("2.0"), []string{"ada"})
			}},
	}
}

func TestAuthorizerEventGolden(t *testing.T) {
	for _, tc := range authorizerEventCases() {
		t.Run(tc.name, func(t *testing.T) {
			if tc.api.Type == config.RESTAPI {
				tc.req.RequestID = restRequestID
			}
			ev := tc.ev(mustMatch(t, mustRouter(t, tc.api), tc.req), tc.req)
			checkGolden(t, filepath.Join("authorizer", tc.name+".json"), indent(t, ev))
			compactEqual(t, filepath.Join("testdata", "authorizer", tc.name+".json"), ev)
		})
	}
}

// compactEqual checks that the indented golden compacts to exactly ev.
func compactEqual(t *testing.T, golden string, ev []byte) {
	t.Helper()
	if testenv.Updating() {
		return
	}
	want, _ := os.ReadFile(golden)
	var compact bytes.Buffer
	if err := json.Compact(&compact, want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(compact.Bytes(), ev) {
		t.Errorf("compact golden differs:\n%s\n%s", compact.Bytes(), ev)
	}
}

// TestAuthorizerEventRoundTrip: aws-lambda-go's authorizer request types
// read every field we send.
func TestAuthorizerEventRoundTrip(t *testing.T) {
	noGoField := map[string]bool{"requestContext.deploymentId": true, "requestContext.domainName": true,
		"requestContext.domainPrefix": true, "requestContext.extendedRequestId": true, "requestContext.identity.cognitoAmr": true,
		"requestContext.identity.principalOrgId": true, "requestContext.protocol": true, "requestContext.requestTime": true,
		"requestContext.requestTimeEpoch": true, "requestContext.routeKey": true, "requestContext.identity.accessKey": true,
		"requestContext.identity.accountId": true, "requestContext.identity.caller": true, "requestContext.identity.apiKeyId": true,
		"requestContext.identity.cognitoAuthenticationProvider": true, "requestContext.identity.cognitoAuthenticationType": true,
		"requestContext.identity.cognitoIdentityId": true, "requestContext.identity.cognitoIdentityPoolId": true,
		"requestContext.identity.user": true, "requestContext.identity.userAgent": true, "requestContext.identity.userArn": true,
		"multiValueHeaders": true, "multiValueQueryStringParameters": true, "requestContext.extendedRequestID": true}
	for _, tc := range authorizerEventCases() {
		t.Run(tc.name, func(t *testing.T) {
			ev := tc.ev(mustMatch(t, mustRouter(t, tc.api), tc.req), tc.req)
			var v any
			switch {
			case strings.HasPrefix(tc.name, "rest_token"):
				v = &events.APIGatewayCustomAuthorizerRequest{}
			case tc.name == "rest_request":
				v = &events.APIGatewayCustomAuthorizerRequestTypeRequest{}
			case tc.name == "http_authorizer_v1":
				v = &events.APIGatewayV2CustomAuthorizerV1Request{}
			default:
				v = &events.APIGatewayV2CustomAuthorizerV2Request{}
			}
			if err := json.Unmarshal(ev, v); err != nil {
				t.Fatal(err)
			}
			again, _ := json.Marshal(v)
			ours, theirs := flatten(t, ev), flatten(t, again)
			for k, val := range ours {
				if noGoField[k] || noGoField[strings.SplitN(k, ".", 2)[0]] {
					continue
				}
				tv, ok := theirs[k]
				if !ok && (val == nil || val == false || val == "") {
					continue
				}
				if val == nil && (tv == "" || tv == false) {
					continue
				}
				if !ok || !cmp.Equal(val, tv) {
					t.Errorf("%s: sent %#v, aws-lambda-go gives back %#v (present %v)", k, val, tv, ok)
				}
			}
		})
	}
}

// TestAuthorizerEventKeysMatchFixtures compares our authorizer events'
// fields with aws-lambda-go's fixtures of the same events.
func TestAuthorizerEventKeysMatchFixtures(t *testing.T) {
	dir := fixtureDir(t)
	cases := map[string]struct {
		fixture               string
		fixtureOnly, oursOnly []string
	}{
		"rest_token": {fixture: "apigw-custom-auth-request.json"},
		"rest_request": {fixture: "apigw-custom-auth-request-type-request.json",
			// The fixture is trimmed: AWS documents the rest of the
			// request context for REQUEST authorizers.
			fixtureOnly: []string{"requestContext.identity.clientCert"},
			oursOnly: []string{"requestContext.deploymentId", "requestContext.domainName", "requestContext.domainPrefix",
				"requestContext.extendedRequestId", "requestContext.identity.accessKey", "requestContext.identity.accountId",
				"requestContext.identity.apiKeyId", "requestContext.identity.caller", "requestContext.identity.cognitoAmr",
				"requestContext.identity.cognitoAuthenticationProvider", "requestContext.identity.cognitoAuthenticationType",
				"requestContext.identity.cognitoIdentityId", "requestContext.identity.cognitoIdentityPoolId",
				"requestContext.identity.principalOrgId", "requestContext.identity.user", "requestContext.identity.userAgent",
				"requestContext.identity.userArn", "requestContext.protocol", "requestContext.requestTime", "requestContext.requestTimeEpoch"}},
		"http_authorizer_v2": {fixture: "apigw-v2-custom-authorizer-v2-request.json",
			fixtureOnly: []string{"requestContext.authentication"}},
	}
	for _, tc := range authorizerEventCases() {
		c, ok := cases[tc.name]
		if !ok {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			fix, err := os.ReadFile(filepath.Join(dir, c.fixture))
			if err != nil {
				t.Fatal(err)
			}
			ev := tc.ev(mustMatch(t, mustRouter(t, tc.api), tc.req), tc.req)
			want := append(structuralKeys(t, fix, c.fixtureOnly), c.oursOnly...)
			sort.Strings(want)
			got := structuralKeys(t, ev, nil)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("keys (-fixture +ours):\n%s", diff)
			}
		})
	}
}

// TestAuthorizedEventGolden pins the requestContext the route's function
// gets after each kind of authorizer.
func TestAuthorizedEventGolden(t *testing.T) {
	lambdaCtx := json.RawMessage(`{"user":"ada","n":123,"ok":true,"gone":null,"f":1.5}`)
	claims := json.RawMessage(`{"sub":"u-1","iss":"https://issuer.example.com","aud":["api-client","web"],"exp":1718722804,"iat":1718719204,"email_verified":true,"cognito:groups":["admin","ops"],"address":{"city":"Oslo"}}`)
	iam := &IAMIdentity{AccessKey: "AKIAGATESCOPE0000001", AccountID: "123456789012", Caller: "AIDAGATESCOPE00000001", User: "AIDAGATESCOPE00000001",
		UserARN: "arn:aws:iam::123456789012:user/gatescope"}
	v1 := func(r *config.Route) *config.Route { r.PayloadVersion = "1.0"; return r }
	cases := []struct {
		name string
		api  *config.API
		auth *Auth
	}{
		{"rest_lambda", restAPI("RestApi", route("GET /items/{id}")),
			&Auth{Kind: AuthLambda, PrincipalID: "user-ada", IntegrationLatency: 12, Context: lambdaCtx, APIKey: "dev-key-0123456789abcd", APIKeyID: "k2j4h5g6f7"}},
		{"rest_lambda_no_context", restAPI("RestApi", route("GET /items/{id}")), &Auth{Kind: AuthLambda, PrincipalID: "p"}},
		{"rest_cognito", restAPI("RestApi", route("GET /items/{id}")), &Auth{Kind: AuthCognito, Claims: claims}},
		{"rest_iam", restAPI("RestApi", route("GET /items/{id}")), &Auth{Kind: AuthIAM, IAM: iam}},
		{"rest_api_key_only", restAPI("RestApi", route("GET /items/{id}")), &Auth{APIKey: "dev-key-0123456789abcd", APIKeyID: "k2j4h5g6f7"}},
		{"v2_lambda", httpAPI("HttpApi", route("GET /items/{id}")), &Auth{Kind: AuthLambda, Context: lambdaCtx}},
		{"v2_lambda_no_context", httpAPI("HttpApi", route("GET /items/{id}")), &Auth{Kind: AuthLambda}},
		{"v2_jwt", httpAPI("HttpApi", route("GET /items/{id}")), &Auth{Kind: AuthJWT, Claims: claims, Scopes: []string{"read", "write"}}},
		{"v2_jwt_no_scopes", httpAPI("HttpApi", route("GET /items/{id}")), &Auth{Kind: AuthJWT, Claims: claims}},
		{"v2_iam", httpAPI("HttpApi", route("GET /items/{id}")), &Auth{Kind: AuthIAM, IAM: iam}},
		{"http_v1_jwt", httpAPI("HttpApi", v1(route("GET /items/{id}"))), &Auth{Kind: AuthJWT, Claims: claims, Scopes: []string{"read"}}},
		{"http_v1_iam", httpAPI("HttpApi", v1(route("GET /items/{id}"))), &Auth{Kind: AuthIAM, IAM: iam}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := newRequest("GET", "/items/7", "", "User-Agent: curl/8.5.0")
			if tc.api.Type == config.RESTAPI {
				req.RequestID = restRequestID
			}
			req.Auth = tc.auth
			m := mustMatch(t, mustRouter(t, tc.api), req)
			ev, err := BuildEvent(m, req)
			if err != nil {
				t.Fatal(err)
			}
			var e struct {
				RequestContext map[string]json.RawMessage `json:"requestContext"`
			}
			if err := json.Unmarshal(ev, &e); err != nil {
				t.Fatal(err)
			}
			part := map[string]json.RawMessage{"authorizer": e.RequestContext["authorizer"], "identity": e.RequestContext["identity"]}
			out, _ := json.Marshal(part)
			checkGolden(t, filepath.Join("authorized", tc.name+".json"), indent(t, out))
			if got := AuthorizerJSON(m, tc.auth); !bytes.Equal(got, e.RequestContext["authorizer"]) && got != nil {
				t.Errorf("AuthorizerJSON %s differs from the event's %s", got, e.RequestContext["authorizer"])
			}
			// aws-lambda-go reads them.
			if payloadVersion(m) == "2.0" {
				var v events.APIGatewayV2HTTPRequest
				if err := json.Unmarshal(ev, &v); err != nil {
					t.Fatal(err)
				}
				a := v.RequestContext.Authorizer
				switch tc.auth.Kind {
				case AuthJWT:
					if a == nil || a.JWT == nil || a.JWT.Claims["exp"] != "1718722804" || a.JWT.Claims["aud"] != "[api-client web]" {
						t.Errorf("JWT authorizer: %+v", a)
					}
				case AuthLambda:
					if a == nil || (tc.auth.Context != nil && a.Lambda["n"] != float64(123)) {
						t.Errorf("Lambda authorizer: %+v", a)
					}
				case AuthIAM:
					if a == nil || a.IAM == nil || a.IAM.AccessKey != iam.AccessKey || a.IAM.UserARN != iam.UserARN {
						t.Errorf("IAM authorizer: %+v", a)
					}
				}
			} else {
				var v events.APIGatewayProxyRequest
				if err := json.Unmarshal(ev, &v); err != nil {
					t.Fatal(err)
				}
				if tc.auth.Kind == AuthLambda && (v.RequestContext.Authorizer["n"] != "123" || v.RequestContext.Authorizer["principalId"] != "user-ada") && tc.name == "rest_lambda" {
					t.Errorf("REST Lambda authorizer: %+v", v.RequestContext.Authorizer)
				}
				if tc.auth.Kind == AuthIAM && v.RequestContext.Identity.UserArn != iam.UserARN {
					t.Errorf("IAM identity: %+v", v.RequestContext.Identity)
				}
			}
		})
	}
}

func TestAuthorizerAnswersExactBytes(t *testing.T) {
	rest, http := restAPI("RestApi", route("GET /items/{id}")), httpAPI("HttpApi", route("GET /items/{id}"))
	cases := []struct {
		name string
		api  *config.API
		resp func(m *Match, req *Request) *Response
	}{
		{"rest_unauthorized", rest, func(m *Match, req *Request) *Response {
			return Unauthorized(m, req, "", "No Authorization header: authorizer TokenAuth takes its token from method.request.header.Authorization")
		}},
		{"rest_explicit_deny", rest, func(m *Match, req *Request) *Response {
			return Denied(m, req, true, "", "the policy denies GET /items/7")
		}},
		{"rest_not_covered", rest, func(m *Match, req *Request) *Response {
			return Denied(m, req, false, "", "the policy allows GET /items/* but this is DELETE /items/7")
		}},
		{"rest_authorizer_failed", rest, func(m *Match, req *Request) *Response {
			return AuthorizerFailed(m, req, "malformed_response", "the authorizer returned context value \"user\" as an object")
		}},
		{"rest_iam_missing", rest, func(m *Match, req *Request) *Response {
			return SignatureRejected(m, req, "Missing Authentication Token", "MissingAuthenticationTokenException", "not signed")
		}},
		{"rest_iam_bad_signature", rest, func(m *Match, req *Request) *Response {
			return SignatureRejected(m, req, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
				"InvalidSignatureException", "signature mismatch")
		}},
		{"rest_api_key_missing", rest, func(m *Match, req *Request) *Response {
			return APIKeyRefused(m, req, "the route requires an API key and the request sent no x-api-key header")
		}},
		{"rest_throttled", rest, func(m *Match, req *Request) *Response { return Throttled(m, req, false, "rate") }},
		{"rest_quota", rest, func(m *Match, req *Request) *Response { return Throttled(m, req, true, "quota") }},
		{"rest_permission_denied", rest, func(m *Match, req *Request) *Response {
			return PermissionDenied(m, req, "no permission statement allows arn:aws:execute-api:us-east-1:123456789012:x/Prod/GET/items/{id}")
		}},
		{"http_unauthorized", http, func(m *Match, req *Request) *Response { return Unauthorized(m, req, "", "missing") }},
		{"http_jwt_no_token", http, func(m *Match, req *Request) *Response { return Unauthorized(m, req, "Bearer", "no token") }},
		{"http_jwt_expired", http, func(m *Match, req *Request) *Response {
			return Unauthorized(m, req, `Bearer scope="" error="invalid_token" error_description="the token has expired"`, "token expired 3 minutes ago")
		}},
		{"http_jwt_audience", http, func(m *Match, req *Request) *Response {
			return Unauthorized(m, req, `Bearer scope="read" error="invalid_token" error_description="the token does not have a valid audience"`, "aud is web-client, the authorizer expects api-client")
		}},
		{"http_jwt_segments", http, func(m *Match, req *Request) *Response {
			return Unauthorized(m, req, `Bearer scope="" error="invalid_token" error_description="token contains an invalid number of segments"`, "2 segments")
		}},
		{"http_jwt_scope", http, func(m *Match, req *Request) *Response {
			return Denied(m, req, false, `Bearer scope="a b" error="insufficient_scope" error_description="expected scopes: [a b]"`, "scopes")
		}},
		{"http_forbidden", http, func(m *Match, req *Request) *Response { return Denied(m, req, false, "", "isAuthorized false") }},
		{"http_authorizer_failed", http, func(m *Match, req *Request) *Response {
			return AuthorizerFailed(m, req, "function_error", "the authorizer failed")
		}},
		{"http_iam_rejected", http, func(m *Match, req *Request) *Response {
			return SignatureRejected(m, req, "Missing Authentication Token", "MissingAuthenticationTokenException", "not signed")
		}},
		{"http_permission_denied", http, func(m *Match, req *Request) *Response { return PermissionDenied(m, req, "no statement") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := newRequest("GET", "/items/7", "")
			if tc.api.Type == config.RESTAPI {
				req.RequestID = restRequestID
			}
			resp := tc.resp(mustMatch(t, mustRouter(t, tc.api), req), req)
			checkGolden(t, filepath.Join("responses", "auth_"+tc.name+".txt"), dumpResponse(resp))
		})
	}
}

func TestARNs(t *testing.T) {
	rest := restAPI("RestApi", route("ANY /items/{id}"), route("GET /"))
	rest.Region = "eu-west-1"
	http := httpAPI("HttpApi", route("$default"), route("GET /hello/{name}"))
	id := APIID("RestApi")
	hid := APIID("HttpApi")
	for _, tt := range []struct {
		api                  *config.API
		method, path         string
		methodARN, sourceARN string
	}{
		{rest, "DELETE", "/items/7", "arn:aws:execute-api:eu-west-1:123456789012:" + id + "/Prod/DELETE/items/7",
			"arn:aws:execute-api:eu-west-1:123456789012:" + id + "/Prod/ANY/items/{id}"},
		{rest, "GET", "/Prod/items/7", "arn:aws:execute-api:eu-west-1:123456789012:" + id + "/Prod/GET/items/7",
			"arn:aws:execute-api:eu-west-1:123456789012:" + id + "/Prod/ANY/items/{id}"},
		{rest, "GET", "/", "arn:aws:execute-api:eu-west-1:123456789012:" + id + "/Prod/GET/",
			"arn:aws:execute-api:eu-west-1:123456789012:" + id + "/Prod/GET/"},
		{http, "POST", "/anything", "arn:aws:execute-api:us-east-1:123456789012:" + hid + "/$default/POST/anything",
			"arn:aws:execute-api:us-east-1:123456789012:" + hid + "/$default/$default"},
		{http, "GET", "/hello/ada", "arn:aws:execute-api:us-east-1:123456789012:" + hid + "/$default/GET/hello/ada",
			"arn:aws:execute-api:us-east-1:123456789012:" + hid + "/$default/GET/hello/{name}"},
	} {
		req := newRequest(tt.method, tt.path, "")
		m := mustMatch(t, mustRouter(t, tt.api), req)
		if got := MethodARN(m, req); got != tt.methodARN {
			t.Errorf("MethodARN(%s %s) = %s, want %s", tt.method, tt.path, got, tt.methodARN)
		}
		if got := SourceARN(m); got != tt.sourceARN {
			t.Errorf("SourceARN(%s %s) = %s, want %s", tt.method, tt.path, got, tt.sourceARN)
		}
	}
	m := mustMatch(t, mustRouter(t, rest), newRequest("GET", "/", ""))
	if got, want := AuthorizerARN(m, tokenAuthorizer()), "arn:aws:execute-api:eu-west-1:123456789012:"+id+"/authorizers/"+AuthorizerID(id, "TokenAuth"); got != want {
		t.Errorf("AuthorizerARN = %s, want %s", got, want)
	}
}

func TestParseAuthorizerOutput(t *testing.T) {
	rest := restAPI("RestApi", route("GET /items/{id}"))
	http := httpAPI("HttpApi", route("GET /items/{id}"))
	simple := &config.Authorizer{Name: "S", Type: config.RequestAuthorizer, PayloadVersion: "2.0", SimpleResponses: true}
	const arn = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234"
	policy := func(effect, resource string) string {
		return `{"principalId":"user","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"` + effect + `","Resource":"` + resource + `"}]}`
	}
	for _, tt := range []struct {
		name     string
		api      *config.API
		az       *config.Authorizer
		out      string
		err      string
		allowed  bool
		explicit bool
		why      string
	}{
		{"allow", rest, tokenAuthorizer(), policy("Allow", arn+"/Prod/GET/items/*") + `,"context":{"n":1}}`, "", true, false, ""},
		{"not covered", rest, tokenAuthorizer(), policy("Allow", arn+"/Prod/GET/items/*") + `}`, "", false, false,
			"the policy allows GET /items/* but this is DELETE /items/7"},
		{"other stage", rest, tokenAuthorizer(), policy("Allow", arn+"/dev/DELETE/items/*") + `}`, "", false, false,
			"the policy allows DELETE /items/* but this is DELETE /items/7 on stage Prod (the policy names stage dev)"},
		{"deny", rest, tokenAuthorizer(), policy("Deny", arn+"/*") + `}`, "", false, true, "the policy denies DELETE /items/7 (statement 1: Deny " + arn + "/*)"},
		{"object context", rest, tokenAuthorizer(), policy("Allow", "*") + `,"context":{"user":{"id":1}}}`,
			`the authorizer returned context value "user" as an object`, false, false, ""},
		{"list context", rest, tokenAuthorizer(), policy("Allow", "*") + `,"context":{"roles":["a"]}}`,
			`the authorizer returned context value "roles" as a list`, false, false, ""},
		{"http keeps object context", http, requestAuthorizer("1.0"), policy("Allow", "*") + `,"context":{"user":{"id":1}}}`, "", true, false, ""},
		{"no principal", rest, tokenAuthorizer(), `{"policyDocument":{}}`, "the authorizer returned no principalId", false, false, ""},
		{"no policy", rest, tokenAuthorizer(), `{"principalId":"x"}`, "the authorizer returned no policyDocument", false, false, ""},
		{"bad effect", rest, tokenAuthorizer(), policy("Permit", "*") + `}`, `has Effect "Permit"`, false, false, ""},
		{"not an object", rest, tokenAuthorizer(), `"allow"`, `the authorizer returned a string "allow"`, false, false, ""},
		{"simple true", http, simple, `{"isAuthorized":true,"context":{"a":[1]}}`, "", true, false, ""},
		{"simple false", http, simple, `{"isAuthorized":false}`, "", false, false, "the authorizer answered isAuthorized: false"},
		{"simple missing", http, simple, `{"context":{}}`, "returned no isAuthorized", false, false, ""},
		{"simple string", http, simple, `{"isAuthorized":"true"}`, `returned isAuthorized "true"`, false, false, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := ParseAuthorizerOutput(tt.api, tt.az, []byte(tt.out))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			allowed, explicit, why := out.Decide(arn + "/Prod/DELETE/items/7")
			if tt.name == "allow" {
				allowed, explicit, why = out.Decide(arn + "/Prod/GET/items/7")
			}
			if allowed != tt.allowed || explicit != tt.explicit || why != tt.why {
				t.Errorf("Decide = %v %v %q, want %v %v %q", allowed, explicit, why, tt.allowed, tt.explicit, tt.why)
			}
		})
	}
}

func TestStringify(t *testing.T) {
	for raw, want := range map[string]string{
		`"x"`: "x", `1718722804`: "1718722804", `1.5`: "1.5", `true`: "true", `null`: "",
		`["a","b"]`: "[a b]", `[1,["x"]]`: "[1 [x]]", `{"b":1,"a":"x"}`: "map[a:x b:1]",
	} {
		if got := Stringify(json.RawMessage(raw)); got != want {
			t.Errorf("Stringify(%s) = %q, want %q", raw, got, want)
		}
	}
}
