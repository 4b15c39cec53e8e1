package access

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

var sigNow = time.Date(2025, 6, 18, 14, 0, 0, 0, time.UTC)

var localCred = Credential{AccessKeyID: "AKIAGATESCOPE0000001", SecretAccessKey: "secret/with+chars0123456789abcdefghijklm", AccountID: "123456789012"}

func lookup(id string) (Credential, bool) {
	if id == localCred.AccessKeyID {
		return localCred, true
	}
	return Credential{}, false
}

// signed signs a request with the SDK's signer, as a client would.
func signed(t *testing.T, method, target, body string, at time.Time, cred aws.Credentials, region string, headers ...string) SignedRequest {
	t.Helper()
	u, err := url.Parse("http://localhost:3000" + target)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := http.NewRequest(method, u.String(), bytes.NewReader([]byte(body)))
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		r.Header.Add(k, v)
	}
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), cred, r, hex.EncodeToString(sum[:]), "execute-api", region, at); err != nil {
		t.Fatal(err)
	}
	return SignedRequest{Method: method, RawPath: u.EscapedPath(), RawQuery: u.RawQuery, Host: r.Host, Header: r.Header,
		Body: []byte(body), Region: "us-east-1", Service: "execute-api"}
}

func TestVerifySigV4(t *testing.T) {
	good := aws.Credentials{AccessKeyID: localCred.AccessKeyID, SecretAccessKey: localCred.SecretAccessKey}
	ok := func(t *testing.T, r SignedRequest) {
		t.Helper()
		if _, e := VerifySigV4(r, lookup, sigNow); e != nil {
			t.Fatalf("rejected: %+v", e)
		}
	}
	bad := func(t *testing.T, r SignedRequest, typ, msg, why string) {
		t.Helper()
		_, e := VerifySigV4(r, lookup, sigNow)
		if e == nil {
			t.Fatal("accepted")
		}
		if e.Type != typ || !strings.HasPrefix(e.Message, msg) || !strings.Contains(e.Explanation, why) {
			t.Errorf("got %s %q %q\nwant %s %q containing %q", e.Type, e.Message, e.Explanation, typ, msg, why)
		}
	}
	t.Run("GET", func(t *testing.T) {
		ok(t, signed(t, "GET", "/Prod/items/7?b=2&a=1", "", sigNow.Add(-time.Minute), good, "us-east-1"))
	})
	t.Run("POST with body and headers", func(t *testing.T) {
		ok(t, signed(t, "POST", "/items", `{"a":1}`, sigNow, good, "us-east-1", "Content-Type: application/json", "X-Custom: one", "X-Custom: two"))
	})
	t.Run("escaped path", func(t *testing.T) {
		ok(t, signed(t, "GET", "/files/a%20b/c", "", sigNow, good, "us-east-1"))
	})
	t.Run("session token", func(t *testing.T) {
		withToken := good
		withToken.SessionToken = "tok"
		r := signed(t, "GET", "/x", "", sigNow, withToken, "us-east-1")
		bad(t, r, "UnrecognizedClientException", "The security token included in the request is invalid.", "X-Amz-Security-Token")
	})
	t.Run("body changed", func(t *testing.T) {
		r := signed(t, "POST", "/items", `{"a":1}`, sigNow, good, "us-east-1")
		r.Body = []byte(`{"a":2}`)
		bad(t, r, "InvalidSignatureException", "The request signature we calculated does not match", "the request changed after signing")
	})
	t.Run("path changed", func(t *testing.T) {
		r := signed(t, "GET", "/items/7", "", sigNow, good, "us-east-1")
		r.RawPath = "/items/8"
		bad(t, r, "InvalidSignatureException", "The request signature we calculated does not match", "")
	})
	t.Run("wrong secret", func(t *testing.T) {
		wrong := good
		wrong.SecretAccessKey = "nope"
		bad(t, signed(t, "GET", "/x", "", sigNow, wrong, "us-east-1"), "InvalidSignatureException", "The request signature we calculated does not match", "AKIAGATESCOPE0000001")
	})
	t.Run("unknown key", func(t *testing.T) {
		other := aws.Credentials{AccessKeyID: "AKIAOTHER00000000000", SecretAccessKey: "x"}
		bad(t, signed(t, "GET", "/x", "", sigNow, other, "us-east-1"), "UnrecognizedClientException", "The security token included in the request is invalid.", "--iam-credential")
	})
	t.Run("expired", func(t *testing.T) {
		bad(t, signed(t, "GET", "/x", "", sigNow.Add(-20*time.Minute), good, "us-east-1"), "InvalidSignatureException",
			"Signature expired: 20250618T134000Z is now earlier than 20250618T134500Z (20250618T140000Z - 15 min.)", "signed 20 minutes ago")
	})
	t.Run("future", func(t *testing.T) {
		bad(t, signed(t, "GET", "/x", "", sigNow.Add(20*time.Minute), good, "us-east-1"), "InvalidSignatureException",
			"Signature not yet current: 20250618T142000Z is still later than 20250618T141500Z (20250618T140000Z + 15 min.)", "in the future")
	})
	t.Run("other region", func(t *testing.T) {
		bad(t, signed(t, "GET", "/x", "", sigNow, good, "eu-west-1"), "InvalidSignatureException", "Credential should be scoped to a valid region.", "signed for region eu-west-1")
	})
	t.Run("unsigned", func(t *testing.T) {
		_, e := VerifySigV4(SignedRequest{Method: "GET", RawPath: "/x", Host: "h", Header: http.Header{}, Region: "us-east-1", Service: "execute-api"}, lookup, sigNow)
		if e == nil || !e.Missing || e.Type != "MissingAuthenticationTokenException" || e.Message != "Missing Authentication Token" {
			t.Errorf("got %+v", e)
		}
	})
	t.Run("not sigv4", func(t *testing.T) {
		r := SignedRequest{Method: "GET", RawPath: "/x", Host: "h", Header: http.Header{"Authorization": {"Bearer abc"}}, Region: "us-east-1", Service: "execute-api"}
		bad(t, r, "IncompleteSignatureException", "Authorization header requires 'Credential' parameter.", "not a SigV4 signature")
	})
	t.Run("only host and date signed", func(t *testing.T) {
		// What curl --aws-sigv4 sends: host and x-amz-date signed, other
		// headers (user-agent, accept) not.
		r := signed(t, "GET", "/x", "", sigNow, good, "us-east-1")
		r.Header.Set("User-Agent", "curl/8.5.0")
		r.Header.Set("Accept", "*/*")
		_, e := VerifySigV4(r, lookup, sigNow)
		if e != nil {
			t.Fatalf("unsigned extra headers rejected: %+v", e)
		}
	})
	t.Run("presigned", func(t *testing.T) {
		u, _ := url.Parse("http://localhost:3000/Prod/items?x=1&X-Amz-Expires=300")
		r, _ := http.NewRequest("GET", u.String(), nil)
		signedURL, _, err := v4.NewSigner().PresignHTTP(context.Background(), good, r, "UNSIGNED-PAYLOAD", "execute-api", "us-east-1", sigNow)
		if err != nil {
			t.Fatal(err)
		}
		pu, _ := url.Parse(signedURL)
		req := SignedRequest{Method: "GET", RawPath: pu.EscapedPath(), RawQuery: pu.RawQuery, Host: pu.Host, Header: http.Header{}, Region: "us-east-1", Service: "execute-api"}
		ok(t, req)
		if _, e := VerifySigV4(req, lookup, sigNow.Add(6*time.Minute)); e == nil || e.Message != "Request has expired" {
			t.Errorf("expired presigned URL: %+v", e)
		}
	})
}
