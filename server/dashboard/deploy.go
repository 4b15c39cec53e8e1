package dashboard

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/httpio"
	"github.com/gatescope/gatescope/web"
)

// shownDeployments is how many deployments the list page shows.
const shownDeployments = 5

// deployRowOf is a deployment as the list's strip shows it. deploys.js's
// deployView says the same of live frames; both follow
// web/testdata/deployments.json.
func deployRowOf(d *exchange.Deployment) web.DeployRow {
	r := web.DeployRow{ID: d.ID, Status: d.Status, Label: "Deployment", StatusText: d.Status,
		Time: d.StartedAt.Local().Format("15:04:05.000"), TimeISO: d.StartedAt.Format(time.RFC3339Nano)}
	if d.ID > 0 {
		r.Label += " " + strconv.FormatInt(d.ID, 10)
	}
	switch d.Status {
	case exchange.DeployBuilding:
		r.StatusText = "building…"
	case exchange.DeployFailed:
		r.StatusText = "failed: the last good version keeps serving"
	case exchange.DeployPartial:
		r.StatusText = "partly failed: what failed keeps its last good version"
	case exchange.DeploySuperseded:
		r.StatusText = "superseded by a later save"
	}
	r.What = strings.Join(d.Changes, "; ")
	if len(d.Files) > 0 {
		r.What += " (" + strings.Join(d.Files, ", ") + ")"
	}
	if d.Status != exchange.DeployBuilding {
		r.Took = "in " + web.FormatMs(d.DurationMs)
	}
	if d.Error != "" {
		r.Errors = append(r.Errors, d.Error)
	}
	for _, f := range d.Functions {
		switch {
		case f.Error == "":
		case strings.HasPrefix(f.Error, "function "+f.Name+":"): // named already
			r.Errors = append(r.Errors, f.Error)
		default:
			r.Errors = append(r.Errors, f.Name+": "+f.Error)
		}
	}
	return r
}

type deploymentsResponse struct {
	Deployments []*exchange.Deployment `json:"deployments"`
}

// ListDeployments serves GET /api/deployments?limit=N: the newest
// deployments, newest first.
func (h *Handlers) ListDeployments(w http.ResponseWriter, r *http.Request) {
	limit := shownDeployments
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			httpio.Error(h.log, w, r, httpio.BadRequest("limit %q: want a positive number", s))
			return
		}
		limit = n
	}
	ds, err := h.opts.Store.Deployments(r.Context(), limit)
	if err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	if ds == nil {
		ds = []*exchange.Deployment{}
	}
	httpio.WriteJSON(w, http.StatusOK, deploymentsResponse{Deployments: ds})
}

// GetDeployment serves GET /api/deployments/{id}.
func (h *Handlers) GetDeployment(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		httpio.Error(h.log, w, r, httpio.BadRequest("deployment %q: want a number", r.PathValue("id")))
		return
	}
	d, err := h.opts.Store.Deployment(r.Context(), id)
	if err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	httpio.WriteJSON(w, http.StatusOK, d)
}
