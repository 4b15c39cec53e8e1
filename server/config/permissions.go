package config

import (
	"fmt"
	"regexp"
	"strings"
)

// The statements of functions' resource-based policies a template makes:
// the ones SAM adds for each Api and HttpApi event and for Lambda
// authorizers, and explicit AWS::Lambda::Permission resources. Explicit
// resources replace nothing: every statement counts.

// samPathParam is what SAM turns into * in a permission's source ARN:
// {id}, {proxy+}.
var samPathParam = regexp.MustCompile(`\{([a-zA-Z0-9._-]+|proxy\+)\}`)

// executeAPIArn is arn:<partition>:execute-api:<region>:<account>:<resource>.
func (l *loader) executeAPIArn(resource string) string {
	return fmt.Sprintf("arn:%s:execute-api:%s:%s:%s", l.partition(), l.opts.Region, l.opts.AccountID, resource)
}

// samEventPermission adds the statement SAM creates for an Api or HttpApi
// event: ${Api}/*/<METHOD or *><path, parameters as *>, or ${Api}/*/* for
// an HTTP API's $default route. ${Api} is the API's logical id, as its Ref
// resolves locally.
func (l *loader) samEventPermission(a *API, ev *event, r *Route) {
	resource := a.ID + "/*/*"
	if r.Path != "$default" {
		method := r.Method
		if method == "ANY" {
			method = "*"
		}
		resource = a.ID + "/*/" + method + samPathParam.ReplaceAllString(r.Path, "*")
	}
	l.permissions = append(l.permissions, &Permission{
		Function: ev.fn.Name, Sid: ev.fn.Name + ev.name + "Permission", Principal: "apigateway.amazonaws.com",
		Action: "lambda:InvokeFunction", SourceArn: l.executeAPIArn(resource), SAM: true,
		Origin: fmt.Sprintf("SAM, for event %s", ev.name), Line: ev.props.line,
	})
}

// samAuthorizerPermission adds the statement SAM creates for a Lambda
// authorizer's function: ${Api}/authorizers/*.
func (l *loader) samAuthorizerPermission(a *API, az *Authorizer, line int) {
	l.permissions = append(l.permissions, &Permission{
		Function: az.Function, Sid: a.ID + az.Name + "AuthorizerPermission", Principal: "apigateway.amazonaws.com",
		Action: "lambda:InvokeFunction", SourceArn: l.executeAPIArn(a.ID + "/authorizers/*"), SAM: true,
		Origin: fmt.Sprintf("SAM, for authorizer %s of %s", az.Name, a.ID), Line: line,
	})
}

// lambdaPermissions reads the AWS::Lambda::Permission resources.
func (l *loader) lambdaPermissions() error {
	for _, r := range l.order {
		if r.typ != "AWS::Lambda::Permission" || !l.included(r) {
			continue
		}
		p := l.props(r)
		fn, fnNode, err := p.str("FunctionName")
		if err != nil {
			return err
		}
		perm := &Permission{Sid: r.name, Line: r.line, Origin: fmt.Sprintf("%s:%d", l.file, r.line)}
		if perm.Action, _, err = p.str("Action"); err != nil {
			return err
		}
		if perm.Principal, _, err = p.str("Principal"); err != nil {
			return err
		}
		if perm.SourceArn, _, err = p.str("SourceArn"); err != nil {
			return err
		}
		if perm.SourceAccount, _, err = p.str("SourceAccount"); err != nil {
			return err
		}
		p.raw("EventSourceToken")
		p.raw("FunctionUrlAuthType")
		p.raw("InvokedViaFunctionUrl")
		if org, n, _ := p.str("PrincipalOrgID"); org != "" {
			p.notEmulated(n, "PrincipalOrgID", "organization conditions are not emulated: the statement never allows API Gateway locally")
		}
		if fnNode == nil {
			r.handled = true
			p.warnf(p.raw("FunctionName"), "FunctionName", "the permission's function cannot be resolved locally; the statement is ignored")
			continue
		}
		if perm.Function = l.functionNamed(fn); perm.Function == "" {
			continue // a function this template does not define
		}
		if perm.Principal == "" || perm.Action == "" {
			return p.errorf(nodeOr(fnNode, nil), "Principal", "a permission needs Action and Principal")
		}
		l.permissions = append(l.permissions, perm)
	}
	return nil
}

// functionNamed finds a project function by a name, an ARN or a partial
// ARN, as Lambda's FunctionName parameter takes it.
func (l *loader) functionNamed(s string) string {
	if strings.Contains(s, ":function:") {
		return l.functionForURI(s)
	}
	name, _, _ := strings.Cut(s, ":") // name:alias
	for _, f := range l.functions {
		if f.FunctionName == name || f.Name == name {
			return f.Name
		}
	}
	return ""
}

// access reads what the template says about access once every API exists:
// permissions, API keys and usage plans, and checks every route's
// authorizer.
func (l *loader) access(apis []*API) error {
	l.fixPlanStages(apis)
	if err := l.lambdaPermissions(); err != nil {
		return err
	}
	if err := l.apiKeysAndPlans(); err != nil {
		return err
	}
	return l.checkRouteAuthorizers(apis)
}
