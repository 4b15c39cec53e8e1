package apigw

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/vtl"
)

// A REST API's non-proxy integrations (custom Lambda, MOCK, HTTP,
// HTTP_PROXY) map the request to the integration's payload with a
// mapping template, and its answer back through an integration response
// chosen by selection pattern (spec: integrations-tracing.md part A).
// MapRequest is the first half, MapIntegrationResponse the second; the
// gateway calls the integration between them.

// TemplateEdit replaces the templates of one request (edit & replay): a
// user iterates on a template against a captured request without
// redeploying. A nil field keeps the route's template.
type TemplateEdit struct {
	Request  *string `json:"request,omitempty"`
	Response *string `json:"response,omitempty"`
}

// maxStepOutput is how much of a template's output an exchange keeps.
const maxStepOutput = 256 << 10

// bodyUnsupportedMedia is API Gateway's UNSUPPORTED_MEDIA_TYPE answer.
const bodyUnsupportedMedia = `{"message":"Unsupported Media Type"}`

// hiddenHeaders are the client headers templates see as "" (spec).
var hiddenHeaders = map[string]bool{
	"Connection": true, "Content-Length": true, "Content-Md5": true, "Expect": true, "Max-Forwards": true,
	"Proxy-Authenticate": true, "Server": true, "Te": true, "Transfer-Encoding": true, "Trailer": true,
	"Upgrade": true, "Www-Authenticate": true,
}

// forbiddenIntegrationHeaders cannot be mapped onto an integration request:
// API Gateway answers 500 (capture: header_remapping_aws).
var forbiddenIntegrationHeaders = map[string]bool{
	"Content-Length": true, "Transfer-Encoding": true, "Authorization": true, "Connection": true,
	"Expect": true, "Proxy-Authenticate": true, "Te": true,
}

// remappedHeaders are sent as x-amzn-Remapped-<Name> when a method response
// maps them; Transfer-Encoding is dropped (capture: header_remapping_aws).
var remappedHeaders = map[string]bool{
	"Connection": true, "Content-Length": true, "Content-Md5": true, "Expect": true, "Max-Forwards": true,
	"Proxy-Authenticate": true, "Server": true, "Trailer": true, "Upgrade": true, "Www-Authenticate": true,
	"Authorization": true, "Date": true, "Host": true, "User-Agent": true,
}

// IntegrationRequest is a non-proxy integration's request after mapping.
type IntegrationRequest struct {
	// Body is the function's payload, the HTTP body, or a mock's template
	// output.
	Body []byte
	// Method, URL and Header are what an HTTP integration sends.
	Method string
	URL    string
	Header http.Header
	// Mapping records the steps so far; MapIntegrationResponse adds the rest.
	Mapping *exchange.Mapping
	// context is $context as the request template left it: overrides set
	// there apply to the response.
	context *vtl.Map
}

// MapRequest maps a request for its route's non-proxy integration. It
// returns the gateway's answer instead when the request cannot reach the
// integration: 415 by the passthrough behaviour, 500 for a template that
// fails, 400 for a Lambda payload that is not JSON.
func MapRequest(m *Match, req *Request) (*IntegrationRequest, *Response) {
	mp := m.Route.Integration.Mapping
	ir := &IntegrationRequest{Mapping: &exchange.Mapping{Integration: m.Route.Integration.Type}}
	ir.context = templateContext(m, req)
	params := methodParams(m, req)

	body := req.Body
	binary := matchesBinary(req.Header.Get("Content-Type"), m.API.BinaryMediaTypes)
	switch {
	case binary && mp.ContentHandling == "CONVERT_TO_TEXT":
		body = []byte(base64.StdEncoding.EncodeToString(body))
	case !binary && mp.ContentHandling == "CONVERT_TO_BINARY":
		dec, err := base64.StdEncoding.DecodeString(string(body))
		if err != nil {
			return ir, failure(m.API.Type, req, false, exchange.OutcomeInvokeFailed,
				"contentHandling CONVERT_TO_BINARY could not base64-decode the request body: "+err.Error()+"; API Gateway answers 500")
		}
		body = dec
	}

	if m.Route.Integration.Type != "HTTP_PROXY" {
		key := mediaType(req.Header.Get("Content-Type"))
		if key == "" {
			key = "application/json"
		}
		step := &exchange.TemplateStep{ContentType: key}
		ir.Mapping.Request = step
		var edited *string
		if req.Templates != nil {
			edited = req.Templates.Request
		}
		tmpl, found := findTemplate(mp.RequestTemplates, key)
		switch {
		case edited != nil:
			step.Template, step.Edited = *edited, true
			step.Note = "The edited request template ran (edit & replay) for " + key + "."
		case found:
			step.Template = tmpl.Text
			step.Note = "The request template for " + key + " ran."
		case mp.Passthrough == config.Never,
			mp.Passthrough == config.WhenNoTemplates && len(mp.RequestTemplates) > 0:
			why := fmt.Sprintf("Passthrough behavior %s and no request template for %s (the templates are for %s): API Gateway answers 415 Unsupported Media Type without calling the integration",
				mp.Passthrough, key, templateKeys(mp.RequestTemplates))
			if len(mp.RequestTemplates) == 0 {
				why = "Passthrough behavior NEVER and no request templates: API Gateway answers 415 Unsupported Media Type to every request"
			}
			step.Note = why + "."
			resp := gatewayAnswer(m.API.Type, req, http.StatusUnsupportedMediaType, bodyUnsupportedMedia, "UnsupportedMediaTypeException", exchange.OutcomeInvokeFailed, why)
			return ir, resp
		default:
			step.Note = fmt.Sprintf("No request template for %s: the body passed through unchanged (%s).", key, mp.Passthrough)
		}
		if step.Template != "" || edited != nil {
			vars := map[string]any{
				"input":          vtl.NewInput(body, params.path, params.query, params.header),
				"context":        ir.context,
				"stageVariables": stageVars(m),
				"util":           vtl.Util{},
			}
			out, terr := renderStep(step.Template, templateName("request", key, step.Edited), vars, tmplErr(found && edited == nil, tmpl))
			if terr != nil {
				ir.Mapping.Error = terr
				return ir, templateFailure(m, req, exchange.OutcomeInvokeFailed, terr)
			}
			body = []byte(out)
		} else if len(body) == 0 && m.Route.Integration.Kind == config.CustomIntegration {
			body = []byte("{}") // capture: a GET with no body sends {}
		}
		step.Output, step.OutputCut = cutOutput(string(body))
	}

	// Request parameters.
	header := http.Header{}
	query := url.Values{}
	pathVals := map[string]string{}
	if m.Route.Integration.Type == "HTTP_PROXY" {
		for k, vs := range req.Header {
			if k != "Host" && k != "Content-Length" && k != "Connection" {
				header[k] = append([]string(nil), vs...)
			}
		}
		for _, p := range parseQuery(req.RawQuery) {
			query.Add(p.key, p.value)
		}
		for k, v := range m.PathParams {
			pathVals[k] = v
		}
	}
	for _, p := range mp.RequestParameters {
		where, name, ok := strings.Cut(strings.TrimPrefix(p.To, "integration.request."), ".")
		if !ok || !strings.HasPrefix(p.To, "integration.request.") {
			continue
		}
		v, _ := requestParamValue(p.From, m, req, params)
		ir.Mapping.Parameters = append(ir.Mapping.Parameters, exchange.MappedValue{Name: p.To, From: p.From, Value: v})
		switch where {
		case "header":
			if forbiddenIntegrationHeaders[http.CanonicalHeaderKey(name)] {
				why := fmt.Sprintf("The integration request parameter %s maps a header API Gateway does not let a mapping set; it answers 500 to every request of this route", p.To)
				return ir, failure(m.API.Type, req, false, exchange.OutcomeInvokeFailed, why)
			}
			header.Set(name, v)
		case "querystring":
			query.Set(name, v)
		case "path":
			pathVals[name] = v
		}
	}
	applyRequestOverrides(ir.context, header, query, pathVals)

	switch m.Route.Integration.Kind {
	case config.CustomIntegration:
		if !json.Valid(body) {
			var v any
			err := json.Unmarshal(body, &v)
			msg := "invalid JSON"
			if err != nil {
				msg = err.Error()
			}
			why := "The integration's payload is not JSON, so API Gateway did not call the function: " + msg +
				"; add a request template that builds JSON for this content type"
			resp := gatewayAnswer(m.API.Type, req, http.StatusBadRequest, `{"message": "Could not parse request body into json: `+jsonEscape(msg)+`"}`, "", exchange.OutcomeInvokeFailed, why)
			return ir, resp
		}
	case config.HTTPIntegration:
		ir.Method = mp.HTTPMethod
		if ir.Method == "" || ir.Method == "ANY" {
			ir.Method = req.Method
		}
		u, err := backendURL(mp.URI, m, pathVals, query)
		if err != nil {
			return ir, failure(m.API.Type, req, false, exchange.OutcomeInvokeFailed, "The HTTP integration's uri "+mp.URI+" is not a URL gatescope can call: "+err.Error())
		}
		ir.URL = u
		if ct := req.Header.Get("Content-Type"); ct != "" && header.Get("Content-Type") == "" {
			header.Set("Content-Type", ct)
		}
		ir.Header = header
		ir.Mapping.Backend = &exchange.BackendCall{Method: ir.Method, URL: ir.URL}
	}
	ir.Body = body
	return ir, nil
}

// findTemplate is the template for a content type key; API Gateway matches
// the media type exactly (case aside).
func findTemplate(ts []config.Template, key string) (config.Template, bool) {
	for _, t := range ts {
		if strings.EqualFold(t.ContentType, key) {
			return t, true
		}
	}
	return config.Template{}, false
}

func templateKeys(ts []config.Template) string {
	keys := make([]string, len(ts))
	for i, t := range ts {
		keys[i] = t.ContentType
	}
	return strings.Join(keys, ", ")
}

func templateName(side, key string, edited bool) string {
	name := side + " template " + key
	if edited {
		name = "edited " + name
	}
	return name
}

// tmplErr is the parse result a configured template already has (nil
// when the text must be parsed here).
func tmplErr(configured bool, t config.Template) *config.Template {
	if configured {
		return &t
	}
	return nil
}

// renderStep renders a template's text (parsing it unless pre is a parsed
// configured template) and returns its output or what failed.
func renderStep(text, name string, vars map[string]any, pre *config.Template) (string, *exchange.TemplateError) {
	var tp *vtl.Template
	var err error
	if pre != nil && (pre.Parsed != nil || pre.Err != nil) {
		tp, err = pre.Parsed, pre.Err
	} else {
		tp, err = vtl.Parse(text)
	}
	if err == nil {
		var out string
		if out, err = tp.Render(vars, vtl.DefaultLimits); err == nil {
			return out, nil
		}
	}
	te := &exchange.TemplateError{Template: name, Message: err.Error()}
	var ve *vtl.Error
	if errors.As(err, &ve) {
		te.Line, te.Column, te.Message = ve.Line, ve.Column, ve.Msg
	}
	return "", te
}

func cutOutput(s string) (string, int) {
	if len(s) <= maxStepOutput {
		return s, 0
	}
	n := maxStepOutput
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], len(s)
}

// templateFailure answers a template that failed: 500 Internal server
// error, as API Gateway answers a template it cannot run.
func templateFailure(m *Match, req *Request, outcome exchange.Outcome, terr *exchange.TemplateError) *Response {
	why := "The " + terr.Template + " failed"
	if terr.Line > 0 {
		why += fmt.Sprintf(" at line %d, column %d", terr.Line, terr.Column)
	}
	why += ": " + terr.Message + "; API Gateway answers 500 and logs \"Execution failed due to configuration error\""
	return failure(m.API.Type, req, false, outcome, why)
}

func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// methodParamMaps are $input.params()'s maps: the method request's path,
// query string and header parameters.
type methodParamMaps struct {
	path, query, header *vtl.Map
}

func methodParams(m *Match, req *Request) methodParamMaps {
	p := methodParamMaps{path: vtl.NewMap(), query: vtl.NewMap(), header: vtl.NewMap()}
	keys := make([]string, 0, len(m.PathParams))
	for k := range m.PathParams {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p.path.Set(k, m.PathParams[k])
	}
	for _, q := range parseQuery(req.RawQuery) {
		p.query.Set(q.key, q.value)
	}
	hk := make([]string, 0, len(req.Header))
	for k := range req.Header {
		hk = append(hk, k)
	}
	slices.Sort(hk)
	for _, k := range hk {
		name := k
		if sent, ok := req.HeaderCase[k]; ok {
			name = sent
		}
		v := ""
		if !hiddenHeaders[k] {
			vs := req.Header[k]
			v = vs[len(vs)-1]
		}
		p.header.Set(name, v)
	}
	return p
}

func stageVars(m *Match) *vtl.Map {
	sv := vtl.NewMap()
	keys := make([]string, 0, len(m.API.StageVariables))
	for k := range m.API.StageVariables {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		sv.Set(k, m.API.StageVariables[k])
	}
	return sv
}

// templateContext is $context: the values of the proxy event's
// requestContext, plus the overrides a template may set.
func templateContext(m *Match, req *Request) *vtl.Map {
	apiID := m.apiIDOrDerive()
	domain := domainName(req.Host, apiID, m.API)
	c := vtl.NewMap()
	c.Set("accountId", accountID(m.API))
	c.Set("apiId", apiID)
	c.Set("deploymentId", DeploymentID(apiID, stageName(m)))
	c.Set("domainName", domain)
	c.Set("domainPrefix", domainPrefix(domain))
	c.Set("extendedRequestId", req.ExtendedRequestID)
	c.Set("httpMethod", req.Method)
	id := vtl.NewMap()
	for _, k := range []string{"accountId", "apiKey", "apiKeyId", "caller", "cognitoAuthenticationProvider",
		"cognitoAuthenticationType", "cognitoIdentityId", "cognitoIdentityPoolId", "principalOrgId", "user", "userArn"} {
		id.Set(k, "")
	}
	id.Set("sourceIp", req.SourceIP)
	id.Set("userAgent", req.Header.Get("User-Agent"))
	c.Set("identity", id)
	c.Set("authorizer", vtl.NewMap())
	c.Set("path", stagedPath(m, req))
	c.Set("protocol", protocol(req))
	c.Set("requestId", req.RequestID)
	c.Set("requestTime", requestTime(req.Time))
	c.Set("requestTimeEpoch", req.Time.UnixMilli())
	c.Set("resourceId", ResourceID(apiID, m.Route.Path))
	c.Set("resourcePath", m.Route.Path)
	c.Set("stage", stageName(m))
	if m.Route.OperationName != "" {
		c.Set("operationName", m.Route.OperationName)
	}
	ro := vtl.NewMap()
	for _, k := range []string{"header", "path", "querystring"} {
		ro.Set(k, vtl.NewMap())
	}
	c.Set("requestOverride", ro)
	so := vtl.NewMap()
	so.Set("header", vtl.NewMap())
	c.Set("responseOverride", so)
	return c
}

// requestParamValue resolves an integration request parameter's source.
func requestParamValue(from string, m *Match, req *Request, p methodParamMaps) (string, bool) {
	switch {
	case len(from) >= 2 && from[0] == '\'' && from[len(from)-1] == '\'':
		return from[1 : len(from)-1], true
	case strings.HasPrefix(from, "method.request.path."):
		v, ok := p.path.Get(strings.TrimPrefix(from, "method.request.path."))
		return vtlText(v), ok
	case strings.HasPrefix(from, "method.request.querystring."):
		v, ok := p.query.Get(strings.TrimPrefix(from, "method.request.querystring."))
		return vtlText(v), ok
	case strings.HasPrefix(from, "method.request.multivaluequerystring."):
		name := strings.TrimPrefix(from, "method.request.multivaluequerystring.")
		var vals []string
		for _, q := range parseQuery(req.RawQuery) {
			if q.key == name {
				vals = append(vals, q.value)
			}
		}
		return strings.Join(vals, ","), len(vals) > 0
	case strings.HasPrefix(from, "method.request.header."):
		name := strings.TrimPrefix(from, "method.request.header.")
		if hiddenHeaders[http.CanonicalHeaderKey(name)] {
			return "", false
		}
		vs := req.Header.Values(name)
		if len(vs) == 0 {
			return "", false
		}
		return vs[len(vs)-1], true
	case strings.HasPrefix(from, "method.request.multivalueheader."):
		vs := req.Header.Values(strings.TrimPrefix(from, "method.request.multivalueheader."))
		return strings.Join(vs, ","), len(vs) > 0
	case strings.HasPrefix(from, "method.request.body"):
		return bodyParam(req.Body, strings.TrimPrefix(from, "method.request.body"))
	case strings.HasPrefix(from, "stageVariables."):
		v, ok := m.API.StageVariables[strings.TrimPrefix(from, "stageVariables.")]
		return v, ok
	case strings.HasPrefix(from, "context."):
		return contextValue(templateContext(m, req), strings.TrimPrefix(from, "context."))
	}
	return "", false
}

func contextValue(c *vtl.Map, path string) (string, bool) {
	var cur any = c
	for _, part := range strings.Split(path, ".") {
		mp, ok := cur.(*vtl.Map)
		if !ok {
			return "", false
		}
		if cur, ok = mp.Get(part); !ok {
			return "", false
		}
	}
	return vtlText(cur), true
}

// vtlText is a parameter's text: strings as they are, numbers as
// numbers ("500"), objects and lists as JSON.
func vtlText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case *vtl.Map, *vtl.List:
		s, _ := vtl.JSONText(v, maxStepOutput)
		return s
	}
	s, _ := vtl.JSONText(v, 64)
	return strings.Trim(s, `"`)
}

// bodyParam reads a body (…body or …body.<JSONPath without $>).
func bodyParam(body []byte, path string) (string, bool) {
	if path == "" {
		return string(body), true
	}
	root, err := vtl.ParseJSON(body)
	if err != nil {
		return "", false
	}
	v, ok, err := vtl.JSONPath(root, "$"+path)
	if err != nil || !ok {
		return "", false
	}
	return vtlText(v), true
}

// applyRequestOverrides applies $context.requestOverride set by a request
// template.
func applyRequestOverrides(ctx *vtl.Map, header http.Header, query url.Values, path map[string]string) {
	ro, _ := ctx.Get("requestOverride")
	rom, _ := ro.(*vtl.Map)
	if rom == nil {
		return
	}
	each := func(k string, f func(name, v string)) {
		v, _ := rom.Get(k)
		if mm, ok := v.(*vtl.Map); ok {
			for _, name := range mm.Keys() {
				val, _ := mm.Get(name)
				f(name, vtlText(val))
			}
		}
	}
	each("header", func(n, v string) { header.Set(n, v) })
	each("querystring", func(n, v string) { query.Set(n, v) })
	each("path", func(n, v string) { path[n] = v })
}

// backendURL fills an HTTP integration's uri: ${stageVariables.x}, then
// {name} path parameters, then the mapped query string.
func backendURL(uri string, m *Match, path map[string]string, query url.Values) (string, error) {
	u := uri
	for {
		i := strings.Index(u, "${stageVariables.")
		if i < 0 {
			break
		}
		j := strings.IndexByte(u[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("${stageVariables. is never closed")
		}
		name := u[i+len("${stageVariables.") : i+j]
		v, ok := m.API.StageVariables[name]
		if !ok {
			return "", fmt.Errorf("stage variable %q is not set on stage %s", name, m.API.Stage)
		}
		u = u[:i] + v + u[i+j+1:]
	}
	for k, v := range path {
		u = strings.ReplaceAll(u, "{"+k+"+}", v)
		u = strings.ReplaceAll(u, "{"+k+"}", v)
	}
	parsed, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	if parsed.Scheme != "http" && parsed.Scheme != "https" || parsed.Host == "" {
		return "", fmt.Errorf("not an http(s) URL")
	}
	if len(query) > 0 {
		q := parsed.Query()
		for k, vs := range query {
			q[k] = vs
		}
		parsed.RawQuery = q.Encode()
	}
	return parsed.String(), nil
}

// IntegrationResult is what the integration answered: a Lambda invocation
// (custom Lambda), or an HTTP status, headers and body (HTTP, and MOCK,
// whose status comes from its request template).
type IntegrationResult struct {
	Invocation Invocation
	Status     int
	Header     http.Header
	Body       []byte
}

// MockResult is a MOCK integration's answer: the status code its request
// template's output names ({"statusCode": 200}; 200 when it names none).
func MockResult(ir *IntegrationRequest) IntegrationResult {
	status := http.StatusOK
	var v struct {
		StatusCode json.RawMessage `json:"statusCode"`
	}
	if json.Unmarshal(ir.Body, &v) == nil && len(v.StatusCode) > 0 {
		s := strings.Trim(string(v.StatusCode), `"`)
		if n, err := strconv.Atoi(s); err == nil && n >= 100 && n <= 599 {
			status = n
		}
	}
	return IntegrationResult{Status: status}
}

// MapIntegrationResponse turns the integration's answer into the method
// response: the integration response the selection patterns choose, its
// response parameters and template, then the overrides a template set.
func MapIntegrationResponse(m *Match, req *Request, ir *IntegrationRequest, res IntegrationResult) *Response {
	kind := m.Route.Integration.Kind
	t := m.API.Type
	if m.Route.Integration.Type == "HTTP_PROXY" {
		return proxyResponse(m, req, ir, res)
	}
	var value, errMsg string
	var payload []byte
	fnErr := false
	switch kind {
	case config.CustomIntegration:
		inv := res.Invocation
		switch inv.Kind {
		case InvokeOK:
			payload = inv.Payload
		case InvokeFunctionError:
			payload = inv.Payload
			var e struct {
				Message string `json:"errorMessage"`
			}
			_ = json.Unmarshal(inv.Payload, &e)
			value, errMsg, fnErr = e.Message, e.Message, true
		default:
			return invokeFailure(m, req, inv)
		}
	default:
		value = strconv.Itoa(res.Status)
		payload = res.Body
		if ir.Mapping.Backend != nil {
			ir.Mapping.Backend.Status = res.Status
		}
	}
	mp := m.Route.Integration.Mapping
	chosen, sel := selectResponse(mp.Responses, value, kind == config.CustomIntegration)
	ir.Mapping.Selection = sel
	if chosen == nil {
		why := sel.Why + "; API Gateway answers 500"
		return failure(t, req, false, exchange.OutcomeMalformedResponse, why)
	}
	status, _ := strconv.Atoi(chosen.StatusCode)
	if len(m.Route.MethodResponses) > 0 && !slices.ContainsFunc(m.Route.MethodResponses, func(r config.MethodResponse) bool { return r.StatusCode == chosen.StatusCode }) {
		why := fmt.Sprintf("%s, but the method declares no %d response (it declares %s): API Gateway answers 500", sel.Why, status, methodStatuses(m.Route.MethodResponses))
		return failure(t, req, false, exchange.OutcomeMalformedResponse, why)
	}

	h := baseHeader(t, req)
	// Response parameters.
	var errorBody []byte
	if errMsg != "" && json.Valid([]byte(errMsg)) {
		errorBody = []byte(errMsg)
	}
	for _, p := range chosen.Parameters {
		name, ok := strings.CutPrefix(p.To, "method.response.header.")
		if !ok {
			continue
		}
		v, found := responseParamValue(p.From, m, req, res, payload, errorBody)
		ir.Mapping.ResponseParameters = append(ir.Mapping.ResponseParameters, exchange.MappedValue{Name: p.To, From: p.From, Value: v})
		if !found {
			continue
		}
		setMethodHeader(h, name, v)
	}

	// Response template.
	accept := firstAccept(req.Header.Get("Accept"))
	key := accept
	if key == "" || key == "*/*" {
		key = "application/json"
	}
	step := &exchange.TemplateStep{ContentType: key}
	ir.Mapping.Response = step
	var edited *string
	if req.Templates != nil {
		edited = req.Templates.Response
	}
	tmpl, found := findTemplate(chosen.Templates, key)
	if !found && len(chosen.Templates) > 0 {
		tmpl, found = chosen.Templates[0], true // no match: the first template
	}
	body := payload
	switch {
	case edited != nil:
		step.Template, step.Edited = *edited, true
		step.Note = "The edited response template ran (edit & replay)."
	case found:
		step.Template = tmpl.Text
		step.Note = "The " + chosen.StatusCode + " response's template for " + tmpl.ContentType + " ran."
		if !strings.EqualFold(tmpl.ContentType, key) {
			step.Note = fmt.Sprintf("No %s response template for %s: the first one, for %s, ran.", chosen.StatusCode, key, tmpl.ContentType)
		}
	default:
		step.Note = "No response template: the integration's answer passed through unchanged."
	}
	if step.Template != "" || edited != nil {
		params := methodParams(m, req)
		vars := map[string]any{
			"input":          vtl.NewInput(payload, params.path, params.query, params.header),
			"context":        ir.context,
			"stageVariables": stageVars(m),
			"util":           vtl.Util{},
		}
		out, terr := renderStep(step.Template, templateName("response", cmp.Or(tmpl.ContentType, key), step.Edited), vars, tmplErr(found && edited == nil, tmpl))
		if terr != nil {
			ir.Mapping.Error = terr
			return templateFailure(m, req, exchange.OutcomeMalformedResponse, terr)
		}
		body = []byte(out)
	}
	step.Output, step.OutputCut = cutOutput(string(body))

	// Content handling.
	switch chosen.ContentHandling {
	case "CONVERT_TO_BINARY":
		dec, err := base64.StdEncoding.DecodeString(string(body))
		if err != nil {
			return failure(t, req, false, exchange.OutcomeMalformedResponse,
				"The integration response's contentHandling CONVERT_TO_BINARY could not base64-decode the body: "+err.Error()+"; API Gateway answers 500")
		}
		body = dec
	case "CONVERT_TO_TEXT":
		if !utf8.Valid(body) {
			body = []byte(base64.StdEncoding.EncodeToString(body))
		}
	}

	// Overrides set by either template.
	if ro, ok := ir.context.Get("responseOverride"); ok {
		if rom, ok := ro.(*vtl.Map); ok {
			if sv, ok := rom.Get("status"); ok {
				if n, err := strconv.Atoi(vtlText(sv)); err == nil && n >= 100 && n <= 599 {
					status = n
				}
			}
			if hv, ok := rom.Get("header"); ok {
				if hm, ok := hv.(*vtl.Map); ok {
					for _, name := range hm.Keys() {
						v, _ := hm.Get(name)
						setMethodHeader(h, name, vtlText(v))
					}
				}
			}
		}
	}
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = []string{"application/json"}
	}
	if kind != config.MockIntegration && req.TraceID != "" {
		h["X-Amzn-Trace-Id"] = []string{req.TraceID}
	}
	resp := &Response{Status: status, Header: h, Body: body, Outcome: exchange.OutcomeOK}
	if fnErr {
		// A pattern that matched is the API answering the error as it
		// was designed to; the default answering it usually is not.
		_, resp.Explanation = ExplainFunctionError(res.Invocation.Payload)
		resp.Explanation += "; " + strings.ToLower(sel.Why[:1]) + sel.Why[1:]
		if sel.Default {
			resp.Outcome = exchange.OutcomeFunctionError
			resp.Explanation += ": add an integration response whose selection pattern matches the errorMessage"
		}
	}
	return resp
}

func methodStatuses(rs []config.MethodResponse) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.StatusCode
	}
	return strings.Join(out, ", ")
}

// selectResponse chooses the integration response whose selection pattern
// matches value whole (the first in declaration order), else the default.
func selectResponse(rs []config.IntegrationResponse, value string, lambda bool) (*config.IntegrationResponse, *exchange.Selection) {
	what := "the status code " + strconv.Quote(value)
	if lambda {
		what = "the function's errorMessage " + strconv.Quote(clip(value, 200))
		if value == "" {
			what = "a successful invocation (which selection patterns see as \"\")"
		}
	}
	var chosen *config.IntegrationResponse
	var also []string
	for i := range rs {
		r := &rs[i]
		if r.Default || r.Regexp == nil || !r.Regexp.MatchString(value) {
			continue
		}
		if chosen == nil {
			chosen = r
		} else {
			also = append(also, r.Pattern)
		}
	}
	if chosen != nil {
		status, _ := strconv.Atoi(chosen.StatusCode)
		why := fmt.Sprintf("Selection pattern %q matched %s: status %d", chosen.Pattern, what, status)
		if len(also) > 0 {
			why += fmt.Sprintf(" (%s matched too; the first declared wins here, API Gateway does not document which)", strings.Join(also, ", "))
		}
		return chosen, &exchange.Selection{Value: value, Pattern: chosen.Pattern, Status: status, Why: why}
	}
	for i := range rs {
		if rs[i].Default {
			status, _ := strconv.Atoi(rs[i].StatusCode)
			why := fmt.Sprintf("No selection pattern matched %s, so the default response answered: status %d", what, status)
			if len(rs) == 1 {
				why = fmt.Sprintf("The only (default) response answered %s: status %d", what, status)
			}
			return &rs[i], &exchange.Selection{Value: value, Default: true, Status: status, Why: why}
		}
	}
	return nil, &exchange.Selection{Value: value, Why: fmt.Sprintf("No selection pattern matched %s and the integration has no default response", what)}
}

// responseParamValue resolves a method response parameter's source.
func responseParamValue(from string, m *Match, req *Request, res IntegrationResult, payload, errorBody []byte) (string, bool) {
	switch {
	case len(from) >= 2 && from[0] == '\'' && from[len(from)-1] == '\'':
		return from[1 : len(from)-1], true
	case strings.HasPrefix(from, "integration.response.header."):
		vs := res.Header.Values(strings.TrimPrefix(from, "integration.response.header."))
		if len(vs) == 0 {
			return "", false
		}
		return vs[len(vs)-1], true
	case strings.HasPrefix(from, "integration.response.multivalueheader."):
		vs := res.Header.Values(strings.TrimPrefix(from, "integration.response.multivalueheader."))
		return strings.Join(vs, ","), len(vs) > 0
	case strings.HasPrefix(from, "integration.response.body"):
		path := strings.TrimPrefix(from, "integration.response.body")
		body := payload
		if after, ok := strings.CutPrefix(path, ".errorMessage"); ok && errorBody != nil && after != "" {
			// A JSON errorMessage is read as JSON (spec).
			body, path = errorBody, after
		}
		return bodyParam(body, path)
	case strings.HasPrefix(from, "stageVariables."), strings.HasPrefix(from, "context."):
		return requestParamValue(from, m, req, methodParamMaps{})
	}
	return "", false
}

// setMethodHeader sets a mapped method response header: Transfer-Encoding
// is dropped; headers API Gateway reserves are sent as x-amzn-Remapped-<Name>.
func setMethodHeader(h http.Header, name, v string) {
	k := http.CanonicalHeaderKey(name)
	switch {
	case k == "Transfer-Encoding":
	case remappedHeaders[k]:
		h[http.CanonicalHeaderKey("x-amzn-Remapped-"+name)] = []string{v}
	default:
		h[k] = []string{v}
	}
}

// proxyResponse is an HTTP_PROXY integration's answer: the backend's
// status, headers and body as they are.
func proxyResponse(m *Match, req *Request, ir *IntegrationRequest, res IntegrationResult) *Response {
	if ir.Mapping.Backend != nil {
		ir.Mapping.Backend.Status = res.Status
	}
	h := baseHeader(m.API.Type, req)
	for k, vs := range res.Header {
		switch k {
		case "Content-Length", "Transfer-Encoding", "Connection":
			continue
		}
		if _, ours := h[k]; ours {
			continue
		}
		h[k] = append([]string(nil), vs...)
	}
	if req.TraceID != "" {
		h["X-Amzn-Trace-Id"] = []string{req.TraceID}
	}
	return &Response{Status: res.Status, Header: h, Body: res.Body, Outcome: exchange.OutcomeOK}
}

// BackendFailure answers an HTTP integration whose endpoint could not be
// reached: 500 (502 for HTTP_PROXY is not documented; API Gateway logs an
// "Execution failed due to configuration error").
func BackendFailure(m *Match, req *Request, ir *IntegrationRequest, err error, timedOut bool) *Response {
	if timedOut {
		return invokeFailure(m, req, Invocation{Kind: IntegrationTimeout, Detail: "the HTTP endpoint " + ir.URL + " did not answer in time"})
	}
	return failure(m.API.Type, req, false, exchange.OutcomeInvokeFailed,
		"The HTTP integration could not reach "+ir.URL+": "+err.Error()+"; API Gateway answers 500 when its integration endpoint fails")
}
