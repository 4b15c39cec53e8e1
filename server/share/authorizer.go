package share

import (
	"slices"

	"github.com/gatescope/gatescope/server/exchange"
)

// Redaction of the authorizer step (exchange.Authorizer): its event,
// answer and context are redacted like the exchange's own event, its logs
// and messages like the function's, and the fields and headers that carry
// credentials to an authorizer are added through Rules.

// AuthorizerNames are the authorizer event fields that hold the caller's
// credentials: a TOKEN authorizer's token, the identity values of HTTP
// API authorizers. As header names in Rules, they redact those JSON keys
// wherever they appear, and their values in every text.
var AuthorizerNames = []string{"authorizationToken", "identitySource"}

// WithAuthorizers returns r with AuthorizerNames and the given header
// names (the template's identity sources, such as X-Token) redacted too.
func WithAuthorizers(r Rules, identityHeaders ...string) Rules {
	r.Headers = append(slices.Clone(r.Headers), AuthorizerNames...)
	r.Headers = append(r.Headers, identityHeaders...)
	return r
}

// cloneAuthorizer deep-copies an authorizer step.
func cloneAuthorizer(a *exchange.Authorizer) *exchange.Authorizer {
	if a == nil {
		return nil
	}
	c := *a
	c.Event, c.Output, c.Context = slices.Clone(a.Event), slices.Clone(a.Output), slices.Clone(a.Context)
	if a.Error != nil {
		e := *a.Error
		e.StackTrace = slices.Clone(e.StackTrace)
		c.Error = &e
	}
	return &c
}

// authorizerDocs are the step's JSON documents, redacted like the event.
func authorizerDocs(a *exchange.Authorizer) []*[]byte {
	if a == nil {
		return nil
	}
	return []*[]byte{(*[]byte)(&a.Event), (*[]byte)(&a.Output), (*[]byte)(&a.Context)}
}

// authorizerText redacts the step's free text.
func (rd *Redactor) authorizerText(a *exchange.Authorizer) {
	if a == nil {
		return
	}
	a.Logs = rd.Text(a.Logs)
	a.Explanation = rd.Text(a.Explanation)
	if e := a.Error; e != nil {
		e.Message = rd.Text(e.Message)
		for i := range e.StackTrace {
			e.StackTrace[i] = rd.Text(e.StackTrace[i])
		}
	}
}
