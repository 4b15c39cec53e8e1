// Package replay re-runs captured exchanges: the HTTP request again through
// the gateway (routing, event, invoke, mapping), or the captured event
// straight to a function, optionally edited and against another target.
package replay

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/config"
	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gatescope/gatescope/server/gateway"
	"github.com/gatescope/gatescope/server/httpio"
	"github.com/gatescope/gatescope/server/lambda"
	"github.com/gatescope/gatescope/store"
)

// ErrBadEdit marks an edit that cannot be replayed (invalid JSON, no
// event); the API answers it with 400.
var ErrBadEdit = httpio.NewKind("invalid replay edit", http.StatusBadRequest)

// ErrConfirmRemote marks a replay that would invoke a deployed function
// (an ARN no local function answers to) without the caller's explicit
// confirmation; the API answers it with 400.
var ErrConfirmRemote = httpio.NewKind("replaying against a deployed function needs confirmation", http.StatusBadRequest)

// RemoteError is ErrConfirmRemote for one target. Its details name the
// target ("confirmRemote": ARN), which the dashboard asks the user about.
type RemoteError struct{ Target string }

func (e *RemoteError) Error() string {
	return fmt.Sprintf("replaying against %s invokes the deployed function with your AWS credentials and sends it the captured data; "+
		`send "confirmRemote": true to do it`, e.Target)
}

// Unwrap makes a RemoteError an ErrConfirmRemote.
func (e *RemoteError) Unwrap() error { return ErrConfirmRemote }

// Details puts the target beside the message in the API's answer.
func (e *RemoteError) Details() (string, any) { return "confirmRemote", e.Target }

// Store is what replay reads originals from and writes replays to.
type Store interface {
	Exchange(ctx context.Context, id string) (*exchange.Exchange, error)
	InsertExchanges(ctx context.Context, xs []*exchange.Exchange) error
	Exchanges(ctx context.Context, f store.Filter) ([]*exchange.Exchange, string, error)
	Session(ctx context.Context, idOrName string) (*store.Session, error)
	// DeploymentsBetween says what was deployed between an original and
	// its replay (Diff.Since).
	DeploymentsBetween(ctx context.Context, after, upto int64) ([]*exchange.Deployment, error)
}

var _ Store = (*store.DB)(nil)

// Edit changes a replay. Nil fields keep the original's values.
type Edit struct {
	Request *RequestEdit    `json:"request,omitempty"`
	Event   json.RawMessage `json:"event,omitempty"`
	// Templates replace the mapping templates of a REST non-proxy
	// integration for this replay of the request: a user iterates on a
	// template against the captured request without redeploying.
	Templates *apigw.TemplateEdit `json:"templates,omitempty"`
	// Target is "", "local", a function name or an ARN.
	Target string `json:"target,omitempty"`
	// ConfirmRemote must be true when the replay would invoke a deployed
	// function (see Replayer.Remote): the request itself says so, since a
	// page of another site cannot be trusted to have asked the user.
	ConfirmRemote bool `json:"confirmRemote,omitempty"`
}

// RequestEdit replaces parts of the captured HTTP request. Query is a
// pointer so that "" (no query) differs from nil (keep the original's).
type RequestEdit struct {
	Method  string              `json:"method,omitempty"`
	Path    string              `json:"path,omitempty"`
	Query   *string             `json:"query,omitempty"`
	Headers map[string][]string `json:"headers,omitempty"`
	Body    *string             `json:"body,omitempty"`
}

// Replayer replays exchanges and records each replay as a new exchange
// with ReplayOf set.
type Replayer struct {
	store   Store
	gw      *gateway.Gateway
	invoker gateway.Invoker
	session func() string
	publish func([]*exchange.Exchange)
	now     func() time.Time
}

// New returns a Replayer. publish, when not nil, is told of each stored replay.
func New(store Store, gw *gateway.Gateway, invoker gateway.Invoker, session func() string, publish func([]*exchange.Exchange)) *Replayer {
	return &Replayer{store: store, gw: gw, invoker: invoker, session: session, publish: publish, now: time.Now}
}

// localFunctions is what tells a local function from a deployed one
// (lambda.Manager).
type localFunctions interface {
	Function(name string) *config.Function
}

var _ localFunctions = (*lambda.Manager)(nil)

// Remote reports whether invoking name would reach a deployed function
// rather than a local one: an ARN that no local function answers to
// (lambda.Manager invokes an ARN of another account through the AWS SDK,
// with the user's credentials). Names are always local or unknown.
func (r *Replayer) Remote(name string) bool {
	if !strings.HasPrefix(name, "arn:") {
		return false
	}
	lf, ok := r.invoker.(localFunctions)
	return !ok || lf.Function(name) == nil
}

// confirmed returns a RemoteError when fn is remote and not confirmed.
func (r *Replayer) confirmed(fn string, confirm bool) error {
	if !confirm && r.Remote(fn) {
		return &RemoteError{Target: fn}
	}
	return nil
}

// Exchange returns a stored exchange (an original or a replay).
func (r *Replayer) Exchange(ctx context.Context, id string) (*exchange.Exchange, error) {
	return r.store.Exchange(ctx, id)
}

// Replay re-runs exchange id with the edit applied, stores the replay and
// returns it. The replay is written synchronously: the caller shows it next.
func (r *Replayer) Replay(ctx context.Context, id string, e Edit) (*exchange.Exchange, error) {
	orig, err := r.store.Exchange(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("replay %s: %w", id, err)
	}
	return r.replay(ctx, orig, e)
}

// replay re-runs orig, stores the replay and returns it.
func (r *Replayer) replay(ctx context.Context, orig *exchange.Exchange, e Edit) (*exchange.Exchange, error) {
	id := orig.ID
	var err error
	var x *exchange.Exchange
	if e.Templates != nil && (e.Event != nil || orig.Mapping == nil) {
		return nil, fmt.Errorf("%w: exchange %s went through no mapping template: only a request to a REST custom, mock or HTTP integration can replay with edited templates", ErrBadEdit, id)
	}
	switch {
	case orig.ConnectionID != "" && e.Event == nil: // websocket.go
		x, err = r.replayWebSocket(ctx, orig, e)
	case e.Event != nil || orig.RouteKey == "":
		x, err = r.invokeDirect(ctx, orig, e)
	default:
		x, err = r.resend(ctx, orig, e)
	}
	if err != nil {
		return nil, err
	}
	x.ReplayOf = orig.ID
	if err := r.store.InsertExchanges(ctx, []*exchange.Exchange{x}); err != nil {
		return nil, fmt.Errorf("store replay of %s: %w", id, err)
	}
	if r.publish != nil {
		r.publish([]*exchange.Exchange{x})
	}
	return x, nil
}

// resend sends the captured HTTP request through the gateway again. The
// route's own function comes from the template; only a target can name a
// deployed one.
func (r *Replayer) resend(ctx context.Context, orig *exchange.Exchange, e Edit) (*exchange.Exchange, error) {
	if err := r.confirmed(targetName(e.Target), e.ConfirmRemote); err != nil {
		return nil, err
	}
	req, err := Request(orig, e.Request, r.now())
	if err != nil {
		return nil, err
	}
	req.Templates = e.Templates
	start := r.now()
	_, x := r.gw.DoWith(ctx, req, targetName(e.Target))
	x.Timings.SentMs = float64(r.now().Sub(start)) / float64(time.Millisecond)
	x.DurationMs = x.Timings.SentMs
	return x, nil
}

// Request rebuilds the gateway request of a captured exchange, edited.
func Request(orig *exchange.Exchange, ed *RequestEdit, now time.Time) (*apigw.Request, error) {
	path, query, _ := strings.Cut(orig.Request.URL, "?")
	body := []byte(orig.Request.Body)
	if orig.Request.IsBase64 {
		b, err := base64.StdEncoding.DecodeString(orig.Request.Body)
		if err != nil {
			return nil, fmt.Errorf("%w: captured body of %s is not valid base64: %v", ErrBadEdit, orig.ID, err)
		}
		body = b
	}
	header, sent := headersAsSent(orig.Request.Headers)
	method := orig.Request.Method
	if ed != nil {
		if ed.Method != "" {
			method = strings.ToUpper(ed.Method)
		}
		if ed.Path != "" {
			if !strings.HasPrefix(ed.Path, "/") {
				return nil, fmt.Errorf("%w: path %q must start with /", ErrBadEdit, ed.Path)
			}
			path = ed.Path
		}
		if ed.Query != nil {
			query = strings.TrimPrefix(*ed.Query, "?")
		}
		if ed.Headers != nil {
			header, sent = headersAsSent(ed.Headers)
		}

		if ed.Body != nil {
			body = []byte(*ed.Body)
		}
	}
	if body != nil && header.Get("Content-Length") != "" {
		header.Set("Content-Length", fmt.Sprint(len(body)))
	}
	host := header.Get("Host")
	return &apigw.Request{
		Method: method, RawPath: path, RawQuery: query, Proto: "HTTP/1.1",
		Host: host, Header: header, HeaderCase: sent, Body: body, SourceIP: "127.0.0.1", Time: now,
	}, nil
}

// headersAsSent keys headers by canonical name, as a server would, and keeps
// the names as given so a REST event passes them spelled as captured.
func headersAsSent(in map[string][]string) (http.Header, map[string]string) {
	h := make(http.Header, len(in))
	sent := make(map[string]string, len(in))
	for k, vs := range in {
		ck := http.CanonicalHeaderKey(k)
		h[ck] = append(h[ck], vs...)
		if _, ok := sent[ck]; !ok {
			sent[ck] = k
		}
	}
	return h, sent
}

// invokeDirect re-invokes the function with the captured (or edited) event.
func (r *Replayer) invokeDirect(ctx context.Context, orig *exchange.Exchange, e Edit) (*exchange.Exchange, error) {
	event := orig.Event
	if e.Event != nil {
		if !json.Valid(e.Event) {
			return nil, fmt.Errorf("%w: the edited event is not valid JSON", ErrBadEdit)
		}
		event = e.Event
	}
	if len(event) == 0 {
		return nil, fmt.Errorf("%w: exchange %s has no Lambda event to replay", ErrBadEdit, orig.ID)
	}
	fn := orig.Function.Name
	if t := targetName(e.Target); t != "" {
		fn = t
	}
	if fn == "" {
		return nil, fmt.Errorf("%w: exchange %s names no function; give a target", ErrBadEdit, orig.ID)
	}
	// An imported exchange may name a deployed function itself.
	if err := r.confirmed(fn, e.ConfirmRemote); err != nil {
		return nil, err
	}
	start := r.now()
	res, err := r.invoker.Invoke(ctx, fn, lambda.Request{Payload: event})
	return gateway.InvokeExchange(r.session(), fn, event, res, err, start, r.now()), nil
}

// targetName is the function to use instead of the route's: "" keeps it.
func targetName(t string) string {
	if t == "local" {
		return ""
	}
	return t
}
