package access

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

var jwtNow = time.Date(2025, 6, 18, 14, 0, 4, 0, time.UTC)

type signingKey struct {
	kid  string
	alg  jose.SignatureAlgorithm
	pub  jose.JSONWebKey
	priv any
}

func newRSAKey(t *testing.T, kid string) signingKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return signingKey{kid: kid, priv: k, alg: jose.RS256, pub: jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"}}
}

func sign(t *testing.T, k signingKey, claims map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.priv},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", k.kid))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	obj, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestVerifyJWT(t *testing.T) {
	key := newRSAKey(t, "k1")
	other := newRSAKey(t, "k1") // same kid, another key
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	eck := signingKey{kid: "e1", priv: ec, alg: jose.ES256, pub: jose.JSONWebKey{Key: &ec.PublicKey, KeyID: "e1", Algorithm: "ES256"}}
	keys := &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{key.pub, eck.pub}}
	const iss = "https://issuer.example.com"
	base := func(over map[string]any) map[string]any {
		c := map[string]any{"iss": iss, "aud": "api-client", "sub": "user-1", "exp": jwtNow.Add(time.Hour).Unix(),
			"iat": jwtNow.Add(-time.Minute).Unix(), "scope": "read write"}
		for k, v := range over {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	rule := JWTRule{Issuers: []string{iss}, Audiences: []string{"api-client"}}
	for _, tt := range []struct {
		name      string
		token     string
		rule      JWTRule
		status    int
		desc, why string
	}{
		{"valid", sign(t, key, base(nil)), rule, 0, "", ""},
		{"valid ES256", sign(t, eck, base(nil)), rule, 0, "", ""},
		{"aud list", sign(t, key, base(map[string]any{"aud": []string{"x", "api-client"}})), rule, 0, "", ""},
		{"client_id without aud", sign(t, key, base(map[string]any{"aud": nil, "client_id": "api-client"})), rule, 0, "", ""},
		{"expired", sign(t, key, base(map[string]any{"exp": jwtNow.Add(-3 * time.Minute).Unix()})), rule,
			401, "the token has expired", "token expired 3 minutes ago (exp 2025-06-18T13:57:04Z)"},
		{"expires now", sign(t, key, base(map[string]any{"exp": jwtNow.Unix()})), rule,
			401, "the token has expired", "token expired 0 seconds ago"},
		{"wrong aud", sign(t, key, base(map[string]any{"aud": "web-client"})), rule,
			401, "the token does not have a valid audience", "aud is web-client, the authorizer expects api-client"},
		{"wrong client_id", sign(t, key, base(map[string]any{"aud": nil, "client_id": "web-client"})), rule,
			401, "the token does not have a valid audience", "client_id is web-client (the token has no aud), the authorizer expects api-client"},
		{"no aud", sign(t, key, base(map[string]any{"aud": nil})), rule,
			401, "the token does not have a valid audience", "the token has neither aud nor client_id"},
		{"wrong iss", sign(t, key, base(map[string]any{"iss": "https://evil.example.com"})), rule,
			401, "the token does not have a valid issuer", "iss is https://evil.example.com, the authorizer expects https://issuer.example.com"},
		{"no exp", sign(t, key, base(map[string]any{"exp": nil})), rule,
			401, "the token does not have an exp claim", "the token has no exp claim"},
		{"not yet", sign(t, key, base(map[string]any{"nbf": jwtNow.Add(2 * time.Hour).Unix()})), rule,
			401, "the token is not valid yet", "not valid for another 2 hours"},
		{"issued in the future", sign(t, key, base(map[string]any{"iat": jwtNow.Add(10 * time.Minute).Unix()})), rule,
			401, "the token was issued in the future", "issued 10 minutes from now"},
		{"unknown kid", sign(t, newRSAKey(t, "k9"), base(nil)), rule,
			401, "unable to find a valid key for the token", `the token's kid "k9" is not among the issuer's keys (k1, e1)`},
		{"bad signature", sign(t, other, base(nil)), rule,
			401, "signature is invalid", `does not verify with the issuer's key "k1"`},
		{"two segments", "abc.def", rule,
			401, "token contains an invalid number of segments", "the token has 2 dot-separated segments"},
		{"HS256", hs256(t), rule,
			401, "signing method is invalid", "signed with HS256"},
		{"scope ok", sign(t, key, base(nil)), JWTRule{Issuers: []string{iss}, Audiences: []string{"api-client"}, Scopes: []string{"admin", "write"}}, 0, "", ""},
		{"scp list", sign(t, key, base(map[string]any{"scope": nil, "scp": []string{"admin"}})), JWTRule{Issuers: []string{iss}, Audiences: []string{"api-client"}, Scopes: []string{"admin"}}, 0, "", ""},
		{"scope missing", sign(t, key, base(nil)), JWTRule{Issuers: []string{iss}, Audiences: []string{"api-client"}, Scopes: []string{"admin", "ops"}},
			403, "expected scopes: [admin ops]", "the token's scopes (read write) include none of the route's (admin ops)"},
		{"no scope claim", sign(t, key, base(map[string]any{"scope": nil})), JWTRule{Issuers: []string{iss}, Audiences: []string{"api-client"}, Scopes: []string{"admin"}},
			403, "expected scopes: [admin]", "the token has no scope claim"},
		{"token_use", sign(t, key, base(map[string]any{"token_use": "refresh"})), JWTRule{Issuers: []string{iss}, TokenUse: []string{"id", "access"}},
			401, "the token does not have a valid token_use", `token_use is "refresh"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tok, e := VerifyJWT(tt.token, keys, jwtNow, tt.rule)
			if tt.status == 0 {
				if e != nil {
					t.Fatalf("rejected: %+v", e)
				}
				if tok.Claim("sub") == nil {
					t.Errorf("claims %s", tok.Claims)
				}
				return
			}
			if e == nil {
				t.Fatal("accepted")
			}
			if e.Status != tt.status || e.Description != tt.desc || !strings.Contains(e.Explanation, tt.why) {
				t.Errorf("got %d %q %q, want %d %q containing %q", e.Status, e.Description, e.Explanation, tt.status, tt.desc, tt.why)
			}
		})
	}
}

func hs256(t *testing.T) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	obj, _ := s.Sign([]byte(`{"iss":"x"}`))
	tok, _ := obj.CompactSerialize()
	return tok
}

func TestWWWAuthenticate(t *testing.T) {
	if got := WWWAuthenticate([]string{"read"}, nil); got != "Bearer" {
		t.Errorf("no token: %q", got)
	}
	e := &JWTError{Status: 401, Error: "invalid_token", Description: "the token has expired"}
	if got, want := WWWAuthenticate(nil, e), `Bearer scope="" error="invalid_token" error_description="the token has expired"`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	e = &JWTError{Status: 403, Error: "insufficient_scope", Description: "expected scopes: [a b]"}
	if got, want := WWWAuthenticate([]string{"a", "b"}, e), `Bearer scope="a b" error="insufficient_scope" error_description="expected scopes: [a b]"`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestAgo(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Second: "1 second", 40 * time.Second: "40 seconds", 3 * time.Minute: "3 minutes",
		-3 * time.Minute: "3 minutes", 2 * time.Hour: "2 hours", 50 * time.Hour: "2 days",
	} {
		if got := Ago(d); got != want {
			t.Errorf("Ago(%v) = %q, want %q", d, got, want)
		}
	}
}
