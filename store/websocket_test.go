package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/google/go-cmp/cmp"
)

// wsExchange is a message exchange of a WebSocket connection: the frame in,
// the reply out.
func wsExchange(conn string, i int, data string) *exchange.Exchange {
	x := fullExchange("ws", i)
	x.API = exchange.APIRef{ID: "Chat", Type: "WEBSOCKET", Stage: "production"}
	x.RouteKey = "sendmessage"
	x.Request = exchange.HTTPRequest{Method: "MESSAGE", URL: "/production", Body: data}
	x.Response = exchange.HTTPResponse{Status: 200, Body: "ok " + data}
	x.ConnectionID = conn
	x.Frames = []exchange.Frame{
		{Dir: exchange.FrameIn, At: x.StartedAt, Opcode: exchange.OpText, Data: data},
		{Dir: exchange.FrameOut, At: x.StartedAt.Add(3 * time.Millisecond), Opcode: exchange.OpText, Data: "ok " + data},
	}
	return x
}

// TestWebSocketExchanges: a connection's exchanges keep their id and
// frames, are listed by connection, found by searching the id, and their
// frames are cut at the body cap like bodies.
func TestWebSocketExchanges(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{BodyCap: 16})
	a1, a2 := wsExchange("AAAAconnA0=", 1, "hello"), wsExchange("AAAAconnA0=", 2, "a long message over the cap")
	b1 := wsExchange("BBBBconnB0=", 3, "other")
	plain := fullExchange("ws", 4)
	if err := db.InsertExchanges(ctx, []*exchange.Exchange{a1, a2, b1, plain}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Exchange(ctx, a1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a1.Frames, got.Frames); diff != "" || got.ConnectionID != "AAAAconnA0=" {
		t.Errorf("connection %q, frames (-want +got):\n%s", got.ConnectionID, diff)
	}
	got, _ = db.Exchange(ctx, a2.ID)
	if f := got.Frames[0]; f.Data != "a long message o" || f.Truncated != 27 || got.Frames[1].Truncated != 30 {
		t.Errorf("cut frames %+v", got.Frames)
	}
	if a2.Frames[0].Data != "a long message over the cap" {
		t.Error("insert cut the caller's frame")
	}
	for _, f := range []Filter{{Connection: "AAAAconnA0="}, {Query: "AAAAconnA0="}} {
		xs, _, err := db.Exchanges(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(ids(xs), ",") != a2.ID+","+a1.ID {
			t.Errorf("%+v: got %v, want the connection's two exchanges newest first", f, ids(xs))
		}
	}
	if _, err := db.IndexPending(ctx); err != nil {
		t.Fatal(err)
	}
	xs, _, _ := db.Exchanges(ctx, Filter{Query: "BBBBconnB0="})
	if len(xs) != 1 || xs[0].ID != b1.ID {
		t.Errorf("search by connection id once indexed: %v", ids(xs))
	}
	xs, _, _ = db.Exchanges(ctx, Filter{Session: "ws"})
	if len(xs) != 4 || xs[0].ConnectionID != "" || xs[0].Frames != nil {
		t.Errorf("a plain exchange has no connection: %+v", xs[0])
	}
}
