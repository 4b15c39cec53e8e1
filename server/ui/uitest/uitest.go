// Package uitest serves the UI address for tests: the real route table and
// guards, with every handler a test does not supply made over its store.
package uitest

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/dashboard"
	"github.com/gatescope/gatescope/server/lambda"
	"github.com/gatescope/gatescope/server/replay"
	"github.com/gatescope/gatescope/server/replay/replayui"
	"github.com/gatescope/gatescope/server/share"
	"github.com/gatescope/gatescope/server/ui"
	"github.com/gatescope/gatescope/store"
)

// Handler fills in d's missing dependencies and returns ui.New(d). Replay
// handlers are made over rp, which may be nil for tests that never replay
// (the replay routes then answer 500). The Lambda API knows no function and
// the live feed answers 503 unless given.
func Handler(db *store.DB, rp *replay.Replayer, d ui.Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Dashboard == nil {
		d.Dashboard = dashboard.New(d.Logger, dashboard.Options{Store: db, CanReplay: rp != nil})
	}
	if d.Replay == nil {
		d.Replay = replay.NewHandlers(d.Logger, rp)
	}
	if d.ReplayPages == nil {
		d.ReplayPages = replayui.New(d.Logger, rp)
	}
	if d.Share == nil {
		d.Share = share.New(d.Logger, db, share.Options{Version: "test", Now: time.Now})
	}
	if d.Lambda == nil {
		d.Lambda = lambda.NewInvokeAPI(d.Logger, nil, func(string) bool { return false }, nil)
	}
	if d.Live == nil {
		d.Live = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "no live feed in this test", http.StatusServiceUnavailable)
		})
	}
	return ui.New(d)
}

// Server serves Handler on a loopback httptest server closed with the test.
func Server(tb testing.TB, db *store.DB, rp *replay.Replayer, d ui.Deps) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(Handler(db, rp, d))
	tb.Cleanup(srv.Close)
	return srv
}
