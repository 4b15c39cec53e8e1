package authz

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/apigw"
)

// BenchmarkAuthorize is access control's own cost per request, in process
// and without the invoke: a Lambda authorizer answered from its cache
// (identity, cache lookup, policy evaluation, context), a JWT checked
// against an RS256 key, and an API key with a throttled usage plan.
//
//	go test ./server/authz -run '^$' -bench Authorize -benchmem
func BenchmarkAuthorize(b *testing.B) {
	inv := &fakeInvoker{answer: func(map[string]any) (string, string) { return policy("Allow", "*", `{"user":"bench"}`), "" }}
	iss, err := LoadIssuer(filepath.Join(b.TempDir(), "key.json"))
	if err != nil {
		b.Fatal(err)
	}
	keys, _ := NewKeys([]string{"*=local"}, func() (*Issuer, error) { return iss, nil }, time.Now)
	h := newHarness(b, authTemplate+`  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        Authorizers:
          Jwt:
            JwtConfiguration: {issuer: https://bench.local, audience: [bench]}
  Jwtfn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      Events:
        Jwt:
          Type: HttpApi
          Properties: {ApiId: !Ref Http, Path: /jwt, Method: GET, Auth: {Authorizer: Jwt}}
`, inv, Options{Keys: keys})
	h.clock.t = time.Now()
	tok, _ := iss.Sign(map[string]any{"iss": "https://bench.local", "aud": "bench", "exp": time.Now().Add(time.Hour).Unix()})
	for _, c := range []struct{ name, path, auth string }{
		{"lambda-cached", "/items/1", "Bearer bench"},
		{"jwt", "/jwt", "Bearer " + tok},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := &apigw.Request{Method: "GET", RawPath: c.path, Host: "localhost:3000", Header: http.Header{"Authorization": {c.auth}},
				Time: h.clock.t, RequestID: "r", SourceIP: "127.0.0.1"}
			m, _ := h.router.Match("GET", c.path)
			if d := h.svc.Authorize(context.Background(), m, req); d.Refused != nil {
				b.Fatal(d.Refused.Explanation)
			}
			b.ReportAllocs()
			for b.Loop() {
				if d := h.svc.Authorize(context.Background(), m, req); d.Refused != nil {
					b.Fatal(d.Refused.Explanation)
				}
			}
		})
	}
}
