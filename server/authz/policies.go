package authz

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/gatescope/gatescope/server/access"
	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/awsid"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/lambda"
)

// Policies are the functions' resource-based policies: the statements SAM
// adds, the template's AWS::Lambda::Permission resources, and what
// add-permission and remove-permission change at run time. A function's
// policy is enforced once the template gives it an explicit permission or
// its policy is changed through the API; until then, as a template that
// only has SAM's statements, every call the gateway makes is allowed
// (SAM would have added the statement it needs).
type Policies struct {
	account string
	region  string
	fns     []*config.Function
	// rewrite turns ARNs the template wrote with an API's or an
	// authorizer's logical id (their Refs locally) into ARNs with the ids
	// API Gateway calls with.
	rewrite *strings.Replacer

	mu       sync.RWMutex
	policies map[string]*fnPolicy // by function logical name
}

type fnPolicy struct {
	statements []access.Permission
	enforced   bool
	revision   string
}

// NewPolicies builds the policies a project's template declares.
func NewPolicies(p *config.Project) *Policies {
	// An authorizer's ARN first: the API's prefix is a prefix of it, and
	// a Replacer tries its pairs in order. Longer logical ids first, so
	// one that another extends never matches in its place.
	type arns struct{ logical, derived string }
	var azs, apis []arns
	for _, a := range p.APIs {
		for _, az := range a.Authorizers {
			logical, derived := apigw.AuthorizerRefARN(a, az)
			azs = append(azs, arns{logical, derived})
		}
		logical, derived := apigw.ExecuteAPIPrefix(a)
		apis = append(apis, arns{logical, derived})
	}
	slices.SortStableFunc(azs, func(a, b arns) int { return len(b.logical) - len(a.logical) })
	var pairs []string
	for _, r := range append(azs, apis...) {
		pairs = append(pairs, r.logical, r.derived)
	}
	ps := &Policies{account: p.AccountID, region: p.Region, fns: p.Functions, rewrite: strings.NewReplacer(pairs...), policies: map[string]*fnPolicy{}}
	for _, perm := range p.Permissions {
		fp := ps.policy(perm.Function)
		fp.statements = append(fp.statements, access.Permission{
			Sid: perm.Sid, Principal: perm.Principal, Action: perm.Action, Resource: ps.functionARN(perm.Function),
			SourceArn: ps.rewrite.Replace(perm.SourceArn), SourceAccount: perm.SourceAccount, Origin: perm.Origin,
		})
		if !perm.SAM {
			fp.enforced = true
		}
	}
	return ps
}

// policy returns a function's policy, creating an empty one. Callers hold mu.
func (ps *Policies) policy(fn string) *fnPolicy {
	fp := ps.policies[fn]
	if fp == nil {
		fp = &fnPolicy{revision: awsid.NewUUID()}
		ps.policies[fn] = fp
	}
	return fp
}

func (ps *Policies) functionARN(name string) string {
	for _, f := range ps.fns {
		if f.Name == name {
			if f.ARN != "" {
				return f.ARN
			}
			return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", ps.region, ps.account, f.FunctionName)
		}
	}
	return ""
}

// MayInvoke decides whether API Gateway may invoke fn as sourceARN (the
// execute-api ARN of a route's call, or of an authorizer). why names the
// ARN tried and the statements that exist when it may not.
func (ps *Policies) MayInvoke(fn, sourceARN string) (bool, string) {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	fp := ps.policies[fn]
	if fp == nil || !fp.enforced {
		return true, ""
	}
	call := access.Call{Principal: access.APIGatewayPrincipal, Action: "lambda:InvokeFunction", SourceArn: sourceARN, SourceAccount: ps.account}
	if access.Allowing(fp.statements, call) >= 0 {
		return true, ""
	}
	return false, fmt.Sprintf("no permission statement of function %s allows API Gateway to invoke it as %s, so API Gateway answers 500 (its log says \"Invalid permissions on Lambda function\"). Its statements: %s. "+
		"Add one with an AWS::Lambda::Permission whose SourceArn matches, or at once with: aws lambda add-permission --function-name %s --statement-id allow-gateway --action lambda:InvokeFunction --principal apigateway.amazonaws.com --source-arn '%s' --endpoint-url <the gatescope UI address>",
		fn, sourceARN, access.DescribePermissions(fp.statements), fn, sourceARN)
}

// resolve finds a function by its name, logical name or ARN, as Lambda's
// FunctionName parameter takes it.
func (ps *Policies) resolve(name string) (*config.Function, error) {
	n := name
	switch parts := strings.Split(name, ":"); {
	case len(parts) >= 7 && parts[0] == "arn":
		n = parts[6]
	case len(parts) == 3 && parts[1] == "function":
		n = parts[2] // 123456789012:function:name
	}
	for _, f := range ps.fns {
		if f.Name == n || f.FunctionName == n {
			return f, nil
		}
	}
	return nil, &lambda.ServiceError{Type: "ResourceNotFoundException", Status: http.StatusNotFound,
		Message: fmt.Sprintf("Function not found: arn:aws:lambda:%s:%s:function:%s", ps.region, ps.account, n)}
}

// GetPolicy returns a function's policy document and revision.
func (ps *Policies) GetPolicy(name string) (string, string, error) {
	f, err := ps.resolve(name)
	if err != nil {
		return "", "", err
	}
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	fp := ps.policies[f.Name]
	if fp == nil || len(fp.statements) == 0 {
		return "", "", &lambda.ServiceError{Type: "ResourceNotFoundException", Status: http.StatusNotFound, Message: "The resource you requested does not exist."}
	}
	return string(access.PolicyJSON(fp.statements)), fp.revision, nil
}

var sidPattern = regexp.MustCompile(`^[a-zA-Z0-9\-_.]{1,100}$`)

// AddPermission adds a statement, which the gateway honours at once.
func (ps *Policies) AddPermission(name string, in lambda.PermissionInput) (string, error) {
	f, err := ps.resolve(name)
	if err != nil {
		return "", err
	}
	invalid := func(msg string) error {
		return &lambda.ServiceError{Type: "InvalidParameterValueException", Status: http.StatusBadRequest, Message: msg}
	}
	switch {
	case !sidPattern.MatchString(in.StatementID):
		return "", invalid("1 validation error detected: Value '" + in.StatementID + "' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)")
	case !strings.HasPrefix(strings.ToLower(in.Action), "lambda:") && in.Action != "*":
		return "", invalid("1 validation error detected: Value '" + in.Action + "' at 'action' failed to satisfy constraint: Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])")
	case in.Principal == "":
		return "", invalid("The principal is required.")
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	fp := ps.policy(f.Name)
	if in.RevisionID != "" && in.RevisionID != fp.revision {
		return "", preconditionFailed()
	}
	for _, s := range fp.statements {
		if s.Sid == in.StatementID {
			return "", &lambda.ServiceError{Type: "ResourceConflictException", Status: http.StatusConflict,
				Message: "The statement id (" + in.StatementID + ") provided already exists. Please provide a new statement id, or remove the existing statement."}
		}
	}
	p := access.Permission{Sid: in.StatementID, Principal: in.Principal, Action: in.Action, Resource: ps.functionARN(f.Name),
		SourceArn: in.SourceArn, SourceAccount: in.SourceAccount, PrincipalOrgID: in.PrincipalOrgID, Origin: "add-permission"}
	fp.statements = append(fp.statements, p)
	fp.enforced = true
	fp.revision = awsid.NewUUID()
	return string(p.StatementJSON()), nil
}

// RemovePermission removes a statement, which the gateway honours at
// once; the function's policy stays enforced.
func (ps *Policies) RemovePermission(name, sid, revision string) error {
	f, err := ps.resolve(name)
	if err != nil {
		return err
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	fp := ps.policy(f.Name)
	if revision != "" && revision != fp.revision {
		return preconditionFailed()
	}
	for i, s := range fp.statements {
		if s.Sid == sid {
			fp.statements = append(fp.statements[:i], fp.statements[i+1:]...)
			fp.enforced = true
			fp.revision = awsid.NewUUID()
			return nil
		}
	}
	return &lambda.ServiceError{Type: "ResourceNotFoundException", Status: http.StatusNotFound,
		Message: "Statement " + sid + " is not found in resource policy."}
}

func preconditionFailed() error {
	return &lambda.ServiceError{Type: "PreconditionFailedException", Status: http.StatusPreconditionFailed,
		Message: "The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id"}
}
