package replayui

import (
	"context"

	"github.com/gatescope/gatescope/server/dashboard"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/replay"
)

// DashboardReplayer lets the dashboard's Replay button and
// POST /api/exchanges/{id}/replay drive rp: the dashboard declares the body
// it accepts, the replayer the edit it applies.
func DashboardReplayer(rp *replay.Replayer) dashboard.Replayer { return bridge{rp} }

type bridge struct{ r *replay.Replayer }

func (b bridge) Replay(ctx context.Context, id string, req dashboard.ReplayRequest) (*exchange.Exchange, error) {
	e := replay.Edit{Event: req.Event, Target: req.Target}
	if er := req.Request; er != nil {
		e.Request = &replay.RequestEdit{Method: er.Method, Path: er.Path, Headers: er.Headers, Body: er.Body}
		if er.Query != "" {
			q := er.Query
			e.Request.Query = &q
		}
	}
	return b.r.Replay(ctx, id, e)
}
