// Package apigw holds Amazon API Gateway's semantics as pure functions:
// routing, request → Lambda event (payload 1.0 and 2.0), function output →
// HTTP response, error mapping, CORS, and the outcome and explanation of each
// exchange. It does no I/O, reads no clock and keeps no global state.
package apigw

// Outcome classifies how an exchange ended.
type Outcome string

const (
	OutcomeOK                Outcome = "ok"
	OutcomeFunctionError     Outcome = "function_error"
	OutcomeMalformedResponse Outcome = "malformed_response"
	OutcomeTimeout           Outcome = "timeout"
	OutcomeThrottled         Outcome = "throttled"
	OutcomeNoRoute           Outcome = "no_route"
	OutcomeUnauthorized      Outcome = "unauthorized"
	OutcomeForbidden         Outcome = "forbidden"
	OutcomeInvokeFailed      Outcome = "invoke_failed"
	OutcomePayloadTooLarge   Outcome = "payload_too_large"
)
