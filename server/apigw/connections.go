package apigw

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
)

// The @connections management API of WebSocket APIs: POST sends a message
// to a connection, GET describes it, DELETE closes it (doc, obs). SDKs call
// it at https://<domainName>/<stage>/@connections/<connectionId>, the id
// percent-encoded.

// ConnectionsPath parses the path of an @connections call:
// /<stage>/@connections/<id>, or /@connections/<id> (an endpoint without
// the stage, as AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI may give). ok is
// false for any other path; id is decoded.
func ConnectionsPath(rawPath string) (stage, id string, ok bool) {
	before, after, found := strings.Cut(rawPath, "/@connections/")
	if !found || strings.Contains(after, "/") || after == "" {
		return "", "", false
	}
	if before != "" && (!strings.HasPrefix(before, "/") || strings.Contains(before[1:], "/")) {
		return "", "", false
	}
	dec, err := url.PathUnescape(after)
	if err != nil {
		return "", "", false
	}
	return strings.TrimPrefix(before, "/"), dec, true
}

// ConnectionInfo is what GET @connections/<id> answers about a connection.
type ConnectionInfo struct {
	ConnectedAt  time.Time
	LastActiveAt time.Time
	SourceIP     string
	UserAgent    string
}

// managementAnswer is a response of the management API, which answers
// like a REST API: x-amzn-RequestId, and x-amzn-ErrorType on errors.
func managementAnswer(req *Request, status int, body, errorType string, outcome exchange.Outcome, why string) *Response {
	h := http.Header{"X-Amzn-Requestid": {req.RequestID}}
	if body != "" {
		h["Content-Type"] = []string{"application/json"}
	}
	if errorType != "" {
		h["X-Amzn-Errortype"] = []string{errorType}
	}
	return &Response{Status: status, Header: h, Body: []byte(body), Outcome: outcome, Explanation: why}
}

// PostedResponse answers a POST that sent its message: 200, empty.
func PostedResponse(req *Request) *Response {
	return managementAnswer(req, http.StatusOK, "", "", exchange.OutcomeOK, "")
}

// DeletedResponse answers a DELETE that closed the connection: 204.
func DeletedResponse(req *Request) *Response {
	return managementAnswer(req, http.StatusNoContent, "", "", exchange.OutcomeOK, "")
}

// ConnectionResponse answers GET with the connection's description.
func ConnectionResponse(req *Request, c ConnectionInfo) *Response {
	w := jsonw{b: make([]byte, 0, 192)}
	w.open('{')
	w.str("connectedAt", isoMillis(c.ConnectedAt))
	w.key("identity")
	w.open('{')
	w.str("sourceIp", c.SourceIP)
	w.str("userAgent", c.UserAgent)
	w.close('}')
	w.str("lastActiveAt", isoMillis(c.LastActiveAt))
	w.close('}')
	return managementAnswer(req, http.StatusOK, string(w.b), "", exchange.OutcomeOK, "")
}

func isoMillis(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// GoneResponse answers a call naming a connection that does not exist or
// is closed: 410, empty body, GoneException (doc, obs).
func GoneResponse(req *Request, id, why string) *Response {
	if why == "" {
		why = "No open connection has the id " + id + ": it was never opened, or it closed (see its $disconnect)"
	}
	return managementAnswer(req, http.StatusGone, "", "GoneException", exchange.OutcomeNoRoute, why)
}

// PostTooLarge answers a POST over MaxMessageBytes: 413 (doc; the body is
// inferred).
func PostTooLarge(req *Request, size int) *Response {
	return managementAnswer(req, http.StatusRequestEntityTooLarge, bodyHTTPTooLarge, "PayloadTooLargeException", exchange.OutcomePayloadTooLarge,
		"The message is "+strconv.Itoa(size)+" bytes, over a WebSocket API's 131072-byte message limit")
}

// ManagementForbidden answers a method the management API does not have.
func ManagementForbidden(req *Request) *Response {
	return managementAnswer(req, http.StatusForbidden, `{"message":"Forbidden"}`, "ForbiddenException", exchange.OutcomeForbidden,
		"The @connections API takes POST (send), GET (describe) and DELETE (close), not "+req.Method)
}
