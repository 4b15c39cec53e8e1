package authz

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func newIssuer(t *testing.T) *Issuer {
	t.Helper()
	iss, err := LoadIssuer(filepath.Join(t.TempDir(), "key.json"))
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

// oidcServer is an issuer reachable over HTTP: discovery, then its JWKS,
// which keys() returns at the time of each fetch.
func oidcServer(t *testing.T, keys func() *jose.JSONWebKeySet) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var fetches atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(map[string]string{"issuer": srv.URL, "jwks_uri": srv.URL + "/keys"})
		case "/keys":
			fetches.Add(1)
			json.NewEncoder(w).Encode(keys())
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &fetches
}

func TestKeysSources(t *testing.T) {
	a, b := newIssuer(t), newIssuer(t)
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	current := a
	srv, fetches := oidcServer(t, func() *jose.JSONWebKeySet { return current.JWKS() })

	file := filepath.Join(t.TempDir(), "jwks.json")
	data, _ := json.Marshal(a.JWKS())
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := NewKeys([]string{"https://file.example.com/=" + file, "https://url.example.com=" + srv.URL + "/keys",
		"https://local.example.com=local"}, func() (*Issuer, error) { return b, nil }, c.now)
	if err != nil {
		t.Fatal(err)
	}
	kidOf := func(set *jose.JSONWebKeySet) string { return set.Keys[0].KeyID }
	ctx := context.Background()
	for issuer, want := range map[string]*Issuer{"https://file.example.com": a, "https://url.example.com": a,
		"https://local.example.com": b, srv.URL: a} {
		set, err := keys.For(ctx, issuer, "")
		if err != nil || kidOf(set) != kidOf(want.JWKS()) {
			t.Errorf("%s: %v %v", issuer, set, err)
		}
		if set != nil && set.Keys[0].IsPublic() == false {
			t.Errorf("%s: a private key is kept for verification", issuer)
		}
	}
	// Discovery's keys are kept; a kid they lack fetches again, at most
	// every 30 s, as keys rotate.
	n := fetches.Load()
	current = b
	if _, err := keys.For(ctx, srv.URL, kidOf(a.JWKS())); err != nil || fetches.Load() != n {
		t.Errorf("known kid fetched again: %d → %d", n, fetches.Load())
	}
	set, _ := keys.For(ctx, srv.URL, kidOf(b.JWKS()))
	if kidOf(set) != kidOf(b.JWKS()) || fetches.Load() != n+1 {
		t.Errorf("rotated kid: got %s, fetches %d → %d", kidOf(set), n, fetches.Load())
	}
	keys.For(ctx, srv.URL, "unknown-kid")
	if fetches.Load() != n+1 {
		t.Error("an unknown kid fetched again within 30 s")
	}
	c.t = c.t.Add(31 * time.Second)
	keys.For(ctx, srv.URL, "unknown-kid")
	if fetches.Load() != n+2 {
		t.Error("an unknown kid did not fetch again after 30 s")
	}
	// An unreachable issuer is an error naming where it looked.
	if _, err := keys.For(ctx, "http://127.0.0.1:1/issuer", ""); err == nil || !strings.Contains(err.Error(), "/.well-known/openid-configuration") {
		t.Errorf("unreachable: %v", err)
	}
	if got := keys.Source("https://local.example.com"); got != "the local issuer (gatescope token)" {
		t.Errorf("Source = %q", got)
	}

	// * stands for every issuer.
	star, err := NewKeys([]string{"*=local"}, func() (*Issuer, error) { return b, nil }, c.now)
	if err != nil {
		t.Fatal(err)
	}
	if set, err := star.For(ctx, "https://anything.example.com", ""); err != nil || kidOf(set) != kidOf(b.JWKS()) {
		t.Errorf("*: %v %v", set, err)
	}
	for _, bad := range []string{"no-equals", "https://x=", filepath.Join(t.TempDir(), "missing")} {
		if _, err := NewKeys([]string{"https://i=" + bad}, nil, c.now); err == nil && bad != "https://x=" {
			t.Errorf("NewKeys(%q) accepted", bad)
		}
	}
}

func TestIssuerKeyIsKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "key.json")
	a, err := LoadIssuer(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadIssuer(path)
	if err != nil {
		t.Fatal(err)
	}
	if a.JWKS().Keys[0].KeyID != b.JWKS().Keys[0].KeyID {
		t.Error("a second load made another key")
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v %v", st.Mode(), err)
	}
	tok, err := a.Sign(map[string]any{"iss": "x"})
	if err != nil || strings.Count(tok, ".") != 2 {
		t.Fatalf("Sign = %q %v", tok, err)
	}
}

const jwtTemplate = `Parameters:
  Issuer: {Type: String}
Resources:
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        Authorizers:
          Jwt:
            JwtConfiguration: {issuer: !Ref Issuer, audience: [api-client]}
  Rest:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Auth:
        Authorizers:
          Pool:
            UserPoolArn: arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      Events:
        Jwt:
          Type: HttpApi
          Properties: {ApiId: !Ref Http, Path: /jwt, Method: GET, Auth: {Authorizer: Jwt, AuthorizationScopes: [read]}}
        Pool:
          Type: Api
          Properties: {RestApiId: !Ref Rest, Path: /pool, Method: GET, Auth: {Authorizer: Pool}}
        Scoped:
          Type: Api
          Properties: {RestApiId: !Ref Rest, Path: /scoped, Method: GET, Auth: {Authorizer: Pool, AuthorizationScopes: [items/read]}}
`

// TestJWTAndCognitoAuthorizers: tokens verified with keys found by OIDC
// discovery (JWT) and from --jwks local (Cognito), and the answers.
func TestJWTAndCognitoAuthorizers(t *testing.T) {
	iss := newIssuer(t)
	srv, _ := oidcServer(t, iss.JWKS)
	keys, err := NewKeys([]string{"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc=local"}, func() (*Issuer, error) { return iss, nil }, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	p := strings.Replace(jwtTemplate, "Issuer: {Type: String}", "Issuer: {Type: String, Default: '"+srv.URL+"'}", 1)
	h := newHarness(t, p, &fakeInvoker{}, Options{Keys: keys})
	now := h.clock.t
	sign := func(claims map[string]any) string {
		base := map[string]any{"iss": srv.URL, "aud": "api-client", "exp": now.Add(time.Hour).Unix(), "scope": "read"}
		for k, v := range claims {
			if v == nil {
				delete(base, k)
			} else {
				base[k] = v
			}
		}
		tok, err := iss.Sign(base)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	d := h.do("GET", "/jwt", "Authorization: Bearer "+sign(nil))
	if status(d) != 200 || d.Auth.Kind != 2 || strings.Join(d.Auth.Scopes, " ") != "read" || !strings.Contains(string(d.Step.Context), `"jwt":{"claims":{`) {
		t.Fatalf("valid: %d %+v %s", status(d), d.Auth, d.Step.Context)
	}
	for _, tt := range []struct {
		name   string
		token  string
		status int
		www    string
		why    string
	}{
		{"no token", "", 401, "Bearer", "No token: authorizer Jwt (JWT, issuer " + srv.URL + ") takes it from the Authorization header"},
		{"expired", sign(map[string]any{"exp": now.Add(-3 * time.Minute).Unix()}), 401,
			`Bearer scope="read" error="invalid_token" error_description="the token has expired"`, "Authorizer Jwt rejected the token: token expired 3 minutes ago"},
		{"audience", sign(map[string]any{"aud": "web-client"}), 401,
			`Bearer scope="read" error="invalid_token" error_description="the token does not have a valid audience"`, "Authorizer Jwt rejected the token: aud is web-client, the authorizer expects api-client"},
		{"scope", sign(map[string]any{"scope": "write"}), 403,
			`Bearer scope="read" error="insufficient_scope" error_description="expected scopes: [read]"`, "Authorizer Jwt rejected the token: the token's scopes (write) include none of the route's (read)"},
	} {
		var hdr []string
		if tt.token != "" {
			hdr = []string{"Authorization: Bearer " + tt.token}
		}
		d := h.do("GET", "/jwt", hdr...)
		if status(d) != tt.status || d.Refused.Header.Get("Www-Authenticate") != tt.www || !strings.HasPrefix(d.Refused.Explanation, tt.why) {
			t.Errorf("%s: %d %q %q", tt.name, status(d), d.Refused.Header.Get("Www-Authenticate"), d.Refused.Explanation)
		}
	}

	pool := "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
	idTok := sign(map[string]any{"iss": pool, "aud": "client", "token_use": "id", "scope": nil, "email": "a@b.c"})
	d = h.do("GET", "/Prod/pool", "Authorization: "+idTok)
	if status(d) != 200 || !strings.Contains(string(d.Step.Context), `"claims":{`) || !strings.Contains(string(d.Step.Context), `"email":"a@b.c"`) {
		t.Fatalf("cognito id token: %d %s %v", status(d), d.Step.Context, d.Refused)
	}
	// A method with scopes takes access tokens only; every refusal is a
	// plain 401.
	d = h.do("GET", "/Prod/scoped", "Authorization: Bearer "+idTok)
	if status(d) != 401 || d.Refused.Header.Get("Www-Authenticate") != "" || !strings.Contains(d.Refused.Explanation, `token_use is "id"`) {
		t.Errorf("id token on a scoped method: %d %q", status(d), d.Refused.Explanation)
	}
	access := sign(map[string]any{"iss": pool, "aud": nil, "client_id": "client", "token_use": "access", "scope": "items/read"})
	if d := h.do("GET", "/Prod/scoped", "Authorization: "+access); status(d) != 200 {
		t.Errorf("access token: %d %v", status(d), d.Refused)
	}
	other := sign(map[string]any{"iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_other", "token_use": "id"})
	if d := h.do("GET", "/Prod/pool", "Authorization: "+other); status(d) != 401 || !strings.Contains(d.Refused.Explanation, "the authorizer expects "+pool) {
		t.Errorf("another pool: %d %v", status(d), d.Refused)
	}
}
