package replay_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/httpio"
	"github.com/gatescope/gatescope/server/replay"
	"github.com/gatescope/gatescope/server/replay/replaytest"
	"github.com/gatescope/gatescope/server/ui"
	"github.com/gatescope/gatescope/server/ui/uitest"
	"github.com/gatescope/gatescope/store"
)

// TestRemoteReplayNeedsConfirmation: a replay that would invoke a deployed
// function (an ARN of another account, as a target or as an imported
// exchange's own function) is refused with 400 unless the request itself
// confirms it; local targets need nothing. Nothing reaches AWS here: the
// refusals happen before any invoke, and the confirmed ones fail to reach
// an endpoint that does not exist.
func TestRemoteReplayNeedsConfirmation(t *testing.T) {
	const arn = "arn:aws:lambda:us-east-1:999999999999:function:prod-payments"
	t.Setenv("AWS_ENDPOINT_URL_LAMBDA", "http://127.0.0.1:1") // nothing listens: a confirmed invoke fails fast
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "example")
	app := replaytest.NewApp(t, "Api", "v1")
	db := replaytest.OpenDB(t)
	s := replaytest.Start(t, app, db, "s")
	xs := replaytest.Capture(t, s, db, "/ok")
	// An imported exchange that names a deployed function itself.
	imported := &exchange.Exchange{ID: exchange.NewID(xs[0].StartedAt), Session: xs[0].Session, StartedAt: xs[0].StartedAt,
		Event: json.RawMessage(`{"action":"refund"}`), Function: exchange.FunctionCall{Name: arn}, Outcome: exchange.OutcomeOK}
	if err := db.InsertExchanges(context.Background(), []*exchange.Exchange{imported}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	if s.Replayer.Remote("Api") || s.Replayer.Remote("arn:aws:lambda:us-east-1:123456789012:function:Api") || !s.Replayer.Remote(arn) {
		t.Error("Remote: a local name or a local account's ARN is local, another account's ARN is remote")
	}
	for _, tt := range []struct {
		name string
		id   string
		edit replay.Edit
		want error // nil: runs (and fails later, or not, on its own)
	}{
		{"remote target", xs[0].ID, replay.Edit{Target: arn}, replay.ErrConfirmRemote},
		{"remote target, edited event", xs[0].ID, replay.Edit{Target: arn, Event: json.RawMessage(`{}`)}, replay.ErrConfirmRemote},
		{"imported remote function", imported.ID, replay.Edit{}, replay.ErrConfirmRemote},
		{"imported remote function, local target", imported.ID, replay.Edit{Target: "Api"}, nil},
		{"local target", xs[0].ID, replay.Edit{Target: "local"}, nil},
		{"confirmed", xs[0].ID, replay.Edit{Target: arn, ConfirmRemote: true}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Replayer.Replay(ctx, tt.id, tt.edit)
			if tt.want == nil && errors.Is(err, replay.ErrConfirmRemote) || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			if tt.want != nil && httpio.Status(err) != http.StatusBadRequest {
				t.Errorf("status %d", httpio.Status(err))
			}
		})
	}
	if _, err := s.Replayer.ReplaySession(ctx, "s", replay.SessionOptions{Target: arn}); !errors.Is(err, replay.ErrConfirmRemote) {
		t.Errorf("session replay against a deployed function: %v", err)
	}
	// Unconfirmed, the session's imported exchange is refused in its result.
	rep, err := s.Replayer.ReplaySession(ctx, "s", replay.SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if r.Original.ID == imported.ID && !strings.Contains(r.Error, "confirmRemote") {
			t.Errorf("imported remote exchange: error %q", r.Error)
		}
	}

	// Over the JSON API: 400 naming the target, then confirmed in the body.
	before := countReplays(t, db, xs[0].ID)
	srv := uitest.Server(t, db, s.Replayer, ui.Deps{})
	post := func(path, body string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		return resp.StatusCode, m
	}
	code, m := post("/api/exchanges/"+xs[0].ID+"/replay", `{"target":"`+arn+`"}`)
	if code != 400 || m["confirmRemote"] != arn || !strings.Contains(m["error"].(string), "AWS credentials") {
		t.Errorf("unconfirmed replay: %d %v", code, m)
	}
	code, m = post("/api/sessions/s/replay", `{"target":"`+arn+`"}`)
	if code != 400 || m["confirmRemote"] != arn {
		t.Errorf("unconfirmed session replay: %d %v", code, m)
	}
	if n := countReplays(t, db, xs[0].ID); n != before {
		t.Errorf("%d replays stored by refused requests", n-before)
	}
	code, m = post("/api/exchanges/"+xs[0].ID+"/replay", `{"target":"`+arn+`","confirmRemote":true}`)
	if code != 200 || m["replayOf"] != xs[0].ID {
		t.Errorf("confirmed replay: %d %v", code, m)
	}
}

func countReplays(t *testing.T, db *store.DB, id string) int {
	t.Helper()
	xs, _, err := db.Exchanges(context.Background(), store.Filter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range xs {
		if x.ReplayOf == id {
			n++
		}
	}
	return n
}
