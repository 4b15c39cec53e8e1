package replay_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gatescope/gatescope/server/replay"
	"github.com/gatescope/gatescope/server/replay/replaytest"
	"github.com/gatescope/gatescope/server/ui"
	"github.com/gatescope/gatescope/server/ui/uitest"
)

func TestAPI(t *testing.T) {
	app := replaytest.NewApp(t, "Api", "broken")
	db := replaytest.OpenDB(t)
	s := replaytest.Start(t, app, db, "bug-123")
	xs := replaytest.Capture(t, s, db, "/hello", "/ok")
	s.Manager.Close()
	app.SetVersion(t, "fixed")
	s = replaytest.Start(t, app, db, "replays")

	srv := uitest.Server(t, db, s.Replayer, ui.Deps{})

	call := func(t *testing.T, method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("content type %q", ct)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
		return resp.StatusCode, m
	}

	// Invalid bodies are refused before anything is replayed.
	bad := []struct{ name, body, want string }{
		{"syntax", `{"onlyFailed":`, "invalid body: the JSON ends too early"},
		{"unknown field", `{"only":"failed"}`, `unknown field "only"`},
		{"wrong type", `{"concurrency":"8"}`, `field "concurrency" must be int`},
		{"trailing data", `{} {}`, "unexpected data"},
		{"concurrency", `{"concurrency":1000}`, "concurrency 1000"},
	}
	for _, tt := range bad {
		t.Run("400 "+tt.name, func(t *testing.T) {
			code, m := call(t, "POST", "/api/sessions/bug-123/replay", tt.body)
			if code != 400 || !strings.Contains(m["error"].(string), tt.want) {
				t.Errorf("%d %v", code, m)
			}
		})
	}
	// The same for one exchange's replay: a bad edit replays nothing.
	badEdits := []struct{ name, body, want string }{
		{"syntax", `{"request":`, "the JSON ends too early"},
		{"syntax in event", `{"event": {nope}}`, "invalid character"},
		{"not an object", `[1]`, "want a JSON object"},
		{"wrong type", `{"target": 3}`, `field "target"`},
		{"unknown field", `{"evnt":{}}`, `unknown field "evnt"`},
		{"trailing data", `{} {}`, "after the JSON"},
		{"request and event", `{"request":{},"event":{}}`, "not both"},
		{"relative path", `{"request":{"path":"hello"}}`, "must start with /"},
	}
	for _, tt := range badEdits {
		t.Run("400 edit "+tt.name, func(t *testing.T) {
			code, m := call(t, "POST", "/api/exchanges/"+xs[0].ID+"/replay", tt.body)
			if code != 400 || !strings.Contains(m["error"].(string), tt.want) {
				t.Errorf("%d %v", code, m)
			}
		})
	}
	if rs, _ := s.Replayer.Replays(t.Context(), xs[0].ID); len(rs) != 0 {
		t.Fatalf("a refused request replayed %d exchanges", len(rs))
	}
	if code, m := call(t, "POST", "/api/exchanges/nope/replay", ""); code != 404 {
		t.Errorf("replay of an unknown exchange: %d %v", code, m)
	}

	code, m := call(t, "POST", "/api/sessions/nope/replay", "")
	if code != 404 {
		t.Errorf("unknown session: %d %v", code, m)
	}

	code, m = call(t, "POST", "/api/sessions/bug-123/replay", `{"onlyFailed":true,"concurrency":2,"ignore":["x-version"]}`)
	if code != 200 {
		t.Fatalf("%d %v", code, m)
	}
	var rep replay.SessionReport
	b, _ := json.Marshal(m)
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Counts != (replay.Counts{NewlyPassing: 1}) || len(rep.Results) != 1 || rep.Results[0].Diff.Has("headers.X-Version") {
		t.Fatalf("report %+v", rep)
	}
	replayID := rep.Results[0].Replay.ID

	tests := []struct {
		name, path string
		code       int
		check      func(t *testing.T, m map[string]any)
	}{
		{"diff", "/api/exchanges/" + xs[0].ID + "/diff?against=" + replayID, 200, func(t *testing.T, m map[string]any) {
			if m["class"] != "newly passing" || m["replay"] != replayID || len(m["changes"].([]any)) == 0 {
				t.Errorf("diff %v", m)
			}
		}},
		{"diff of the newest replay", "/api/exchanges/" + xs[0].ID + "/diff?ignore=status,outcome&ignore=body", 200, func(t *testing.T, m map[string]any) {
			if m["replay"] != replayID || len(m["changes"].([]any)) != 1 {
				t.Errorf("diff %v", m)
			}
		}},
		{"diff without replays", "/api/exchanges/" + xs[1].ID + "/diff", 404, nil},
		{"diff against unknown", "/api/exchanges/" + xs[0].ID + "/diff?against=nope", 404, nil},
		{"replays", "/api/exchanges/" + xs[0].ID + "/replays", 200, func(t *testing.T, m map[string]any) {
			rs := m["replays"].([]any)
			if len(rs) != 1 || rs[0].(map[string]any)["replayOf"] != xs[0].ID {
				t.Errorf("replays %v", m)
			}
		}},
		{"no replays", "/api/exchanges/" + xs[1].ID + "/replays", 200, func(t *testing.T, m map[string]any) {
			if rs, ok := m["replays"].([]any); !ok || len(rs) != 0 {
				t.Errorf("replays %v", m)
			}
		}},
		{"replays of unknown", "/api/exchanges/nope/replays", 404, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, m := call(t, "GET", tt.path, "")
			if code != tt.code {
				t.Fatalf("%d %v", code, m)
			}
			if tt.check != nil {
				tt.check(t, m)
			}
		})
	}
}
