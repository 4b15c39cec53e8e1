package share

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
)

// wsSample is one WebSocket connection's life: the handshake, a message
// with its reply, a post through @connections, and the close.
func wsSample(session string) []*exchange.Exchange {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	api := exchange.APIRef{ID: "Chat", Type: exchange.WebSocketAPI, Stage: "production"}
	const conn = "L0SM9cOFvHcCIhw="
	mk := func(ms int, route, method, url string, status int, frames ...exchange.Frame) *exchange.Exchange {
		return &exchange.Exchange{ID: exchange.NewID(at(ms)), Session: session, API: api, RouteKey: route, StartedAt: at(ms),
			Request:  exchange.HTTPRequest{Method: method, URL: url, Headers: map[string][]string{"Host": {"localhost:3000"}}},
			Response: exchange.HTTPResponse{Status: status}, Outcome: exchange.OutcomeOK, ConnectionID: conn, Frames: frames}
	}
	hello := `{"action":"sendmessage","token":"s3cr3t-t0ken-value"}`
	msg := mk(10, "sendmessage", "MESSAGE", "/production", 200,
		exchange.Frame{Dir: exchange.FrameIn, At: at(10), Opcode: exchange.OpText, Data: hello},
		exchange.Frame{Dir: exchange.FrameOut, At: at(12), Opcode: exchange.OpText, Data: "sent"})
	msg.Request.Body, msg.Response.Body = hello, "sent"
	post := mk(20, "POST @connections", "POST", "/production/@connections/L0SM9cOFvHcCIhw%3D", 200,
		exchange.Frame{Dir: exchange.FrameOut, At: at(20), Opcode: exchange.OpText, Data: "hello, all"})
	post.Request.Body = "hello, all"
	return []*exchange.Exchange{
		mk(0, "$connect", "GET", "/production", 101),
		msg, post,
		mk(30, "$disconnect", "DISCONNECT", "/production", 200,
			exchange.Frame{Dir: exchange.FrameIn, At: at(30), Opcode: exchange.OpClose, Code: 1000, Data: "bye"}),
	}
}

// TestWebSocketHAR: a connection's handshake entry carries its messages as
// Chrome's _webSocketMessages (send/receive, Unix seconds, opcode 1; close
// frames are not messages); the HAR still validates and re-imports every
// exchange with its connection and frames; redaction reaches frames.
func TestWebSocketHAR(t *testing.T) {
	ctx := context.Background()
	src := openStore(t)
	if err := src.InsertExchanges(ctx, wsSample("ws")); err != nil {
		t.Fatal(err)
	}
	want := stored(t, src, "ws")
	var buf bytes.Buffer
	if _, err := Export(ctx, src, &buf, Selection{Session: "ws"}, ExportOptions{Format: FormatHAR, Rules: Rules{Off: true}}); err != nil {
		t.Fatal(err)
	}
	validateHAR(t, buf.Bytes())
	var h HAR
	if err := json.Unmarshal(buf.Bytes(), &h); err != nil {
		t.Fatal(err)
	}
	hs := h.Log.Entries[0]
	if hs.ResourceType != "websocket" || hs.Request.URL != "ws://localhost:3000/production" || hs.Response.Status != 101 {
		t.Errorf("handshake entry: %s %s %d", hs.ResourceType, hs.Request.URL, hs.Response.Status)
	}
	got, _ := json.Marshal(hs.WebSocketMessages)
	wantMsgs := `[{"type":"send","time":1772366400.01,"opcode":1,"data":"{\"action\":\"sendmessage\",\"token\":\"s3cr3t-t0ken-value\"}"},` +
		`{"type":"receive","time":1772366400.012,"opcode":1,"data":"sent"},{"type":"receive","time":1772366400.02,"opcode":1,"data":"hello, all"}]`
	if string(got) != wantMsgs {
		t.Errorf("_webSocketMessages\n got %s\nwant %s", got, wantMsgs)
	}
	for _, e := range h.Log.Entries[1:] {
		if e.WebSocketMessages != nil || e.ResourceType != "" {
			t.Errorf("entry %s has messages of its own", e.Request.Method)
		}
	}
	dst := openStore(t)
	ir, err := Import(ctx, dst, bytes.NewReader(buf.Bytes()), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sameExchanges(t, want, stored(t, dst, ir.Session.ID))

	// A secret in a message is redacted in its frame as in its body.
	buf.Reset()
	if _, err := Export(ctx, src, &buf, Selection{Session: "ws"}, ExportOptions{Format: FormatJSON, Rules: Rules{JSONPaths: []string{"$.token"}}}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "s3cr3t-t0ken-value") {
		t.Errorf("the secret leaked: %s", buf.String())
	}
}
