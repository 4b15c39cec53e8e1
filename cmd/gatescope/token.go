package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gatescope/gatescope/server/authz"
)

const tokenSynopsis = `token --issuer ISSUER [--aud AUD]... [--scope SCOPE]... [--claim KEY=VALUE]... [--expires-in 1h]

Prints a JWT signed by gatescope's local issuer, for routes with a JWT or
Cognito authorizer. A running gatescope verifies it when the authorizer's
issuer is ISSUER and its keys are the local issuer's:

  gatescope serve --jwks 'ISSUER=local'     # or --jwks '*=local' for every issuer
  curl -H "Authorization: Bearer $(gatescope token --issuer ISSUER --aud CLIENT --scope read)" ...

The template is not edited: ISSUER is the one the authorizer names
(JwtConfiguration issuer; for Cognito https://cognito-idp.REGION.amazonaws.com/POOL_ID).`

// runToken prints a signed token, or with --print-jwks the public keys.
func runToken(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("token", tokenSynopsis, stderr)
	var issuer, sub, keyFile string
	var auds, scopes, claims stringList
	var expiresIn time.Duration
	var printJWKS bool
	fs.StringVar(&issuer, "issuer", "", "the token's iss: the `ISSUER` of the route's authorizer (required)")
	fs.Var(&auds, "aud", "an audience (`AUD`: the authorizer's audience or app client id; repeatable)")
	fs.Var(&scopes, "scope", "a `SCOPE` the token grants (its scope claim; repeatable)")
	fs.Var(&claims, "claim", "any other claim as `KEY=VALUE`; VALUE is read as JSON when it is (123, true, [\"a\"]), else as a string (repeatable)")
	fs.StringVar(&sub, "sub", "gatescope-user", "the token's subject")
	fs.DurationVar(&expiresIn, "expires-in", time.Hour, "how long the token is valid (negative: an expired token, to test the 401)")
	fs.StringVar(&keyFile, "issuer-key", authz.DefaultIssuerKey, "the local issuer's key `FILE` (created when missing; serve reads the same)")
	fs.BoolVar(&printJWKS, "print-jwks", false, "print the local issuer's public keys (a JWKS) instead of a token")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: token takes no arguments, got %q", errUsage, fs.Args())
	}
	iss, err := authz.LoadIssuer(keyFile)
	if err != nil {
		return err
	}
	if printJWKS {
		b, err := json.MarshalIndent(iss.JWKS(), "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	if issuer == "" {
		fs.Usage()
		return fmt.Errorf("%w: token needs --issuer", errUsage)
	}
	c, err := tokenClaims(issuer, sub, splitList(auds), scopes, claims, expiresIn, time.Now())
	if err != nil {
		return err
	}
	tok, err := iss.Sign(c)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, tok)
	return err
}

// tokenClaims builds a token's claims: iss, sub, aud (a string for one),
// scope (space separated), iat, nbf and exp, then --claim on top.
func tokenClaims(issuer, sub string, auds, scopes, extra []string, expiresIn time.Duration, now time.Time) (map[string]any, error) {
	c := map[string]any{"iss": issuer, "sub": sub, "iat": now.Unix(), "exp": now.Add(expiresIn).Unix()}
	if expiresIn > 0 {
		c["nbf"] = now.Unix()
	}
	switch len(auds) {
	case 0:
	case 1:
		c["aud"] = auds[0]
	default:
		c["aud"] = auds
	}
	if len(scopes) > 0 {
		c["scope"] = strings.Join(scopes, " ")
	}
	for _, kv := range extra {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%w: --claim %q: want KEY=VALUE", errUsage, kv)
		}
		var parsed any
		if err := json.Unmarshal([]byte(v), &parsed); err == nil {
			c[k] = parsed
		} else {
			c[k] = v
		}
	}
	return c, nil
}
