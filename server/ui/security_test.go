package ui_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/lambda"
	"github.com/gatescope/gatescope/server/lambdaapi"
	"github.com/gatescope/gatescope/server/replay"
	"github.com/gatescope/gatescope/server/ui"
	"github.com/gatescope/gatescope/server/ui/uitest"
	"github.com/gatescope/gatescope/store"
)

// invokes counts the functions run, standing in for lambda.Manager (the
// Lambda API's other reads are not called here).
type invokes struct {
	lambdaapi.Service
	mu    sync.Mutex
	names []string
}

func (c *invokes) Invoke(_ context.Context, name string, _ lambda.Request) (*lambda.Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.names = append(c.names, name)
	return &lambda.Result{RequestID: "r1", Payload: []byte(`{"ok":true}`), Target: "local"}, nil
}

// Function knows one function, Echo, as the Lambda API looks it up.
func (c *invokes) Function(name string) *config.Function {
	if name == "Echo" {
		return &config.Function{Name: "Echo"}
	}
	return nil
}

func (c *invokes) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.names)
}

// rig is the UI address over a store holding one direct invoke of Echo
// (replayable straight to the function) in session "s".
type rig struct {
	srv     *httptest.Server
	db      *store.DB
	fn      *invokes
	x       *exchange.Exchange
	session string
}

func newRig(t *testing.T, token string) *rig {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "gs.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	at := time.Date(2026, 11, 29, 18, 0, 0, 0, time.UTC)
	x := &exchange.Exchange{ID: exchange.NewID(at), Session: "s", StartedAt: at,
		Request: exchange.HTTPRequest{Method: "POST", URL: "/2015-03-31/functions/Echo/invocations"},
		Event:   json.RawMessage(`{"rawPath":"/orig"}`), Function: exchange.FunctionCall{Name: "Echo", Target: "local"},
		Response: exchange.HTTPResponse{Status: 200}, Outcome: exchange.OutcomeOK}
	if err := db.InsertExchanges(context.Background(), []*exchange.Exchange{x}); err != nil {
		t.Fatal(err)
	}
	sess, err := db.Session(context.Background(), "s")
	if err != nil {
		t.Fatal(err)
	}
	fn := &invokes{}
	logger := slog.New(slog.DiscardHandler)
	rp := replay.New(db, nil, fn, func() string { return sess.ID }, nil)
	srv := uitest.Server(t, db, rp, ui.Deps{Token: token,
		Lambda: lambdaapi.New(logger, fn, nil)})
	return &rig{srv: srv, db: db, fn: fn, x: x, session: sess.ID}
}

// attempts are what finding 1 of the review did from another site: run a
// function, import a session with ids of the page's choosing, replay
// (against a deployed ARN, "confirmed"), share, annotate, delete.
func (g *rig) attempts() []attempt {
	const arn = "arn:aws:lambda:us-east-1:999999999999:function:prod-payments"
	importDoc := `{"format":"gatescope/v1","exchanges":[{"id":"CSRFKNOWNID000000000000001","routeKey":"",` +
		`"request":{"method":"POST","url":"/x","headers":{}},"event":{"planted":true},"function":{"name":"Echo"},` +
		`"response":{"status":200},"outcome":"ok","startedAt":"2026-11-29T18:00:00Z"}]}`
	return []attempt{
		{"invoke a function", "POST", "/2015-03-31/functions/Echo/invocations", `{"rawPath":"/csrf"}`, 200},
		{"import a session", "POST", "/api/import?session=csrf-attacker", importDoc, 200},
		{"replay an exchange", "POST", "/api/exchanges/" + g.x.ID + "/replay", `{"event":{"planted":true}}`, 200},
		{"replay against a deployed function", "POST", "/api/exchanges/" + g.x.ID + "/replay",
			`{"target":"` + arn + `","event":{"refund":1000000}}`, 400}, // allowed through, then asks for confirmation
		{"replay a session", "POST", "/api/sessions/" + g.session + "/replay", `{"onlyFailed":false}`, 200},
		{"create a share link", "POST", "/api/sessions/" + g.session + "/share", ``, 201},
		{"star", "PUT", "/api/exchanges/" + g.x.ID + "/star", ``, 200},
		{"note", "PUT", "/api/exchanges/" + g.x.ID + "/note", `{"note":"pwned"}`, 200},
		{"session note", "PATCH", "/api/sessions/" + g.session, `{"note":"pwned"}`, 200},
		{"delete the session", "DELETE", "/api/sessions/" + g.session, ``, 204},
	}
}

type attempt struct {
	name, method, path, body string
	ok                       int // the status when allowed
}

func (g *rig) do(t *testing.T, a attempt, host string, header map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(a.method, g.srv.URL+a.path, strings.NewReader(a.body))
	if host != "" {
		req.Host = host
	}
	for k, v := range header {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// state is everything the attempts could change.
type state struct {
	Invokes, Exchanges, Shares int
	Attacker, Starred          bool
	Note, SessionNote          string
}

func (g *rig) state(t *testing.T) state {
	t.Helper()
	ctx := context.Background()
	xs, _, err := g.db.Exchanges(ctx, store.Filter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	s := state{Invokes: g.fn.count(), Exchanges: len(xs), Shares: countShares(t, g.db.Path())}
	_, err = g.db.Session(ctx, "csrf-attacker")
	s.Attacker = err == nil
	if x, err := g.db.Exchange(ctx, g.x.ID); err == nil {
		s.Starred, s.Note = x.Starred, x.Note
	}
	if sess, err := g.db.Session(ctx, g.session); err == nil {
		s.SessionNote = sess.Note
	} else {
		s.SessionNote = "(deleted)"
	}
	return s
}

// countShares counts share links in the database file itself: no API lists
// them.
func countShares(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM shares`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCrossSiteRequestsAreRefused is findings 1, 2 and 6 at the HTTP level:
// every state-changing or code-running request a page of another site (or
// of another port of this host, or a rebound domain) can make a browser
// send is refused, and nothing changed; the same requests from the
// dashboard's own pages and from clients that are not browsers work.
func TestCrossSiteRequestsAreRefused(t *testing.T) {
	g := newRig(t, "")
	own := "http://" + g.srv.Listener.Addr().String()
	port := g.srv.URL[strings.LastIndexByte(g.srv.URL, ':')+1:]
	before := g.state(t)
	hostile := []struct {
		name   string
		host   string
		header map[string]string
		want   int
	}{
		{"another site's no-cors fetch or form", "", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors",
			"Origin": "http://evil.example", "Content-Type": "text/plain"}, http.StatusForbidden},
		{"a page on another port of this host", "", map[string]string{"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "no-cors",
			"Origin": "http://127.0.0.1:8000", "Content-Type": "text/plain"}, http.StatusForbidden},
		{"a browser without fetch metadata, another site", "", map[string]string{"Origin": "http://evil.example",
			"Content-Type": "text/plain"}, http.StatusForbidden},
		{"a rebound domain, same-origin to the browser", "evil.example:" + port, map[string]string{"Sec-Fetch-Site": "same-origin",
			"Origin": "http://evil.example:" + port, "Content-Type": "application/json"}, http.StatusMisdirectedRequest},
	}
	for _, h := range hostile {
		for _, a := range g.attempts() {
			t.Run(h.name+"/"+a.name, func(t *testing.T) {
				code, body := g.do(t, a, h.host, h.header)
				if code != h.want {
					t.Errorf("%d, want %d: %s", code, h.want, body)
				}
			})
		}
	}
	if after := g.state(t); after != before {
		t.Errorf("refused requests changed the server:\nbefore %+v\nafter  %+v", before, after)
	}

	allowed := []struct {
		name   string
		header func(a attempt) map[string]string
	}{
		{"the dashboard's own page", func(a attempt) map[string]string {
			ct := "application/json"
			if a.body == "" {
				ct = ""
			}
			return map[string]string{"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors", "Origin": own, "Content-Type": ct}
		}},
		{"the CLI, curl and the SDKs", func(a attempt) map[string]string {
			switch {
			case a.body == "":
				return nil
			case strings.HasPrefix(a.path, "/api/") && !strings.HasPrefix(a.path, "/api/import"):
				return map[string]string{"Content-Type": "application/json"}
			}
			return map[string]string{"Content-Type": "application/x-www-form-urlencoded"} // curl --data
		}},
	}
	for _, al := range allowed {
		t.Run(al.name, func(t *testing.T) {
			g := newRig(t, "")
			for _, a := range g.attempts() {
				if code, body := g.do(t, a, "", al.header(a)); code != a.ok {
					t.Errorf("%s: %d, want %d: %s", a.name, code, a.ok, body)
				}
			}
			s := g.state(t)
			// The invoke, the replay and the session replay (of its one
			// original) ran; the deployed ARN was not invoked without
			// confirmation; the share link went with its session.
			if s.Invokes != 3 || !s.Attacker || s.Shares != 0 || s.SessionNote != "(deleted)" {
				t.Errorf("state after the allowed requests: %+v", s)
			}
		})
	}
}

// TestJSONBodiesMustSayJSON: the JSON API takes no text/plain body even from
// a client that is not a browser; an empty body needs no type.
func TestJSONBodiesMustSayJSON(t *testing.T) {
	g := newRig(t, "")
	a := attempt{"replay", "POST", "/api/exchanges/" + g.x.ID + "/replay", `{"event":{}}`, 0}
	if code, body := g.do(t, a, "", map[string]string{"Content-Type": "text/plain"}); code != http.StatusUnsupportedMediaType ||
		!strings.Contains(body, "application/json") {
		t.Errorf("text/plain: %d %s", code, body)
	}
	a.body = ""
	if code, body := g.do(t, a, "", nil); code != http.StatusOK {
		t.Errorf("empty body: %d %s", code, body)
	}
	if g.fn.count() != 1 {
		t.Errorf("%d invokes, want 1", g.fn.count())
	}
}

// TestRebinding is finding 2: a rebound domain reaches the listener with its
// own name as Host and reads nothing: not the exchanges, not an export
// without redaction, not the live feed, not a page.
func TestRebinding(t *testing.T) {
	g := newRig(t, "")
	port := g.srv.URL[strings.LastIndexByte(g.srv.URL, ':')+1:]
	for _, path := range []string{"/api/exchanges?limit=1", "/api/sessions/" + g.session + "/export?format=json&redact=0",
		"/api/live", "/", "/exchanges/" + g.x.ID, "/static/app.js"} {
		for _, host := range []string{"evil.example:" + port, "evil.example", "localhost.evil.example:" + port} {
			code, body := g.do(t, attempt{method: "GET", path: path}, host, map[string]string{"Origin": "http://" + host})
			if code != http.StatusMisdirectedRequest || strings.Contains(body, g.x.ID) || !strings.Contains(body, "--allowed-host") {
				t.Errorf("GET %s with Host %s: %d %.200s", path, host, code, body)
			}
		}
		if code, _ := g.do(t, attempt{method: "GET", path: path}, "localhost:"+port, nil); code == http.StatusMisdirectedRequest {
			t.Errorf("GET %s with Host localhost: refused", path)
		}
	}
}

// TestTokenMode is finding 6: beyond loopback the token cookie reaches pages
// on every port of the host, and those pages' requests are refused anyway;
// the dashboard's own page with the cookie, and the AWS CLI signing with
// the token as its access key id, get through.
func TestTokenMode(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef"
	g := newRig(t, token)
	own := "http://" + g.srv.Listener.Addr().String()
	invoke := attempt{"invoke", "POST", "/2015-03-31/functions/Echo/invocations", `{"rawPath":"/tok"}`, 200}
	cookie := "gatescope_token=" + token
	sigv4 := func(key string) string {
		return "AWS4-HMAC-SHA256 Credential=" + key + "/20261129/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
	}
	tests := []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"a page on another port, with the cookie", map[string]string{"Cookie": cookie, "Sec-Fetch-Site": "same-site",
			"Origin": "http://127.0.0.1:8000", "Content-Type": "text/plain"}, http.StatusForbidden},
		{"an old browser on another port, with the cookie", map[string]string{"Cookie": cookie,
			"Origin": "http://127.0.0.1:8000"}, http.StatusForbidden},
		{"no token", nil, http.StatusUnauthorized},
		{"the AWS CLI with another key", map[string]string{"Authorization": sigv4("AKIAIOSFODNN7EXAMPLE"), "X-Amz-Date": "20261129T180000Z"}, http.StatusUnauthorized},
		{"the dashboard's page, with the cookie", map[string]string{"Cookie": cookie, "Sec-Fetch-Site": "same-origin", "Origin": own}, 200},
		{"the AWS CLI, token as access key id", map[string]string{"Authorization": sigv4(token), "X-Amz-Date": "20261129T180000Z"}, 200},
		{"curl with a bearer token", map[string]string{"Authorization": "Bearer " + token}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := g.fn.count()
			code, body := g.do(t, invoke, "", tt.header)
			if code != tt.want {
				t.Errorf("%d, want %d: %s", code, tt.want, body)
			}
			if ran := g.fn.count() - n; (ran == 1) != (tt.want == 200) {
				t.Errorf("%d invokes", ran)
			}
		})
	}
}
