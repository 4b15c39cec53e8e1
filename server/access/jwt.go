package access

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// JWTRule is what a JWT authorizer checks besides the signature.
type JWTRule struct {
	// Issuers are the accepted iss values (one for an HTTP API JWT
	// authorizer; one per user pool for a Cognito authorizer).
	Issuers []string
	// Audiences: aud (or, without aud, client_id) must be one of them;
	// none means no audience check (Cognito authorizers).
	Audiences []string
	// Scopes are the route's authorization scopes: the token needs at
	// least one of them; none means no scope check.
	Scopes []string
	// TokenUse, when set, is the accepted token_use values (Cognito: "id",
	// "access").
	TokenUse []string
}

// JWT is a verified token.
type JWT struct {
	Header jose.Header
	// Claims is the payload exactly as signed.
	Claims json.RawMessage
	// Scopes are the token's own (scope, or scp).
	Scopes []string
	claims map[string]json.RawMessage
}

// Claim returns one claim's raw JSON, nil when absent.
func (t *JWT) Claim(name string) json.RawMessage { return t.claims[name] }

// JWTError is a rejected token: AWS's answer and ours.
type JWTError struct {
	// Status is 401 (invalid token) or 403 (insufficient scope).
	Status int
	// Error is the www-authenticate error: "invalid_token" or
	// "insufficient_scope"; "" when no token was sent.
	Error string
	// Description is the www-authenticate error_description as API
	// Gateway writes it.
	Description string
	// Explanation says why in words a developer can act on.
	Explanation string
}

func (e *JWTError) String() string { return e.Explanation }

// AWS's error_description texts. "the token has expired", "the token does
// not have a valid audience" and "token contains an invalid number of
// segments" are captured from API Gateway; the others follow their style
// (inferred).
const (
	descSegments  = "token contains an invalid number of segments"
	descMalformed = "token is malformed"
	descAlg       = "signing method is invalid"
	descKey       = "unable to find a valid key for the token"
	descSignature = "signature is invalid"
	descIssuer    = "the token does not have a valid issuer"
	descAudience  = "the token does not have a valid audience"
	descExpired   = "the token has expired"
	descNoExp     = "the token does not have an exp claim"
	descNotYet    = "the token is not valid yet"
	descIssuedAt  = "the token was issued in the future"
	descTokenUse  = "the token does not have a valid token_use"
)

// signingAlgs are the algorithms accepted: RSA and ECDSA, never "none" or
// an HMAC secret (a JWKS holds public keys).
var signingAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512}

func invalid(desc, why string, args ...any) *JWTError {
	return &JWTError{Status: 401, Error: "invalid_token", Description: desc, Explanation: fmt.Sprintf(why, args...)}
}

// UnverifiedClaims decodes a token's payload without checking anything,
// to find its issuer and kid before the keys are known. It returns nil
// when the token cannot be decoded.
func UnverifiedClaims(token string) (header map[string]any, claims map[string]json.RawMessage) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, nil
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	if err1 != nil || err2 != nil {
		return nil, nil
	}
	if json.Unmarshal(hb, &header) != nil || json.Unmarshal(cb, &claims) != nil {
		return nil, nil
	}
	return header, claims
}

// VerifyJWT checks a token as API Gateway's JWT authorizer does, in its
// order: shape, signature with the issuer's key named by kid, iss,
// aud/client_id, exp, nbf, iat, token_use, then the route's scopes. A
// token with too few scopes is returned with its 403 error.
func VerifyJWT(token string, keys *jose.JSONWebKeySet, now time.Time, rule JWTRule) (*JWT, *JWTError) {
	if n := strings.Count(token, ".") + 1; n != 3 {
		return nil, invalid(descSegments, "the token has %d dot-separated segments, a JWT has 3 (header.payload.signature); is the header holding something else than the token?", n)
	}
	jws, err := jose.ParseSignedCompact(token, signingAlgs)
	if err != nil {
		if strings.Contains(err.Error(), "unexpected signature algorithm") {
			h, _ := UnverifiedClaims(token)
			return nil, invalid(descAlg, "the token is signed with %v; API Gateway verifies RSA and ECDSA signatures only (RS256, ES256, ...)", h["alg"])
		}
		return nil, invalid(descMalformed, "the token cannot be decoded: %v", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, invalid(descMalformed, "the token has %d signatures, a JWT has 1", len(jws.Signatures))
	}
	hdr := jws.Signatures[0].Protected
	candidates := keys.Keys
	if hdr.KeyID != "" {
		candidates = keys.Key(hdr.KeyID)
	}
	if len(candidates) == 0 {
		var kids []string
		for _, k := range keys.Keys {
			kids = append(kids, k.KeyID)
		}
		return nil, invalid(descKey, "the token's kid %q is not among the issuer's keys (%s): it was signed by another issuer, or the keys given with --jwks are not the issuer's",
			hdr.KeyID, strings.Join(kids, ", "))
	}
	var payload []byte
	for _, k := range candidates {
		if p, err := jws.Verify(k); err == nil {
			payload = p
			break
		}
	}
	if payload == nil {
		return nil, invalid(descSignature, "the token's signature does not verify with the issuer's key %q: it was altered, or signed by another issuer with the same kid", hdr.KeyID)
	}
	t := &JWT{Header: hdr, Claims: payload}
	if err := json.Unmarshal(payload, &t.claims); err != nil {
		return nil, invalid(descMalformed, "the token's payload is not a JSON object: %v", err)
	}

	iss := t.str("iss")
	if !slices.Contains(rule.Issuers, iss) {
		if iss == "" {
			return nil, invalid(descIssuer, "the token has no iss claim; the authorizer expects %s", strings.Join(rule.Issuers, " or "))
		}
		return nil, invalid(descIssuer, "iss is %s, the authorizer expects %s", iss, strings.Join(rule.Issuers, " or "))
	}
	if len(rule.Audiences) > 0 {
		if e := t.checkAudience(rule.Audiences); e != nil {
			return nil, e
		}
	}
	exp, ok := t.number("exp")
	if !ok {
		return nil, invalid(descNoExp, "the token has no exp claim (a number of seconds since 1970); API Gateway rejects tokens that never expire")
	}
	if expAt := unixTime(exp); !now.Before(expAt) {
		return nil, invalid(descExpired, "token expired %s ago (exp %s); get a new one (gatescope token prints one)", Ago(now.Sub(expAt)), expAt.UTC().Format(time.RFC3339))
	}
	if nbf, ok := t.number("nbf"); ok {
		if at := unixTime(nbf); now.Before(at) {
			return nil, invalid(descNotYet, "the token is not valid for another %s (nbf %s)", Ago(at.Sub(now)), at.UTC().Format(time.RFC3339))
		}
	}
	if iat, ok := t.number("iat"); ok {
		if at := unixTime(iat); now.Before(at) {
			return nil, invalid(descIssuedAt, "the token says it was issued %s from now (iat %s): is a clock wrong?", Ago(at.Sub(now)), at.UTC().Format(time.RFC3339))
		}
	}
	if len(rule.TokenUse) > 0 {
		if use := t.str("token_use"); !slices.Contains(rule.TokenUse, use) {
			return nil, invalid(descTokenUse, "token_use is %q; a Cognito user pool authorizer takes %s tokens", use, strings.Join(rule.TokenUse, " or "))
		}
	}
	t.Scopes = t.tokenScopes()
	if len(rule.Scopes) > 0 && !anyIn(t.Scopes, rule.Scopes) {
		why := fmt.Sprintf("the token's scopes (%s) include none of the route's (%s)", strings.Join(t.Scopes, " "), strings.Join(rule.Scopes, " "))
		if len(t.Scopes) == 0 {
			why = fmt.Sprintf("the token has no scope claim; the route needs one of: %s", strings.Join(rule.Scopes, " "))
		}
		return t, &JWTError{Status: 403, Error: "insufficient_scope",
			Description: "expected scopes: [" + strings.Join(rule.Scopes, " ") + "]", Explanation: why}
	}
	return t, nil
}

// checkAudience: aud (a string or a list) must hold one of the audiences;
// a token without aud is checked by client_id (Cognito access tokens).
func (t *JWT) checkAudience(want []string) *JWTError {
	if raw, ok := t.claims["aud"]; ok {
		auds, err := strings1(raw)
		if err == nil && anyIn(auds, want) {
			return nil
		}
		return invalid(descAudience, "aud is %s, the authorizer expects %s", strings.Join(auds, ", "), strings.Join(want, " or "))
	}
	if id := t.str("client_id"); id != "" {
		if slices.Contains(want, id) {
			return nil
		}
		return invalid(descAudience, "client_id is %s (the token has no aud), the authorizer expects %s", id, strings.Join(want, " or "))
	}
	return invalid(descAudience, "the token has neither aud nor client_id; the authorizer expects %s", strings.Join(want, " or "))
}

// tokenScopes reads scope (space separated) or scp (a list or a string).
func (t *JWT) tokenScopes() []string {
	for _, name := range []string{"scope", "scp"} {
		raw, ok := t.claims[name]
		if !ok {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return strings.Fields(s)
		}
		var list []string
		if json.Unmarshal(raw, &list) == nil {
			return list
		}
	}
	return nil
}

func (t *JWT) str(name string) string {
	var s string
	_ = json.Unmarshal(t.claims[name], &s)
	return s
}

func (t *JWT) number(name string) (float64, bool) {
	raw, ok := t.claims[name]
	if !ok {
		return 0, false
	}
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return f, true
	}
	var s string // some issuers write "1718722804"
	if json.Unmarshal(raw, &s) == nil {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f, true
		}
	}
	return 0, false
}

func unixTime(sec float64) time.Time {
	whole, frac := math.Modf(sec)
	return time.Unix(int64(whole), int64(frac*1e9))
}

func anyIn(have, want []string) bool {
	for _, h := range have {
		if slices.Contains(want, h) {
			return true
		}
	}
	return false
}

// Ago shows a duration the way a person says it: "40 seconds", "3
// minutes", "2 hours", "5 days".
func Ago(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.FormatInt(n, 10) + " " + one + "s"
	}
	switch {
	case d < 90*time.Second:
		return unit(int64(d.Round(time.Second)/time.Second), "second")
	case d < 90*time.Minute:
		return unit(int64(d.Round(time.Minute)/time.Minute), "minute")
	case d < 36*time.Hour:
		return unit(int64(d.Round(time.Hour)/time.Hour), "hour")
	}
	return unit(int64(d/(24*time.Hour)), "day")
}

// WWWAuthenticate is the www-authenticate header API Gateway sends with a
// JWT authorizer's 401 and 403: `Bearer` alone when no token was sent,
// else with the route's scopes, the error and its description.
func WWWAuthenticate(routeScopes []string, e *JWTError) string {
	if e == nil || e.Error == "" {
		return "Bearer"
	}
	return fmt.Sprintf(`Bearer scope="%s" error="%s" error_description="%s"`, strings.Join(routeScopes, " "), e.Error, e.Description)
}
