package bench

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/authz"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/gateway"
	"github.com/gatescope/gatescope/server/lambda"
)

// authServer serves bench/testdata/auth through a gateway with access
// control, as serve wires it, and returns a token for its JWT authorizer.
func authServer(tb testing.TB) (*httptest.Server, string) {
	tb.Helper()
	project, err := config.Load("testdata/auth/template.yaml", config.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := lambda.New(logger, project, lambda.Options{})
	tb.Cleanup(m.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := m.Prepare(ctx); err != nil {
		tb.Fatal(err)
	}
	iss, err := authz.LoadIssuer(filepath.Join(tb.TempDir(), "key.json"))
	if err != nil {
		tb.Fatal(err)
	}
	keys, err := authz.NewKeys([]string{"*=local"}, func() (*authz.Issuer, error) { return iss, nil }, time.Now)
	if err != nil {
		tb.Fatal(err)
	}
	router, err := apigw.NewRouter(project.APIs)
	if err != nil {
		tb.Fatal(err)
	}
	acc := authz.New(project, authz.Options{Logger: logger, Invoker: m, Keys: keys})
	gw := gateway.New(logger, router, m, discard{}, func() string { return "bench" }).WithAccess(acc)
	srv := httptest.NewUnstartedServer(gw)
	srv.Listener = gateway.RecordHeaderNames(srv.Listener)
	srv.Config.ConnContext = gateway.HeaderNamesContext
	srv.Start()
	tb.Cleanup(srv.Close)
	tok, err := iss.Sign(map[string]any{"iss": "https://bench.local", "aud": "bench", "exp": time.Now().Add(time.Hour).Unix()})
	if err != nil {
		tb.Fatal(err)
	}
	return srv, tok
}

// BenchmarkAuthorizer is the cost of access control on the request path:
// the same warm function behind no authorizer, a Lambda TOKEN authorizer
// whose answer is cached, one invoked on every request (a second warm
// invoke), and a JWT authorizer (a signature check).
//
//	go test ./bench -run '^$' -bench Authorizer -benchmem
func BenchmarkAuthorizer(b *testing.B) {
	srv, tok := authServer(b)
	for _, c := range []struct{ name, path, auth string }{
		{"none", "/Prod/open", ""},
		{"lambda-cached", "/Prod/cached", "Bearer bench"},
		{"lambda-uncached", "/Prod/uncached", "Bearer bench"},
		{"jwt", "/jwt", "Bearer " + tok},
	} {
		b.Run(c.name, func(b *testing.B) {
			authorizedTrips(b, srv.URL+c.path, c.auth)
		})
	}
}

func authorizedTrips(b *testing.B, url, auth string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	get := func() {
		req, _ := http.NewRequest("GET", url, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("%s: status %d %s", url, resp.StatusCode, body)
		}
	}
	get() // cold starts and the first cache fill outside the timer
	b.ReportAllocs()
	for b.Loop() {
		get()
	}
}

// TestAuthBenchSetup keeps the authorizer benchmark's fixture honest: each
// route answers 200 with its credentials and refuses without.
func TestAuthBenchSetup(t *testing.T) {
	srv, tok := authServer(t)
	for _, c := range []struct{ path, auth string }{
		{"/Prod/open", ""}, {"/Prod/cached", "Bearer x"}, {"/Prod/uncached", "Bearer x"}, {"/jwt", "Bearer " + tok},
	} {
		for _, withAuth := range []bool{true, false} {
			req, _ := http.NewRequest("GET", srv.URL+c.path, nil)
			if withAuth && c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			want := 200
			if !withAuth && c.auth != "" {
				want = 401
			}
			if resp.StatusCode != want {
				t.Errorf("%s (credentials %v): %d %s, want %d", c.path, withAuth, resp.StatusCode, body, want)
			}
		}
	}
}
