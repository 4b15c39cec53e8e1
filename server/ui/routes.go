package ui

import (
	"net/http"

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
	// Sessions: list, rename, delete, replay, export, share; import.
	handle("GET /api/sessions", dash.ListSessions)
	handle("PATCH /api/sessions/{id}", dash.UpdateSession)
	handle("DELETE /api/sessions/{id}", dash.DeleteSession)
	handle("POST /api/sessions/{id}/replay", rp.ReplaySession)
	handle("GET /api/sessions/{id}/export", sh.ExportSession)
	handle("POST /api/sessions/{id}/share", sh.CreateShare)
	handle("DELETE /api/shares/{token}", sh.RevokeShare)
	handle("POST /api/import", sh.ImportFile)
	mux.Handle("GET /api/live", d.Live)
	handle("/api/", dash.APINotFound)

	// Lambda's own API, so the AWS CLI and SDKs reach local functions.
	handle("POST /2015-03-31/functions/{name}/invocations", d.Lambda.Invoke)
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
	handle("GET /s/{token}", sh.SharePage)
	handle("GET /s/{token}/exchanges/{id}", sh.ShareExchangePage)
	handle("GET /s/{token}/exchanges/{id}/raw/{part}", sh.ShareRaw)
	handle("/s/", sh.ShareOther)
	mux.Handle("GET /static/", http.StripPrefix("/static/", web.StaticHandler()))
	handle("/", dash.PageNotFound)
	return mux
}
