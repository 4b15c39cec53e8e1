package apigw

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gatescope/gatescope/server/access"
	"github.com/gatescope/gatescope/server/config"
)

// AuthorizerOutput is a Lambda authorizer's answer, validated as API
// Gateway validates it.
type AuthorizerOutput struct {
	// PrincipalID and Policy: the IAM policy form (REST, and HTTP APIs
	// without simple responses).
	PrincipalID string
	Policy      *access.Policy
	// Simple is set for a simple response ({"isAuthorized": bool}, HTTP
	// API payload 2.0 with EnableSimpleResponses); Authorized is its answer.
	Simple     bool
	Authorized bool
	// Context is the context object as returned (nil when none).
	Context json.RawMessage
	// UsageIdentifierKey is the API key a REST authorizer names for usage
	// plans (API key source AUTHORIZER).
	UsageIdentifierKey string
}

// ParseAuthorizerOutput validates what a Lambda authorizer returned. The
// error says why API Gateway would answer 500 (REST:
// AuthorizerConfigurationException), in words a developer can act on.
func ParseAuthorizerOutput(api *config.API, az *config.Authorizer, payload []byte) (*AuthorizerOutput, error) {
	t := bytes.TrimSpace(payload)
	if len(t) == 0 || t[0] != '{' {
		kind := "nothing"
		if len(t) > 0 {
			kind = jsonKind(t) + " " + quoteJSON(t)
		}
		return nil, fmt.Errorf("the authorizer returned %s; it must return an object with %s", kind, expectedShape(api, az))
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(t, &obj); err != nil {
		return nil, fmt.Errorf("the authorizer's output is not valid JSON: %v", err)
	}
	out := &AuthorizerOutput{}
	if ctx, ok := obj["context"]; ok && !isNull(ctx) {
		if !isJSONObject(ctx) {
			return nil, fmt.Errorf("the authorizer returned context as %s; it must be an object", jsonKind(bytes.TrimSpace(ctx)))
		}
		out.Context = ctx
		if api.Type == config.RESTAPI {
			if err := scalarContext(ctx); err != nil {
				return nil, err
			}
		}
	}
	if az.SimpleResponses {
		raw, ok := obj["isAuthorized"]
		if !ok {
			return nil, fmt.Errorf("the authorizer has simple responses enabled and returned no isAuthorized; return {\"isAuthorized\": true or false}")
		}
		if err := json.Unmarshal(raw, &out.Authorized); err != nil {
			return nil, fmt.Errorf("the authorizer returned isAuthorized %s; it must be true or false", quoteJSON(raw))
		}
		out.Simple = true
		return out, nil
	}
	raw, ok := obj["principalId"]
	if !ok && api.Type == config.RESTAPI {
		return nil, fmt.Errorf("the authorizer returned no principalId; a REST authorizer returns %s", expectedShape(api, az))
	}
	if ok {
		if err := json.Unmarshal(raw, &out.PrincipalID); err != nil {
			return nil, fmt.Errorf("the authorizer returned principalId %s; it must be a string", quoteJSON(raw))
		}
	}
	doc, ok := obj["policyDocument"]
	if !ok || isNull(doc) {
		return nil, fmt.Errorf("the authorizer returned no policyDocument; it must return %s", expectedShape(api, az))
	}
	p, err := access.ParsePolicy(doc)
	if err != nil {
		return nil, fmt.Errorf("the authorizer's %v", err)
	}
	out.Policy = p
	if raw, ok := obj["usageIdentifierKey"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &out.UsageIdentifierKey); err != nil {
			return nil, fmt.Errorf("the authorizer returned usageIdentifierKey %s; it must be a string", quoteJSON(raw))
		}
	}
	return out, nil
}

// scalarContext checks a REST authorizer's context: API Gateway passes
// only strings, numbers and booleans (and null) on; an object or a list
// fails the request with 500.
func scalarContext(ctx json.RawMessage) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(ctx, &obj); err != nil {
		return fmt.Errorf("the authorizer's context is not a JSON object: %v", err)
	}
	for _, k := range sortedKeys(obj) {
		v := bytes.TrimSpace(obj[k])
		if len(v) > 0 && (v[0] == '{' || v[0] == '[') {
			return fmt.Errorf("the authorizer returned context value %q as %s; context values must be strings, numbers or booleans (JSON-encode it into a string)", k, jsonKind(v))
		}
	}
	return nil
}

func expectedShape(api *config.API, az *config.Authorizer) string {
	if az.SimpleResponses {
		return `{"isAuthorized": true, "context": {...}}`
	}
	return `{"principalId": "...", "policyDocument": {"Version": "2012-10-17", "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "` + "<method ARN>" + `"}]}, "context": {...}}`
}

// Decide evaluates an authorizer's answer for a call: allowed, or why
// not, naming what the policy allows when it does not cover the call.
// explicit is set for an explicit Deny.
func (o *AuthorizerOutput) Decide(methodARN string) (allowed, explicit bool, why string) {
	if o.Simple {
		if o.Authorized {
			return true, false, ""
		}
		return false, false, "the authorizer answered isAuthorized: false"
	}
	v := o.Policy.Evaluate(methodARN)
	call := access.MethodOf(methodARN)
	switch v.Effect {
	case access.Allowed:
		return true, false, ""
	case access.ExplicitDeny:
		return false, true, fmt.Sprintf("the policy denies %s (statement %d: Deny %s)", call, v.Statement+1, v.Resource)
	}
	allows := o.Policy.Allows()
	if len(allows) == 0 {
		return false, false, fmt.Sprintf("the policy allows nothing, and this is %s", call)
	}
	shown := make([]string, 0, len(allows))
	for _, a := range allows {
		shown = append(shown, access.MethodOf(a))
	}
	why = fmt.Sprintf("the policy allows %s but this is %s", strings.Join(shown, ", "), call)
	if stage := stageOf(allows[0]); stage != "" && stage != "*" && stage != stageOf(methodARN) {
		why += fmt.Sprintf(" on stage %s (the policy names stage %s)", stageOf(methodARN), stage)
	}
	return false, false, why
}

// stageOf is the stage part of an execute-api ARN: api/<stage>/...
func stageOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return ""
	}
	segs := strings.SplitN(parts[5], "/", 3)
	if len(segs) < 2 {
		return ""
	}
	return segs[1]
}
