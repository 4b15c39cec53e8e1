package apigw

import (
	"encoding/base64"
	"strings"
)

// buildV2 writes the HTTP API payload format 2.0 event. With ae it is a
// Lambda authorizer's payload 2.0 event: its keys after version, no body.
func buildV2(m *Match, req *Request, ae *authorizerEvent) []byte {
	w := jsonw{b: make([]byte, 0, 1024+len(req.Body)*4/3)}
	rawPath := unescapePath(stagedPath(m, req))
	routeKey := m.Route.Key()
	apiID := m.apiIDOrDerive()
	domain := domainName(req.Host, apiID, m.API)

	w.open('{')
	w.str("version", "2.0")
	if ae != nil {
		ae.writeV2(&w)
	}
	w.str("routeKey", routeKey)
	w.str("rawPath", rawPath)
	w.str("rawQueryString", req.RawQuery)

	if cookies := req.Header.Values("Cookie"); len(cookies) > 0 {
		w.key("cookies")
		w.open('[')
		for _, line := range cookies {
			for _, c := range strings.Split(line, "; ") {
				w.sep()
				w.b = appendString(w.b, c)
			}
		}
		w.close(']')
	}

	// Header names lowercased, duplicates joined with "," (no space); the
	// cookies moved to their own field.
	headers := make(map[string]string, len(req.Header)+6)
	for k, vs := range req.Header {
		if k == "Cookie" {
			continue
		}
		headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	if _, ok := headers["host"]; !ok && req.Host != "" {
		headers["host"] = req.Host
	}
	headers["content-length"] = contentLength(req)
	headers["x-forwarded-for"] = forwardedFor(req)
	headers["x-forwarded-port"] = forwardedPort(req.Host)
	headers["x-forwarded-proto"] = forwardedProto
	if req.TraceID != "" {
		headers["x-amzn-trace-id"] = req.TraceID
	}
	w.strMap("headers", headers)

	if q := parseQuery(req.RawQuery); len(q) > 0 {
		params := make(map[string]string, len(q))
		for _, p := range q {
			if prev, ok := params[p.key]; ok {
				params[p.key] = prev + "," + p.value
			} else {
				params[p.key] = p.value
			}
		}
		w.strMap("queryStringParameters", params)
	}

	w.key("requestContext")
	w.open('{')
	w.str("accountId", accountID(m.API))
	w.str("apiId", apiID)
	if ae == nil {
		writeAuthorizer(&w, m, req)
	}
	w.str("domainName", domain)
	w.str("domainPrefix", domainPrefix(domain))
	w.key("http")
	w.open('{')
	w.str("method", req.Method)
	w.str("path", rawPath)
	w.str("protocol", protocol(req))
	w.str("sourceIp", req.SourceIP)
	w.str("userAgent", req.Header.Get("User-Agent"))
	w.close('}')
	w.str("requestId", req.RequestID)
	w.str("routeKey", routeKey)
	w.str("stage", stageName(m))
	w.str("time", requestTime(req.Time))
	w.int("timeEpoch", req.Time.UnixMilli())
	w.close('}')

	text := textBodyV2(req.Header.Get("Content-Type"))
	if len(req.Body) > 0 && ae == nil {
		w.key("body")
		if text {
			w.b = appendString(w.b, string(req.Body))
		} else {
			w.b = appendBase64(w.b, req.Body)
		}
		w.comma = true
	}
	if len(m.PathParams) > 0 {
		params := make(map[string]string, len(m.PathParams))
		for k, v := range m.PathParams {
			params[k] = unescapePath(v)
		}
		w.strMap("pathParameters", params)
	}
	if ae == nil {
		w.boolean("isBase64Encoded", !text)
	}
	if len(m.API.StageVariables) > 0 {
		w.strMap("stageVariables", m.API.StageVariables)
	}
	w.close('}')
	return w.b
}

func appendBase64(b []byte, data []byte) []byte {
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, data)
	return append(b, '"')
}

func protocol(req *Request) string {
	if req.Proto == "" {
		return "HTTP/1.1"
	}
	return req.Proto
}

func stageName(m *Match) string {
	if m.API.Stage == "" {
		return "$default"
	}
	return m.API.Stage
}
