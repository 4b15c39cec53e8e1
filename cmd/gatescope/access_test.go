package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/chromedp/chromedp"
	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/authz"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/testenv"
)

// The access app's SigV4 credentials, and its Cognito pool's issuer.
const (
	accessKeyID     = "AKIAGATESCOPETEST001"
	secretAccessKey = "gatescope/test+secret0123456789abcdefghij"
	poolIssuer      = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_local"
)

// accessApp is a running gatescope serving testdata/access, whose JWT
// authorizer's issuer is a local OIDC issuer found by discovery.
type accessApp struct {
	*app
	api, ui string
	issuer  *authz.Issuer // the OIDC issuer the HTTP API's JWT authorizer trusts
	idp     string        // its URL
	keyFile string        // the local issuer's key (gatescope token, --jwks …=local)
}

func startAccessApp(t *testing.T) *accessApp {
	t.Helper()
	for _, p := range []string{"node", "python3", "go"} {
		testenv.Need(t, p)
	}
	dir := t.TempDir()
	idpKey, err := authz.LoadIssuer(filepath.Join(dir, "idp-key.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idp *httptest.Server
	idp = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(map[string]string{"issuer": idp.URL, "jwks_uri": idp.URL + "/jwks"})
		case "/jwks":
			json.NewEncoder(w).Encode(idpKey.JWKS())
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(idp.Close)
	keyFile := filepath.Join(dir, "issuer-key.json")
	f := serveFlags{
		template: "testdata/access/template.yaml", apiAddr: "127.0.0.1:0", uiAddr: "127.0.0.1:0",
		db: filepath.Join(dir, "gs.db"), session: "access", logLevel: "warn", cacheDir: filepath.Join(dir, "cache"),
		idleTimeout: time.Minute, capture: true, params: keyValues{"Issuer": idp.URL},
		access: accessFlags{jwks: stringList{poolIssuer + "=local"}, apiKeys: stringList{"flag-key-0123456789"},
			iamCredentials: stringList{accessKeyID + "=" + secretAccessKey}, issuerKey: keyFile},
	}
	a, err := startApp(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)), f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.shutdown(ctx)
	})
	testenv.Eventually(t, 60*time.Second, "functions built", func() bool { return a.health() == nil })
	return &accessApp{app: a, api: "http://" + a.apiLn.Addr().String(), ui: "http://" + a.uiLn.Addr().String(),
		issuer: idpKey, idp: idp.URL, keyFile: keyFile}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (a *accessApp) call(t *testing.T, method, path string, headers ...string) answer {
	t.Helper()
	req, _ := http.NewRequest(method, a.api+path, nil)
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Add(k, v)
	}
	return a.send(t, req)
}

func (a *accessApp) send(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

// stored waits for the exchange of an answer (by its request id) and
// returns it.
func (a *accessApp) stored(t *testing.T, got answer) *exchange.Exchange {
	t.Helper()
	id := got.header.Get("X-Amzn-Requestid")
	if id == "" {
		id = got.header.Get("Apigw-Requestid")
	}
	var found *exchange.Exchange
	testenv.Eventually(t, 10*time.Second, "exchange of request "+id+" stored", func() bool {
		var res struct{ Exchanges []*exchange.Exchange }
		getJSONInto(t, a.ui+"/api/exchanges?limit=200", &res)
		for _, x := range res.Exchanges {
			if x.RequestID == id && x.ReplayOf == "" {
				found = x
				return true
			}
		}
		return false
	})
	return found
}

func (a *accessApp) token(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), append([]string{"token", "--issuer-key", a.keyFile}, args...), nil, &out, &errOut); code != 0 {
		t.Fatalf("gatescope token %v: exit %d: %s", args, code, errOut.String())
	}
	return strings.TrimSpace(out.String())
}

func wantAnswer(t *testing.T, what string, got answer, status int, body string) {
	t.Helper()
	if got.status != status || (body != "" && got.body != body) {
		t.Errorf("%s: %d %s, want %d %s", what, got.status, got.body, status, body)
	}
}

// echoed is what testdata/access/echo returns: what the function received.
func echoed(t *testing.T, a answer) (authorizer, identity map[string]any) {
	t.Helper()
	var v struct {
		Authorizer map[string]any `json:"authorizer"`
		Identity   map[string]any `json:"identity"`
	}
	if err := json.Unmarshal([]byte(a.body), &v); err != nil {
		t.Fatalf("echo answer %q: %v", a.body, err)
	}
	return v.Authorizer, v.Identity
}

// TestAccessEndToEnd drives every kind of access control through real
// functions: a Node.js TOKEN authorizer (cached), a Python REQUEST
// authorizer, a Go HTTP API authorizer with simple responses, a JWT
// authorizer whose issuer's keys come by OIDC discovery from a local HTTP
// issuer, a Cognito authorizer with gatescope token's keys, SigV4 signed by
// aws-sdk-go-v2's signer, an API key with a quota, and replays that change
// the credentials.
func TestAccessEndToEnd(t *testing.T) {
	a := startAccessApp(t)

	t.Run("node TOKEN authorizer", func(t *testing.T) {
		got := a.call(t, "GET", "/Prod/token/7", "Authorization: Bearer allow-1")
		wantAnswer(t, "allowed", got, 200, "")
		az, _ := echoed(t, got)
		if az["principalId"] != "user-allow-1" || az["n"] != "123" || az["ok"] != "true" || az["user"] != "allow-1" {
			t.Errorf("requestContext.authorizer = %v", az)
		}
		if _, ok := az["integrationLatency"].(float64); !ok {
			t.Errorf("integrationLatency = %v", az["integrationLatency"])
		}
		first := a.stored(t, got)
		if s := first.Authorizer; s == nil || s.Decision != "allow" || s.Cached || s.Function != "NodeAuth" ||
			!strings.Contains(string(s.Event), `"authorizationToken":"Bearer allow-1"`) || !strings.Contains(s.Logs, "START RequestId") {
			t.Fatalf("authorizer step %+v", s)
		}
		// The same token again: answered from the cache, re-evaluated.
		got = a.call(t, "GET", "/Prod/token/8", "Authorization: Bearer allow-1")
		wantAnswer(t, "cached", got, 200, "")
		if s := a.stored(t, got).Authorizer; !s.Cached || s.Decision != "allow" {
			t.Errorf("second request: cached %v decision %s", s.Cached, s.Decision)
		}
		wantAnswer(t, "no token", a.call(t, "GET", "/Prod/token/7"), 401, `{"message":"Unauthorized"}`)
		wantAnswer(t, "unauthorized", a.call(t, "GET", "/Prod/token/7", "Authorization: Bearer unauthorized"), 401, `{"message":"Unauthorized"}`)
		wantAnswer(t, "explicit deny", a.call(t, "GET", "/Prod/token/7", "Authorization: Bearer deny"), 403,
			`{"Message":"User is not authorized to access this resource with an explicit deny"}`)
		got = a.call(t, "GET", "/Prod/token/7", "Authorization: Bearer narrow")
		wantAnswer(t, "not covered", got, 403, `{"Message":"User is not authorized to access this resource"}`)
		if x := a.stored(t, got); x.Outcome != exchange.OutcomeForbidden ||
			!strings.HasPrefix(x.Explanation, "The policy allows GET /token/1 but this is GET /token/7") {
			t.Errorf("narrow: %s %q", x.Outcome, x.Explanation)
		}
		got = a.call(t, "GET", "/Prod/token/7", "Authorization: Bearer broken")
		wantAnswer(t, "object context", got, 500, `{"message":null}`)
		if got.header.Get("X-Amzn-Errortype") != "AuthorizerConfigurationException" {
			t.Errorf("error type %q", got.header.Get("X-Amzn-Errortype"))
		}
	})

	t.Run("python REQUEST authorizer", func(t *testing.T) {
		got := a.call(t, "GET", "/Prod/request?tenant=t1", "X-User: ada")
		wantAnswer(t, "ada", got, 200, "")
		if az, _ := echoed(t, got); az["principalId"] != "ada" || az["tenant"] != "t1" || az["python"] != "true" {
			t.Errorf("requestContext.authorizer = %v", az)
		}
		wantAnswer(t, "bob", a.call(t, "POST", "/Prod/request", "X-User: bob"), 403,
			`{"Message":"User is not authorized to access this resource with an explicit deny"}`)
	})

	t.Run("go HTTP API authorizer, simple responses", func(t *testing.T) {
		got := a.call(t, "GET", "/simple", "X-Token: letmein")
		wantAnswer(t, "letmein", got, 200, "")
		az, _ := echoed(t, got)
		lambdaCtx, _ := az["lambda"].(map[string]any)
		if lambdaCtx["user"] != "gopher" || lambdaCtx["level"] != float64(3) {
			t.Errorf("requestContext.authorizer = %v", az)
		}
		wantAnswer(t, "nope", a.call(t, "GET", "/simple", "X-Token: nope"), 403, `{"message":"Forbidden"}`)
		wantAnswer(t, "missing", a.call(t, "GET", "/simple"), 401, `{"message":"Unauthorized"}`)
	})

	t.Run("JWT authorizer, keys by OIDC discovery", func(t *testing.T) {
		sign := func(claims map[string]any) string {
			c := map[string]any{"iss": a.idp, "aud": "api-client", "scope": "read", "exp": time.Now().Add(time.Hour).Unix(), "sub": "u1"}
			for k, v := range claims {
				c[k] = v
			}
			tok, err := a.issuer.Sign(c)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		got := a.call(t, "GET", "/jwt", "Authorization: Bearer "+sign(nil))
		wantAnswer(t, "valid", got, 200, "")
		az, _ := echoed(t, got)
		jwt, _ := az["jwt"].(map[string]any)
		claims, _ := jwt["claims"].(map[string]any)
		if claims["sub"] != "u1" || claims["aud"] != "api-client" || !strings.HasPrefix(claims["exp"].(string), "1") {
			t.Errorf("requestContext.authorizer = %v", az)
		}
		got = a.call(t, "GET", "/jwt", "Authorization: Bearer "+sign(map[string]any{"exp": time.Now().Add(-3 * time.Minute).Unix()}))
		wantAnswer(t, "expired", got, 401, `{"message":"Unauthorized"}`)
		if w := got.header.Get("Www-Authenticate"); w != `Bearer scope="read" error="invalid_token" error_description="the token has expired"` {
			t.Errorf("www-authenticate %q", w)
		}
		if x := a.stored(t, got); !strings.Contains(x.Explanation, "token expired 3 minutes ago") || x.Outcome != exchange.OutcomeUnauthorized {
			t.Errorf("expired: %s %q", x.Outcome, x.Explanation)
		}
		got = a.call(t, "GET", "/jwt", "Authorization: Bearer "+sign(map[string]any{"aud": "web-client"}))
		wantAnswer(t, "audience", got, 401, `{"message":"Unauthorized"}`)
		if x := a.stored(t, got); !strings.Contains(x.Explanation, "aud is web-client, the authorizer expects api-client") {
			t.Errorf("audience: %q", x.Explanation)
		}
		// gatescope token's key is not this issuer's.
		got = a.call(t, "GET", "/jwt", "Authorization: Bearer "+a.token(t, "--issuer", a.idp, "--aud", "api-client", "--scope", "read"))
		wantAnswer(t, "another key", got, 401, "")
	})

	t.Run("Cognito authorizer with gatescope token", func(t *testing.T) {
		tok := a.token(t, "--issuer", poolIssuer, "--claim", "token_use=id", "--claim", "email=ada@example.com")
		got := a.call(t, "GET", "/Prod/pool", "Authorization: "+tok)
		wantAnswer(t, "id token", got, 200, "")
		az, _ := echoed(t, got)
		claims, _ := az["claims"].(map[string]any)
		if claims["email"] != "ada@example.com" || !strings.HasSuffix(claims["exp"].(string), " UTC "+time.Now().UTC().Format("2006")) {
			t.Errorf("requestContext.authorizer = %v", az)
		}
		wantAnswer(t, "expired", a.call(t, "GET", "/Prod/pool", "Authorization: "+a.token(t, "--issuer", poolIssuer, "--expires-in", "-1m", "--claim", "token_use=id")),
			401, `{"message":"Unauthorized"}`)
	})

	t.Run("IAM authorization, SigV4 by aws-sdk-go-v2", func(t *testing.T) {
		signed := func(path, secret string, at time.Time) *http.Request {
			req, _ := http.NewRequest("GET", a.api+path, nil)
			sum := sha256.Sum256(nil)
			creds := aws.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secret}
			if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "execute-api", "us-east-1", at); err != nil {
				t.Fatal(err)
			}
			return req
		}
		got := a.send(t, signed("/Prod/iam", secretAccessKey, time.Now()))
		wantAnswer(t, "signed REST", got, 200, "")
		if _, id := echoed(t, got); id["accessKey"] != accessKeyID || id["accountId"] != "123456789012" ||
			id["userArn"] != "arn:aws:iam::123456789012:user/gatescope" || !strings.HasPrefix(id["caller"].(string), "AIDA") {
			t.Errorf("requestContext.identity = %v", id)
		}
		got = a.send(t, signed("/hiam", secretAccessKey, time.Now()))
		wantAnswer(t, "signed HTTP API", got, 200, "")
		if az, _ := echoed(t, got); az["iam"].(map[string]any)["accessKey"] != accessKeyID {
			t.Errorf("requestContext.authorizer = %v", az)
		}
		got = a.send(t, signed("/Prod/iam", "wrong-secret", time.Now()))
		wantAnswer(t, "wrong secret", got, 403, "")
		if got.header.Get("X-Amzn-Errortype") != "InvalidSignatureException" {
			t.Errorf("error type %q", got.header.Get("X-Amzn-Errortype"))
		}
		got = a.send(t, signed("/Prod/iam", secretAccessKey, time.Now().Add(-20*time.Minute)))
		if got.status != 403 || !strings.Contains(got.body, "Signature expired") {
			t.Errorf("old signature: %d %s", got.status, got.body)
		}
		wantAnswer(t, "unsigned", a.call(t, "GET", "/Prod/iam"), 403, `{"message":"Missing Authentication Token"}`)
	})

	t.Run("API key with a quota", func(t *testing.T) {
		wantAnswer(t, "no key", a.call(t, "GET", "/Prod/keyed"), 403, `{"message":"Forbidden"}`)
		for i := range 3 {
			got := a.call(t, "GET", "/Prod/keyed", "x-api-key: dev-key-0123456789abcdef")
			wantAnswer(t, "within the quota", got, 200, "")
			if _, id := echoed(t, got); i == 0 && id["apiKey"] != "dev-key-0123456789abcdef" {
				t.Errorf("identity.apiKey = %v", id["apiKey"])
			}
		}
		wantAnswer(t, "over the quota", a.call(t, "GET", "/Prod/keyed", "x-api-key: dev-key-0123456789abcdef"), 429, `{"message":"Limit Exceeded"}`)
		wantAnswer(t, "--api-key", a.call(t, "GET", "/Prod/keyed", "x-api-key: flag-key-0123456789"), 200, "")
	})

	t.Run("replay re-runs the authorizer with changed credentials", func(t *testing.T) {
		got := a.call(t, "GET", "/Prod/request?tenant=r", "X-User: ada")
		wantAnswer(t, "original", got, 200, "")
		orig := a.stored(t, got)
		var same, dropped, changed exchange.Exchange
		if code := postJSON(t, a.ui+"/api/exchanges/"+orig.ID+"/replay", ``, &same); code != 200 || same.Response.Status != 200 || same.Authorizer == nil {
			t.Errorf("replay as is: %d %+v", code, same.Response)
		}
		if code := postJSON(t, a.ui+"/api/exchanges/"+orig.ID+"/replay", `{"request":{"headers":{"Host":["x"]}}}`, &dropped); code != 200 ||
			dropped.Response.Status != 403 || dropped.Authorizer == nil || dropped.Authorizer.Decision != "deny" {
			t.Errorf("replay without X-User: %d %d %+v", code, dropped.Response.Status, dropped.Authorizer)
		}
		if code := postJSON(t, a.ui+"/api/exchanges/"+orig.ID+"/replay", `{"request":{"headers":{"X-User":["bob"]}}}`, &changed); code != 200 ||
			changed.Response.Status != 403 || changed.ReplayOf != orig.ID {
			t.Errorf("replay as bob: %d %d", code, changed.Response.Status)
		}
	})

	t.Run("exports redact the authorizer's token", func(t *testing.T) {
		x := a.stored(t, a.call(t, "GET", "/Prod/token/7", "Authorization: Bearer allow-1"))
		resp, err := http.Get(a.ui + "/api/sessions/" + x.Session + "/export?format=json")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || bytes.Contains(b, []byte("allow-1")) || bytes.Contains(b, []byte("letmein")) || !bytes.Contains(b, []byte(`"authorizer"`)) {
			t.Errorf("export %d leaks a token or lacks the authorizer step", resp.StatusCode)
		}
	})
}

// TestFunctionPolicyWithAWSCLI: a function whose template grants API
// Gateway another route answers the spec's 500 and says why; the real AWS
// CLI's add-permission lets the gateway invoke it at once, get-policy
// shows the statements, remove-permission takes it back.
func TestFunctionPolicyWithAWSCLI(t *testing.T) {
	awsCLI := testenv.Need(t, "aws")
	a := startAccessApp(t)
	got := a.call(t, "GET", "/v1/locked")
	wantAnswer(t, "locked", got, 500, `{"message": "Internal server error"}`)
	x := a.stored(t, got)
	src := "arn:aws:execute-api:us-east-1:123456789012:" + apigw.APIID("Defined") + "/v1/GET/locked"
	if x.Outcome != exchange.OutcomeInvokeFailed || !strings.Contains(x.Explanation, "No permission statement of function Locked allows API Gateway to invoke it as "+src) ||
		!strings.Contains(x.Explanation, "LockedPermission (arn:aws:execute-api:us-east-1:123456789012:"+apigw.APIID("Defined")+"/v1/POST/elsewhere)") {
		t.Fatalf("explanation: %s %q", x.Outcome, x.Explanation)
	}

	cli := func(args ...string) (string, error) {
		cmd := exec.Command(awsCLI, append(append([]string{"lambda"}, args...), "--endpoint-url", a.ui, "--region", "us-east-1", "--output", "json")...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := cli("add-permission", "--function-name", "Locked", "--statement-id", "allow-locked", "--action", "lambda:InvokeFunction",
		"--principal", "apigateway.amazonaws.com", "--source-arn", strings.Replace(src, "/v1/", "/*/", 1))
	if err != nil || !strings.Contains(out, `\"Sid\":\"allow-locked\"`) {
		t.Fatalf("add-permission: %v\n%s", err, out)
	}
	wantAnswer(t, "after add-permission", a.call(t, "GET", "/v1/locked"), 200, "")
	out, err = cli("get-policy", "--function-name", "Locked")
	if err != nil {
		t.Fatalf("get-policy: %v\n%s", err, out)
	}
	var pol struct{ Policy, RevisionId string }
	if err := json.Unmarshal([]byte(out), &pol); err != nil || pol.RevisionId == "" {
		t.Fatalf("get-policy output %s: %v", out, err)
	}
	var doc struct{ Statement []struct{ Sid string } }
	json.Unmarshal([]byte(pol.Policy), &doc)
	if len(doc.Statement) != 2 || doc.Statement[0].Sid != "LockedPermission" || doc.Statement[1].Sid != "allow-locked" {
		t.Errorf("policy statements %+v", doc.Statement)
	}
	if out, err := cli("add-permission", "--function-name", "Locked", "--statement-id", "allow-locked", "--action", "lambda:InvokeFunction",
		"--principal", "apigateway.amazonaws.com"); err == nil || !strings.Contains(out, "ResourceConflictException") {
		t.Errorf("duplicate statement id: %v %s", err, out)
	}
	if out, err := cli("remove-permission", "--function-name", "Locked", "--statement-id", "allow-locked"); err != nil {
		t.Fatalf("remove-permission: %v\n%s", err, out)
	}
	wantAnswer(t, "after remove-permission", a.call(t, "GET", "/v1/locked"), 500, `{"message": "Internal server error"}`)
	if out, err := cli("get-policy", "--function-name", "Nope"); err == nil || !strings.Contains(out, "ResourceNotFoundException") {
		t.Errorf("unknown function: %v %s", err, out)
	}
}

// TestBrowserAuthorizerStep: in the inspector of a real gatescope, a
// refused exchange opens on its authorizer step with the reason; an
// allowed one shows, on its Authorizer tab, what the authorizer was sent
// and answered and the context the function received.
func TestBrowserAuthorizerStep(t *testing.T) {
	a := startAccessApp(t)
	refused := a.stored(t, a.call(t, "GET", "/Prod/token/7", "Authorization: Bearer narrow"))
	allowed := a.stored(t, a.call(t, "GET", "/Prod/token/1", "Authorization: Bearer allow-ui"))

	tab := testenv.Browser(t, chromedp.WindowSize(1280, 1000))
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	do("open the refused exchange", chromedp.Navigate(a.ui+"/exchanges/"+refused.ID))
	testenv.WaitJS(t, tab, "the refused exchange opens on its authorizer step",
		`document.querySelector('[data-testid=tab-authorizer]').getAttribute('aria-selected') === 'true' &&
		 !document.querySelector('[data-testid=panel-authorizer]').hidden &&
		 document.querySelector('[data-testid=authorizer-decision]').innerText === 'deny' &&
		 document.querySelector('[data-testid=authorizer-explanation]').innerText.startsWith('The policy allows GET /token/1 but this is GET /token/7') &&
		 document.querySelector('[data-testid=authorizer-event]').innerText.includes('"authorizationToken": "Bearer narrow"')`)
	screenshot(t, tab, "authorizer-refused.png")

	do("open the allowed exchange", chromedp.Navigate(a.ui+"/exchanges/"+allowed.ID))
	testenv.WaitJS(t, tab, "an allowed exchange opens on its request", `document.querySelector('[data-testid=tab-request]').getAttribute('aria-selected') === 'true'`)
	do("open its authorizer tab", chromedp.Click(chromedp.CSS(`[data-testid=tab-authorizer]`)))
	testenv.WaitJS(t, tab, "the authorizer step shows the context the function received",
		`!document.querySelector('[data-testid=panel-authorizer]').hidden &&
		 document.querySelector('[data-testid=authorizer-decision]').innerText === 'allow' &&
		 document.querySelector('[data-testid=authorizer-context]').innerText.includes('"principalId": "user-allow-ui"') &&
		 document.querySelector('[data-testid=authorizer-output]').innerText.includes('policyDocument') &&
		 [...document.querySelectorAll('[data-testid=trace-row]')].some(r => r.dataset.name.startsWith('Authorizer '))`)
	screenshot(t, tab, "authorizer-allowed.png")
}
