package exchange

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

// Outcomes lists every outcome, in the order filters offer them.
func Outcomes() []Outcome {
	return []Outcome{OutcomeOK, OutcomeFunctionError, OutcomeMalformedResponse, OutcomeTimeout,
		OutcomeThrottled, OutcomeNoRoute, OutcomeUnauthorized, OutcomeForbidden, OutcomeInvokeFailed,
		OutcomePayloadTooLarge}
}

// Valid reports whether o is one of Outcomes.
func (o Outcome) Valid() bool {
	for _, k := range Outcomes() {
		if o == k {
			return true
		}
	}
	return false
}
