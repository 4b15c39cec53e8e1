package ui

import (
	"net/http"

	"github.com/gatescope/gatescope/server/lambdaapi"

	"github.com/gatescope/gatescope/web"
)

// routes is the UI address's whole URL space. Every /api answer is JSON,
// every other answer a page; /s/ is read-only whatever the method.
func routes(d Deps) *http.ServeMux {
	dash, rp, pages, sh := d.Dashboard, d.Replay, d.ReplayPages, d.Share
	mux := http.NewServeMux()
	handle := mux.HandleFunc

	// JSON API: exchanges, their annotations and replays.
	handle("GET /api/health", dash.Health)
	handle("GET /api/stats", dash.Stats)
	handle("GET /api/exchanges", dash.ListExchanges)
	handle("GET /api/exchanges/{id}", dash.GetExchange)
	handle("PUT /api/exchanges/{id}/star", dash.Star(true))
	handle("DELETE /api/exchanges/{id}/star", dash.Star(false))
	handle("PUT /api/exchanges/{id}/note", dash.SetNote)
	handle("POST /api/exchanges/{id}/replay", rp.ReplayExchange)
	handle("GET /api/exchanges/{id}/replays", rp.ListReplays)
	handle("GET /api/exchanges/{id}/diff", rp.GetDiff)
	handle("GET /api/exchanges/{id}/trace", dash.GetTrace)
	handle("GET /api/map", dash.MapAPI)
	// Sessions: list, rename, delete, replay, export, share links
	// (create, list, revoke one or all; revoke by token); import.
	handle("GET /api/sessions", dash.ListSessions)
	handle("PATCH /api/sessions/{id}", dash.UpdateSession)
	handle("DELETE /api/sessions/{id}", dash.DeleteSession)
	handle("POST /api/sessions/{id}/replay", rp.ReplaySession)
	handle("GET /api/sessions/{id}/export", sh.ExportSession)
	handle("POST /api/sessions/{id}/share", sh.CreateShare)
	handle("GET /api/sessions/{id}/shares", sh.ListShares)
	handle("DELETE /api/sessions/{id}/shares", sh.RevokeSessionShares)
	handle("DELETE /api/sessions/{id}/shares/{shareId}", sh.RevokeShareID)
	handle("DELETE /api/shares/{token}", sh.RevokeShare)
	handle("POST /api/import", sh.ImportFile)
	// WebSocket connections: the open ones; sending to one as its client
	// or through the @connections API.
	handle("GET /api/connections", dash.ListConnections)
	handle("GET /api/connections/{id}", dash.GetConnection)
	handle("POST /api/connections/{id}/messages", dash.SendMessage)
	handle("POST /api/connections/{id}/posts", dash.PostMessage)
	handle("GET /api/deployments", dash.ListDeployments)
	handle("GET /api/deployments/{id}", dash.GetDeployment)
	mux.Handle("GET /api/live", d.Live)
	handle("/api/", dash.APINotFound)

	// Lambda's own API, so the AWS CLI and SDKs reach local functions: its
	// paths start with API version dates, and whatever gatescope does not
	// serve there answers in Lambda's error shape, never as a page. The
	// SDKs write some paths with a trailing slash, some without.
	lam := d.Lambda
	handle("POST /2015-03-31/functions/{name}/invocations", lam.Invoke)
	handle("GET /2016-08-19/account-settings", lam.GetAccountSettings)
	handle("GET /2016-08-19/account-settings/{$}", lam.GetAccountSettings)
	handle("GET /2015-03-31/functions", lam.ListFunctions)
	handle("GET /2015-03-31/functions/{$}", lam.ListFunctions)
	handle("GET /2015-03-31/functions/{name}", lam.GetFunction)
	handle("GET /2015-03-31/functions/{name}/configuration", lam.GetFunctionConfiguration)
	for _, prefix := range lambdaapi.Prefixes {
		handle(prefix, lam.Unknown)
	}
	// Functions' resource-based policies: what the gateway may invoke.
	if d.Policy != nil {
		handle("GET /2015-03-31/functions/{name}/policy", d.Policy.GetPolicy)
		handle("POST /2015-03-31/functions/{name}/policy", d.Policy.AddPermission)
		handle("DELETE /2015-03-31/functions/{name}/policy/{sid}", d.Policy.RemovePermission)
	}
	// The local token issuer (gatescope token) as an OIDC issuer.
	if d.Issuer != nil {
		mux.Handle("GET /.well-known/openid-configuration", d.Issuer)
		mux.Handle("GET /.well-known/jwks.json", d.Issuer)
	}
	// OTLP/HTTP: functions' OpenTelemetry exporters send spans here.
	mux.Handle("POST /v1/traces", d.otlp())

	// Pages.
	handle("GET /{$}", dash.ListPage)
	handle("GET /exchanges/{id}", dash.ExchangePage)
	handle("GET /map", dash.MapPage)
	handle("GET /exchanges/{id}/body/{part}", dash.ExchangeBody)
	handle("GET /exchanges/{id}/event.json", dash.ExchangeEvent)
	handle("GET /exchanges/{id}/logs", dash.ExchangeLogs)
	handle("GET /exchanges/{id}/edit", pages.EditPage)
	handle("GET /exchanges/{id}/diff/{replayId}", pages.DiffPage)
	handle("GET /connections", dash.ConnectionsPage)
	handle("GET /connections/{id}", dash.ConnectionPage)
	handle("GET /s/{token}", sh.SharePage)
	handle("GET /s/{token}/exchanges/{id}", sh.ShareExchangePage)
	handle("GET /s/{token}/exchanges/{id}/raw/{part}", sh.ShareRaw)
	handle("/s/", sh.ShareOther)
	mux.Handle("GET /static/", http.StripPrefix("/static/", web.StaticHandler()))
	handle("/", dash.PageNotFound)
	return mux
}
