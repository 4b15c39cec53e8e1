package authz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/lambda"
)

// authorizerTimeout bounds a Lambda authorizer's invoke: API Gateway
// gives an authorizer no more than the integration's 29-30 s (the
// function's own timeout usually ends it first).
const authorizerTimeout = 30 * time.Second

// lambda runs a Lambda authorizer: the identity sources, the validation
// expression (TOKEN), the cache, the invoke, the answer's validation, and
// the decision for this request's method ARN. usageKey is the answer's
// usageIdentifierKey.
func (s *Service) lambda(ctx context.Context, m *apigw.Match, req *apigw.Request, az *config.Authorizer) (Decision, string) {
	rest := m.API.Type == config.RESTAPI
	step := &exchange.Authorizer{Name: az.Name, Type: string(az.Type), Function: az.Function, StartMs: s.offset(req)}
	d := Decision{Step: step}
	start := s.now()
	defer func() { step.DurationMs = ms(s.now().Sub(start)) }()
	refuse := func(decision string, resp *apigw.Response) (Decision, string) {
		step.Decision = decision
		d.Refused = resp
		return d, ""
	}

	values := make([]string, len(az.IdentitySources))
	var missing []config.IdentitySource
	for i, src := range az.IdentitySources {
		values[i] = apigw.IdentityValue(m, req, src)
		if values[i] == "" {
			missing = append(missing, src)
		}
	}
	who := apigw.AuthorizerName(az)
	switch {
	case az.Type == config.TokenAuthorizer && len(missing) > 0:
		return refuse(exchange.DecisionUnauthorized, apigw.Unauthorized(m, req, "",
			fmt.Sprintf("No token: %s takes it from %s, which the request does not send, so API Gateway answers 401 without invoking the authorizer", who, apigw.DescribeIdentity(az.IdentitySources))))
	case len(missing) > 0 && (!rest || az.TTL > 0):
		// REST REQUEST authorizers need every identity source when they
		// cache; HTTP API authorizers always do.
		return refuse(exchange.DecisionUnauthorized, apigw.Unauthorized(m, req, "",
			fmt.Sprintf("The request lacks %s, an identity source of %s, so API Gateway answers 401 without invoking the authorizer", apigw.DescribeIdentity(missing), who)))
	}
	if az.Type == config.TokenAuthorizer && az.ValidationExpression != "" {
		if re, err := s.compiled(az.ValidationExpression); err == nil && !re.MatchString(values[0]) {
			return refuse(exchange.DecisionUnauthorized, apigw.Unauthorized(m, req, "",
				fmt.Sprintf("The token in %s does not match %s's ValidationExpression %s, so API Gateway answers 401 without invoking the authorizer", apigw.DescribeIdentity(az.IdentitySources), az.Name, az.ValidationExpression)))
		}
	}

	key := cacheKey{api: m.API.ID, authorizer: az.Name, identity: strings.Join(values, "\x00")}
	var out *apigw.AuthorizerOutput
	var latency int64
	if e, ok := s.cacheGet(az, key); ok {
		out, step.Cached = e.out, true
		step.Event, step.Output = e.event, e.output
	} else {
		var event []byte
		if az.Type == config.TokenAuthorizer {
			event = apigw.TokenEvent(m, req, values[0])
		} else {
			event = apigw.RequestEvent(m, req, az, values)
		}
		step.Event = event
		var resp *apigw.Response
		var outcome exchange.Outcome
		out, resp, outcome = s.invokeAuthorizer(ctx, m, req, az, event, step)
		latency = int64(step.DurationMs)
		if resp != nil {
			decision := exchange.DecisionError
			if outcome == exchange.OutcomeUnauthorized {
				decision = exchange.DecisionUnauthorized
			}
			return refuse(decision, resp)
		}
		if az.TTL > 0 {
			s.cache.put(key, cacheEntry{out: out, event: event, output: step.Output, expires: s.now().Add(az.TTL)}, s.now())
		}
	}

	arn := apigw.MethodARN(m, req)
	allowed, explicit, why := out.Decide(arn)
	if !allowed {
		from := ""
		if step.Cached {
			from = fmt.Sprintf(" (a cached answer: %s caches for %s per identity)", az.Name, az.TTL)
		}
		return refuse(exchange.DecisionDeny, apigw.Denied(m, req, explicit, "", upperFirst(why)+from))
	}
	step.Decision = exchange.DecisionAllow
	d.Auth = &apigw.Auth{Kind: apigw.AuthLambda, PrincipalID: out.PrincipalID, IntegrationLatency: latency, Context: out.Context}
	return d, out.UsageIdentifierKey
}

func (s *Service) cacheGet(az *config.Authorizer, k cacheKey) (cacheEntry, bool) {
	if az.TTL <= 0 {
		return cacheEntry{}, false
	}
	return s.cache.get(k, s.now())
}

// invokeAuthorizer invokes the authorizer's function (if its policy lets
// API Gateway) and validates its answer. On failure it returns the answer
// API Gateway gives and the exchange's outcome.
func (s *Service) invokeAuthorizer(ctx context.Context, m *apigw.Match, req *apigw.Request, az *config.Authorizer, event []byte, step *exchange.Authorizer) (*apigw.AuthorizerOutput, *apigw.Response, exchange.Outcome) {
	fail := func(outcome exchange.Outcome, why string) (*apigw.AuthorizerOutput, *apigw.Response, exchange.Outcome) {
		return nil, apigw.AuthorizerFailed(m, req, outcome, why), outcome
	}
	if az.Function == "" {
		return fail(exchange.OutcomeInvokeFailed, fmt.Sprintf("Authorizer %s's function %s is not in this template, so API Gateway cannot invoke it", az.Name, az.FunctionARN))
	}
	if az.InvokeRole == "" {
		if ok, why := s.policies.MayInvoke(az.Function, apigw.AuthorizerARN(m, az)); !ok {
			return fail(exchange.OutcomeInvokeFailed, "Authorizer "+az.Name+": "+why)
		}
	}
	if s.invoker == nil {
		return fail(exchange.OutcomeInvokeFailed, "no functions run here")
	}
	ictx, cancel := context.WithTimeout(ctx, authorizerTimeout)
	defer cancel()
	start := s.now()
	res, err := s.invoker.Invoke(ictx, az.Function, lambda.Request{Payload: event, TraceID: req.TraceID})
	step.DurationMs = ms(s.now().Sub(start))
	if res != nil {
		step.Logs, step.Cold = res.Log, res.Cold
		step.Output = rawJSON(res.Payload)
	}
	switch {
	case err != nil:
		step.Error = &exchange.FunctionError{Type: "InvokeError", Message: err.Error()}
		outcome := exchange.OutcomeInvokeFailed
		var se *lambda.ServiceError
		switch {
		case errors.As(err, &se):
			step.Error.Type = se.Type
			if errors.Is(err, lambda.ErrThrottled) {
				outcome = exchange.OutcomeThrottled
			}
		case ictx.Err() != nil:
			outcome = exchange.OutcomeTimeout
		}
		return fail(outcome, fmt.Sprintf("Authorizer %s could not be invoked: %v", az.Name, err))
	case res.FunctionError != "":
		var fe struct {
			Type    string   `json:"errorType"`
			Message string   `json:"errorMessage"`
			Trace   []string `json:"stackTrace"`
		}
		_ = json.Unmarshal(res.Payload, &fe)
		step.Error = &exchange.FunctionError{Type: fe.Type, Message: fe.Message, StackTrace: fe.Trace}
		if m.API.Type == config.RESTAPI && fe.Message == "Unauthorized" {
			return nil, apigw.Unauthorized(m, req, "", fmt.Sprintf("Authorizer %s's function %s failed with the message \"Unauthorized\", which API Gateway answers with 401", az.Name, az.Function)), exchange.OutcomeUnauthorized
		}
		outcome, why := apigw.ExplainFunctionError(res.Payload)
		hint := ""
		if m.API.Type == config.RESTAPI {
			hint = " (only the exact message \"Unauthorized\" makes a 401)"
		}
		return fail(outcome, fmt.Sprintf("Authorizer %s failed, so API Gateway answers 500%s: %s", az.Name, hint, why))
	}
	out, perr := apigw.ParseAuthorizerOutput(m.API, az, res.Payload)
	if perr != nil {
		return fail(exchange.OutcomeMalformedResponse, fmt.Sprintf("Authorizer %s's answer cannot be used, so API Gateway answers 500: %v", az.Name, perr))
	}
	return out, nil, ""
}

// rawJSON keeps output as JSON when it is, as a JSON string otherwise.
func rawJSON(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	if json.Valid(b) {
		return json.RawMessage(b)
	}
	s, _ := json.Marshal(string(b))
	return s
}

// compiled compiles a validation expression once. API Gateway matches the
// whole token (Java's String.matches).
func (s *Service) compiled(expr string) (*regexp.Regexp, error) {
	if re, ok := s.regexps.Load(expr); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(`^(?:` + expr + `)$`)
	if err != nil {
		return nil, err
	}
	s.regexps.Store(expr, re)
	return re, nil
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
