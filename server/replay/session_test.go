package replay_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/httpio"
	"github.com/gatescope/gatescope/server/lambda"
	"github.com/gatescope/gatescope/server/lambdaapi"
	"github.com/gatescope/gatescope/server/replay"
	"github.com/gatescope/gatescope/server/replay/replaytest"
)

// TestReplaySession captures traffic of a real Node.js function, rewrites
// the function's code on disk and replays the session with a new stack, as
// `gatescope replay` does after a fix.
func TestReplaySession(t *testing.T) {
	tests := []struct {
		name     string
		captured string // function version at capture
		replayed string // and at replay
		opts     replay.SessionOptions
		want     replay.Counts
		// wantPaths are the changed paths of the /hello replay; "" for none.
		wantPaths string
		wantClass replay.Class
	}{
		{
			name: "fixed function is newly passing", captured: "broken", replayed: "v2",
			want:      replay.Counts{Same: 2, NewlyPassing: 1},
			wantPaths: "status outcome headers.X-Version body.greeting body.items body.message body.nonce",
			wantClass: replay.ClassNewlyPassing,
		},
		{
			name: "only failed", captured: "broken", replayed: "v2", opts: replay.SessionOptions{OnlyFailed: true, Concurrency: 4},
			want: replay.Counts{NewlyPassing: 1}, wantClass: replay.ClassNewlyPassing,
			wantPaths: "status outcome headers.X-Version body.greeting body.items body.message body.nonce",
		},
		{
			name: "changed body is diffed by path, volatile fields ignored", captured: "v1", replayed: "v2",
			opts:      replay.SessionOptions{Concurrency: 8},
			want:      replay.Counts{Same: 2, Changed: 1},
			wantPaths: "headers.X-Version body.greeting body.items[1].name", wantClass: replay.ClassChanged,
		},
		{
			name: "ignore list", captured: "v1", replayed: "v2",
			opts:      replay.SessionOptions{Concurrency: 2, Ignore: []string{"x-version", "body.items[*].name", "greeting"}},
			want:      replay.Counts{Same: 3},
			wantClass: replay.ClassSame,
		},
		{
			name: "unchanged code", captured: "v1", replayed: "v1",
			want: replay.Counts{Same: 3}, wantClass: replay.ClassSame,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			app := replaytest.NewApp(t, "Api", tt.captured)
			db := replaytest.OpenDB(t)
			capt := replaytest.Start(t, app, db, "bug-123")
			xs := replaytest.Capture(t, capt, db, "/ok", "/hello", "/ok")
			capt.Manager.Close()

			app.SetVersion(t, tt.replayed)
			rs := replaytest.Start(t, app, db, "replays")
			rep, err := rs.Replayer.ReplaySession(ctx, "bug-123", tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Counts != tt.want {
				t.Errorf("counts %+v, want %+v", rep.Counts, tt.want)
			}
			if rep.Name != "bug-123" || rep.Session != capt.Session.ID || rep.RecordedIn != rs.Session.ID {
				t.Errorf("report names session %q %q, recorded in %q", rep.Name, rep.Session, rep.RecordedIn)
			}
			want := xs
			if tt.opts.OnlyFailed {
				want = xs[1:2]
			}
			if len(rep.Results) != len(want) {
				t.Fatalf("%d results, want %d", len(rep.Results), len(want))
			}
			for i, r := range rep.Results {
				if r.Original.ID != want[i].ID {
					t.Errorf("result %d is %s, want %s (oldest first)", i, r.Original.ID, want[i].ID)
				}
				if r.Error != "" || r.Replay == nil || r.Replay.ReplayOf != r.Original.ID || r.Replay.Session != rs.Session.ID {
					t.Fatalf("result %d: error %q replay %+v", i, r.Error, r.Replay)
				}
				stored, err := db.Exchange(ctx, r.Replay.ID)
				if err != nil || stored.ReplayOf != r.Original.ID {
					t.Errorf("replay %s not stored with replayOf: %v", r.Replay.ID, err)
				}
				if !strings.HasPrefix(r.Original.Request.URL, "/hello") {
					if !r.Diff.Same() {
						t.Errorf("/ok changed:\n%s", r.Diff.Text())
					}
					continue
				}
				if r.Diff.Class != tt.wantClass {
					t.Errorf("class %q, want %q", r.Diff.Class, tt.wantClass)
				}
				var paths []string
				for _, c := range r.Diff.Changes {
					paths = append(paths, c.Path)
				}
				if got := strings.Join(paths, " "); got != tt.wantPaths {
					t.Errorf("changed paths\n got %s\nwant %s\n%s", got, tt.wantPaths, r.Diff.Text())
				}
			}
			// Replays are not replayed again.
			again, err := rs.Replayer.ReplaySession(ctx, "replays", replay.SessionOptions{})
			if err != nil || len(again.Results) != 0 {
				t.Errorf("replaying the replays session: %v, %d results", err, len(again.Results))
			}
		})
	}
}

func TestReplaySessionErrors(t *testing.T) {
	app := replaytest.NewApp(t, "Api", "v1")
	db := replaytest.OpenDB(t)
	s := replaytest.Start(t, app, db, "s")
	if _, err := s.Replayer.ReplaySession(context.Background(), "no-such-session", replay.SessionOptions{}); err == nil || httpio.Status(err) != 404 {
		t.Errorf("unknown session: %v (status %d)", err, httpio.Status(err))
	}
	rep, err := s.Replayer.ReplaySession(context.Background(), "s", replay.SessionOptions{})
	if err != nil || len(rep.Results) != 0 || rep.Counts != (replay.Counts{}) {
		t.Errorf("empty session: %v %+v", err, rep)
	}
	ctx, cancel := context.WithCancel(context.Background())
	replaytest.Capture(t, s, db, "/ok", "/ok")
	cancel()
	if _, err := s.Replayer.ReplaySession(ctx, "s", replay.SessionOptions{}); httpio.Status(err) != 499 {
		t.Errorf("cancelled: %v", err)
	}
}

// TestReplayEditedEvent replays a captured event, edited, straight to the
// function and diffs the answer.
func TestReplayEditedEvent(t *testing.T) {
	app := replaytest.NewApp(t, "Api", "v1")
	db := replaytest.OpenDB(t)
	s := replaytest.Start(t, app, db, "s")
	orig := replaytest.Capture(t, s, db, "/hello")[0]

	var ev map[string]any
	if err := json.Unmarshal(orig.Event, &ev); err != nil {
		t.Fatal(err)
	}
	ev["queryStringParameters"] = map[string]string{"name": "edited"}
	edited, _ := json.Marshal(ev)

	tests := []struct {
		name      string
		edit      replay.Edit
		wantErr   int
		wantPaths string
	}{
		{name: "edited event", edit: replay.Edit{Event: edited}, wantPaths: "output.body.greeting"},
		{name: "edited request", edit: replay.Edit{Request: &replay.RequestEdit{Query: ptr("name=edited")}}, wantPaths: "body.greeting"},
		{name: "invalid event JSON", edit: replay.Edit{Event: []byte(`{"rawPath":`)}, wantErr: 400},
		{name: "bad path", edit: replay.Edit{Request: &replay.RequestEdit{Path: "hello"}}, wantErr: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := s.Replayer.ReplayOne(context.Background(), orig.ID, tt.edit, nil)
			if tt.wantErr != 0 {
				if httpio.Status(err) != tt.wantErr {
					t.Fatalf("err %v, want status %d", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var paths []string
			for _, c := range res.Diff.Changes {
				paths = append(paths, c.Path)
			}
			if got := strings.Join(paths, " "); got != tt.wantPaths {
				t.Errorf("paths\n got %s\nwant %s\n%s", got, tt.wantPaths, res.Diff.Text())
			}
			if !strings.Contains(res.Diff.Text(), "edited") {
				t.Errorf("the diff does not show the edit:\n%s", res.Diff.Text())
			}
			if res.Replay.ReplayOf != orig.ID {
				t.Errorf("replayOf %q", res.Replay.ReplayOf)
			}
		})
	}
	// The history lists the replays newest first, and DiffOf defaults to
	// the newest.
	rs, err := s.Replayer.Replays(context.Background(), orig.ID)
	if err != nil || len(rs) != 2 {
		t.Fatalf("replays: %v %d", err, len(rs))
	}
	d, _, rep, err := s.Replayer.DiffOf(context.Background(), orig.ID, "", nil)
	if err != nil || rep.ID != rs[0].ID || !d.Has("body.greeting") {
		t.Errorf("DiffOf newest: %v %+v", err, d)
	}
}

func ptr[T any](v T) *T { return &v }

// TestReplayAgainstDeployed replays through the gateway against a function
// "deployed" in another account: the ARN is invoked with aws-sdk-go-v2 at
// AWS_ENDPOINT_URL_LAMBDA, a second gatescope's Invoke API.
func TestReplayAgainstDeployed(t *testing.T) {
	const arn = "arn:aws:lambda:us-east-1:210987654321:function:Hello"
	deployed := replaytest.NewApp(t, "Hello", "deployed")
	project, err := config.Load(deployed.Template, config.Options{AccountID: "210987654321"})
	if err != nil {
		t.Fatal(err)
	}
	far := lambda.New(replaytest.Logger(), project, lambda.Options{CacheDir: t.TempDir()})
	t.Cleanup(far.Close)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations",
		lambdaapi.New(replaytest.Logger(), far, nil).Invoke)
	invokeAPI := httptest.NewServer(mux)
	t.Cleanup(invokeAPI.Close)
	t.Setenv("AWS_ENDPOINT_URL_LAMBDA", invokeAPI.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_PROFILE", "")

	app := replaytest.NewApp(t, "Api", "v1")
	db := replaytest.OpenDB(t)
	s := replaytest.Start(t, app, db, "s")
	replaytest.Capture(t, s, db, "/hello", "/ok")

	rep, err := s.Replayer.ReplaySession(context.Background(), "s", replay.SessionOptions{Target: arn, Concurrency: 2, ConfirmRemote: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts != (replay.Counts{Same: 1, Changed: 1}) || rep.Target != arn {
		t.Fatalf("counts %+v target %q", rep.Counts, rep.Target)
	}
	r := rep.Results[0]
	if r.Replay.Function.Target != arn || r.Replay.Function.Name != arn {
		t.Errorf("replay ran %q (target %q), want the deployed ARN", r.Replay.Function.Name, r.Replay.Function.Target)
	}
	if !r.Diff.Has("body.greeting") || !strings.Contains(r.Diff.Text(), `+ "hi world from deployed"`) {
		t.Errorf("diff:\n%s", r.Diff.Text())
	}
	if !strings.Contains(r.Replay.Logs, "REPORT RequestId") {
		t.Errorf("remote log tail missing: %q", r.Replay.Logs)
	}
	_ = io.Discard
}
