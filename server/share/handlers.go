package share

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/httpjson"
	"github.com/gatescope/gatescope/store"
)

// Store is everything the handlers use; *store.DB implements it.
type Store interface {
	Exporter
	Importer
	Exchange(ctx context.Context, id string) (*exchange.Exchange, error)
	UpdateSession(ctx context.Context, id string, u store.SessionUpdate) (*store.Session, error)
	SetStar(ctx context.Context, exchangeID string, starred bool) error
	SetNote(ctx context.Context, exchangeID, note string) error
	CreateShare(ctx context.Context, hash []byte, sessionID string, expiresAt time.Time) error
	ShareByHash(ctx context.Context, hash []byte) (*store.Share, error)
	RevokeShare(ctx context.Context, hash []byte) error
}

var _ Store = (*store.DB)(nil)

// Share link lifetimes.
const (
	DefaultShareTTL = 24 * time.Hour
	MaxShareTTL     = 30 * 24 * time.Hour
)

// Options configure the handlers.
type Options struct {
	// Version is gatescope's version, written into exports.
	Version string
	// Rules are extra redaction rules for HTTP exports and share pages;
	// the defaults always apply there.
	Rules Rules
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Handlers serve exports, imports, share links and annotations.
type Handlers struct {
	log  *slog.Logger
	st   Store
	opts Options
}

// New returns the handlers; register them with Register.
func New(logger *slog.Logger, st Store, opts Options) *Handlers {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.Rules.Off = false // share pages are always redacted
	return &Handlers{log: logger, st: st, opts: opts}
}

// Register adds the routes to mux. /s/... answers GET only: nothing on a
// share link can change data, whatever method a client tries.
func (h *Handlers) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/sessions/{id}/export", h.exportSession)
	mux.HandleFunc("POST /api/import", h.importFile)
	mux.HandleFunc("PATCH /api/sessions/{id}", h.updateSession)
	mux.HandleFunc("POST /api/sessions/{id}/share", h.createShare)
	mux.HandleFunc("DELETE /api/shares/{token}", h.revokeShare)
	mux.HandleFunc("PUT /api/exchanges/{id}/star", h.star(true))
	mux.HandleFunc("DELETE /api/exchanges/{id}/star", h.star(false))
	mux.HandleFunc("PUT /api/exchanges/{id}/note", h.setNote)

	mux.HandleFunc("GET /s/{token}", h.sharePage)
	mux.HandleFunc("GET /s/{token}/exchanges/{id}", h.shareExchangePage)
	mux.HandleFunc("/s/", h.shareOther)
}

// errBadRequest marks client errors answered with 400.
var errBadRequest = errors.New("bad request")

// statusOf maps an error to its HTTP status in one place; cancellation first.
func statusOf(err error) int {
	switch {
	case errors.Is(err, context.Canceled):
		return 499
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrInvalid), errors.Is(err, store.ErrInvalid), errors.Is(err, errBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, store.ErrNameTaken):
		return http.StatusConflict
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}

func (h *Handlers) apiError(w http.ResponseWriter, r *http.Request, err error) {
	code := statusOf(err)
	if code >= 500 && code != 499 {
		h.log.Error("share api", slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", code), slog.Any("err", err))
	}
	body := map[string]any{"error": err.Error()}
	var ie *InvalidError
	if errors.As(err, &ie) {
		body["problems"] = ie.Problems
	}
	httpjson.Write(w, code, body)
}

// decodeBody reads a small JSON request body; an empty body is allowed when
// optional.
func decodeBody(r *http.Request, v any, optional bool) error {
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%w: read body: %v", errBadRequest, err)
	}
	if optional && len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: body: %v", errBadRequest, err)
	}
	return nil
}

func truthy(s string) bool {
	b, err := strconv.ParseBool(s)
	return err == nil && b || s == "yes" || s == "on"
}

// exportSession serves GET /api/sessions/{id}/export?format=har|json as a
// download. Query: starred=1, ids=a,b, q, route, method, outcome, and
// redact=0 to opt out (the dashboard is the owner's; share links never can).
func (h *Handlers) exportSession(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = FormatHAR
	}
	sel := Selection{Session: r.PathValue("id"), Starred: truthy(q.Get("starred")),
		Filter: store.Filter{Query: q.Get("q"), Route: q.Get("route"), Method: q.Get("method"), Outcome: q.Get("outcome")}}
	if ids := q.Get("ids"); ids != "" {
		sel.IDs = strings.Split(ids, ",")
	}
	rules := h.opts.Rules
	if v := q.Get("redact"); v != "" {
		if off, err := strconv.ParseBool(v); err == nil && !off {
			rules.Off = true
		}
	}
	var buf bytes.Buffer
	res, err := Export(r.Context(), h.st, &buf, sel,
		ExportOptions{Format: format, Rules: rules, Version: h.opts.Version, Now: h.opts.Now})
	if err != nil {
		h.apiError(w, r, err)
		return
	}
	ext := ".json"
	ctype := "application/json"
	if format == FormatHAR {
		ext = ".har"
	}
	name := fileName(res.Session.Name) + ext
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Gatescope-Redacted", strconv.Itoa(res.Redaction.Redacted))
	w.Write(buf.Bytes())
}

// fileName makes a session name safe as a download file name.
func fileName(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "session"
	}
	return strings.Trim(b.String(), ".")
}

// importFile serves POST /api/import: the file as multipart form field
// "file" (the first file part) or as the raw body. Query: session=NAME,
// partial=1.
func (h *Handlers) importFile(w http.ResponseWriter, r *http.Request) {
	// Multipart framing adds little; the importer enforces MaxImportSize.
	r.Body = http.MaxBytesReader(w, r.Body, MaxImportSize+1<<20)
	var src io.Reader = r.Body
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		mr, err := r.MultipartReader()
		if err != nil {
			h.apiError(w, r, fmt.Errorf("%w: %v", errBadRequest, err))
			return
		}
		for {
			part, err := mr.NextPart()
			if err != nil {
				h.apiError(w, r, fmt.Errorf("%w: no file in the upload (form field \"file\")", errBadRequest))
				return
			}
			if part.FormName() == "file" || part.FileName() != "" {
				src = part
				break
			}
		}
	}
	q := r.URL.Query()
	res, err := Import(r.Context(), h.st, src, ImportOptions{Session: q.Get("session"),
		Partial: truthy(q.Get("partial")), Now: h.opts.Now})
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = fmt.Errorf("%w: the upload is larger than %d MB", ErrTooLarge, MaxImportSize>>20)
	}
	if err != nil {
		h.apiError(w, r, fmt.Errorf("import: %w", err))
		return
	}
	httpjson.Write(w, http.StatusOK, res)
}

func (h *Handlers) updateSession(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name *string `json:"name"`
		Note *string `json:"note"`
	}
	if err := decodeBody(r, &body, false); err != nil {
		h.apiError(w, r, err)
		return
	}
	s, err := h.st.Session(r.Context(), r.PathValue("id"))
	if err != nil {
		h.apiError(w, r, err)
		return
	}
	s, err = h.st.UpdateSession(r.Context(), s.ID, store.SessionUpdate{Name: body.Name, Note: body.Note})
	if err != nil {
		h.apiError(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, s)
}

func (h *Handlers) star(on bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if err := h.st.SetStar(r.Context(), id, on); err != nil {
			h.apiError(w, r, err)
			return
		}
		httpjson.Write(w, http.StatusOK, map[string]any{"id": id, "starred": on})
	}
}

func (h *Handlers) setNote(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Note string `json:"note"`
	}
	if err := decodeBody(r, &body, false); err != nil {
		h.apiError(w, r, err)
		return
	}
	id := r.PathValue("id")
	if err := h.st.SetNote(r.Context(), id, body.Note); err != nil {
		h.apiError(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"id": id, "note": body.Note})
}

// ShareLink is the answer to POST /api/sessions/{id}/share.
type ShareLink struct {
	URL       string    `json:"url"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// newToken returns a 128-bit random token (base64url) and its SHA-256, the
// only form the store keeps.
func newToken() (string, []byte) {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand panics on broken systems)
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	return tok, hashToken(tok)
}

func hashToken(tok string) []byte {
	sum := sha256.Sum256([]byte(tok))
	return sum[:]
}

func (h *Handlers) createShare(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ExpiresIn string `json:"expiresIn"`
	}
	if err := decodeBody(r, &body, true); err != nil {
		h.apiError(w, r, err)
		return
	}
	ttl := DefaultShareTTL
	if body.ExpiresIn != "" {
		d, err := time.ParseDuration(body.ExpiresIn)
		if err != nil || d <= 0 || d > MaxShareTTL {
			h.apiError(w, r, fmt.Errorf("%w: expiresIn %q: want a duration such as \"24h\", at most %s",
				errBadRequest, body.ExpiresIn, MaxShareTTL))
			return
		}
		ttl = d
	}
	s, err := h.st.Session(r.Context(), r.PathValue("id"))
	if err != nil {
		h.apiError(w, r, err)
		return
	}
	tok, hash := newToken()
	exp := h.opts.Now().Add(ttl).UTC()
	if err := h.st.CreateShare(r.Context(), hash, s.ID, exp); err != nil {
		h.apiError(w, r, err)
		return
	}
	// The link points where the caller reached us: the ui address.
	httpjson.Write(w, http.StatusCreated, ShareLink{URL: "http://" + r.Host + "/s/" + tok, Token: tok, ExpiresAt: exp})
}

func (h *Handlers) revokeShare(w http.ResponseWriter, r *http.Request) {
	if err := h.st.RevokeShare(r.Context(), hashToken(r.PathValue("token"))); err != nil {
		h.apiError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
