package share

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/gatescope/gatescope/server/exchange"
)

// redactedText is every text of a redacted exchange as it would be read:
// headers as lines, base64 bodies decoded (also an event's or output's
// isBase64Encoded body), so a test can look for a secret anywhere.
func redactedText(t *testing.T, x *exchange.Exchange) string {
	t.Helper()
	var all strings.Builder
	line := func(s string) { all.WriteString(s + "\n") }
	line(x.Request.URL)
	for _, h := range []map[string][]string{x.Request.Headers, x.Response.Headers} {
		for k, vs := range h {
			for _, v := range vs {
				line(k + ": " + v)
			}
		}
	}
	for _, body := range []struct {
		s   string
		b64 bool
	}{{x.Request.Body, x.Request.IsBase64}, {x.Response.Body, x.Response.IsBase64}} {
		line(body.s)
		if raw, err := base64.StdEncoding.DecodeString(body.s); err == nil && body.b64 {
			line(string(raw))
		}
	}
	for _, doc := range []json.RawMessage{x.Event, x.Function.RawResponse} {
		line(string(doc))
		var m map[string]any
		if json.Unmarshal(doc, &m) == nil {
			if s, ok := m["body"].(string); ok {
				line(s)
				if raw, err := base64.StdEncoding.DecodeString(s); err == nil {
					line(string(raw))
				}
			}
		}
	}
	line(x.Logs)
	line(x.Note)
	line(x.Explanation)
	if e := x.Function.Error; e != nil {
		line(e.Message + "\n" + strings.Join(e.StackTrace, "\n"))
	}
	return all.String()
}

const (
	jwtToken  = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJlLXZhbHVl"
	jwtAccess = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzY29wZSI6InJlYWQifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	pemKey    = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nVJTUt9Us8cKjMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvuNMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ\n-----END PRIVATE KEY-----"
	awsSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// TestRedactionRules is one case per rule, with data shaped as the security
// review's reproduction sent it: every secret must go, and what only looks
// like one must stay.
func TestRedactionRules(t *testing.T) {
	tests := []struct {
		rule, name string
		edit       func(x *exchange.Exchange)
		secrets    []string
		keep       []string
	}{
		{"header", "Authorization Basic, Cookie, X-Api-Key", func(x *exchange.Exchange) {
			x.Request.Headers = map[string][]string{"Authorization": {"Basic dXNlcjpzM2NyZXQtYmFzaWM="},
				"Cookie": {"sid=cookie-secret-123; other=val-456789"}, "X-Api-Key": {"apikey-secret-777"}, "Accept": {"*/*"}}
		}, []string{"dXNlcjpzM2NyZXQtYmFzaWM=", "cookie-secret-123", "val-456789", "apikey-secret-777"}, []string{"*/*"}},
		{"header-pattern", "X-Auth-Token, X-CSRF-Token, Api-Key, X-Access-Token", func(x *exchange.Exchange) {
			x.Request.Headers = map[string][]string{"X-Auth-Token": {"xauth-req-888"}, "X-CSRF-Token": {"csrf-token-999"},
				"Api-Key": {"apikey2-000111"}, "X-Access-Token": {"xaccess-222333"}, "X-Session-Id": {"sess-abc-12345"},
				"Content-Type": {"application/json"}, "User-Agent": {"curl/8.5.0"}}
			x.Response.Headers = map[string][]string{"X-Auth-Token": {"xauth-resp-888"}, "Content-Length": {"42"}}
		}, []string{"xauth-req-888", "csrf-token-999", "apikey2-000111", "xaccess-222333", "sess-abc-12345", "xauth-resp-888"},
			[]string{"application/json", "curl/8.5.0", "Content-Length: 42"}},
		{"header-pattern", "in the event's and output's headers", func(x *exchange.Exchange) {
			x.Event = json.RawMessage(`{"version":"2.0","headers":{"x-auth-token":"xauth-ev-888","accept":"*/*"},` +
				`"multiValueHeaders":{"X-Csrf-Token":["csrf-ev-999"]},"cookies":["sid=cookie-ev-123"]}`)
			x.Function.RawResponse = json.RawMessage(`{"statusCode":200,"headers":{"X-Auth-Token":"xauth-out-888"},` +
				`"multiValueHeaders":{"Set-Cookie":["rt=refresh-out-777; HttpOnly"]},"cookies":["a=cookie-out-555"]}`)
		}, []string{"xauth-ev-888", "csrf-ev-999", "cookie-ev-123", "xauth-out-888", "refresh-out-777", "cookie-out-555"},
			[]string{`"accept":"*/*"`, `"statusCode":200`}},
		{"secret-names", "JSON request and response bodies", func(x *exchange.Exchange) {
			x.Request.Body = `{"user":"ada","password":"hunter2-req","client_secret":"cs-req-123456","refresh_token":"rt-req-444555",` +
				`"id_token":"` + jwtToken + `","aws_secret_access_key":"` + awsSecret + `","pin":{"passwd":"nested-pw-1"},` +
				`"NextToken":"page-2-cursor","code":"NotFound","token_type":"Bearer"}`
			x.Response.Body = `{"access_token":"` + jwtAccess + `","refreshToken":"rt-resp-444555","password":"hunter2-resp",` +
				`"clientSecret":"cs-resp-123456","apiKey":"ak-resp-1234","PIN_passphrase":987654}`
		}, []string{"hunter2-req", "cs-req-123456", "rt-req-444555", jwtToken, awsSecret, "nested-pw-1",
			jwtAccess, "rt-resp-444555", "hunter2-resp", "cs-resp-123456", "ak-resp-1234", "987654"},
			[]string{`"user":"ada"`, "page-2-cursor", `"code":"NotFound"`, `"token_type":"Bearer"`}},
		{"secret-names", "query string", func(x *exchange.Exchange) {
			x.Request.URL = "/secrets?access_token=qs-token-123456&api_key=qs-apikey-456789&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261129" +
				"&X-Amz-Signature=qs-sig-abcdef123456&password=qs-pass-789012&code=oauth-code-345678&page=2&sort=name"
		}, []string{"qs-token-123456", "qs-apikey-456789", "AKIAIOSFODNN7EXAMPLE", "qs-sig-abcdef123456", "qs-pass-789012", "oauth-code-345678"},
			[]string{"&page=2&sort=name", "/secrets?access_token="}},
		{"secret-names", "query in the event", func(x *exchange.Exchange) {
			x.Event = json.RawMessage(`{"rawQueryString":"code=oauth-ev-345678&state=xyz","queryStringParameters":{"code":"oauth-ev-345678",` +
				`"state":"xyz"},"multiValueQueryStringParameters":{"access_token":["qs-ev-token-1"]},"pathParameters":{"code":"A-1"}}`)
		}, []string{"oauth-ev-345678", "qs-ev-token-1"}, []string{"state=xyz", `"state":"xyz"`, `"code":"A-1"`}},
		{"secret-names", "form body", func(x *exchange.Exchange) {
			x.Request.Headers = map[string][]string{"Content-Type": {"application/x-www-form-urlencoded"}}
			x.Request.Body = "grant_type=authorization_code&code=oauth-form-777&client_secret=cs-form-888&redirect_uri=https%3A%2F%2Fapp%2Fcb"
		}, []string{"oauth-form-777", "cs-form-888"}, []string{"grant_type=authorization_code", "redirect_uri=https%3A%2F%2Fapp%2Fcb"}},
		{"secret-names", "base64 form body in the event", func(x *exchange.Exchange) {
			form := base64.StdEncoding.EncodeToString([]byte("username=ada&password=form-b64-pw-1&remember=on"))
			x.Event = json.RawMessage(`{"body":"` + form + `","isBase64Encoded":true}`)
			x.Request.Body, x.Request.IsBase64 = form, true
		}, []string{"form-b64-pw-1"}, []string{"username=ada", "remember=on"}},
		{"secret-names", "env dump and logged objects in logs", func(x *exchange.Exchange) {
			x.Logs = "START RequestId: 1\nDB_PASSWORD=db-pass-12345\nSTRIPE_SECRET_KEY=sk_test_4eC39HqLyjWDarjtT1zdp7dc\n" +
				"GITHUB_TOKEN=ghp_abcdefghijklmnop1234\nHOME=/root\n" +
				"{ user: 'ada', password: 'obj pw with spaces' }\n" +
				`{"level":"info","client_secret":"cs-log-123456","msg":"token refreshed"}` + "\n" +
				"config: {'api_key': 'py-api-key-1'}\nprocess exited with exit code: 1\nEND RequestId: 1\n"
		}, []string{"db-pass-12345", "sk_test_4eC39HqLyjWDarjtT1zdp7dc", "ghp_abcdefghijklmnop1234", "obj pw with spaces",
			"cs-log-123456", "py-api-key-1"},
			[]string{"HOME=/root", "exit code: 1", "token refreshed", "user: 'ada'"}},
		{"aws-credentials", "key ids and secret keys anywhere", func(x *exchange.Exchange) {
			x.Logs = "using AKIAIOSFODNN7EXAMPLE and ASIAQWERTYUIOPASDFGH\nloaded secret " + awsSecret + " from env\n" +
				"commit da39a3ee5e6b4b0d3255bfef95601890afd80709\nAWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjEXAMPLE0123456789\n"
		}, []string{"AKIAIOSFODNN7EXAMPLE", "ASIAQWERTYUIOPASDFGH", awsSecret, "IQoJb3JpZ2luX2VjEXAMPLE0123456789"},
			[]string{"da39a3ee5e6b4b0d3255bfef95601890afd80709"}},
		{"jwt", "JWTs in text and values", func(x *exchange.Exchange) {
			x.Logs = "verified " + jwtToken + " for ada\n"
			x.Function.RawResponse = json.RawMessage(`{"statusCode":200,"body":"{\"session\":{\"jwt\":\"` + jwtAccess + `\"}}"}`)
			x.Response.Body = "your token: " + jwtAccess
		}, []string{jwtToken, jwtAccess}, []string{"verified ", " for ada"}},
		{"bearer", "bearer and basic credentials in text", func(x *exchange.Exchange) {
			x.Logs = "calling upstream with Bearer opaque-token-1234\nretrying with basic dXNlcjpwYXNzd29yZA==\n" +
				"uses Basic authentication; Token ghp_16C7e42F292c6912E7710c838347Ae178B4a\n"
			x.Event = json.RawMessage(`{"type":"REQUEST","identitySource":["Bearer opaque-ident-5678"]}`)
		}, []string{"opaque-token-1234", "dXNlcjpwYXNzd29yZA==", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", "opaque-ident-5678"},
			[]string{"uses Basic authentication"}},
		{"private-key", "PEM blocks, whole or cut", func(x *exchange.Exchange) {
			x.Request.Body = `{"private_key":"-----BEGIN PRIVATE KEY-----MIIEvQIBADANBgkqhkiG9w0BAQEFAASC","note":"ok"}`
			x.Logs = "loaded key:\n" + pemKey + "\ndone\n"
			x.Response.Body = `{"cert":` + string(mustJSON(pemKey)) + `}`
		}, []string{"MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "VJTUt9Us8cKjMzEfYyjiWA4R4"}, []string{"-----BEGIN PRIVATE KEY-----", "done", `"note":"ok"`}},
		{"url-credentials", "passwords in URLs", func(x *exchange.Exchange) {
			x.Logs = "connecting to postgres://app:pgpass-123@db:5432/app\nredis://:redispw-456@cache:6379 ok\nhttps://example.com:8443/x@y fine\n"
		}, []string{"pgpass-123", "redispw-456"}, []string{"postgres://app:", "@db:5432/app", "https://example.com:8443/x@y"}},
	}
	for _, tt := range tests {
		t.Run(tt.rule+"/"+tt.name, func(t *testing.T) {
			x := sample("s")[0]
			x.Request.Headers, x.Response.Headers = nil, nil
			x.Event, x.Function.RawResponse, x.Logs = nil, nil, ""
			tt.edit(x)
			orig := clone(x)
			rd, err := NewRedactor(Rules{})
			if err != nil {
				t.Fatal(err)
			}
			got := redactedText(t, rd.Exchange(x))
			for _, sec := range tt.secrets {
				if i := strings.Index(got, sec); i >= 0 {
					t.Errorf("%q survives: …%s…", sec, got[max(0, i-60):min(len(got), i+len(sec)+20)])
				}
			}
			for _, k := range tt.keep {
				if !strings.Contains(got, k) {
					t.Errorf("%q was redacted too: %s", k, got)
				}
			}
			if !reflect.DeepEqual(orig, x) {
				t.Error("redaction changed the exchange it was given")
			}
			if rd.Report().Redacted == 0 {
				t.Error("the report counts no redaction")
			}
		})
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// TestRedactUserRules: the user's header names, JSON paths and regexes
// work beside the built-in rules, and rules that match nothing change
// nothing.
func TestRedactUserRules(t *testing.T) {
	x := sample("s")[0]
	x.Request.Headers = map[string][]string{"X-Tenant": {"tenant-77"}}
	x.Request.Body = `{"items":[{"id":"i-1","sku":"SKU-1"},{"id":"i-2","sku":"SKU-2"}],"card":"4111-1111"}`
	x.Logs = "X-Tenant: tenant-77 logged\ncard 4111-1111\n"
	rd, err := NewRedactor(Rules{Headers: []string{"X-Tenant"}, JSONPaths: []string{"items.sku"}, Regexes: []string{`\d{4}-\d{4}`}})
	if err != nil {
		t.Fatal(err)
	}
	got := rd.Exchange(x)
	if want := `{"items":[{"id":"i-1","sku":"[REDACTED]"},{"id":"i-2","sku":"[REDACTED]"}],"card":"[REDACTED]"}`; got.Request.Body != want {
		t.Errorf("body %s, want %s", got.Request.Body, want)
	}
	if got.Request.Headers["X-Tenant"][0] != Redacted || strings.Contains(got.Logs, "tenant-77") || strings.Contains(got.Logs, "4111") {
		t.Errorf("headers %v, logs %q", got.Request.Headers, got.Logs)
	}
	rd, _ = NewRedactor(Rules{JSONPaths: []string{"$.nothing.here"}})
	plain := sample("s")[0]
	if got := rd.Exchange(plain); !bytes.Equal(got.Event, plain.Event) || got.Request.Body != plain.Request.Body {
		t.Errorf("a rule that matches nothing rewrote %s / %s", got.Event, got.Request.Body)
	}
}

// FuzzRedact: whatever surrounds them, secrets planted where the rules
// claim to find them never survive, nothing panics, and the exchange given
// is never changed. The fuzzed text goes into headers, bodies, the query,
// logs, the event and the output, around the planted secrets.
// Run longer with
// go test ./server/share -run '^$' -fuzz FuzzRedact -fuzztime 5m
func FuzzRedact(f *testing.F) {
	for _, s := range []string{"", "hello", `{"a":"b"}`, "-----BEGIN PRIVATE KEY-----", "Cookie:", "password=", `"token":"`,
		"eyJ", "aws_secret_key=", "a=b&c=d", "Bearer ", "http://u:", "\\", "[REDACTED]", "\xff\xfe"} {
		f.Add(s)
	}
	planted := map[string]string{
		"header":    "PlantedHeader0001",
		"jsonKey":   "PlantedJsonKey0002",
		"query":     "PlantedQuery0003",
		"envDump":   "PlantedEnvDump0004",
		"jwt":       "eyJhbGciOiJIUzI1NiJ9.eyJQbGFudGVkIjoxfQ.PlantedJwt0005",
		"keyID":     "AKIAPLANTED000000006",
		"evHeader":  "PlantedEvHeader0007",
		"evQuery":   "PlantedEvQuery0008",
		"evForm":    "PlantedEvForm0009",
		"outCookie": "PlantedOutCookie0010",
	}
	f.Fuzz(func(t *testing.T, data string) {
		x := sample("s")[0]
		x.Request.Headers = map[string][]string{"X-Auth-Token": {planted["header"]}, "X-Note": {data}}
		x.Request.Body = string(mustJSON(map[string]string{"note": data, "password": planted["jsonKey"]}))
		x.Request.URL = "/p?q=" + url.QueryEscape(data) + "&api_key=" + planted["query"]
		x.Logs = data + "\nDB_PASSWORD=" + planted["envDump"] + "\n" + data + "\n" + planted["jwt"] + "\n" + planted["keyID"] + "\n" + data
		form := base64.StdEncoding.EncodeToString([]byte("a=" + url.QueryEscape(data) + "&client_secret=" + planted["evForm"]))
		x.Event = mustJSON(map[string]any{
			"headers":               map[string]string{"x-csrf-token": planted["evHeader"], "x-data": data},
			"queryStringParameters": map[string]string{"code": planted["evQuery"], "q": data},
			"body":                  form, "isBase64Encoded": true, "note": data,
		})
		x.Function.RawResponse = mustJSON(map[string]any{"headers": map[string]string{"Set-Cookie": "sid=" + planted["outCookie"]}, "body": data})
		x.Response.Body = data
		orig := clone(x)
		rd, _ := NewRedactor(Rules{JSONPaths: []string{"note"}, Regexes: []string{`x{3,}`}})
		got := redactedText(t, rd.Exchange(x))
		for where, sec := range planted {
			if strings.Contains(got, sec) {
				t.Fatalf("the %s secret %q survives around %q", where, sec, data)
			}
		}
		if !reflect.DeepEqual(orig, x) {
			t.Fatal("redaction changed the exchange it was given")
		}
		// Hostile data in every field: no panic, nothing changed.
		y := sample("s")[1]
		y.Request.Headers = map[string][]string{data: {data}, "Cookie": {data}}
		y.Event, y.Function.RawResponse = json.RawMessage(data), json.RawMessage(data)
		y.Request.Body, y.Request.IsBase64 = data, true
		y.Response.Body, y.Response.IsBase64 = data, false
		y.Request.URL, y.Logs, y.Note = data, data, data
		orig = clone(y)
		rd.Exchange(y)
		if !reflect.DeepEqual(orig, y) {
			t.Fatal("redaction changed the exchange it was given")
		}
	})
}
