package dashboard

import (
	"net/http"

	"github.com/gatescope/gatescope/server/httpio"
	"github.com/gatescope/gatescope/store"
)

// annotationLimit bounds a note or a session rename body.
const annotationLimit = 1 << 20

// UpdateSession serves PATCH /api/sessions/{id}: rename it or set its note.
func (h *Handlers) UpdateSession(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name *string `json:"name"`
		Note *string `json:"note"`
	}
	if err := httpio.Decode(w, r, &body, httpio.DecodeOptions{Limit: annotationLimit}); err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	s, err := h.opts.Store.Session(r.Context(), r.PathValue("id"))
	if err == nil {
		s, err = h.opts.Store.UpdateSession(r.Context(), s.ID, store.SessionUpdate{Name: body.Name, Note: body.Note})
	}
	if err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	httpio.WriteJSON(w, http.StatusOK, s)
}

// Star serves PUT (on) and DELETE (off) /api/exchanges/{id}/star.
func (h *Handlers) Star(on bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if err := h.opts.Store.SetStar(r.Context(), id, on); err != nil {
			httpio.Error(h.log, w, r, err)
			return
		}
		httpio.WriteJSON(w, http.StatusOK, map[string]any{"id": id, "starred": on})
	}
}

// SetNote serves PUT /api/exchanges/{id}/note.
func (h *Handlers) SetNote(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Note string `json:"note"`
	}
	if err := httpio.Decode(w, r, &body, httpio.DecodeOptions{Limit: annotationLimit}); err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	id := r.PathValue("id")
	if err := h.opts.Store.SetNote(r.Context(), id, body.Note); err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	httpio.WriteJSON(w, http.StatusOK, map[string]any{"id": id, "note": body.Note})
}
