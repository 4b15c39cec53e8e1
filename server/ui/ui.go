// Package ui is gatescope's UI address: one route table (routes.go) for the
// dashboard's pages, every JSON API, the live feed and Lambda's API, and
// the guards every request passes first. Handlers stay in the packages that
// own their data; this package only decides which URL reaches which.
package ui

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gatescope/gatescope/server/dashboard"
	"github.com/gatescope/gatescope/server/lambdaapi"
	"github.com/gatescope/gatescope/server/replay"
	"github.com/gatescope/gatescope/server/replay/replayui"
	"github.com/gatescope/gatescope/server/share"
)

// Deps are the handlers behind the UI address. All are required: a
// missing one is a wiring bug, and New panics at start rather than answer
// some route with a nil dereference later.
type Deps struct {
	Logger      *slog.Logger
	Dashboard   *dashboard.Handlers
	Replay      *replay.Handlers
	ReplayPages *replayui.Pages
	Share       *share.Handlers
	Lambda      *lambdaapi.API
	// Policy serves Lambda's GetPolicy, AddPermission and RemovePermission
	// (optional).
	Policy *lambdaapi.PolicyAPI
	// Issuer serves the local token issuer's /.well-known documents
	// (authz.WellKnown; optional).
	Issuer http.Handler
	// Live serves the /api/live websocket (live.Hub).
	Live http.Handler
	// OTLP receives OpenTelemetry trace exports at /v1/traces
	// (collect.Collector.ServeOTLP); without it they are answered 503.
	OTLP http.Handler
	// Token, when set, is required on every request but share links and
	// assets (the dashboard listens beyond loopback).
	Token string
	// Hosts are the names the dashboard answers to; pages of any other
	// origin cannot act through it (see guardHost, guardSite).
	Hosts *Hosts
	// BodyTimeout bounds how long a request body may take to arrive
	// (default DefaultBodyTimeout).
	BodyTimeout time.Duration
}

// New returns the UI address's handler.
func New(d Deps) http.Handler {
	if d.Logger == nil || d.Dashboard == nil || d.Replay == nil || d.ReplayPages == nil || d.Share == nil ||
		d.Lambda == nil || d.Live == nil || d.Hosts == nil {
		panic("ui.New: every dependency is required")
	}
	// Outermost first: every answer carries the security headers; a foreign
	// Host learns nothing more than 421, a foreign page nothing more than
	// 403, before the token is even looked at.
	h := guardJSON(routes(d))
	h = guardToken(d.Token, h)
	h = guardSite(d.Logger, d.Hosts, h)
	h = guardHost(d.Logger, d.Hosts, h)
	return secureHeaders(BodyDeadline(d.BodyTimeout, h))
}

func (d Deps) otlp() http.Handler {
	if d.OTLP != nil {
		return d.OTLP
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gatescope is not receiving traces here", http.StatusServiceUnavailable)
	})
}
