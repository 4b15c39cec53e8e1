package exchange

import (
	"encoding/base64"
	"time"
)

// Summary is an exchange as one row of the list shows it: no bodies, no
// logs, no event. The live feed sends it for each new exchange and the
// list API (GET /api/exchanges?view=summary) returns it, so the browser
// builds every row from one shape.
type Summary struct {
	ID        string    `json:"id"`
	Session   string    `json:"session"`
	StartedAt time.Time `json:"startedAt"`
	Method    string    `json:"method"`
	URL       string    `json:"url"`
	RouteKey  string    `json:"routeKey"`
	Status    int       `json:"status"`
	Outcome   string    `json:"outcome"`
	// Failed is Failed, sent so the browser never re-derives it.
	Failed      bool    `json:"failed"`
	DurationMs  float64 `json:"durationMs"`
	Cold        bool    `json:"cold"`
	Function    string  `json:"function"`
	Explanation string  `json:"explanation"`
	// ConnectionID names a WebSocket exchange's connection: its
	// connection page follows the feed by it.
	ConnectionID string `json:"connectionId,omitempty"`
	APIID        string `json:"apiId,omitempty"`
	ReplayOf     string `json:"replayOf,omitempty"`
	// Size is the response body's size in bytes, as the client got it
	// (decoded when base64, its whole size when the store kept only part).
	Size   int    `json:"size"`
	Phases Phases `json:"phases"`
	// Match is where a text search matched, when it matched in a body or
	// the logs (which the row does not show); only search results carry it.
	Match *Match `json:"match,omitempty"`
}

// Phases split an exchange's duration for the list's waterfall: waiting
// for a free execution environment, the function's init (cold start), the
// invocation itself, and what the gateway spent around it (routing,
// mapping, sending). They add up to the duration.
type Phases struct {
	EnvWaitMs float64 `json:"envWaitMs"`
	InitMs    float64 `json:"initMs"`
	InvokeMs  float64 `json:"invokeMs"`
	GatewayMs float64 `json:"gatewayMs"`
}

// PhasesOf splits durationMs by the exchange's timings. The invocation
// span (InvokeStartMs to InvokeEndMs) holds the environment wait and the
// init; the rest of the duration is the gateway's.
func PhasesOf(durationMs float64, t Timings) Phases {
	span := max(t.InvokeEndMs-t.InvokeStartMs, 0)
	span = min(span, max(durationMs, 0))
	p := Phases{EnvWaitMs: min(max(t.EnvWaitMs, 0), span)}
	p.InitMs = min(max(t.InitDurationMs, 0), span-p.EnvWaitMs)
	p.InvokeMs = span - p.EnvWaitMs - p.InitMs
	p.GatewayMs = max(durationMs-span, 0)
	return p
}

// Match is a search hit in text the row does not show: Field names where
// ("response body", "request body", "logs") and Before, Hit and After are
// the text around it, cut to a line's length.
type Match struct {
	Field  string `json:"field"`
	Before string `json:"before"`
	Hit    string `json:"hit"`
	After  string `json:"after"`
}

// Summarize returns the Summary of x.
func Summarize(x *Exchange) Summary {
	return Summary{
		ID: x.ID, Session: x.Session, StartedAt: x.StartedAt,
		Method: x.Request.Method, URL: x.Request.URL, RouteKey: x.RouteKey,
		Status: x.Response.Status, Outcome: string(x.Outcome), Failed: x.Failed(), DurationMs: x.DurationMs,
		Cold: x.Function.Cold, Function: x.Function.Name, Explanation: x.Explanation, ConnectionID: x.ConnectionID,
		APIID: x.API.ID, ReplayOf: x.ReplayOf, Size: bodySize(x.Response), Phases: PhasesOf(x.DurationMs, x.Timings),
	}
}

// bodySize is the size of the body the client got.
func bodySize(r HTTPResponse) int {
	if r.Truncated > 0 {
		return r.Truncated
	}
	if r.IsBase64 {
		if b, err := base64.StdEncoding.DecodeString(r.Body); err == nil {
			return len(b)
		}
	}
	return len(r.Body)
}
