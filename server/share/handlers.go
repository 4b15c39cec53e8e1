package share

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/httpio"
	"github.com/gatescope/gatescope/store"
)

// Store is everything the handlers use; *store.DB implements it.
type Store interface {
	Exporter
	Importer
	Exchange(ctx context.Context, id string) (*exchange.Exchange, error)
	CreateShare(ctx context.Context, hash []byte, sessionID string, expiresAt time.Time) error
	ShareByHash(ctx context.Context, hash []byte) (*store.Share, error)
	SharedExchange(ctx context.Context, sh *store.Share, id string) (*exchange.Exchange, error)
	SessionShares(ctx context.Context, sessionID string) ([]*store.Share, error)
	RevokeShare(ctx context.Context, hash []byte) error
	RevokeShareID(ctx context.Context, sessionID, id string) error
	RevokeSessionShares(ctx context.Context, sessionID string) (int, error)
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
	// APIAddr completes HAR URLs of requests that name no Host.
	APIAddr string
	// BaseURL is the dashboard's own URL (http://host:port), which share
	// links start with. It is never taken from a request's Host header,
	// which the client chooses; without it links are relative (/s/...).
	BaseURL string
	// Rules are extra redaction rules for HTTP exports and share pages;
	// the defaults always apply there.
	Rules Rules
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Handlers serve exports, imports and share links; package ui mounts them.
type Handlers struct {
	log  *slog.Logger
	st   Store
	opts Options
}

// New returns the handlers.
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

func truthy(s string) bool {
	b, err := strconv.ParseBool(s)
	return err == nil && b || s == "yes" || s == "on"
}

// ExportSession serves GET /api/sessions/{id}/export?format=har|json|html
// as a download (html: the share file). Query: starred=1, ids=a,b, q, route, method, outcome, and
// redact=0 to opt out (the dashboard is the owner's; share links never can).
func (h *Handlers) ExportSession(w http.ResponseWriter, r *http.Request) {
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
		ExportOptions{Format: format, Rules: rules, Version: h.opts.Version, Now: h.opts.Now, APIAddr: h.opts.APIAddr})
	if err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	ext := ".json"
	ctype := "application/json"
	switch format {
	case FormatHAR:
		ext = ".har"
	case FormatHTML:
		// A download, never a page of the dashboard's origin: the file's
		// own policy and script are for file://.
		ext, ctype = ".html", "text/html; charset=utf-8"
		w.Header().Set("Content-Security-Policy", "sandbox; default-src 'none'")
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

// ImportFile serves POST /api/import: the file as multipart form field
// "file" (the first file part) or as the raw body. Query: session=NAME,
// partial=1.
func (h *Handlers) ImportFile(w http.ResponseWriter, r *http.Request) {
	// Multipart framing adds little; the importer enforces MaxImportSize.
	r.Body = http.MaxBytesReader(w, r.Body, MaxImportSize+1<<20)
	var src io.Reader = r.Body
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		mr, err := r.MultipartReader()
		if err != nil {
			httpio.Error(h.log, w, r, httpio.BadRequest("%v", err))
			return
		}
		for {
			part, err := mr.NextPart()
			if err != nil {
				httpio.Error(h.log, w, r, httpio.BadRequest(`no file in the upload (form field "file")`))
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
		httpio.Error(h.log, w, r, fmt.Errorf("import: %w", err))
		return
	}
	httpio.WriteJSON(w, http.StatusOK, res)
}

// ShareLink is the answer to POST /api/sessions/{id}/share.
type ShareLink struct {
	URL       string    `json:"url"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
	// Reach says in one sentence where the link opens: only where the
	// dashboard's address is reachable, which is this machine by default.
	Reach string `json:"reach"`
}

// Reach is the sentence that says where a link under baseURL opens. A
// link is served by the dashboard itself, so it reaches exactly as far as
// the dashboard's address: this machine on loopback (the default), the
// network on a LAN address (--ui-addr; share links need no dashboard
// token), and nobody once gatescope stops. The share file reaches the
// rest.
func Reach(baseURL string) string {
	const file = " For anyone else, send a share file (Share file, or gatescope export --format html): it opens offline in any browser."
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		return "This link opens only where this dashboard's address is reachable, and only while gatescope runs." + file
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "3001"
	}
	ip := net.ParseIP(host)
	if host == "localhost" || ip != nil && ip.IsLoopback() {
		return "This link opens only on this machine, while gatescope runs: the dashboard listens on " + u.Host +
			" (loopback). For someone on your network, serve with --ui-addr 0.0.0.0:" + port +
			" (the dashboard then asks for its token; share links do not)." + file
	}
	return "This link opens wherever " + u.Host + " is reachable (your network), without the dashboard's token, while gatescope runs." + file
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

// CreateShare serves POST /api/sessions/{id}/share.
func (h *Handlers) CreateShare(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ExpiresIn string `json:"expiresIn"`
	}
	if err := httpio.Decode(w, r, &body, httpio.DecodeOptions{Limit: 64 << 10, Optional: true}); err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	ttl := DefaultShareTTL
	if body.ExpiresIn != "" {
		d, err := time.ParseDuration(body.ExpiresIn)
		if err != nil || d <= 0 || d > MaxShareTTL {
			httpio.Error(h.log, w, r, httpio.BadRequest(`expiresIn %q: want a duration such as "24h", at most %s`,
				body.ExpiresIn, MaxShareTTL))
			return
		}
		ttl = d
	}
	s, err := h.st.Session(r.Context(), r.PathValue("id"))
	if err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	tok, hash := newToken()
	exp := h.opts.Now().Add(ttl).UTC()
	if err := h.st.CreateShare(r.Context(), hash, s.ID, exp); err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	httpio.WriteJSON(w, http.StatusCreated, ShareLink{URL: strings.TrimRight(h.opts.BaseURL, "/") + "/s/" + tok, Token: tok,
		ExpiresAt: exp, Reach: Reach(h.opts.BaseURL)})
}

// RevokeShare serves DELETE /api/shares/{token}.
func (h *Handlers) RevokeShare(w http.ResponseWriter, r *http.Request) {
	if err := h.st.RevokeShare(r.Context(), hashToken(r.PathValue("token"))); err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// ShareInfo is a share link as the dashboard lists it. Its token is never
// known again (only its hash is stored), so ID names it.
type ShareInfo struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	Snapshot  Snapshot  `json:"snapshot"`
}

// Snapshot is what a link shows: the exchanges its session had when the
// link was made (createdAt), minus any deleted or pruned since.
type Snapshot struct {
	Exchanges    int    `json:"exchanges"`
	LastExchange string `json:"lastExchange,omitempty"` // the newest one's id
}

type sharesResponse struct {
	Shares []ShareInfo `json:"shares"`
}

// ListShares serves GET /api/sessions/{id}/shares: the session's live
// links, newest first.
func (h *Handlers) ListShares(w http.ResponseWriter, r *http.Request) {
	s, err := h.st.Session(r.Context(), r.PathValue("id"))
	if err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	shares, err := h.st.SessionShares(r.Context(), s.ID)
	if err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	out := sharesResponse{Shares: make([]ShareInfo, 0, len(shares))}
	for _, sh := range shares {
		out.Shares = append(out.Shares, ShareInfo{ID: sh.ID(), CreatedAt: sh.CreatedAt.UTC(), ExpiresAt: sh.ExpiresAt.UTC(),
			Snapshot: Snapshot{Exchanges: sh.Exchanges, LastExchange: sh.LastID}})
	}
	httpio.WriteJSON(w, http.StatusOK, out)
}

// RevokeShareID serves DELETE /api/sessions/{id}/shares/{shareId}: revoke
// one of the session's links by the id ListShares gave it.
func (h *Handlers) RevokeShareID(w http.ResponseWriter, r *http.Request) {
	s, err := h.st.Session(r.Context(), r.PathValue("id"))
	if err == nil {
		err = h.st.RevokeShareID(r.Context(), s.ID, r.PathValue("shareId"))
	}
	if err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// RevokeSessionShares serves DELETE /api/sessions/{id}/shares: revoke every
// link of the session, answering how many there were.
func (h *Handlers) RevokeSessionShares(w http.ResponseWriter, r *http.Request) {
	s, err := h.st.Session(r.Context(), r.PathValue("id"))
	if err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	n, err := h.st.RevokeSessionShares(r.Context(), s.ID)
	if err != nil {
		httpio.Error(h.log, w, r, err)
		return
	}
	httpio.WriteJSON(w, http.StatusOK, map[string]int{"revoked": n})
}
