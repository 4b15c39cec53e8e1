package apigw

import (
	"strings"

	"github.com/gatescope/gatescope/server/config"
)

// buildV1 writes the payload format 1.0 event: the REST API proxy event, or
// its HTTP API variant (version "1.0", lower-case headers, HTTP API request
// id, resourceId null, isBase64Encoded by the 2.0 text rule since HTTP APIs
// have no binaryMediaTypes). With ae it is a REQUEST authorizer's event:
// its keys first, no body.
func buildV1(m *Match, req *Request, ae *authorizerEvent) []byte {
	rest := m.API.Type == config.RESTAPI
	w := jsonw{b: make([]byte, 0, 1536+len(req.Body)*4/3)}
	apiID := m.apiIDOrDerive()
	domain := domainName(req.Host, apiID, m.API)

	w.open('{')
	if !rest {
		w.str("version", "1.0")
	}
	if ae != nil {
		ae.writeV1(&w)
	}
	w.str("resource", m.Route.Path)
	w.str("path", m.Path)
	w.str("httpMethod", req.Method)

	single, multi := headersV1(req, rest)
	w.strMap("headers", single)
	w.listMap("multiValueHeaders", multi)

	if q := parseQuery(req.RawQuery); len(q) > 0 {
		last := make(map[string]string, len(q))
		all := make(map[string][]string, len(q))
		for _, p := range q {
			last[p.key] = p.value
			all[p.key] = append(all[p.key], p.value)
		}
		w.strMap("queryStringParameters", last)
		w.listMap("multiValueQueryStringParameters", all)
	} else {
		w.null("queryStringParameters")
		w.null("multiValueQueryStringParameters")
	}
	// Path parameters stay as sent (a%20b is not decoded) in payload 1.0.
	if len(m.PathParams) > 0 {
		w.strMap("pathParameters", m.PathParams)
	} else {
		w.null("pathParameters")
	}
	if len(m.API.StageVariables) > 0 {
		w.strMap("stageVariables", m.API.StageVariables)
	} else {
		w.null("stageVariables")
	}

	w.key("requestContext")
	w.open('{')
	w.str("accountId", accountID(m.API))
	w.str("apiId", apiID)
	if ae == nil {
		writeAuthorizer(&w, m, req)
	}
	if rest {
		w.str("deploymentId", DeploymentID(apiID, stageName(m)))
	}
	w.str("domainName", domain)
	w.str("domainPrefix", domainPrefix(domain))
	if rest {
		w.str("extendedRequestId", req.ExtendedRequestID)
	} else {
		w.str("extendedRequestId", req.RequestID)
	}
	w.str("httpMethod", req.Method)
	identityV1(&w, req, rest)
	if rest && m.Route.OperationName != "" {
		w.str("operationName", m.Route.OperationName)
	}
	w.str("path", stagedPath(m, req))
	w.str("protocol", protocol(req))
	w.str("requestId", req.RequestID)
	w.str("requestTime", requestTime(req.Time))
	w.int("requestTimeEpoch", req.Time.UnixMilli())
	if rest {
		w.str("resourceId", ResourceID(apiID, m.Route.Path))
	} else {
		w.null("resourceId")
	}
	w.str("resourcePath", m.Route.Path)
	if !rest {
		w.str("routeKey", m.Route.Key())
	}
	w.str("stage", stageName(m))
	w.close('}')
	if ae != nil {
		w.close('}')
		return w.b
	}

	var binary bool
	if rest {
		binary = matchesBinary(req.Header.Get("Content-Type"), m.API.BinaryMediaTypes)
	} else {
		binary = !textBodyV2(req.Header.Get("Content-Type"))
	}
	switch {
	case len(req.Body) == 0:
		w.null("body")
	case binary:
		w.key("body")
		w.b = appendBase64(w.b, req.Body)
		w.comma = true
	default:
		w.str("body", string(req.Body))
	}
	w.boolean("isBase64Encoded", binary)
	w.close('}')
	return w.b
}

// headersV1 builds headers (last value of each name) and multiValueHeaders
// (all values). REST keeps the name as received and does not pass
// Content-Length or Connection; HTTP APIs lower-case every name and pass
// content-length like payload 2.0 does.
func headersV1(req *Request, rest bool) (map[string]string, map[string][]string) {
	single := make(map[string]string, len(req.Header)+6)
	multi := make(map[string][]string, len(req.Header)+6)
	set := func(k string, vs ...string) {
		if !rest {
			k = strings.ToLower(k)
		} else if sent, ok := req.HeaderCase[k]; ok {
			k = sent
		}
		single[k] = vs[len(vs)-1]
		multi[k] = vs
	}
	for k, vs := range req.Header {
		if len(vs) == 0 || (rest && (k == "Content-Length" || k == "Connection")) {
			continue
		}
		set(k, vs...)
	}
	if req.Header.Get("Host") == "" && req.Host != "" {
		set("Host", req.Host)
	}
	if !rest {
		set("Content-Length", contentLength(req))
	}
	set("X-Forwarded-For", forwardedFor(req))
	set("X-Forwarded-Port", forwardedPort(req.Host))
	set("X-Forwarded-Proto", forwardedProto)
	if req.TraceID != "" {
		set("X-Amzn-Trace-Id", req.TraceID)
	}
	return single, multi
}
