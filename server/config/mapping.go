package config

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gatescope/gatescope/server/vtl"
	"go.yaml.in/yaml/v3"
)

// Mapping is a REST API non-proxy integration's request and response
// mapping, as x-amazon-apigateway-integration or a Method's Integration
// declares it.
type Mapping struct {
	// URI is an HTTP or HTTP_PROXY integration's endpoint, which may hold
	// ${stageVariables.name} and {path} parameters; "" otherwise.
	URI string
	// HTTPMethod is the method an HTTP integration calls its endpoint with.
	HTTPMethod string
	// RequestTemplates, in declaration order; empty and null templates
	// count as none, as in API Gateway.
	RequestTemplates []Template
	// Passthrough is WHEN_NO_MATCH (the default), WHEN_NO_TEMPLATES or NEVER.
	Passthrough string
	// RequestParameters map integration.request.{header,querystring,path}.N
	// from method.request.*, stage variables, the context or 'static'
	// values; sorted by To.
	RequestParameters []Parameter
	// ContentHandling is CONVERT_TO_TEXT, CONVERT_TO_BINARY or "".
	ContentHandling string
	// Responses are the integration responses; the one with Default set
	// answers when no pattern matches.
	Responses []IntegrationResponse
}

// Passthrough behaviours.
const (
	WhenNoMatch     = "WHEN_NO_MATCH"
	WhenNoTemplates = "WHEN_NO_TEMPLATES"
	Never           = "NEVER"
)

// Template is one mapping template: its content type key and its text,
// parsed once here (Parsed is nil when the text does not parse; Err says
// why, and the request using it fails as it would in API Gateway).
type Template struct {
	ContentType string
	Text        string
	Parsed      *vtl.Template
	Err         error
}

// Parameter is one parameter mapping: To ← From.
type Parameter struct {
	To, From string
}

// IntegrationResponse is one integration response.
type IntegrationResponse struct {
	// Pattern is the selection pattern (a Java regular expression matched
	// against a Lambda error's errorMessage, "" for success; or against an
	// HTTP status code); "" with Default.
	Pattern string
	// Regexp is Pattern anchored to the whole string; nil for the default
	// or for a pattern Go's regexp cannot run (listed as not emulated).
	Regexp     *regexp.Regexp
	Default    bool
	StatusCode string
	// Parameters map method.response.header.N from integration.response.*,
	// 'static' values, stage variables or the context; sorted by To.
	Parameters      []Parameter
	Templates       []Template
	ContentHandling string
}

// MethodResponse is one declared method response.
type MethodResponse struct {
	StatusCode string
	// Headers are the response headers it declares (method.response.header.N).
	Headers []string
}

// mappingSource reads one integration's mapping properties, whatever
// their spelling: OpenAPI's camelCase keys or CloudFormation's PascalCase.
type mappingSource struct {
	l   *loader
	n   *yaml.Node
	at  loc
	cfn bool
}

func (s mappingSource) key(openAPI, cfn string) string {
	if s.cfn {
		return cfn
	}
	return openAPI
}

func (s mappingSource) get(openAPI, cfn string) (*yaml.Node, string) {
	k := s.key(openAPI, cfn)
	return getFold(s.n, k), k
}

// readMapping reads the mapping of a REST API's custom Lambda, mock or
// HTTP integration into r.Integration.Mapping. Other integrations keep a
// nil Mapping (and are listed by listIntegration).
func (l *loader) readMapping(a *API, r *Route, integ *yaml.Node, at loc, cfn bool) {
	in := &r.Integration
	if a.Type != RESTAPI || in.Kind == ProxyIntegration {
		return
	}
	if in.Kind == CustomIntegration && r.Function == "" {
		return // an AWS service integration
	}
	s := mappingSource{l: l, n: integ, at: at, cfn: cfn}
	m := &Mapping{Passthrough: WhenNoMatch}
	if in.Kind == HTTPIntegration {
		n, k := s.get("uri", "Uri")
		m.URI, _ = scalar(n)
		if m.URI == "" {
			l.notEmulatedAt(nodeOr(n, integ), at.field(k), "an HTTP integration without a uri cannot be served")
			return
		}
		hm, _ := s.get("httpMethod", "IntegrationHttpMethod")
		m.HTTPMethod, _ = scalar(hm)
		m.HTTPMethod = strings.ToUpper(m.HTTPMethod)
		if cn, ck := s.get("connectionType", "ConnectionType"); cn != nil {
			if ct, _ := scalar(cn); strings.EqualFold(ct, "VPC_LINK") {
				l.notEmulatedAt(cn, at.field(ck), "VPC links are not emulated: the integration calls its uri directly from this machine")
			}
		}
	}
	if n, k := s.get("passthroughBehavior", "PassthroughBehavior"); n != nil {
		v, _ := scalar(n)
		switch up := strings.ToUpper(v); up {
		case WhenNoMatch, WhenNoTemplates, Never:
			m.Passthrough = up
		default:
			l.warnAt(n, at.field(k), "passthrough behavior %q is not WHEN_NO_MATCH, WHEN_NO_TEMPLATES or NEVER; WHEN_NO_MATCH is used", v)
		}
	}
	if n, k := s.get("contentHandling", "ContentHandling"); n != nil {
		m.ContentHandling = l.contentHandling(n, at.field(k))
	}
	n, k := s.get("requestTemplates", "RequestTemplates")
	m.RequestTemplates = l.templates(n, at.field(k))
	n, k = s.get("requestParameters", "RequestParameters")
	m.RequestParameters = l.parameters(n, at.field(k))
	n, k = s.get("responses", "IntegrationResponses")
	if cfn {
		for i, it := range seqItems(n) {
			ir := l.integrationResponse(it, at.field(fmt.Sprintf("%s[%d]", k, i)), "SelectionPattern", "StatusCode", "ResponseParameters", "ResponseTemplates", "ContentHandling")
			if p, ok := scalar(getFold(it, "SelectionPattern")); !ok || p == "" {
				ir.Default = true
			}
			m.Responses = append(m.Responses, ir)
		}
	} else {
		for _, kv := range pairs(n) {
			ir := l.integrationResponse(kv.v, at.field(k).field(kv.key), "", "statusCode", "responseParameters", "responseTemplates", "contentHandling")
			if kv.key == "default" || kv.key == "" {
				ir.Default = true
			} else {
				ir.Pattern = kv.key
			}
			m.Responses = append(m.Responses, ir)
		}
	}
	for i := range m.Responses {
		ir := &m.Responses[i]
		if ir.Default {
			continue
		}
		re, err := regexp.Compile("^(?:" + ir.Pattern + ")$")
		if err != nil {
			l.notEmulatedAt(nodeOr(n, integ), at.field(k), "selection pattern %q uses regular expression syntax Go's regexp lacks (%v): it never matches here", ir.Pattern, err)
			continue
		}
		ir.Regexp = re
	}
	in.Mapping = m
}

func seqItems(n *yaml.Node) []*yaml.Node {
	if !isSeq(n) {
		return nil
	}
	return deref(n).Content
}

func (l *loader) contentHandling(n *yaml.Node, at loc) string {
	v, _ := scalar(n)
	switch up := strings.ToUpper(v); up {
	case "CONVERT_TO_TEXT", "CONVERT_TO_BINARY":
		return up
	case "":
		return ""
	default:
		l.warnAt(n, at, "contentHandling %q is not CONVERT_TO_TEXT or CONVERT_TO_BINARY; ignored", v)
		return ""
	}
}

func (l *loader) integrationResponse(n *yaml.Node, at loc, patKey, statusKey, paramsKey, tmplKey, chKey string) IntegrationResponse {
	var ir IntegrationResponse
	if patKey != "" {
		ir.Pattern, _ = scalar(getFold(n, patKey))
	}
	sn := getFold(n, statusKey)
	ir.StatusCode, _ = scalar(sn)
	if ir.StatusCode == "" {
		ir.StatusCode = "200"
	}
	if code, err := strconv.Atoi(ir.StatusCode); err != nil || code < 100 || code > 599 {
		l.warnAt(nodeOr(sn, n), at.field(statusKey), "status code %q is not an HTTP status; 200 is used", ir.StatusCode)
		ir.StatusCode = "200"
	}
	ir.Parameters = l.parameters(getFold(n, paramsKey), at.field(paramsKey))
	ir.Templates = l.templates(getFold(n, tmplKey), at.field(tmplKey))
	if ch := getFold(n, chKey); ch != nil {
		ir.ContentHandling = l.contentHandling(ch, at.field(chKey))
	}
	return ir
}

// templates reads a map of content type → template. A template that does
// not parse is kept with its error (the request fails as in API Gateway,
// with the line and column) and warned about here.
func (l *loader) templates(n *yaml.Node, at loc) []Template {
	var out []Template
	for _, kv := range pairs(n) {
		text, ok := scalar(kv.v)
		if !ok || strings.TrimSpace(text) == "" {
			continue // empty or null: no template, as in API Gateway
		}
		t := Template{ContentType: strings.ToLower(strings.TrimSpace(kv.key)), Text: text}
		t.Parsed, t.Err = vtl.Parse(text)
		if t.Err != nil {
			l.warnAt(kv.v, at.field(kv.key), "the mapping template does not parse (%v): requests that use it fail with 500", t.Err)
		}
		out = append(out, t)
	}
	return out
}

// parameters reads a map of parameter mappings, sorted by target.
func (l *loader) parameters(n *yaml.Node, at loc) []Parameter {
	var out []Parameter
	for _, kv := range pairs(n) {
		from, ok := scalar(kv.v)
		if !ok {
			l.warnAt(kv.v, at.field(kv.key), "a parameter mapping must be a string; dropped")
			continue
		}
		out = append(out, Parameter{To: kv.key, From: from})
	}
	slices.SortFunc(out, func(a, b Parameter) int { return strings.Compare(a.To, b.To) })
	return out
}

// openAPIMethodResponses reads an OpenAPI operation's responses: status →
// the headers it declares.
func openAPIMethodResponses(op *yaml.Node) []MethodResponse {
	var out []MethodResponse
	for _, kv := range pairs(get(op, "responses")) {
		mr := MethodResponse{StatusCode: kv.key}
		for _, h := range pairs(get(kv.v, "headers")) {
			mr.Headers = append(mr.Headers, h.key)
		}
		out = append(out, mr)
	}
	return out
}

// cfnMethodResponses reads a Method's MethodResponses.
func cfnMethodResponses(n *yaml.Node) []MethodResponse {
	var out []MethodResponse
	for _, it := range seqItems(n) {
		code, _ := scalar(getFold(it, "StatusCode"))
		mr := MethodResponse{StatusCode: code}
		for _, p := range pairs(getFold(it, "ResponseParameters")) {
			if h, ok := strings.CutPrefix(p.key, "method.response.header."); ok {
				mr.Headers = append(mr.Headers, h)
			}
		}
		out = append(out, mr)
	}
	return out
}

// lambdaURI reports whether an AWS integration's uri invokes Lambda
// (arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/...), as
// opposed to another AWS service.
func lambdaURI(uri string) bool {
	return strings.Contains(uri, ":lambda:path/") || strings.Contains(uri, "${") && strings.Contains(uri, "/functions/")
}
