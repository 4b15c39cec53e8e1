package dashboard

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/testenv"
	"github.com/google/go-cmp/cmp"
)

// TestFramesOfTable: the timeline rows follow web/testdata/frames.json,
// which connections.js's framesOf follows too.
func TestFramesOfTable(t *testing.T) {
	b, err := os.ReadFile("../../web/testdata/frames.json")
	if err != nil {
		t.Fatal(err)
	}
	var table struct {
		Cases []struct {
			Name     string             `json:"name"`
			Exchange *exchange.Exchange `json:"exchange"`
			Rows     []json.RawMessage  `json:"rows"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &table); err != nil {
		t.Fatal(err)
	}
	if len(table.Cases) < 8 {
		t.Fatalf("%d cases", len(table.Cases))
	}
	for _, c := range table.Cases {
		got := []any{}
		for _, r := range framesOf(c.Exchange) {
			j, _ := json.Marshal(r)
			var v any
			json.Unmarshal(j, &v)
			got = append(got, v)
		}
		want := []any{}
		for _, r := range c.Rows {
			var v any
			json.Unmarshal(r, &v)
			want = append(want, v)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.Name, diff)
		}
	}
}

// fakeConns is the gateway's side of the connection view: one open
// connection that records what is sent to it.
type fakeConns struct {
	mu   sync.Mutex
	conn exchange.Connection
	sent []string
}

func (f *fakeConns) Connections() []exchange.Connection {
	return []exchange.Connection{f.conn}
}

func (f *fakeConns) send(id, how string, data []byte) (*exchange.Exchange, error) {
	if id != f.conn.ID {
		return nil, exchange.ErrConnectionGone
	}
	f.mu.Lock()
	f.sent = append(f.sent, how+":"+string(data))
	f.mu.Unlock()
	if string(data) == "too big" {
		x := wsExchange(9, "POST @connections", func(x *exchange.Exchange) { x.Response.Status = 413 })
		return x, &sendError{"The message is over 131072 bytes"}
	}
	return wsExchange(9, how), nil
}

type sendError struct{ s string }

func (e *sendError) Error() string { return e.s }

func (f *fakeConns) Inject(_ context.Context, id string, data []byte) (*exchange.Exchange, error) {
	return f.send(id, "message", data)
}

func (f *fakeConns) PostToConnection(_ context.Context, id string, data []byte) (*exchange.Exchange, error) {
	return f.send(id, "post", data)
}

const connID = "L0SM9cOFvHcCIhw="

// wsExchange is an exchange of connection connID.
func wsExchange(i int, route string, mods ...func(*exchange.Exchange)) *exchange.Exchange {
	return okExchange(i, append([]func(*exchange.Exchange){func(x *exchange.Exchange) {
		x.Session = "ws"
		x.API = exchange.APIRef{ID: "Chat", Type: exchange.WebSocketAPI, Stage: "production"}
		x.RouteKey, x.ConnectionID = route, connID
		x.Request = exchange.HTTPRequest{Method: "MESSAGE", URL: "/production", Body: `{"action":"echo"}`,
			Headers: map[string][]string{"User-Agent": {"ws-client/1"}}}
		x.Response = exchange.HTTPResponse{Status: 200, Body: "pong"}
		x.Frames = []exchange.Frame{{Dir: "in", At: x.StartedAt, Opcode: 1, Data: `{"action":"echo"}`},
			{Dir: "out", At: x.StartedAt.Add(time.Millisecond), Opcode: 1, Data: "pong"}}
		switch route {
		case "$connect":
			x.Request.Method, x.Request.Body, x.Response, x.Frames = "GET", "", exchange.HTTPResponse{Status: 101}, nil
		case "$disconnect":
			x.Request.Method, x.Response.Body = "DISCONNECT", ""
			x.Frames = []exchange.Frame{{Dir: "out", At: x.StartedAt, Opcode: 8, Code: 1001, Data: "Going away"}}
		}
	}}, mods...)...)
}

func TestConnectionView(t *testing.T) {
	db := openStore(t)
	conns := &fakeConns{conn: exchange.Connection{ID: connID, API: exchange.APIRef{ID: "Chat", Type: "websocket", Stage: "production"},
		ConnectedAt: t0, LastActiveAt: t0.Add(time.Second), SourceIP: "127.0.0.1", UserAgent: "ws-client/1", In: 3, Out: 2}}
	xs := []*exchange.Exchange{wsExchange(100, "$connect"), wsExchange(101, "echo"), wsExchange(102, "$disconnect")}
	other := wsExchange(103, "$connect", func(x *exchange.Exchange) { x.ConnectionID = "OTHERconn000000=" })
	if err := db.InsertExchanges(context.Background(), append(xs, other)); err != nil {
		t.Fatal(err)
	}
	h := New(slog.New(slog.DiscardHandler), Options{Store: db, Connections: conns})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /connections", h.ConnectionsPage)
	mux.HandleFunc("GET /connections/{id}", h.ConnectionPage)
	mux.HandleFunc("GET /api/connections", h.ListConnections)
	mux.HandleFunc("GET /api/connections/{id}", h.GetConnection)
	mux.HandleFunc("POST /api/connections/{id}/messages", h.SendMessage)
	mux.HandleFunc("POST /api/connections/{id}/posts", h.PostMessage)
	ts := httptest.NewServer(mux)
	defer ts.Close()

	t.Run("the list of open connections", func(t *testing.T) {
		code, _, b := do(t, "GET", ts.URL+"/connections", "")
		doc := testenv.HTML(t, b)
		if code != 200 || doc.Find("[data-testid=open-conns] [data-testid=conn-row]").Length() != 1 {
			t.Fatalf("%d: %s", code, b)
		}
		row := doc.Find("[data-testid=open-conns] [data-testid=conn-row]")
		if row.AttrOr("data-id", "") != connID || row.Find("[data-f=in]").Text() != "3" || row.Find("[data-f=out]").Text() != "2" ||
			!strings.Contains(row.Find("[data-f=age]").Text(), "h") || row.Find("a").AttrOr("href", "") != "/connections/"+connID {
			t.Errorf("row: %s", outer(row))
		}
		if n := doc.Find("[data-testid=recent-conns] li").Length(); n != 2 {
			t.Errorf("%d latest connections, want 2", n)
		}
		var list struct{ Connections []exchange.Connection }
		getJSON(t, ts.URL+"/api/connections", 200, &list)
		if len(list.Connections) != 1 || list.Connections[0].In != 3 {
			t.Errorf("api: %+v", list)
		}
		var c exchange.Connection
		getJSON(t, ts.URL+"/api/connections/"+connID, 200, &c)
		getJSON(t, ts.URL+"/api/connections/nope", 410, &c)
	})

	t.Run("one connection's timeline", func(t *testing.T) {
		code, _, b := do(t, "GET", ts.URL+"/connections/"+connID, "")
		doc := testenv.HTML(t, b)
		if code != 200 {
			t.Fatalf("%d: %s", code, b)
		}
		var got []string
		doc.Find("[data-testid=frames] [data-testid=frame]").Each(func(_ int, s *goquery.Selection) {
			cell := s.Find(".c-in [data-testid=frame-link]")
			col := "in"
			if cell.Length() == 0 {
				cell, col = s.Find(".c-out [data-testid=frame-link]"), "out"
			}
			got = append(got, col+" "+s.AttrOr("data-kind", "")+" "+cell.Find("[data-f=data]").Text()+" → "+cell.AttrOr("href", ""))
		})
		want := []string{
			"in connect connected → /exchanges/" + xs[0].ID,
			`in text {"action":"echo"} → /exchanges/` + xs[1].ID,
			"out text pong → /exchanges/" + xs[1].ID,
			"out close Going away → /exchanges/" + xs[2].ID,
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("timeline (-want +got):\n%s", diff)
		}
		root := doc.Find("[data-testid=conn]")
		if root.AttrOr("data-open", "") != "true" || root.AttrOr("data-cursor", "") != xs[2].ID ||
			doc.Find("[data-testid=count-in]").Text() != "3" || doc.Find("[data-testid=send-boxes]").AttrOr("hidden", "no") != "no" {
			t.Errorf("head: %s", outer(root))
		}
		if code, _, _ := do(t, "GET", ts.URL+"/connections/nope", ""); code != 404 {
			t.Errorf("unknown connection: %d", code)
		}
	})

	t.Run("send as the client, post as the server", func(t *testing.T) {
		for _, tt := range []struct {
			path, body string
			code       int
			want       string
		}{
			{"/api/connections/" + connID + "/messages", `{"data":"hi"}`, 200, "message:hi"},
			{"/api/connections/" + connID + "/posts", `{"data":"yo"}`, 200, "post:yo"},
			{"/api/connections/" + connID + "/posts", `{"data":"too big"}`, 413, "post:too big"},
			{"/api/connections/nope/posts", `{"data":"x"}`, 410, ""},
			{"/api/connections/" + connID + "/posts", `{"data":"x","extra":1}`, 400, ""},
		} {
			code, _, b := do(t, "POST", ts.URL+tt.path, tt.body)
			var resp struct {
				Error    string             `json:"error"`
				Exchange *exchange.Exchange `json:"exchange"`
			}
			json.Unmarshal(b, &resp)
			if code != tt.code || (code < 300 || code == 413) != (resp.Exchange != nil) {
				t.Errorf("%s %s: %d %s", tt.path, tt.body, code, b)
			}
			if tt.want != "" {
				conns.mu.Lock()
				last := conns.sent[len(conns.sent)-1]
				conns.mu.Unlock()
				if last != tt.want {
					t.Errorf("sent %q, want %q", last, tt.want)
				}
			}
		}
	})
}

func outer(s *goquery.Selection) string {
	h, _ := goquery.OuterHtml(s)
	return h
}
