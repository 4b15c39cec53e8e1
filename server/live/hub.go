package live

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gatescope/gatescope/server/exchange"
	"github.com/gorilla/websocket"
)

const (
	// writeWait bounds each write; a client that can't take a frame in this
	// time is gone.
	writeWait = 10 * time.Second
	// pongWait is how long a client may stay silent (no pong). Must be
	// greater than pingPeriod.
	pongWait   = 60 * time.Second
	pingPeriod = pongWait * 9 / 10
	// maxMessageSize bounds what a client may send: the feed is one-way, so
	// anything big is abuse.
	maxMessageSize = 4096
	// sendBuffer is how many messages a client may lag behind before it is
	// dropped (it reconnects with ?after= and catches up from the store).
	sendBuffer = 64
	// publishBuffer is how many batches may wait for the hub goroutine.
	publishBuffer = 256
	// deployBuffer is how many deployment frames may wait: deployments
	// come one per save, and a page that missed one asks /api/deployments
	// when it reconnects.
	deployBuffer = 16
	// statsEvery is how often the hub looks at the counts while a client is
	// connected; a stats frame goes out only when they changed, so a burst
	// costs at most four frames a second and an idle feed none.
	statsEvery = 250 * time.Millisecond
)

// Summary is the live-feed view of an exchange: enough for one list row.
type Summary struct {
	ID        string    `json:"id"`
	Session   string    `json:"session"`
	StartedAt time.Time `json:"startedAt"`
	Method    string    `json:"method"`
	URL       string    `json:"url"`
	RouteKey  string    `json:"routeKey"`
	Status    int       `json:"status"`
	Outcome   string    `json:"outcome"`
	// Failed is exchange.Failed, sent so the browser never re-derives it.
	Failed      bool    `json:"failed"`
	DurationMs  float64 `json:"durationMs"`
	Cold        bool    `json:"cold"`
	Function    string  `json:"function"`
	Explanation string  `json:"explanation"`
	// ConnectionID names a WebSocket exchange's connection: its
	// connection page follows the feed by it.
	ConnectionID string `json:"connectionId,omitempty"`
}

// Summarize returns the Summary of x.
func Summarize(x *exchange.Exchange) Summary {
	return Summary{
		ID: x.ID, Session: x.Session, StartedAt: x.StartedAt,
		Method: x.Request.Method, URL: x.Request.URL, RouteKey: x.RouteKey,
		Status: x.Response.Status, Outcome: string(x.Outcome), Failed: x.Failed(), DurationMs: x.DurationMs,
		Cold: x.Function.Cold, Function: x.Function.Name, Explanation: x.Explanation, ConnectionID: x.ConnectionID,
	}
}

// Message is one live-feed frame of exchanges. Dropped is the number of
// exchanges the feed lost so far (capture drops plus batches the hub could
// not keep up with), so the UI can show that it is incomplete.
type Message struct {
	Type    string    `json:"type"` // "exchanges"
	Items   []Summary `json:"items"`
	Dropped uint64    `json:"dropped"`
}

// Counts are the capture pipeline's totals since start, the numbers
// /api/stats reports.
type Counts struct {
	// Captured is how many exchanges were committed to the store.
	Captured uint64 `json:"captured"`
	// Dropped is how many exchanges capture had no room for.
	Dropped uint64 `json:"dropped"`
}

// StatsMessage is the frame that carries the counts: sent to each client
// when it connects and then whenever they change. Its Dropped means what
// Message.Dropped means. A browser shows these numbers rather than counting
// rows itself: exchanges commit out of id order, and a page cannot know
// what it never received.
type StatsMessage struct {
	Type string `json:"type"` // "stats"
	Counts
}

// DeploymentMessage is the frame of a deployment (a reload): sent when it
// starts and again when its builds end, so a page shows it building and
// then how it went. Pages keep the newest frame of each id.
type DeploymentMessage struct {
	Type       string               `json:"type"` // "deployment"
	Deployment *exchange.Deployment `json:"deployment"`
}

// HubOption configures a Hub.
type HubOption func(*Hub)

// WithBacklog makes the hub answer ?after=<id> on connect: backlog returns
// the exchanges stored after that id, oldest first, sent before live
// batches. Live batches may repeat some of them; clients dedupe by id.
func WithBacklog(backlog func(ctx context.Context, after string) ([]*exchange.Exchange, error)) HubOption {
	return func(h *Hub) { h.backlog = backlog }
}

// WithCounts gives the hub the capture counts (e.g. Pipeline.Written and
// Pipeline.Dropped): it sends them in stats frames, and adds their Dropped
// to each message's dropped field. counts is called from the hub's
// goroutines, at most a few times a second per client, so it must be cheap
// and safe for concurrent use (atomic loads).
func WithCounts(counts func() Counts) HubOption {
	return func(h *Hub) { h.counts = counts }
}

// WithCheckOrigin makes the hub accept a websocket only when check(r) is
// true, in place of gorilla's default, which compares Origin with Host
// alone: a page on a rebound domain has both its own, and passes. Give it
// the dashboard's own origins (ui.Hosts.CheckOrigin).
func WithCheckOrigin(check func(r *http.Request) bool) HubOption {
	return func(h *Hub) { h.upgrader.CheckOrigin = check }
}

// Hub fans committed exchanges out to websocket clients. One goroutine (Run)
// owns the client set; a client that falls behind is dropped, never waited
// for.
type Hub struct {
	log      *slog.Logger
	upgrader websocket.Upgrader
	backlog  func(ctx context.Context, after string) ([]*exchange.Exchange, error)
	counts   func() Counts

	register   chan *client
	unregister chan *client
	publish    chan []*exchange.Exchange
	deploys    chan *websocket.PreparedMessage
	done       chan struct{} // closed when Run returns

	clients atomic.Int64  // connected clients, read by Publish
	dropped atomic.Uint64 // exchanges lost because publish was full
}

type client struct {
	conn *websocket.Conn
	send chan *websocket.PreparedMessage
	// first holds the ?after= backlog, written before anything from send.
	first *websocket.PreparedMessage
}

// NewHub returns a hub; call Run to start it.
func NewHub(logger *slog.Logger, opts ...HubOption) *Hub {
	h := &Hub{
		log:        logger,
		register:   make(chan *client),
		unregister: make(chan *client),
		publish:    make(chan []*exchange.Exchange, publishBuffer),
		deploys:    make(chan *websocket.PreparedMessage, deployBuffer),
		done:       make(chan struct{}),
		// Without WithCheckOrigin, gorilla's same-origin check (Origin
		// equals Host): a page on another site must not read the traffic.
		upgrader: websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 4096},
	}
	for _, o := range opts {
		o(h)
	}
	return h
}

// Publish hands a committed batch to the hub. It never blocks and does
// nothing when no client is connected.
func (h *Hub) Publish(xs []*exchange.Exchange) {
	if len(xs) == 0 || h.clients.Load() == 0 {
		return
	}
	select {
	case h.publish <- xs:
	default:
		h.dropped.Add(uint64(len(xs)))
	}
}

// PublishDeployment sends d's current state to every client. It never
// blocks: d is encoded at once, so the caller may change it afterwards.
func (h *Hub) PublishDeployment(d *exchange.Deployment) {
	if d == nil || h.clients.Load() == 0 {
		return
	}
	b, err := json.Marshal(DeploymentMessage{Type: "deployment", Deployment: d})
	var msg *websocket.PreparedMessage
	if err == nil {
		msg, err = websocket.NewPreparedMessage(websocket.TextMessage, b)
	}
	if err != nil {
		h.log.Error("live feed: encode deployment", slog.Any("err", err))
		return
	}
	select {
	case h.deploys <- msg:
	default:
	}
}

// Run owns the client set until ctx is done, then closes every client.
func (h *Hub) Run(ctx context.Context) {
	defer close(h.done)
	clients := map[*client]bool{}
	// The stats ticker runs only while someone listens (and the hub has
	// counts): with nobody connected the hub does no work at all.
	stats := time.NewTicker(statsEvery)
	stats.Stop()
	defer stats.Stop()
	var sent Counts // the counts in the last stats frame broadcast
	setClients := func() {
		h.clients.Store(int64(len(clients)))
		if len(clients) == 0 {
			stats.Stop()
		}
	}
	defer func() {
		for c := range clients {
			close(c.send) // the write pump sends a close frame and quits
		}
		h.clients.Store(0)
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case c := <-h.register:
			clients[c] = true
			if h.counts != nil {
				if len(clients) == 1 {
					stats.Reset(statsEvery)
				}
				// A new client gets the counts at once, not at the next change.
				if msg, cur, err := h.prepareStats(); err == nil {
					c.send <- msg // cannot block: c.send is new and empty
					if len(clients) == 1 {
						sent = cur
					}
				}
			}
			setClients()
		case c := <-h.unregister:
			if clients[c] {
				delete(clients, c)
				close(c.send)
				setClients()
			}
		case <-stats.C:
			if len(clients) == 0 {
				continue // a tick from before the last client left
			}
			msg, cur, err := h.prepareStats()
			if err != nil || cur == sent {
				continue
			}
			sent = cur
			h.broadcast(clients, msg)
			setClients()
		case msg := <-h.deploys:
			if len(clients) > 0 {
				h.broadcast(clients, msg)
				setClients()
			}
		case xs := <-h.publish:
			if len(clients) == 0 {
				continue
			}
			msg, err := h.prepare(xs)
			if err != nil {
				h.log.Error("live feed: encode batch", slog.Any("err", err))
				continue
			}
			h.broadcast(clients, msg)
			setClients()
		}
	}
}

// broadcast queues msg for every client, dropping (and closing) any client
// whose buffer is full rather than waiting for it. Only Run calls it.
func (h *Hub) broadcast(clients map[*client]bool, msg *websocket.PreparedMessage) {
	for c := range clients {
		select {
		case c.send <- msg:
		default: // too slow: drop it rather than wait
			delete(clients, c)
			close(c.send)
		}
	}
}

// feedCounts returns the counts as clients see them: capture's drops plus
// the batches the hub itself could not keep up with.
func (h *Hub) feedCounts() Counts {
	var c Counts
	if h.counts != nil {
		c = h.counts()
	}
	c.Dropped += h.dropped.Load()
	return c
}

// prepareStats encodes and frames the current counts once for all clients.
func (h *Hub) prepareStats() (*websocket.PreparedMessage, Counts, error) {
	cur := h.feedCounts()
	b, err := json.Marshal(StatsMessage{Type: "stats", Counts: cur})
	var msg *websocket.PreparedMessage
	if err == nil {
		msg, err = websocket.NewPreparedMessage(websocket.TextMessage, b)
	}
	if err != nil {
		h.log.Error("live feed: encode stats", slog.Any("err", err))
	}
	return msg, cur, err
}

// prepare encodes and frames a batch once for all clients.
func (h *Hub) prepare(xs []*exchange.Exchange) (*websocket.PreparedMessage, error) {
	m := Message{Type: "exchanges", Items: make([]Summary, len(xs)), Dropped: h.feedCounts().Dropped}
	for i, x := range xs {
		m.Items[i] = Summarize(x)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return websocket.NewPreparedMessage(websocket.TextMessage, b)
}

// ServeWS upgrades a same-origin request (others get 403) and streams
// batches to it until it disconnects, lags or the hub stops.
func (h *Hub) ServeWS(w http.ResponseWriter, r *http.Request) {
	select {
	case <-h.done:
		http.Error(w, "live feed stopped", http.StatusServiceUnavailable)
		return
	default:
	}
	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade already replied (403 for a foreign origin)
	}
	c := &client{conn: conn, send: make(chan *websocket.PreparedMessage, sendBuffer)}
	select {
	case h.register <- c:
	case <-h.done:
		conn.Close()
		return
	}
	// Registered before reading the backlog, so nothing committed in between
	// is missed (it may arrive twice).
	if after := r.URL.Query().Get("after"); after != "" && h.backlog != nil {
		xs, err := h.backlog(r.Context(), after)
		if err != nil {
			h.log.Warn("live feed: backlog", slog.String("after", after), slog.Any("err", err))
		} else if len(xs) > 0 {
			if c.first, err = h.prepare(xs); err != nil {
				h.log.Error("live feed: encode backlog", slog.Any("err", err))
			}
		}
	}
	go h.writePump(c)
	h.readPump(c)
}

// readPump consumes pongs (and discards anything else) so the connection's
// deadline moves; it unregisters the client when the connection ends.
func (h *Hub) readPump(c *client) {
	defer func() {
		select {
		case h.unregister <- c:
		case <-h.done:
		}
		c.conn.Close()
	}()
	c.conn.SetReadLimit(maxMessageSize)
	c.conn.SetReadDeadline(time.Now().Add(pongWait))
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(time.Now().Add(pongWait))
	})
	for {
		if _, _, err := c.conn.NextReader(); err != nil {
			return
		}
	}
}

// writePump is the connection's only writer.
func (h *Hub) writePump(c *client) {
	ticker := time.NewTicker(pingPeriod)
	defer func() {
		ticker.Stop()
		c.conn.Close() // ends readPump too
	}()
	if c.first != nil {
		c.conn.SetWriteDeadline(time.Now().Add(writeWait))
		if err := c.conn.WritePreparedMessage(c.first); err != nil {
			return
		}
	}
	for {
		select {
		case msg, ok := <-c.send:
			c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if !ok { // dropped or hub stopped
				c.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, ""))
				return
			}
			if err := c.conn.WritePreparedMessage(msg); err != nil {
				return
			}
		case <-ticker.C:
			c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		}
	}
}
