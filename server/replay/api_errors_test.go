package replay_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/replay"
	"github.com/gatescope/gatescope/server/ui"
	"github.com/gatescope/gatescope/server/ui/uitest"
	"github.com/gatescope/gatescope/store"
)

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestReplayEditErrorsAre400 is the review's finding 12 through the real
// route table: an edit the client got wrong, and an exchange that has
// nothing to replay (an imported one without an event, 113 of 150 fuzzed
// imports), are answered 400 with the reason, and log no ERROR: nothing
// failed on the server's side.
func TestReplayEditErrorsAre400(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "gs.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	at := time.Date(2026, 11, 29, 18, 0, 0, 0, time.UTC)
	viaAPI := &exchange.Exchange{ID: exchange.NewID(at), Session: "s", StartedAt: at, RouteKey: "GET /hi", Outcome: exchange.OutcomeOK,
		Request: exchange.HTTPRequest{Method: "GET", URL: "/hi"}, Response: exchange.HTTPResponse{Status: 200}}
	noEvent := &exchange.Exchange{ID: exchange.NewID(at.Add(time.Second)), Session: "s", StartedAt: at.Add(time.Second),
		Outcome: exchange.OutcomeOK, Request: exchange.HTTPRequest{Method: "POST", URL: "/x"},
		Function: exchange.FunctionCall{Name: "Fn"}, Response: exchange.HTTPResponse{Status: 200}}
	if err := db.InsertExchanges(t.Context(), []*exchange.Exchange{viaAPI, noEvent}); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	// No gateway and no invoker: each refusal must come before either is
	// needed.
	rp := replay.New(db, nil, nil, func() string { return "replays" }, nil)
	srv := uitest.Server(t, db, rp, ui.Deps{Logger: logger})

	for _, tt := range []struct {
		name, id, body, want string
	}{
		{"path without a slash", viaAPI.ID, `{"request":{"path":"no-slash"}}`, `path \"no-slash\" must start with /`},
		{"no Lambda event to replay", noEvent.ID, ``, "has no Lambda event to replay"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", srv.URL+"/api/exchanges/"+tt.id+"/replay", strings.NewReader(tt.body))
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), tt.want) {
				t.Errorf("%d %s, want 400 with %q", resp.StatusCode, b, tt.want)
			}
		})
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("client errors logged as server faults:\n%s", logs.String())
	}
	if rs, _ := rp.Replays(t.Context(), noEvent.ID); len(rs) != 0 {
		t.Errorf("a refused replay stored %d exchanges", len(rs))
	}
}
