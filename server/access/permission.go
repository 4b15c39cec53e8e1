package access

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// APIGatewayPrincipal is the service principal API Gateway invokes as.
const APIGatewayPrincipal = "apigateway.amazonaws.com"

// Permission is one statement of a function's resource-based policy, as
// AddPermission takes it and GetPolicy shows it.
type Permission struct {
	Sid       string
	Principal string // a service ("apigateway.amazonaws.com"), an account id or ARN, or "*"
	Action    string // lambda:InvokeFunction, lambda:*, ...
	// Resource is the function's ARN.
	Resource string
	// SourceArn is the AWS:SourceArn ArnLike condition; "" for none.
	SourceArn string
	// SourceAccount is the AWS:SourceAccount StringEquals condition.
	SourceAccount string
	// PrincipalOrgID is the aws:PrincipalOrgID condition (shown, never
	// matched by a service call).
	PrincipalOrgID string
	// Origin says where the statement comes from, for explanations: "SAM
	// (event GetHello)", "template.yaml:42", "add-permission".
	Origin string
}

// Call is an invocation to decide: API Gateway invoking a function for the
// execute-api ARN of a request (or of an authorizer).
type Call struct {
	Principal string // APIGatewayPrincipal
	Action    string // lambda:InvokeFunction
	SourceArn string
	// SourceAccount is the account the API belongs to.
	SourceAccount string
}

// Allows reports whether the statement allows the call: its principal is
// the caller's service (or anyone), its action covers the call's, and its
// conditions hold (SourceArn by ArnLike, SourceAccount exactly).
func (p Permission) Allows(c Call) bool {
	if p.Principal != "*" && !strings.EqualFold(p.Principal, c.Principal) {
		return false
	}
	if !Glob(strings.ToLower(p.Action), strings.ToLower(c.Action)) {
		return false
	}
	if p.SourceArn != "" && !ArnLike(p.SourceArn, c.SourceArn) {
		return false
	}
	if p.SourceAccount != "" && p.SourceAccount != c.SourceAccount {
		return false
	}
	return p.PrincipalOrgID == "" // a service call carries no organization
}

// Allowing returns the first statement that allows c, or -1: Lambda's
// resource policies hold Allow statements only, so any one of them allows.
func Allowing(ps []Permission, c Call) int {
	for i, p := range ps {
		if p.Allows(c) {
			return i
		}
	}
	return -1
}

// StatementJSON is the statement as Lambda writes it in GetPolicy and
// AddPermission answers:
// {"Sid","Effect":"Allow","Principal":{"Service":...},"Action","Resource","Condition":{...}}.
func (p Permission) StatementJSON() []byte {
	var b bytes.Buffer
	b.WriteString(`{"Sid":`)
	writeJSON(&b, p.Sid)
	b.WriteString(`,"Effect":"Allow","Principal":`)
	switch {
	case p.Principal == "*":
		b.WriteString(`"*"`)
	case strings.HasSuffix(p.Principal, ".amazonaws.com"):
		b.WriteString(`{"Service":`)
		writeJSON(&b, p.Principal)
		b.WriteByte('}')
	default:
		principal := p.Principal
		if isAccountID(principal) {
			principal = "arn:aws:iam::" + principal + ":root"
		}
		b.WriteString(`{"AWS":`)
		writeJSON(&b, principal)
		b.WriteByte('}')
	}
	b.WriteString(`,"Action":`)
	writeJSON(&b, p.Action)
	b.WriteString(`,"Resource":`)
	writeJSON(&b, p.Resource)
	var conds, equals []string
	if p.SourceAccount != "" {
		equals = append(equals, `"AWS:SourceAccount":`+jsonString(p.SourceAccount))
	}
	if p.PrincipalOrgID != "" {
		equals = append(equals, `"aws:PrincipalOrgID":`+jsonString(p.PrincipalOrgID))
	}
	if len(equals) > 0 {
		conds = append(conds, `"StringEquals":{`+strings.Join(equals, ",")+`}`)
	}
	if p.SourceArn != "" {
		conds = append(conds, `"ArnLike":{"AWS:SourceArn":`+jsonString(p.SourceArn)+`}`)
	}
	if len(conds) > 0 {
		b.WriteString(`,"Condition":{` + strings.Join(conds, ",") + `}`)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// PolicyJSON is the policy document GetPolicy returns.
func PolicyJSON(ps []Permission) []byte {
	var b bytes.Buffer
	b.WriteString(`{"Version":"2012-10-17","Id":"default","Statement":[`)
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(p.StatementJSON())
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// DescribePermissions lists statements for an explanation: "Sid (source
// arn)" each, sorted as given.
func DescribePermissions(ps []Permission) string {
	if len(ps) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(ps))
	for _, p := range ps {
		s := p.Sid
		switch {
		case p.Principal != "*" && !strings.EqualFold(p.Principal, APIGatewayPrincipal):
			s += fmt.Sprintf(" (principal %s)", p.Principal)
		case p.SourceArn != "":
			s += " (" + p.SourceArn + ")"
		default:
			s += " (any source)"
		}
		if p.Origin != "" {
			s += " from " + p.Origin
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// SortedSids returns the statement ids, sorted, for messages.
func SortedSids(ps []Permission) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.Sid)
	}
	sort.Strings(out)
	return out
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func writeJSON(b *bytes.Buffer, s string) { b.WriteString(jsonString(s)) }
