package replay

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/gateway"
	"github.com/gatescope/gatescope/server/httpio"
)

// A WebSocket exchange replays into its connection while the connection is
// open: a message as if its client sent it again, an @connections POST as a
// post again. Once the connection is closed, and for $connect and
// $disconnect, the captured event goes straight to the function. An edited
// request body replaces the message.

// ErrConnectionClosed marks a replay that needs its WebSocket connection
// open (an @connections POST); the API answers it with 409.
var ErrConnectionClosed = httpio.NewKind("the WebSocket connection is closed", http.StatusConflict)

func (r *Replayer) replayWebSocket(ctx context.Context, orig *exchange.Exchange, e Edit) (*exchange.Exchange, error) {
	data := []byte(orig.Request.Body)
	if e.Request != nil && e.Request.Body != nil {
		data = []byte(*e.Request.Body)
	}
	var x *exchange.Exchange
	var err error
	switch orig.Request.Method {
	case "MESSAGE":
		if x, err = r.gw.ReplayMessage(ctx, orig.ConnectionID, data); errors.Is(err, gateway.ErrGone) {
			return r.invokeDirect(ctx, orig, e)
		}
	case http.MethodPost:
		x, err = r.gw.ReplayPost(ctx, orig.ConnectionID, data)
		if errors.Is(err, gateway.ErrGone) {
			return nil, fmt.Errorf("%w: %s (a post replays only into an open connection)", ErrConnectionClosed, orig.ConnectionID)
		}
		if x != nil {
			err = nil // a refused post (410, 413) is the replay's outcome
		}
	default:
		return r.invokeDirect(ctx, orig, e)
	}
	return x, err
}
