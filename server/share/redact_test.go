package share

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gatescope/gatescope/server/exchange"
)

// Secrets planted everywhere an exchange can carry them. Each must be gone
// from every byte of an export.
const (
	secBearer    = "eyJhbGciOiJIUzI1NiJ9.secret-jwt-payload.sig"
	secCookie    = "sessionid-9f8e7d6c5b4a"
	secSetCookie = "refresh-0a1b2c3d4e5f"
	secAPIKey    = "apikey-5551234-zzz"
	secAmzToken  = "FwoGZXIvYXdzEXAMPLETOKENvalue0123456789"
	secProxy     = "proxy-basic-cHJveHk6cGFzcw"
	secKeyID     = "AKIAIOSFODNN7EXAMPLE"
	secKeyID2    = "ASIAQWERTYUIOPASDFGH"
	secSecret    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	secSession   = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN0123456789abcdef"
	secPassword  = "hunter2-correct-horse"
	secCustomHdr = "tenant-secret-77"
	secRegex     = "CUST-123456-PRIVATE"
)

var allSecrets = []string{secBearer, secCookie, secSetCookie, secAPIKey, secAmzToken, secProxy,
	secKeyID, secKeyID2, secSecret, secSession, secPassword, secCustomHdr, secRegex}

func secretExchange() *exchange.Exchange {
	x := sample("s")[0]
	x.Request.Headers = map[string][]string{
		"Host":                 {"localhost:3000"},
		"authorization":        {"Bearer " + secBearer},
		"Cookie":               {"sid=" + secCookie + "; theme=dark"},
		"X-Api-Key":            {secAPIKey},
		"X-Amz-Security-Token": {secAmzToken},
		"Proxy-Authorization":  {"Basic " + secProxy},
		"X-Tenant-Secret":      {secCustomHdr},
		"Content-Type":         {"application/json"},
	}
	x.Request.Body = `{"user":"ann","password":"` + secPassword + `","ref":"` + secRegex + `"}`
	event := map[string]any{
		"version": "2.0",
		"headers": map[string]string{"authorization": "Bearer " + secBearer, "x-api-key": secAPIKey,
			"x-tenant-secret": secCustomHdr},
		"multiValueHeaders": map[string][]string{"Cookie": {"sid=" + secCookie}},
		"cookies":           []string{"sid=" + secCookie},
		"body":              x.Request.Body,
	}
	eb, _ := json.Marshal(event)
	x.Event = eb
	out, _ := json.Marshal(map[string]any{
		"statusCode": 200,
		"headers":    map[string]string{"Set-Cookie": "rt=" + secSetCookie + "; HttpOnly"},
		"body":       `{"echo":"` + secPassword + `","env":{"AWS_SECRET_ACCESS_KEY":"` + secSecret + `"}}`,
	})
	x.Function.RawResponse = out
	x.Function.Error = &exchange.FunctionError{Type: "Error", Message: "bad key " + secKeyID,
		StackTrace: []string{"at f (token=" + secBearer + ")"}}
	x.Response.Headers = map[string][]string{"Set-Cookie": {"rt=" + secSetCookie + "; HttpOnly"}, "Content-Type": {"text/plain"}}
	x.Response.Body = "env dump:\nAWS_ACCESS_KEY_ID=" + secKeyID + "\nAWS_SECRET_ACCESS_KEY=" + secSecret +
		"\nAWS_SESSION_TOKEN=" + secSession + "\n"
	x.Logs = strings.Join([]string{
		"START RequestId: 1",
		"headers: { authorization: 'Bearer " + secBearer + "', cookie: 'sid=" + secCookie + "' }",
		`{"level":"info","aws_secret_access_key":"` + secSecret + `","aws_session_token":"` + secSession + `"}`,
		"using key " + secKeyID2,
		"x-amz-security-token=" + secAmzToken,
		"Proxy-Authorization: Basic " + secProxy,
		"the api key is " + secAPIKey,
		"custom ref " + secRegex,
		"END RequestId: 1",
	}, "\n")
	x.Explanation = "The function printed " + secKeyID
	x.Note = "user's key was " + secKeyID2
	return x
}

func TestRedactedExportsLeakNothing(t *testing.T) {
	ctx := context.Background()
	rules := Rules{Headers: []string{"X-Tenant-Secret"}, JSONPaths: []string{"$.password", "echo"},
		Regexes: []string{`CUST-\d+-PRIVATE`}}
	binary := secretExchange()
	binary.ID = exchange.NewID(t0.Add(5e9))
	binary.StartedAt = t0.Add(5e9)
	binary.Response.IsBase64 = true
	binary.Response.Body = base64.StdEncoding.EncodeToString([]byte("\x00\x01bin " + secKeyID + " " + secSecret))
	binary.Request.IsBase64 = true
	binary.Request.Body = base64.StdEncoding.EncodeToString([]byte(`{"password":"` + secPassword + `"}`))
	for _, format := range []string{FormatHAR, FormatJSON} {
		t.Run(format, func(t *testing.T) {
			db := openStore(t)
			if err := db.InsertExchanges(ctx, []*exchange.Exchange{secretExchange(), binary}); err != nil {
				t.Fatal(err)
			}
			s, _ := db.Session(ctx, "s")
			note := "prod creds: AWS_SECRET_ACCESS_KEY=" + secSecret
			if _, err := db.UpdateSession(ctx, s.ID, storeNote(note)); err != nil {
				t.Fatal(err)
			}
			before := stored(t, db, s.ID)
			var buf bytes.Buffer
			res, err := Export(ctx, db, &buf, Selection{Session: "s"}, ExportOptions{Format: format, Rules: rules})
			if err != nil {
				t.Fatal(err)
			}
			out := buf.Bytes()
			for _, sec := range allSecrets {
				for _, form := range []string{sec, base64.StdEncoding.EncodeToString([]byte(sec))} {
					if bytes.Contains(out, []byte(form)) {
						i := bytes.Index(out, []byte(form))
						t.Errorf("secret %q survives in the export: ...%s...", sec, out[max(0, i-80):min(len(out), i+80)])
					}
				}
			}
			if res.Redaction.Redacted < len(allSecrets) || len(res.Redaction.Rules) != len(DefaultHeaders)+1+len(builtinRules)+2+1 {
				t.Errorf("report = %+v", res.Redaction)
			}
			if !bytes.Contains(out, []byte(`"type": "regex"`)) || !bytes.Contains(out, []byte(Redacted)) {
				t.Error("the export does not record its redaction rules")
			}
			if format == FormatHAR {
				validateHAR(t, out)
			}
			// The stored data is untouched.
			sameExchanges(t, before, stored(t, db, s.ID))
			if got, _ := db.Session(ctx, s.ID); got.Note != note {
				t.Errorf("stored session note changed: %q", got.Note)
			}
			// And with --no-redact the secrets are all there.
			buf.Reset()
			if _, err := Export(ctx, db, &buf, Selection{Session: "s"}, ExportOptions{Format: format, Rules: Rules{Off: true}}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(buf.Bytes(), []byte(secBearer)) {
				t.Error("--no-redact export lost the Authorization value")
			}
		})
	}
}

func TestRedactorUnits(t *testing.T) {
	tests := []struct {
		name  string
		rules Rules
		in    string
		want  string
	}{
		{"header line", Rules{}, "Authorization: Bearer abc.def", "Authorization: " + Redacted},
		{"json header", Rules{}, `{"x-api-key":"k-123456"}`, `{"x-api-key":"` + Redacted + `"}`},
		{"escaped json", Rules{}, `{\"cookie\":\"a=b\"}`, `{\"cookie\":\"` + Redacted + `\"}`},
		{"access key", Rules{}, "id AKIAABCDEFGHIJKLMNOP here", "id " + Redacted + " here"},
		{"env secret", Rules{}, "AWS_SECRET_ACCESS_KEY=abcdEFGH1234/+xyz", "AWS_SECRET_ACCESS_KEY=" + Redacted},
		{"yaml token", Rules{}, "aws_session_token: Zm9vYmFyYmF6cXV4", "aws_session_token: " + Redacted},
		{"prose untouched", Rules{}, "Authorization failed for user", "Authorization failed for user"},
		{"user regex", Rules{Regexes: []string{`\d{4}-\d{4}`}}, "card 1234-5678 ok", "card " + Redacted + " ok"},
		{"off", Rules{Off: true}, "Authorization: Bearer abc", "Authorization: Bearer abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd, err := NewRedactor(tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			if got := rd.Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	for _, bad := range []Rules{{Regexes: []string{"("}}, {JSONPaths: []string{"a[x]"}}, {JSONPaths: []string{"$."}}} {
		if _, err := NewRedactor(bad); err == nil {
			t.Errorf("NewRedactor(%+v) accepted a bad rule", bad)
		}
	}
}

func TestRedactKeepsUntouchedJSON(t *testing.T) {
	rd, _ := NewRedactor(Rules{})
	x := sample("s")[0]
	x.Event = json.RawMessage(`{"b": 1,  "a": "<x>"}`) // odd spacing, HTML
	got := rd.Exchange(x)
	if string(got.Event) != string(x.Event) || got.Request.Body != x.Request.Body {
		t.Errorf("unredacted documents were rewritten: %s / %s", got.Event, got.Request.Body)
	}
	x.Event = json.RawMessage(`{"z":1,"headers":{"Authorization":"Bearer abc12345"},"a":"<x>"}`)
	got = rd.Exchange(x)
	if want := `{"z":1,"headers":{"Authorization":"[REDACTED]"},"a":"<x>"}`; string(got.Event) != want {
		t.Errorf("event = %s, want %s (key order and HTML kept)", got.Event, want)
	}
}

// TestDeclaredCredentialsEchoes: a value under a name the rules declare a
// credential (here an authorizer's identity source) is scrubbed wherever it
// echoes, even a plain word such as "letmein", which the echo rule skips
// for names that merely look secret.
func TestDeclaredCredentialsEchoes(t *testing.T) {
	rd, err := NewRedactor(WithAuthorizers(Rules{}, "X-Token"))
	if err != nil {
		t.Fatal(err)
	}
	x := &exchange.Exchange{
		Request: exchange.HTTPRequest{Method: "GET", URL: "/a", Headers: map[string][]string{
			"X-Token": {"letmein"}, "X-Session-Hint": {"plainword"}}},
		Event: json.RawMessage(`{"requestContext":{"authorizer":{"lambda":{"source":["letmein"],"hint":"plainword"}}}}`),
		Authorizer: &exchange.Authorizer{
			Output: json.RawMessage(`{"isAuthorized":true,"context":{"source":["letmein"]}}`),
			Logs:   "checking letmein",
		},
		Logs: "token letmein accepted",
	}
	got := rd.Exchange(x)
	b, _ := json.Marshal(got)
	if strings.Contains(string(b), "letmein") {
		t.Errorf("the declared credential echoes on: %s", b)
	}
	if !strings.Contains(string(got.Event), "plainword") {
		t.Errorf("a plain word under a name that only looks secret must not be scrubbed everywhere: %s", got.Event)
	}
	if x.Request.Headers["X-Token"][0] != "letmein" {
		t.Error("redaction changed the stored exchange")
	}
}

// TestRedactMapping: a non-proxy integration's rendered templates and
// mapped parameters are copies of the request and the answer, so they are
// redacted like them, and the stored steps stay as they were.
func TestRedactMapping(t *testing.T) {
	rd, err := NewRedactor(Rules{})
	if err != nil {
		t.Fatal(err)
	}
	x := &exchange.Exchange{
		Request: exchange.HTTPRequest{Method: "POST", URL: "/a", Headers: map[string][]string{"Authorization": {"Bearer tok-1234567890"}}},
		Mapping: &exchange.Mapping{
			Integration: "AWS",
			Request:     &exchange.TemplateStep{Output: `{"user":"ada","password":"hunter2-mapped","auth":"Bearer tok-1234567890"}`},
			Parameters: []exchange.MappedValue{{Name: "integration.request.header.X-Api-Key", From: "method.request.header.x-api-key",
				Value: "apikey-0123456789"}},
			Backend:  &exchange.BackendCall{Method: "GET", URL: "http://127.0.0.1:9/x?access_token=qs-token-123456"},
			Response: &exchange.TemplateStep{Output: "token was tok-1234567890"},
		},
	}
	got := rd.Exchange(x)
	b, _ := json.Marshal(got.Mapping)
	for _, secret := range []string{"hunter2-mapped", "tok-1234567890", "apikey-0123456789", "qs-token-123456"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("%s survives in the mapping steps: %s", secret, b)
		}
	}
	if !strings.Contains(got.Mapping.Request.Output, `"user":"ada"`) {
		t.Errorf("redaction took more than the secrets: %s", b)
	}
	if !strings.Contains(x.Mapping.Request.Output, "hunter2-mapped") || x.Mapping.Parameters[0].Value != "apikey-0123456789" {
		t.Error("redaction changed the stored steps")
	}
}
