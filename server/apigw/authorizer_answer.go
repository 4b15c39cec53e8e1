package apigw

import (
	"net/http"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
)

// What API Gateway answers when access is refused, byte for byte (spec:
// websocket-authorizers-permissions.md). REST's 403 bodies of a Lambda
// authorizer say "Message" with a capital M.
const (
	bodyUnauthorized   = `{"message":"Unauthorized"}`
	bodyForbidden      = `{"message":"Forbidden"}`
	bodyExplicitDeny   = `{"Message":"User is not authorized to access this resource with an explicit deny"}`
	bodyNotAuthorized  = `{"Message":"User is not authorized to access this resource"}`
	bodyAuthorizerNull = `{"message":null}`
	bodyTooMany        = `{"message":"Too Many Requests"}`
	bodyLimitExceeded  = `{"message":"Limit Exceeded"}`
)

// refuse is a gateway answer with CORS applied as the API applies it to
// every answer (HTTP APIs).
func refuse(m *Match, req *Request, status int, body, errorType string, outcome exchange.Outcome, why string) *Response {
	resp := gatewayAnswer(m.API.Type, req, status, body, errorType, outcome, why)
	if m.API.Type == config.HTTPAPI && m.API.Cors != nil {
		applyCORS(m.API.Cors, req, resp.Header)
	}
	return resp
}

// Unauthorized answers 401 {"message":"Unauthorized"}: a missing identity
// source, a token the validation expression or a JWT check rejects, or a
// Lambda authorizer failing with exactly "Unauthorized". wwwAuth is the
// www-authenticate header of JWT authorizers ("" for none).
func Unauthorized(m *Match, req *Request, wwwAuth, why string) *Response {
	errType := ""
	if m.API.Type == config.RESTAPI {
		errType = "UnauthorizedException"
	}
	resp := refuse(m, req, http.StatusUnauthorized, bodyUnauthorized, errType, exchange.OutcomeUnauthorized, why)
	if wwwAuth != "" {
		resp.Header["Www-Authenticate"] = []string{wwwAuth}
	}
	return resp
}

// Denied answers an authorizer's refusal: REST 403 with the explicit-deny
// or not-covered message (x-amzn-ErrorType AccessDeniedException); HTTP
// APIs 403 {"message":"Forbidden"}, with www-authenticate for a JWT
// authorizer's insufficient scope.
func Denied(m *Match, req *Request, explicit bool, wwwAuth, why string) *Response {
	if m.API.Type != config.RESTAPI {
		resp := refuse(m, req, http.StatusForbidden, bodyForbidden, "", exchange.OutcomeForbidden, why)
		if wwwAuth != "" {
			resp.Header["Www-Authenticate"] = []string{wwwAuth}
		}
		return resp
	}
	body := bodyNotAuthorized
	if explicit {
		body = bodyExplicitDeny
	}
	return refuse(m, req, http.StatusForbidden, body, "AccessDeniedException", exchange.OutcomeForbidden, why)
}

// AuthorizerFailed answers an authorizer that could not decide: its
// function failed (other than "Unauthorized"), returned something API
// Gateway cannot use, or could not be invoked. REST: 500
// {"message":null} with AuthorizerConfigurationException; HTTP APIs:
// 500 {"message":"Internal Server Error"}.
func AuthorizerFailed(m *Match, req *Request, outcome exchange.Outcome, why string) *Response {
	if m.API.Type != config.RESTAPI {
		return refuse(m, req, http.StatusInternalServerError, bodyHTTPInternal, "", outcome, why)
	}
	return refuse(m, req, http.StatusInternalServerError, bodyAuthorizerNull, "AuthorizerConfigurationException", outcome, why)
}

// SignatureRejected answers a request IAM authorization refuses. REST
// APIs answer 403 with the signature check's own message and error type
// (MissingAuthenticationTokenException for an unsigned request, whose
// body is the Missing Authentication Token one); HTTP APIs answer 403
// {"message":"Forbidden"} (inf).
func SignatureRejected(m *Match, req *Request, message, errorType, why string) *Response {
	if m.API.Type != config.RESTAPI {
		return refuse(m, req, http.StatusForbidden, bodyForbidden, "", exchange.OutcomeForbidden, why)
	}
	outcome := exchange.OutcomeForbidden
	if errorType == "MissingAuthenticationTokenException" {
		outcome = exchange.OutcomeUnauthorized
	}
	w := jsonw{b: make([]byte, 0, 64+len(message))}
	w.open('{')
	w.str("message", message)
	w.close('}')
	return refuse(m, req, http.StatusForbidden, string(w.b), errorType, outcome, why)
}

// APIKeyRefused answers a REST route that needs an API key and got none,
// or one that is unknown, disabled or not in a usage plan of the stage:
// 403 {"message":"Forbidden"}.
func APIKeyRefused(m *Match, req *Request, why string) *Response {
	return refuse(m, req, http.StatusForbidden, bodyForbidden, "ForbiddenException", exchange.OutcomeForbidden, why)
}

// Throttled answers an API key over its usage plan's rate (429 Too Many
// Requests) or quota (429 Limit Exceeded).
func Throttled(m *Match, req *Request, quota bool, why string) *Response {
	if quota {
		return refuse(m, req, http.StatusTooManyRequests, bodyLimitExceeded, "LimitExceededException", exchange.OutcomeThrottled, why)
	}
	return refuse(m, req, http.StatusTooManyRequests, bodyTooMany, "TooManyRequestsException", exchange.OutcomeThrottled, why)
}

// PermissionDenied answers a route whose function's resource-based policy
// does not let API Gateway invoke it: REST 500 {"message": "Internal
// server error"} (the execution log says "Invalid permissions on Lambda
// function"), HTTP APIs 500 {"message":"Internal Server Error"}.
func PermissionDenied(m *Match, req *Request, why string) *Response {
	if m.API.Type != config.RESTAPI {
		return refuse(m, req, http.StatusInternalServerError, bodyHTTPInternal, "", exchange.OutcomeInvokeFailed, why)
	}
	return refuse(m, req, http.StatusInternalServerError, bodyRESTInternal, "InternalServerErrorException", exchange.OutcomeInvokeFailed, why)
}
