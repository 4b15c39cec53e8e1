package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gatescope/gatescope/examples"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/testenv"
	"github.com/gorilla/websocket"
)

// startDemo runs `gatescope serve` on the built-in demo, as a user with no
// template gets it.
func startDemo(t *testing.T) *app {
	t.Helper()
	dir := t.TempDir()
	tpl, err := examples.ExtractDemo(filepath.Join(dir, "demo"))
	if err != nil {
		t.Fatal(err)
	}
	f := serveFlags{
		template: tpl, apiAddr: "127.0.0.1:0", uiAddr: "127.0.0.1:0", db: filepath.Join(dir, "gs.db"), session: "chat",
		logLevel: "warn", cacheDir: filepath.Join(dir, "cache"), idleTimeout: time.Minute, capture: true, params: keyValues{},
	}
	a, err := startApp(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)), f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		a.shutdown(ctx)
	})
	testenv.Eventually(t, 3*time.Minute, "the demo's functions are built", func() bool { return a.health() == nil })
	return a
}

type chatLine struct {
	From, Message, Left, Error string
}

func readChat(t *testing.T, c *websocket.Conn) chatLine {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(15 * time.Second))
	_, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var l chatLine
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return l
}

// TestDemoChat: the demo's chat, a Go function that broadcasts through the
// @connections API with aws-sdk-go-v2 at https://<domainName>/<stage> as
// AWS's samples do, works through `serve`'s wiring (HTTPS on the api
// address, the CA functions trust); the connection view shows a
// connection's frames live and sends to it as its client and as the
// server; a captured message replays into its connection; the session's
// HAR lists the messages; shutdown captures $disconnect.
func TestDemoChat(t *testing.T) {
	a := startDemo(t)
	api, ui := a.apiLn.Addr().String(), "http://"+a.uiLn.Addr().String()
	if page := get(t, "http://"+api+"/chat"); !strings.Contains(page, "new WebSocket(") {
		t.Fatalf("GET /chat: %.200s", page)
	}
	dial := func(name string) *websocket.Conn {
		c, _, err := websocket.DefaultDialer.Dial("ws://"+api+"/demo?name="+name, http.Header{"User-Agent": {"chat-test/" + name}})
		if err != nil {
			t.Fatalf("dial as %s: %v", name, err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	ada, bob := dial("ada"), dial("bob")
	ada.WriteMessage(websocket.TextMessage, []byte(`{"action":"sendmessage","message":"hi bob"}`))
	for _, c := range []*websocket.Conn{ada, bob} {
		if l := readChat(t, c); l.From != "ada" || l.Message != "hi bob" {
			t.Fatalf("broadcast: %+v", l)
		}
	}
	bob.WriteMessage(websocket.TextMessage, []byte(`hello?`))
	if l := readChat(t, bob); !strings.Contains(l.Error, "unknown action") {
		t.Errorf("$default reply: %+v", l)
	}

	var open struct{ Connections []exchange.Connection }
	getJSONInto(t, ui+"/api/connections", &open)
	if len(open.Connections) != 2 {
		t.Fatalf("open connections: %+v", open)
	}
	adaID, bobID := open.Connections[0].ID, open.Connections[1].ID
	if open.Connections[0].UserAgent != "chat-test/ada" || open.Connections[0].In != 1 || open.Connections[0].Out != 1 {
		t.Errorf("ada's connection: %+v", open.Connections[0])
	}

	t.Run("the connection view", func(t *testing.T) {
		tab := testenv.Browser(t, chromedp.WindowSize(1280, 900))
		do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
			t.Helper()
			ctx, cancel := context.WithTimeout(tab, 20*time.Second)
			defer cancel()
			if err := chromedp.Do(ctx, steps...); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		do("the open connections", chromedp.Navigate(ui+"/connections"))
		testenv.WaitJS(t, tab, "both connections with their counts",
			`document.querySelectorAll('[data-testid=open-conns] [data-testid=conn-row]').length === 2 &&
			 document.querySelector('[data-testid=conn-row][data-id="`+adaID+`"] [data-f=in]').textContent === '1'`)
		screenshot(t, tab, "connections.png")
		do("open ada's connection", chromedp.Click(chromedp.CSS(`[data-testid=conn-row][data-id="`+adaID+`"] a`)))
		testenv.WaitJS(t, tab, "ada's timeline: connected, the message in, the broadcast out",
			`location.pathname.startsWith('/connections/') && document.querySelector('[data-testid=conn-state]').dataset.state === 'open' &&
			 [...document.querySelectorAll('[data-testid=frames] [data-testid=frame]')].map(r => r.dataset.dir + ':' + r.dataset.kind).join() === 'in:connect,in:text,out:text'`)

		// Live frames: bob speaks, ada's timeline shows the post it got.
		bob.WriteMessage(websocket.TextMessage, []byte(`{"action":"sendmessage","message":"hi ada"}`))
		readChat(t, bob)
		if l := readChat(t, ada); l.Message != "hi ada" {
			t.Fatalf("ada got %+v", l)
		}
		testenv.WaitJS(t, tab, "the post to ada appears live",
			`[...document.querySelectorAll('[data-testid=frames] [data-testid=frame-data]')].some(e => e.textContent.includes('hi ada'))`)

		// Send as the client: ada "says" it, bob hears it.
		do("send as the client",
			chromedp.SetValue(chromedp.CSS(`[data-testid=send-client-data]`), `{"action":"sendmessage","message":"from the dashboard"}`),
			chromedp.Click(chromedp.CSS(`[data-testid=send-client-button]`)))
		if l := readChat(t, bob); l.From != "ada" || l.Message != "from the dashboard" {
			t.Fatalf("bob got %+v", l)
		}
		readChat(t, ada)
		testenv.WaitJS(t, tab, "the message sent as the client is in the timeline",
			`[...document.querySelectorAll('[data-testid=frames] tr[data-dir=in] [data-testid=frame-data]')].some(e => e.textContent.includes('from the dashboard'))`)
		// Post as the server: only ada gets it, raw.
		do("post as the server",
			chromedp.SetValue(chromedp.CSS(`[data-testid=send-server-data]`), `server says hi`),
			chromedp.Click(chromedp.CSS(`[data-testid=send-server-button]`)))
		ada.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, b, err := ada.ReadMessage(); err != nil || string(b) != "server says hi" {
			t.Fatalf("ada got %q %v", b, err)
		}
		testenv.WaitJS(t, tab, "the post is in the timeline, linked to its exchange",
			`[...document.querySelectorAll('[data-testid=frames] tr[data-dir=out] [data-testid=frame-link]')].some(a => a.textContent.includes('server says hi') && a.getAttribute('href').startsWith('/exchanges/'))`)
		screenshot(t, tab, "connection.png")
		getJSONInto(t, ui+"/api/connections/"+adaID, &exchange.Connection{})
	})

	t.Run("a captured message replays into its connection", func(t *testing.T) {
		var list struct{ Exchanges []*exchange.Exchange }
		getJSONInto(t, ui+"/api/exchanges?route=sendmessage&connection="+bobID, &list)
		if len(list.Exchanges) == 0 {
			t.Fatal("no sendmessage exchange of bob's")
		}
		orig := list.Exchanges[0]
		var rep exchange.Exchange
		if code := postJSON(t, ui+"/api/exchanges/"+orig.ID+"/replay", "", &rep); code != 200 {
			t.Fatalf("replay: %d %+v", code, rep)
		}
		if rep.ReplayOf != orig.ID || rep.ConnectionID != bobID || rep.Request.Body != orig.Request.Body {
			t.Errorf("replay %+v", rep)
		}
		for _, c := range []*websocket.Conn{ada, bob} {
			if l := readChat(t, c); l.From != "bob" || l.Message != "hi ada" {
				t.Errorf("replayed broadcast %+v", l)
			}
		}
	})

	t.Run("closing captures $disconnect with its code", func(t *testing.T) {
		ada.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4001, "bye all"), time.Now().Add(time.Second))
		if l := readChat(t, bob); l.Left != "ada" {
			t.Errorf("bob heard %+v", l)
		}
		var list struct{ Exchanges []*exchange.Exchange }
		testenv.Eventually(t, 10*time.Second, "ada's $disconnect is stored", func() bool {
			getJSONInto(t, ui+"/api/exchanges?route=$disconnect&connection="+adaID, &list)
			return len(list.Exchanges) == 1
		})
		x := list.Exchanges[0]
		if x.API.Type != "websocket" || x.Frames[0].Code != 4001 || !strings.Contains(string(x.Event), `"disconnectReason":"bye all"`) {
			t.Errorf("$disconnect %+v", x)
		}
	})

	t.Run("the HAR lists the connection's messages", func(t *testing.T) {
		resp, err := http.Get(ui + "/api/sessions/" + a.session.ID + "/export?format=har")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var har struct {
			Log struct {
				Entries []struct {
					Request  struct{ URL string }
					Messages []struct{ Type, Data string } `json:"_webSocketMessages"`
				}
			}
		}
		if err := json.NewDecoder(resp.Body).Decode(&har); err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, e := range har.Log.Entries {
			if strings.HasPrefix(e.Request.URL, "ws://") && strings.Contains(e.Request.URL, "name=ada") {
				found = len(e.Messages) >= 4 && e.Messages[0].Type == "send" && e.Messages[1].Type == "receive"
			}
		}
		if !found {
			t.Errorf("no handshake entry of ada's with its messages")
		}
	})
}

// TestCheckWebSocketAPI: check --json describes a WebSocket API as
// DESIGN.md's contract says: type websocket, its ws:// base URL on its own
// host, route keys as API Gateway writes them ($connect, action names).
func TestCheckWebSocketAPI(t *testing.T) {
	tpl, err := examples.ExtractDemo(filepath.Join(t.TempDir(), "demo"))
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCheckArgs(t, "--json", "-t", tpl, "--api-addr", "127.0.0.1:4567")
	if code != 1 { // the chat's IAM policy is listed: IAM is not enforced locally
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep checkReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	ws := rep.APIs[0]
	var keys []string
	for _, r := range ws.Routes {
		keys = append(keys, r.RouteKey+"→"+r.Function+"/"+r.Integration)
	}
	if ws.ID != "ChatApi" || ws.Type != "websocket" || ws.Stage != "demo" || ws.BaseURL != "ws://chatapi.localhost:4567/demo" ||
		strings.Join(keys, " ") != "$connect→Chat/proxy $disconnect→Chat/proxy sendmessage→Chat/proxy $default→Chat/proxy" {
		t.Errorf("api %+v routes %v", ws, keys)
	}
	if len(rep.NotEmulated) != 1 || rep.NotEmulated[0].Property != "Policies" {
		t.Errorf("not emulated: %+v", rep.NotEmulated)
	}
}
