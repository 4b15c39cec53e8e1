package access

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Policy is the IAM policy a Lambda authorizer returns
// (policyDocument): which execute-api:Invoke calls it allows or denies.
type Policy struct {
	Statements []PolicyStatement
}

// PolicyStatement is one statement of an authorizer's policy.
type PolicyStatement struct {
	Effect    string   // "Allow" or "Deny"
	Actions   []string // e.g. execute-api:Invoke, execute-api:*, *
	Resources []string // method ARN patterns
}

// ParsePolicy reads a policyDocument as API Gateway accepts it: Statement
// an object or a list, Action and Resource a string or a list. It fails
// with a sentence naming what is wrong, which API Gateway answers with 500.
func ParsePolicy(raw json.RawMessage) (*Policy, error) {
	var doc struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("policyDocument is not an object like {\"Version\":\"2012-10-17\",\"Statement\":[...]}: %v", err)
	}
	stmts, err := oneOrMany(doc.Statement)
	if err != nil || len(stmts) == 0 {
		return nil, fmt.Errorf("policyDocument has no Statement")
	}
	p := &Policy{}
	for i, s := range stmts {
		var st struct {
			Effect   string          `json:"Effect"`
			Action   json.RawMessage `json:"Action"`
			Resource json.RawMessage `json:"Resource"`
		}
		if err := json.Unmarshal(s, &st); err != nil {
			return nil, fmt.Errorf("statement %d of policyDocument is not an object: %v", i+1, err)
		}
		if st.Effect != "Allow" && st.Effect != "Deny" {
			return nil, fmt.Errorf("statement %d of policyDocument has Effect %q; it must be Allow or Deny", i+1, st.Effect)
		}
		actions, err := strings1(st.Action)
		if err != nil || len(actions) == 0 {
			return nil, fmt.Errorf("statement %d of policyDocument needs an Action such as execute-api:Invoke", i+1)
		}
		resources, err := strings1(st.Resource)
		if err != nil || len(resources) == 0 {
			return nil, fmt.Errorf("statement %d of policyDocument needs a Resource (a method ARN, or a pattern of one)", i+1)
		}
		p.Statements = append(p.Statements, PolicyStatement{Effect: st.Effect, Actions: actions, Resources: resources})
	}
	return p, nil
}

// oneOrMany reads a JSON value that is one object or a list of them.
func oneOrMany(raw json.RawMessage) ([]json.RawMessage, error) {
	t := strings.TrimSpace(string(raw))
	if t == "" || t == "null" {
		return nil, nil
	}
	if t[0] == '[' {
		var list []json.RawMessage
		err := json.Unmarshal(raw, &list)
		return list, err
	}
	return []json.RawMessage{raw}, nil
}

// strings1 reads a JSON string or list of strings.
func strings1(raw json.RawMessage) ([]string, error) {
	t := strings.TrimSpace(string(raw))
	if t == "" || t == "null" {
		return nil, nil
	}
	if t[0] == '[' {
		var list []string
		err := json.Unmarshal(raw, &list)
		return list, err
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return []string{s}, err
}

// Effect is what a policy says about one call.
type Effect int

const (
	// ImplicitDeny: no statement covers the call.
	ImplicitDeny Effect = iota
	// Allowed: an Allow covers it and no Deny does.
	Allowed
	// ExplicitDeny: a Deny covers it, whatever the Allows say.
	ExplicitDeny
)

// Verdict is a policy's answer for one method ARN.
type Verdict struct {
	Effect Effect
	// Statement is the deciding statement's index (0-based), -1 for an
	// implicit deny.
	Statement int
	// Resource is the deciding statement's resource pattern.
	Resource string
}

// invokeAction reports whether an action pattern covers execute-api:Invoke.
func invokeAction(a string) bool {
	return Glob(strings.ToLower(a), "execute-api:invoke")
}

// Evaluate decides a call to methodARN: an explicit Deny wins over any
// Allow; without a Deny, an Allow allows; otherwise the call is implicitly
// denied.
func (p *Policy) Evaluate(methodARN string) Verdict {
	v := Verdict{Statement: -1}
	for i, s := range p.Statements {
		if !anyAction(s.Actions) {
			continue
		}
		for _, r := range s.Resources {
			if !ArnLike(r, methodARN) {
				continue
			}
			if s.Effect == "Deny" {
				return Verdict{Effect: ExplicitDeny, Statement: i, Resource: r}
			}
			if v.Effect == ImplicitDeny {
				v = Verdict{Effect: Allowed, Statement: i, Resource: r}
			}
		}
	}
	return v
}

func anyAction(actions []string) bool {
	for _, a := range actions {
		if invokeAction(a) {
			return true
		}
	}
	return false
}

// Allows lists the resource patterns the policy allows execute-api:Invoke
// on, for explanations.
func (p *Policy) Allows() []string {
	var out []string
	for _, s := range p.Statements {
		if s.Effect == "Allow" && anyAction(s.Actions) {
			out = append(out, s.Resources...)
		}
	}
	return out
}

// MethodOf shows the method part of an execute-api ARN (or pattern) the
// way a developer reads a route: ".../Prod/GET/items/*" → "GET /items/*",
// "*" → "every method". ARNs of another shape are shown whole.
func MethodOf(arn string) string {
	if arn == "*" {
		return "every method"
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "execute-api" {
		return arn
	}
	// api/stage/VERB/path...
	segs := strings.SplitN(parts[5], "/", 4)
	switch len(segs) {
	case 1, 2:
		return arn
	case 3:
		switch segs[2] {
		case "*":
			return "every method"
		case "$default":
			return "$default"
		}
		return segs[2] + " /"
	}
	verb := segs[2]
	if verb == "*" {
		verb = "ANY"
	}
	return verb + " /" + segs[3]
}
