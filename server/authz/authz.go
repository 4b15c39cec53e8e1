// Package authz runs API Gateway's access control for the gateway: Lambda
// authorizers (invoked through lambda, their answers cached), JWT and
// Cognito authorizers (keys from --jwks, OIDC discovery or the local
// issuer), IAM authorization (SigV4 against local credentials), API keys
// with their usage plans' throttle and quota, and the functions'
// resource-based policies. The decisions themselves are the pure functions
// of server/access and server/apigw; this package holds what has state:
// caches, counters, keys, policies changed at run time.
package authz

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/gatescope/gatescope/server/access"
	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/lambda"
)

// Invoker runs a Lambda authorizer's function (lambda.Manager).
type Invoker interface {
	Invoke(ctx context.Context, name string, req lambda.Request) (*lambda.Result, error)
}

var _ Invoker = (*lambda.Manager)(nil)

// Options configure a Service.
type Options struct {
	Logger  *slog.Logger
	Invoker Invoker
	// Keys finds JWT issuers' keys (NewKeys); nil: discovery only.
	Keys *Keys
	// APIKeys are serve --api-key values.
	APIKeys []string
	// Credentials are the access keys SigV4-signed requests may use.
	Credentials []access.Credential
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Service decides, per request, what API Gateway's access control decides.
type Service struct {
	log      *slog.Logger
	invoker  Invoker
	keys     *Keys
	creds    map[string]access.Credential
	keyring  *keyring
	cache    *cache
	policies *Policies
	now      func() time.Time
	account  string
	regexps  sync.Map // validation expression → *regexp.Regexp
}

// New returns the access control of a project.
func New(p *config.Project, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Keys == nil {
		o.Keys, _ = NewKeys(nil, nil, o.Now)
	}
	s := &Service{log: o.Logger, invoker: o.Invoker, keys: o.Keys, creds: map[string]access.Credential{},
		keyring: newKeyring(p, o.APIKeys), cache: newCache(), policies: NewPolicies(p), now: o.Now, account: p.AccountID}
	for _, c := range o.Credentials {
		if c.AccountID == "" {
			c.AccountID = p.AccountID
		}
		if c.PrincipalID == "" {
			c.PrincipalID = "AIDA" + upper(apigw.APIID("principal "+c.AccessKeyID)) + upper(apigw.APIID("user " + c.AccessKeyID))[:7]
		}
		if c.UserARN == "" {
			c.UserARN = "arn:aws:iam::" + c.AccountID + ":user/gatescope"
		}
		s.creds[c.AccessKeyID] = c
	}
	return s
}

// Policies are the functions' resource-based policies, for the Lambda
// policy API.
func (s *Service) Policies() *Policies { return s.policies }

// FlushCache forgets every cached authorizer answer.
func (s *Service) FlushCache() { s.cache.flush() }

// Decision is what access control decided about one request.
type Decision struct {
	// Auth goes on the request, for the event (nil when nothing was
	// established).
	Auth *apigw.Auth
	// Refused, when set, is the answer to send instead of invoking.
	Refused *apigw.Response
	// Step is the authorizer step to record on the exchange (nil when the
	// route has no authorizer).
	Step *exchange.Authorizer
}

// Authorize runs the route's authorizer (or IAM authorization), then its
// API key check, in API Gateway's order.
func (s *Service) Authorize(ctx context.Context, m *apigw.Match, req *apigw.Request) Decision {
	var d Decision
	var usageKey string
	switch name := m.Route.Authorizer; {
	case name == "":
	case name == config.IAMAuthorizerName:
		d = s.iam(m, req)
	default:
		az := m.API.Authorizer(name)
		if az == nil { // config.Load refuses this; a hand-built project may not
			d.Refused = apigw.AuthorizerFailed(m, req, exchange.OutcomeInvokeFailed, "route "+m.Route.Key()+" names authorizer "+name+", which its API does not declare")
			return d
		}
		switch az.Type {
		case config.TokenAuthorizer, config.RequestAuthorizer:
			d, usageKey = s.lambda(ctx, m, req, az)
		case config.JWTAuthorizer, config.CognitoAuthorizer:
			d = s.jwt(ctx, m, req, az)
		}
	}
	if d.Refused != nil || m.API.Type != config.RESTAPI || !m.Route.APIKeyRequired {
		s.finish(m, &d)
		return d
	}
	value, id, refused := s.keyring.check(m, req, usageKey, s.now())
	if refused != nil {
		d.Refused = refused
		s.finish(m, &d)
		return d
	}
	if d.Auth == nil {
		d.Auth = &apigw.Auth{}
	}
	d.Auth.APIKey, d.Auth.APIKeyID = value, id
	s.finish(m, &d)
	return d
}

// finish records the context the function gets, or the refusal's
// explanation, on the step.
func (s *Service) finish(m *apigw.Match, d *Decision) {
	if d.Step == nil {
		return
	}
	if d.Refused != nil {
		if d.Step.Explanation == "" {
			d.Step.Explanation = d.Refused.Explanation
		}
		return
	}
	if b := apigw.AuthorizerJSON(m, d.Auth); b != nil {
		d.Step.Context = json.RawMessage(b)
	}
}

// MayInvoke decides whether API Gateway may invoke the route's function:
// its resource-based policy against the call's source ARN.
func (s *Service) MayInvoke(fn string, m *apigw.Match) (bool, string) {
	return s.policies.MayInvoke(fn, apigw.SourceARN(m))
}

// ms is a duration in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// offset is when, in ms after the request arrived, now is.
func (s *Service) offset(req *apigw.Request) float64 { return ms(s.now().Sub(req.Time)) }

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func jsonOf(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
