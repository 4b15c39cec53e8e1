package apigw

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
)

// MapResponse turns what Lambda returned into the HTTP response API Gateway
// would send, validating the function's output the way the API type and
// payload version do.
func MapResponse(m *Match, req *Request, inv Invocation) *Response {
	var resp *Response
	switch {
	case inv.Kind != InvokeOK:
		resp = invokeFailure(m, req, inv)
	case payloadVersion(m) == "2.0":
		resp = mapV2(m, req, inv.Payload)
	default:
		resp = mapV1(m, req, inv.Payload)
	}
	if m.API.Type == config.HTTPAPI && m.API.Cors != nil {
		applyCORS(m.API.Cors, req, resp.Header)
	}
	return resp
}

// mapV2 reads a payload 2.0 answer. Only an object with a statusCode key is
// a response object; anything else is the body of an inferred 200.
func mapV2(m *Match, req *Request, out []byte) *Response {
	trimmed := bytes.TrimSpace(out)
	var obj map[string]json.RawMessage
	if len(trimmed) > 0 && trimmed[0] == '{' {
		if err := json.Unmarshal(trimmed, &obj); err != nil {
			return malformed(m, req, "Function output is not valid JSON: "+err.Error(), nil)
		}
	}
	if _, ok := obj["statusCode"]; !ok {
		if !json.Valid(trimmed) {
			return malformed(m, req, "Function output is not valid JSON; return a JSON value or a {\"statusCode\",...} object", nil)
		}
		body := out
		if trimmed[0] == '"' {
			var s string
			if err := json.Unmarshal(trimmed, &s); err == nil {
				body = []byte(s)
			}
		}
		h := baseHeader(m.API.Type, req)
		h["Content-Type"] = []string{"application/json"}
		return &Response{Status: http.StatusOK, Header: h, Body: body, Outcome: exchange.OutcomeOK}
	}

	status, why := parseStatus(obj["statusCode"])
	if why != "" {
		return malformed(m, req, why, outputField("statusCode"))
	}
	h := baseHeader(m.API.Type, req)
	if raw, ok := obj["cookies"]; ok && !isNull(raw) {
		var cookies []string
		if err := json.Unmarshal(raw, &cookies); err != nil {
			return malformed(m, req, fmt.Sprintf("Function returned cookies %s: it must be a list of strings", quoteJSON(raw)), outputField("cookies"))
		}
		h["Set-Cookie"] = append(h["Set-Cookie"], cookies...)
	}
	fh, why := parseHeaders(obj["headers"])
	if why != "" {
		return malformed(m, req, why, badField("headers", obj["headers"]))
	}
	addFunctionHeaders(h, fh, nil)
	body, why := parseBody(obj)
	if why != "" {
		return malformed(m, req, why, outputField("body"))
	}
	if b64, why := parseBase64Flag(obj); why != "" {
		return malformed(m, req, why, outputField("isBase64Encoded"))
	} else if b64 {
		dec, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return malformed(m, req, "Function set isBase64Encoded but its body is not valid base64: "+err.Error(), outputField("body"))
		}
		body = string(dec)
	}
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = []string{"text/plain; charset=utf-8"}
	}
	return &Response{Status: status, Header: h, Body: []byte(body), Outcome: exchange.OutcomeOK}
}

var restResponseKeys = map[string]bool{
	"statusCode": true, "headers": true, "multiValueHeaders": true, "body": true, "isBase64Encoded": true,
}

// mapV1 reads a payload 1.0 answer, which must be a response object. REST
// validates it strictly (unknown keys are errors); HTTP APIs ignore unknown
// keys.
func mapV1(m *Match, req *Request, out []byte) *Response {
	rest := m.API.Type == config.RESTAPI
	trimmed := bytes.TrimSpace(out)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		kind := "nothing"
		if len(trimmed) > 0 {
			kind = jsonKind(trimmed) + " " + quoteJSON(trimmed)
		}
		return malformed(m, req, fmt.Sprintf("Function returned %s: payload format 1.0 needs an object like {\"statusCode\":200,\"body\":\"...\"}", kind), outputField())
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &obj); err != nil {
		return malformed(m, req, "Function output is not valid JSON: "+err.Error(), nil)
	}
	if rest {
		for _, k := range sortedKeys(obj) {
			if !restResponseKeys[k] {
				return malformed(m, req, fmt.Sprintf("Function returned unknown field %q: a REST proxy response may only have statusCode, headers, multiValueHeaders, body and isBase64Encoded", k), outputField(k))
			}
		}
	}
	status := http.StatusOK
	if raw, ok := obj["statusCode"]; ok {
		var why string
		if status, why = parseStatus(raw); why != "" {
			return malformed(m, req, why, outputField("statusCode"))
		}
	}
	single, why := parseHeaders(obj["headers"])
	if why != "" {
		return malformed(m, req, why, badField("headers", obj["headers"]))
	}
	multi, why := parseMultiHeaders(obj["multiValueHeaders"])
	if why != "" {
		return malformed(m, req, why, badField("multiValueHeaders", obj["multiValueHeaders"]))
	}
	h := baseHeader(m.API.Type, req)
	if rest {
		addFunctionHeaders(h, multi, single)
	} else {
		addFunctionHeaders(h, single, multi)
	}
	body, why := parseBody(obj)
	if why != "" {
		return malformed(m, req, why, outputField("body"))
	}
	b64, why := parseBase64Flag(obj)
	if why != "" {
		return malformed(m, req, why, outputField("isBase64Encoded"))
	}
	// REST converts to binary only when the client asked for a binary type
	// first; otherwise the client gets the base64 text.
	if b64 && (!rest || matchesBinary(firstAccept(req.Header.Get("Accept")), m.API.BinaryMediaTypes)) {
		dec, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return malformed(m, req, "Function set isBase64Encoded but its body is not valid base64: "+err.Error(), outputField("body"))
		}
		body = string(dec)
	}
	if _, ok := h["Content-Type"]; !ok {
		if rest {
			h["Content-Type"] = []string{"application/json"}
		} else {
			h["Content-Type"] = []string{"text/plain; charset=utf-8"}
		}
	}
	if rest && req.TraceID != "" {
		h["X-Amzn-Trace-Id"] = []string{req.TraceID}
	}
	return &Response{Status: status, Header: h, Body: []byte(body), Outcome: exchange.OutcomeOK}
}

// badField blames the first member of a headers or multiValueHeaders
// object whose value is of the wrong kind (parseHeaders and
// parseMultiHeaders check them in sorted order too), or the object itself.
func badField(name string, raw json.RawMessage) *exchange.Blame {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return outputField(name)
	}
	for _, k := range sortedKeys(obj) {
		v := obj[k]
		if _, ok := scalarText(v); !ok && name == "headers" {
			return outputField(name, k)
		}
		if name != "headers" {
			var list []json.RawMessage
			if json.Unmarshal(v, &list) != nil || isNull(v) {
				return outputField(name, k)
			}
			for i, item := range list {
				if _, ok := scalarText(item); !ok {
					return outputField(name, k, strconv.Itoa(i))
				}
			}
		}
	}
	return outputField(name)
}

// header is one function-returned header, name as returned.
type header struct {
	name   string
	values []string
}

// addFunctionHeaders appends the function's headers, first then second, under
// canonical names. Gateway headers already in h win over the function's, and
// framing headers are dropped: the server frames the body it actually sends.
func addFunctionHeaders(h http.Header, first, second []header) {
	reserved := map[string]bool{"Content-Length": true, "Transfer-Encoding": true, "Connection": true}
	for k := range h {
		if k != "Set-Cookie" {
			reserved[k] = true
		}
	}
	for _, list := range [][]header{first, second} {
		for _, fh := range list {
			k := http.CanonicalHeaderKey(fh.name)
			if reserved[k] {
				continue
			}
			h[k] = append(h[k], fh.values...)
		}
	}
}

// parseStatus accepts an integer, or a string holding one ("201", which API
// Gateway accepts), between 100 and 599.
func parseStatus(raw json.RawMessage) (int, string) {
	text := string(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			text = s
		}
	}
	n, err := strconv.Atoi(text)
	if err != nil {
		return 0, fmt.Sprintf("Function returned statusCode %s: it must be an integer", quoteJSON(raw))
	}
	if n < 100 || n > 599 {
		return 0, fmt.Sprintf("Function returned statusCode %s: it must be an HTTP status between 100 and 599", quoteJSON(raw))
	}
	return n, ""
}

// parseHeaders reads a headers object. Numbers and booleans are sent as
// their JSON text (true → "true"); null values are dropped.
func parseHeaders(raw json.RawMessage) ([]header, string) {
	if isNull(raw) {
		return nil, ""
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Sprintf("Function returned headers %s: it must be an object of strings", quoteJSON(raw))
	}
	out := make([]header, 0, len(obj))
	for _, k := range sortedKeys(obj) {
		v, ok := scalarText(obj[k])
		if !ok {
			return nil, fmt.Sprintf("Function returned header %q as %s: header values must be strings", k, jsonKind(obj[k]))
		}
		if v != nil {
			out = append(out, header{k, []string{*v}})
		}
	}
	return out, ""
}

func parseMultiHeaders(raw json.RawMessage) ([]header, string) {
	if isNull(raw) {
		return nil, ""
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Sprintf("Function returned multiValueHeaders %s: it must be an object of lists", quoteJSON(raw))
	}
	out := make([]header, 0, len(obj))
	for _, k := range sortedKeys(obj) {
		var list []json.RawMessage
		if err := json.Unmarshal(obj[k], &list); err != nil || isNull(obj[k]) {
			return nil, fmt.Sprintf("Function returned multiValueHeaders %q as %s: each value must be a list of strings", k, jsonKind(obj[k]))
		}
		vals := make([]string, 0, len(list))
		for _, item := range list {
			v, ok := scalarText(item)
			if !ok {
				return nil, fmt.Sprintf("Function returned multiValueHeaders %q with %s inside: list items must be strings", k, jsonKind(item))
			}
			if v != nil {
				vals = append(vals, *v)
			}
		}
		out = append(out, header{k, vals})
	}
	return out, ""
}

// scalarText is the header text of a JSON scalar; nil for null; !ok for
// objects and arrays.
func scalarText(raw json.RawMessage) (*string, bool) {
	if isNull(raw) {
		return nil, true
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, false
		}
		return &s, true
	case '{', '[':
		return nil, false
	}
	s := string(raw)
	return &s, true
}

func parseBody(obj map[string]json.RawMessage) (string, string) {
	raw, ok := obj["body"]
	if !ok || isNull(raw) {
		return "", ""
	}
	var s string
	if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", fmt.Sprintf("Function returned a body that is %s, not a string: JSON-encode it first (e.g. JSON.stringify / json.dumps)", jsonKind(raw))
	}
	return s, ""
}

func parseBase64Flag(obj map[string]json.RawMessage) (bool, string) {
	raw, ok := obj["isBase64Encoded"]
	if !ok || isNull(raw) {
		return false, ""
	}
	switch string(raw) {
	case "true":
		return true, ""
	case "false":
		return false, ""
	}
	return false, fmt.Sprintf("Function returned isBase64Encoded %s: it must be true or false", quoteJSON(raw))
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// jsonKind names the JSON type of raw for explanations.
func jsonKind(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "a list"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// firstAccept is the first media type of an Accept header, which is all REST
// looks at when deciding to convert a base64 body to binary.
func firstAccept(accept string) string {
	first, _, _ := strings.Cut(accept, ",")
	return mediaType(first)
}
