package apigw

import (
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/gatescope/gatescope/server/config"
)

// Forwarding headers describe the connection gatescope actually received:
// locally that is plain HTTP on the listener's port. AWS says https/443; a
// function that builds absolute URLs from them should get ones that work here.
const forwardedProto = "http"

func forwardedPort(host string) string {
	if _, port, err := net.SplitHostPort(host); err == nil && port != "" {
		return port
	}
	return "80"
}

// domainName is the Host the client used ("localhost:3000"), so URLs a
// function builds from requestContext.domainName lead back to gatescope. With
// no Host it falls back to the AWS shape.
func domainName(host, apiID string, api *config.API) string {
	if host != "" {
		return host
	}
	region := api.Region
	if region == "" {
		region = config.DefaultRegion
	}
	return apiID + ".execute-api." + region + ".amazonaws.com"
}

// accountID is the account the API's events name; APIs built by hand (not
// by config.Parse) get the default one.
func accountID(api *config.API) string {
	if api.AccountID == "" {
		return config.DefaultAccountID
	}
	return api.AccountID
}

// domainPrefix is the first label of the domain name, port removed.
func domainPrefix(domain string) string {
	if h, _, err := net.SplitHostPort(domain); err == nil {
		domain = h
	}
	if i := strings.IndexByte(domain, '.'); i >= 0 {
		return domain[:i]
	}
	return domain
}

// mediaType is the content type without parameters, lower case.
func mediaType(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

// textBodyV2 reports whether an HTTP API passes a body of this content type
// as text; everything else is base64 (spec: isBase64Encoded, payload 2.0).
func textBodyV2(ct string) bool {
	mt := mediaType(ct)
	if mt == "" {
		return false
	}
	if strings.HasPrefix(mt, "text/") {
		return true
	}
	switch mt {
	case "application/json", "application/xml", "application/javascript":
		return true
	}
	return false
}

// matchesBinary reports whether content type ct matches one of a REST API's
// binaryMediaTypes: exactly, by "type/*", or by "*/*".
func matchesBinary(ct string, types []string) bool {
	if len(types) == 0 {
		return false
	}
	mt := mediaType(ct)
	if mt == "" {
		return false
	}
	for _, t := range types {
		t = strings.ToLower(strings.TrimSpace(t))
		switch {
		case t == "*/*", t == mt:
			return true
		case strings.HasSuffix(t, "/*") && strings.HasPrefix(mt, t[:len(t)-1]):
			return true
		}
	}
	return false
}

// queryParam is one decoded key=value pair, in request order.
type queryParam struct{ key, value string }

// parseQuery splits a raw query into decoded pairs: '+' and %20 become a
// space; a malformed escape is kept as sent rather than failing the request;
// a key without '=' has value "".
func parseQuery(raw string) []queryParam {
	if raw == "" {
		return nil
	}
	out := make([]queryParam, 0, strings.Count(raw, "&")+1)
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		out = append(out, queryParam{unescapeQuery(k), unescapeQuery(v)})
	}
	return out
}

func unescapeQuery(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	u, err := url.QueryUnescape(s)
	if err != nil {
		return strings.ReplaceAll(s, "+", " ")
	}
	return u
}

// stagedPath is the path as AWS would have received it: with the stage
// prefix for APIs that have a named stage, even when the request came in at
// the root, because deployed the stage is always in the URL.
func stagedPath(m *Match, req *Request) string {
	switch {
	case m.StagePrefixed:
		return req.RawPath
	case m.API.Stage == "" || m.API.Stage == "$default":
		return m.Path
	case m.Path == "/":
		return "/" + m.API.Stage
	default:
		return "/" + m.API.Stage + m.Path
	}
}

func contentLength(req *Request) string {
	if v := req.Header.Values("Content-Length"); len(v) > 0 {
		return v[len(v)-1]
	}
	return strconv.Itoa(len(req.Body))
}

// forwardedFor appends the source IP to a client's X-Forwarded-For, as a
// proxy does.
func forwardedFor(req *Request) string {
	if prev := strings.Join(req.Header.Values("X-Forwarded-For"), ", "); prev != "" {
		return prev + ", " + req.SourceIP
	}
	return req.SourceIP
}

func payloadVersion(m *Match) string {
	if m.API.Type == config.RESTAPI {
		return "1.0"
	}
	if m.Route.PayloadVersion == "" {
		return "2.0"
	}
	return m.Route.PayloadVersion
}
