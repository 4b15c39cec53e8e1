package dashboard

import (
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/web"
)

// authorizerOf builds the inspector's authorizer section.
func authorizerOf(a *exchange.Authorizer) *web.AuthorizerView {
	v := &web.AuthorizerView{
		Name: a.Name, Type: a.Type, Function: a.Function, Decision: a.Decision,
		Allowed: a.Decision == exchange.DecisionAllow, Cached: a.Cached, Cold: a.Cold,
		Explanation: a.Explanation,
		Event:       jsonBody(a.Event, ""),
		Output:      jsonBody(a.Output, ""),
		Context:     jsonBody(a.Context, ""),
		Logs:        logLines(a.Logs),
	}
	if a.DurationMs > 0 {
		v.Duration = web.FormatMs(a.DurationMs)
	}
	if e := a.Error; e != nil {
		v.Error = &web.FuncError{Type: e.Type, Message: e.Message, Stack: e.StackTrace}
	}
	switch a.Type {
	case "TOKEN", "REQUEST":
		v.EventTitle, v.OutputTitle = "Event sent to "+a.Function, a.Function+"'s answer"
	case "JWT", "COGNITO_USER_POOLS":
		v.EventTitle, v.OutputTitle = "The token as sent (header and claims, before any check)", "Claims API Gateway verified"
	default:
		v.EventTitle, v.OutputTitle = "What was checked", "The signer API Gateway identified"
	}
	return v
}

// authorizerFact summarises the step for the facts grid: "NodeToken ·
// allow (cached)".
func authorizerFact(a *exchange.Authorizer) string {
	if a == nil {
		return ""
	}
	s := a.Name + " · " + a.Decision
	if a.Cached {
		s += " (cached)"
	}
	return s
}
