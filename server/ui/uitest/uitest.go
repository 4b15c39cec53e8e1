// Package uitest serves the UI address for tests: the real route table and
// guards, with every handler a test does not supply made over its store.
package uitest

import (
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/dashboard"
	"github.com/gatescope/gatescope/server/lambdaapi"
	"github.com/gatescope/gatescope/server/replay"
	"github.com/gatescope/gatescope/server/replay/replayui"
	"github.com/gatescope/gatescope/server/share"
	"github.com/gatescope/gatescope/server/ui"
	"github.com/gatescope/gatescope/store"
)

// Handler fills in d's missing dependencies and returns ui.New(d). Replay
// handlers are made over rp, which may be nil for tests that never replay
// (the replay routes then answer 500). The Lambda API knows no function and
// the live feed answers 503 unless given. Without Hosts, the dashboard
// answers to localhost, 127.0.0.1 and [::1] on any port, and share links
// are relative.
func Handler(db *store.DB, rp *replay.Replayer, d ui.Deps) http.Handler {
	return handler(db, rp, d, "")
}

func handler(db *store.DB, rp *replay.Replayer, d ui.Deps, base string) http.Handler {
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
		d.Share = share.New(d.Logger, db, share.Options{Version: "test", Now: time.Now, BaseURL: base})
	}
	if d.Lambda == nil {
		d.Lambda = lambdaapi.New(d.Logger, nil, nil)
	}
	if d.Live == nil {
		d.Live = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "no live feed in this test", http.StatusServiceUnavailable)
		})
	}
	if d.Hosts == nil {
		var err error
		d.Hosts, err = ui.NewHosts(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, []string{"localhost", "127.0.0.1", "::1"})
		if err != nil {
			panic(err)
		}
	}
	return ui.New(d)
}

// Server serves Handler on a loopback httptest server closed with the test,
// with the hosts and share links of its real address (unless d has Hosts).
func Server(tb testing.TB, db *store.DB, rp *replay.Replayer, d ui.Deps) *httptest.Server {
	tb.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := ""
	if d.Hosts == nil {
		hosts, err := ui.NewHosts(srv.Listener.Addr(), nil)
		if err != nil {
			tb.Fatal(err)
		}
		d.Hosts, base = hosts, hosts.BaseURL()
	}
	srv.Config.Handler = handler(db, rp, d, base)
	srv.Start()
	tb.Cleanup(srv.Close)
	return srv
}
