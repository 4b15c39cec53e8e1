package live

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gorilla/websocket"
)

func startHub(t *testing.T, opts ...HubOption) (*Hub, *httptest.Server) {
	t.Helper()
	h := NewHub(slog.New(slog.DiscardHandler), opts...)
	ctx, cancel := context.WithCancel(context.Background())
	go h.Run(ctx)
	srv := httptest.NewServer(http.HandlerFunc(h.ServeWS))
	t.Cleanup(func() { srv.Close(); cancel(); <-h.done })
	return h, srv
}

func dial(t *testing.T, srv *httptest.Server, query string) *websocket.Conn {
	t.Helper()
	hdr := http.Header{"Origin": {srv.URL}}
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+query, hdr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func waitClients(t *testing.T, h *Hub, n int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for h.clients.Load() != n {
		if time.Now().After(deadline) {
			t.Fatalf("hub has %d clients, want %d", h.clients.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// readFrame reads the next frame as raw JSON and its type.
func readFrame(t *testing.T, c *websocket.Conn) (string, []byte) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	var head struct{ Type string }
	if err := json.Unmarshal(b, &head); err != nil {
		t.Fatalf("frame %s: %v", b, err)
	}
	return head.Type, b
}

// readMsg reads the next exchanges frame, skipping stats frames.
func readMsg(t *testing.T, c *websocket.Conn) Message {
	t.Helper()
	for {
		typ, b := readFrame(t, c)
		if typ == "stats" {
			continue
		}
		var m Message
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("frame %s: %v", b, err)
		}
		return m
	}
}

// readStats reads the next frame, which must be a stats frame.
func readStats(t *testing.T, c *websocket.Conn) StatsMessage {
	t.Helper()
	typ, b := readFrame(t, c)
	if typ != "stats" {
		t.Fatalf("got %s, want a stats frame", b)
	}
	var m StatsMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("frame %s: %v", b, err)
	}
	return m
}

func TestHubBroadcastsInOrder(t *testing.T) {
	h, srv := startHub(t, WithCounts(func() Counts { return Counts{Captured: 3, Dropped: 7} }))
	h.Publish([]*exchange.Exchange{ex(0)}) // nobody connected: no work, not queued
	a, b := dial(t, srv, ""), dial(t, srv, "")
	waitClients(t, h, 2)

	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range 3 {
		x := ex(i)
		x.Session, x.StartedAt, x.Request.Method, x.Request.URL = "s1", at, "GET", "/hi?x=1"
		x.RouteKey, x.Response.Status, x.Outcome, x.DurationMs = "GET /hi", 200, "ok", 1.5
		x.Function.Cold, x.Function.Name, x.Explanation = true, "Fn", "fine"
		h.Publish([]*exchange.Exchange{x})
	}
	for _, c := range []*websocket.Conn{a, b} {
		for i := range 3 {
			m := readMsg(t, c)
			want := Summary{ID: ex(i).ID, Session: "s1", StartedAt: at, Method: "GET", URL: "/hi?x=1",
				RouteKey: "GET /hi", Status: 200, Outcome: "ok", Failed: false, DurationMs: 1.5, Cold: true,
				Function: "Fn", Explanation: "fine"}
			if m.Type != "exchanges" || len(m.Items) != 1 || m.Items[0] != want || m.Dropped != 7 {
				t.Fatalf("message %d = %+v, want one item %+v, dropped 7", i, m, want)
			}
		}
	}
}

// TestHubDropsSlowClient: a client that never reads is dropped once its
// buffer is full, while a reading client gets every batch.
func TestHubDropsSlowClient(t *testing.T) {
	h, srv := startHub(t)
	fast := dial(t, srv, "")
	slow := dial(t, srv, "")
	_ = slow // never read
	waitClients(t, h, 2)

	big := strings.Repeat("x", 64<<10) // fills the slow socket's buffers quickly
	const n = 400
	for i := range n {
		x := ex(i)
		x.Explanation = big
		h.Publish([]*exchange.Exchange{x})
		if m := readMsg(t, fast); m.Items[0].ID != x.ID {
			t.Fatalf("fast client got %s, want %s", m.Items[0].ID, x.ID)
		}
		if h.clients.Load() == 1 {
			return // slow one dropped; the fast one never waited
		}
	}
	t.Fatalf("slow client still connected after %d batches", n)
}

func TestHubRefusesCrossOrigin(t *testing.T) {
	_, srv := startHub(t)
	hdr := http.Header{"Origin": {"http://evil.example"}}
	_, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), hdr)
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin dial: err %v, resp %v; want 403", err, resp)
	}
}

// TestHubChecksOwnOrigins: a page on a rebound domain sends its own name as
// both Host and Origin, which gorilla's default check accepts; with
// WithCheckOrigin only the dashboard's own origins open the feed.
func TestHubChecksOwnOrigins(t *testing.T) {
	const own = "http://127.0.0.1:3001"
	rebound := http.Header{"Host": {"evil.example:3001"}, "Origin": {"http://evil.example:3001"}}
	tests := []struct {
		name   string
		opts   []HubOption
		header http.Header
		want   int
	}{
		{"default check, rebound", nil, rebound, http.StatusSwitchingProtocols},
		{"own origins, rebound", []HubOption{WithCheckOrigin(func(r *http.Request) bool { return r.Header.Get("Origin") == own })},
			rebound, http.StatusForbidden},
		{"own origins, own page", []HubOption{WithCheckOrigin(func(r *http.Request) bool { return r.Header.Get("Origin") == own })},
			http.Header{"Origin": {own}}, http.StatusSwitchingProtocols},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := startHub(t, tt.opts...)
			c, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), tt.header)
			if c != nil {
				c.Close()
			}
			if resp == nil || resp.StatusCode != tt.want {
				t.Fatalf("dial: err %v, resp %v; want %d", err, resp, tt.want)
			}
		})
	}
}

func TestHubBacklog(t *testing.T) {
	var gotAfter string
	h, srv := startHub(t, WithBacklog(func(ctx context.Context, after string) ([]*exchange.Exchange, error) {
		gotAfter = after
		return []*exchange.Exchange{ex(1), ex(2)}, nil
	}))
	c := dial(t, srv, "?after=x0000")
	waitClients(t, h, 1)
	h.Publish([]*exchange.Exchange{ex(3)})
	var got []string
	for len(got) < 3 {
		for _, s := range readMsg(t, c).Items {
			got = append(got, s.ID)
		}
	}
	if gotAfter != "x0000" || strings.Join(got, ",") != "x0001,x0002,x0003" {
		t.Errorf("after %q, got %v", gotAfter, got)
	}
}

// TestHubStats: a client gets the counts when it connects and again each
// time they change, never twice the same counts in a row (the ticker
// fires four times a second whether or not anything changed).
func TestHubStats(t *testing.T) {
	var counts atomic.Pointer[Counts] // one pointer: a tick never sees half a change
	counts.Store(&Counts{Captured: 5})
	h, srv := startHub(t, WithCounts(func() Counts { return *counts.Load() }))
	c := dial(t, srv, "")
	if m := readStats(t, c); m.Captured != 5 || m.Dropped != 0 {
		t.Fatalf("first frame %+v, want captured 5, dropped 0", m)
	}
	waitClients(t, h, 1)
	for i, want := range []Counts{{Captured: 6}, {Captured: 400, Dropped: 2}, {Captured: 401, Dropped: 2}} {
		counts.Store(&want)
		if m := readStats(t, c); m.Counts != want {
			t.Fatalf("change %d: frame %+v, want %+v", i, m.Counts, want)
		}
	}

	// A second client gets the current counts at once, though they have not
	// changed since the last frame.
	d := dial(t, srv, "")
	if m := readStats(t, d); m.Captured != 401 {
		t.Errorf("second client's first frame %+v", m)
	}
	// Batches the hub could not keep up with count as dropped too.
	h.dropped.Add(3)
	for _, conn := range []*websocket.Conn{c, d} {
		if m := readStats(t, conn); m.Dropped != 5 {
			t.Errorf("after a hub drop: %+v, want dropped 5", m)
		}
	}
}

// TestHubWithoutCounts: no counts, no stats frames; the first frame a client
// reads is the batch.
func TestHubWithoutCounts(t *testing.T) {
	h, srv := startHub(t)
	c := dial(t, srv, "")
	waitClients(t, h, 1)
	h.Publish([]*exchange.Exchange{ex(1)})
	if typ, b := readFrame(t, c); typ != "exchanges" {
		t.Fatalf("first frame %s", b)
	}
}

func TestMessageJSON(t *testing.T) {
	b, _ := json.Marshal(Message{Type: "exchanges", Items: []Summary{{ID: "a"}}})
	for _, k := range []string{`"type"`, `"items"`, `"dropped"`, `"startedAt"`, `"routeKey"`, `"durationMs"`, `"cold"`, `"function"`, `"explanation"`, `"failed"`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("message JSON %s lacks %s", b, k)
		}
	}
	b, _ = json.Marshal(StatsMessage{Type: "stats", Counts: Counts{Captured: 4, Dropped: 1}})
	if string(b) != `{"type":"stats","captured":4,"dropped":1}` {
		t.Errorf("stats JSON %s", b)
	}
}

func ex(i int) *exchange.Exchange { return &exchange.Exchange{ID: fmt.Sprintf("x%04d", i)} }

// TestHubDeployments: a deployment's frames carry its state when each was
// published, in order, beside exchange frames.
func TestHubDeployments(t *testing.T) {
	h, srv := startHub(t)
	h.PublishDeployment(&exchange.Deployment{ID: 1}) // nobody connected: nothing queued
	c := dial(t, srv, "")
	waitClients(t, h, 1)
	d := &exchange.Deployment{ID: 14, Trigger: exchange.TriggerCode, Status: exchange.DeployBuilding,
		Functions: []exchange.DeployedFunction{{Name: "Hello", Change: "code", Status: exchange.DeployBuilding}}}
	h.PublishDeployment(d)
	d.Status, d.Functions[0].Status, d.Functions[0].Error = exchange.DeployFailed, exchange.DeployFailed, "main.go:3:1: syntax error"
	h.PublishDeployment(d)
	h.Publish([]*exchange.Exchange{ex(1)})
	// Deployment frames keep their order; an exchanges frame, published on
	// its own channel, may come before, between or after them.
	wants, sawExchanges := []string{exchange.DeployBuilding, exchange.DeployFailed}, false
	for len(wants) > 0 || !sawExchanges {
		typ, b := readFrame(t, c)
		if typ == "exchanges" {
			sawExchanges = true
			continue
		}
		var m DeploymentMessage
		if len(wants) == 0 || json.Unmarshal(b, &m) != nil || typ != "deployment" || m.Deployment.ID != 14 || m.Deployment.Status != wants[0] {
			t.Fatalf("frame %s, want deployment 14 %v", b, wants)
		}
		if wants[0] == exchange.DeployFailed && m.Deployment.Functions[0].Error != "main.go:3:1: syntax error" {
			t.Errorf("failed frame: %s", b)
		}
		wants = wants[1:]
	}
}
