package authz

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gatescope/gatescope/server/access"
	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
)

// jwt runs an HTTP API JWT authorizer or a REST Cognito user pool
// authorizer: the token from its identity source, the issuer's keys, and
// the checks of access.VerifyJWT. Cognito rejections are all 401 without
// www-authenticate; JWT ones carry it.
func (s *Service) jwt(ctx context.Context, m *apigw.Match, req *apigw.Request, az *config.Authorizer) Decision {
	step := &exchange.Authorizer{Name: az.Name, Type: string(az.Type), StartMs: s.offset(req)}
	d := Decision{Step: step}
	start := s.now()
	defer func() { step.DurationMs = ms(s.now().Sub(start)) }()
	cognito := az.Type == config.CognitoAuthorizer
	scopes := m.Route.Scopes
	if scopes == nil {
		scopes = az.Scopes
	}
	reject := func(e *access.JWTError) Decision {
		step.Decision = exchange.DecisionUnauthorized
		why := "Authorizer " + az.Name + " rejected the token: " + e.Explanation
		if e.Error == "" { // no token at all
			why = upperFirst(e.Explanation)
		}
		switch {
		case cognito:
			d.Refused = apigw.Unauthorized(m, req, "", why)
		case e.Status == 403:
			step.Decision = exchange.DecisionDeny
			d.Refused = apigw.Denied(m, req, false, access.WWWAuthenticate(scopes, e), why)
		default:
			d.Refused = apigw.Unauthorized(m, req, access.WWWAuthenticate(scopes, e), why)
		}
		return d
	}

	var token string
	if len(az.IdentitySources) > 0 {
		token = apigw.IdentityValue(m, req, az.IdentitySources[0])
	}
	if t, ok := cutPrefixFold(token, "Bearer "); ok {
		token = strings.TrimSpace(t)
	}
	if token == "" {
		return reject(&access.JWTError{Status: 401, Explanation: fmt.Sprintf("No token: %s takes it from %s, which the request does not send", apigw.AuthorizerName(az), apigw.DescribeIdentity(az.IdentitySources))})
	}
	hdr, claims := access.UnverifiedClaims(token)
	if hdr != nil {
		step.Event, _ = json.Marshal(map[string]any{"header": hdr, "claims": claims})
	}
	rule := access.JWTRule{Issuers: []string{az.Issuer}, Audiences: az.Audiences, Scopes: scopes}
	if cognito {
		rule = access.JWTRule{Issuers: poolIssuers(az.UserPoolARNs), TokenUse: []string{"id", "access"}, Scopes: scopes}
		if len(scopes) > 0 {
			rule.TokenUse = []string{"access"} // only access tokens carry scopes
		}
	}
	kid, _ := hdr["kid"].(string)
	issuer := rule.Issuers[0]
	if cognito {
		var iss string
		_ = json.Unmarshal(claims["iss"], &iss)
		for _, candidate := range rule.Issuers {
			if candidate == iss {
				issuer = iss
			}
		}
	}
	keys, err := s.keys.For(ctx, issuer, kid)
	if err != nil {
		return reject(&access.JWTError{Status: 401, Error: "invalid_token", Description: "unable to find a valid key for the token",
			Explanation: fmt.Sprintf("the keys of issuer %s could not be read (%v). Offline, or an issuer gatescope cannot reach? Start gatescope with --jwks %s=FILE_OR_URL, or --jwks %s=local to accept tokens from `gatescope token --issuer %s`",
				issuer, err, issuer, issuer, issuer)})
	}
	tok, e := access.VerifyJWT(token, keys, s.now(), rule)
	if e == nil && cognito && az.ValidationExpression != "" {
		if re, err := s.compiled(az.ValidationExpression); err == nil && !re.MatchString(strings.Join(audiences(tok), ",")) {
			e = &access.JWTError{Status: 401, Explanation: fmt.Sprintf("the token's aud does not match %s's validation expression %s", az.Name, az.ValidationExpression)}
		}
	}
	if e != nil {
		if e.Description == "signature is invalid" || e.Description == "unable to find a valid key for the token" {
			e.Explanation += fmt.Sprintf(" (the issuer's keys come from %s)", s.keys.Source(issuer))
		}
		return reject(e)
	}
	step.Decision = exchange.DecisionAllow
	step.Output = tok.Claims
	d.Auth = &apigw.Auth{Kind: apigw.AuthJWT, Claims: tok.Claims}
	if cognito {
		d.Auth.Kind = apigw.AuthCognito
	} else if len(scopes) > 0 {
		d.Auth.Scopes = tok.Scopes
	}
	return d
}

// poolIssuers are the issuers of Cognito user pools:
// https://cognito-idp.<region>.amazonaws.com/<pool id>.
func poolIssuers(arns []string) []string {
	var out []string
	for _, arn := range arns {
		parts := strings.SplitN(arn, ":", 6)
		if len(parts) != 6 {
			continue
		}
		id, _ := strings.CutPrefix(parts[5], "userpool/")
		out = append(out, "https://cognito-idp."+parts[3]+".amazonaws.com/"+id)
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}

func audiences(t *access.JWT) []string {
	var list []string
	raw := t.Claim("aud")
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	var one string
	_ = json.Unmarshal(raw, &one)
	return []string{one}
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}
