package gateway

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Go's HTTP server hands a handler only canonical header names
// (x-api-key becomes X-Api-Key), but a REST API passes names to the function
// as the client spelled them: a function that reads event.headers["x-api-key"]
// works deployed. To give functions the same names locally, the API listener
// records each request head's names as they cross the connection, and the
// gateway pairs them with the request it serves.

// RecordHeaderNames wraps the API listener so every connection records the
// header names of its requests. Serve it with ConnContext set to
// HeaderNamesContext.
func RecordHeaderNames(ln net.Listener) net.Listener { return recordingListener{ln} }

// HeaderNamesContext is the http.Server ConnContext that makes a
// connection's recorded names available to the gateway.
func HeaderNamesContext(ctx context.Context, c net.Conn) context.Context {
	if rc, ok := c.(*recordingConn); ok {
		return context.WithValue(ctx, namesKey{}, rc.rec)
	}
	return ctx
}

type namesKey struct{}

type recordingListener struct{ net.Listener }

func (l recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &recordingConn{Conn: c, rec: &nameRecorder{}}, nil
}

type recordingConn struct {
	net.Conn
	rec *nameRecorder
}

func (c *recordingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.rec.feed(b[:n])
	}
	return n, err
}

// headerCase returns, for the request r being served, its header names as
// sent, keyed by canonical name; nil when they are not known.
func headerCase(r *http.Request) map[string]string {
	rec, _ := r.Context().Value(namesKey{}).(*nameRecorder)
	if rec == nil {
		return nil
	}
	head, ok := rec.next(r.Method, r.RequestURI)
	if !ok {
		return nil
	}
	m := make(map[string]string, len(r.Header)+1)
	eachName(head, func(n string) {
		k := http.CanonicalHeaderKey(n)
		if _, seen := m[k]; !seen {
			m[k] = n
		}
	})
	// The recording must describe this very request: the same names, less
	// those Go's server takes out of the header map. If anything went out
	// of step, fall back to canonical names.
	for k := range r.Header {
		if _, ok := m[k]; !ok {
			return nil
		}
	}
	for k := range m {
		if _, ok := r.Header[k]; !ok && !removedByServer[k] {
			return nil
		}
	}
	return m
}

// removedByServer are the request headers Go's server may delete from the
// header map: Host (moved to Request.Host), Transfer-Encoding (to
// TransferEncoding, or ignored on HTTP/1.0), Content-Length beside chunked
// framing, and Trailer (to Request.Trailer).
var removedByServer = map[string]bool{"Host": true, "Transfer-Encoding": true, "Content-Length": true, "Trailer": true}

// nameRecorder follows the HTTP/1.x byte stream of one connection as Go's
// server frames it: request heads, then bodies framed by Content-Length or
// chunked encoding (which HTTP/1.0 requests cannot use). It keeps each head
// until the gateway takes it for the request it serves.
type nameRecorder struct {
	mu     sync.Mutex
	queue  []recordedHead
	queued int // bytes of the heads in queue
	state  parseState
	buf    []byte // a head or a chunk-size line being assembled
	// lineStart is where the head's line being assembled begins in buf.
	lineStart int
	remain    int64 // body or chunk bytes still to skip
	broken    bool  // the stream stopped making sense: record nothing more
}

// recordedHead is one request head; method and target, from its request
// line, pair it with the request the server hands the gateway.
type recordedHead struct {
	method, target string
	head           string
}

type parseState int

const (
	inHead parseState = iota
	inBody
	inChunkSize
	inChunkData
	inChunkEnd
	inTrailer
)

// maxHead bounds what is buffered for one head, like the server's own limit.
const maxHead = http.DefaultMaxHeaderBytes + 4096

// Bounds on the heads queued on one connection. Go's server reads at most
// its 4 KB buffer beyond the request it serves, and no head it accepts is
// shorter than 16 bytes, so an honest client never has more than 256 heads
// waiting, and never more bytes than one head's limit and that buffer. Heads the server answers
// itself (OPTIONS *) are never taken, and a client sending only those must
// not grow the queue: past a bound the oldest heads go, and their requests,
// if any, get canonical names.
const (
	maxQueued      = 256
	maxQueuedBytes = maxHead + 4096
)

// next takes the oldest recorded head whose request line is method and
// target, dropping the heads before it: requests the server answered
// without the gateway (OPTIONS *). The server has read a request's head
// before it hands the request over, so if no head matches, the follower
// framed the stream differently from the server: it stops recording, and
// the connection's later requests get canonical names.
func (r *nameRecorder) next(method, target string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, h := range r.queue {
		if h.method != method || h.target != target {
			continue
		}
		for _, d := range r.queue[:i+1] {
			r.queued -= len(d.head)
		}
		clear(r.queue[:i+1]) // let the dropped heads go
		r.queue = r.queue[i+1:]
		return h.head, true
	}
	r.broken = true
	clear(r.queue)
	r.queue, r.queued = nil, 0
	return "", false
}

// eachName calls fn with each header name of a head, in order.
func eachName(head string, fn func(string)) {
	_, rest, _ := strings.Cut(head, "\n") // the request line
	for rest != "" {
		var l string
		l, rest, _ = strings.Cut(rest, "\n")
		if name, _, ok := strings.Cut(strings.TrimSuffix(l, "\r"), ":"); ok && name != "" {
			fn(name)
		}
	}
}

func (r *nameRecorder) feed(b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(b) > 0 && !r.broken {
		switch r.state {
		case inHead, inChunkSize, inTrailer:
			i := bytes.IndexByte(b, '\n')
			if i < 0 {
				r.appendBuf(b)
				return
			}
			r.appendBuf(b[:i+1])
			b = b[i+1:]
			r.line()
		case inBody, inChunkData:
			n := min(int64(len(b)), r.remain)
			b = b[n:]
			r.remain -= n
			if r.remain == 0 {
				if r.state == inBody {
					r.state = inHead
				} else {
					r.state = inChunkEnd
					r.remain = 2 // the CRLF after the chunk data
				}
			}
		case inChunkEnd:
			n := min(int64(len(b)), r.remain)
			b = b[n:]
			if r.remain -= n; r.remain == 0 {
				r.state = inChunkSize
			}
		}
	}
}

func (r *nameRecorder) appendBuf(b []byte) {
	if len(r.buf)+len(b) > maxHead {
		r.broken = true
		return
	}
	r.buf = append(r.buf, b...)
}

// line handles one complete line in a line-oriented state.
func (r *nameRecorder) line() {
	switch r.state {
	case inHead:
		// A blank line ("\n" or "\r\n", whatever ended the lines before)
		// ends the head, as in Go's textproto; before the request line it
		// is skipped.
		line := r.buf[r.lineStart:]
		switch {
		case string(line) != "\n" && string(line) != "\r\n":
			r.lineStart = len(r.buf)
		case r.lineStart == 0:
			r.buf = r.buf[:0]
		default:
			r.head()
		}
	case inChunkSize:
		size := strings.TrimSpace(string(r.buf))
		if i := strings.IndexByte(size, ';'); i >= 0 {
			size = size[:i]
		}
		r.buf = r.buf[:0]
		n, err := strconv.ParseInt(strings.TrimSpace(size), 16, 64)
		switch {
		case err != nil || n < 0:
			r.broken = true
		case n == 0:
			r.state = inTrailer
		default:
			r.state, r.remain = inChunkData, n
		}
	case inTrailer:
		blank := string(r.buf) == "\r\n" || string(r.buf) == "\n"
		r.buf = r.buf[:0]
		if blank {
			r.state = inHead
		}
	}
}

// head parses a complete request head: it records it with its request
// line and works out how the body that follows is framed.
func (r *nameRecorder) head() {
	head := strings.TrimRight(string(r.buf), "\r\n")
	r.buf, r.lineStart = r.buf[:0], 0
	// The request line as Go's server splits it: method SP target SP proto.
	line, fields, _ := strings.Cut(head, "\n")
	method, rest, _ := strings.Cut(strings.TrimSuffix(line, "\r"), " ")
	target, proto, _ := strings.Cut(rest, " ")
	var length int64
	chunked := false
	for fields != "" {
		var l string
		l, fields, _ = strings.Cut(fields, "\n")
		name, value, ok := strings.Cut(strings.TrimSuffix(l, "\r"), ":")
		if !ok {
			continue
		}
		switch http.CanonicalHeaderKey(name) {
		case "Content-Length":
			if n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64); err == nil {
				length = n
			}
		case "Transfer-Encoding":
			chunked = chunked || strings.Contains(strings.ToLower(value), "chunked")
		}
	}
	// Go ignores Transfer-Encoding on HTTP/1.0 requests (golang.org/issue/12785)
	// and frames their bodies by Content-Length alone.
	if major, minor, ok := http.ParseHTTPVersion(proto); !ok || major < 1 || major == 1 && minor < 1 {
		chunked = false
	}
	r.push(recordedHead{method: method, target: target, head: head})
	switch {
	case chunked:
		r.state = inChunkSize
	case length > 0:
		r.state, r.remain = inBody, length
	default:
		r.state = inHead
	}
}

// push queues a head, dropping the oldest past the queue's bounds.
func (r *nameRecorder) push(h recordedHead) {
	r.queue = append(r.queue, h)
	r.queued += len(h.head)
	drop := 0
	for len(r.queue)-drop > maxQueued || r.queued > maxQueuedBytes && len(r.queue)-drop > 1 {
		r.queued -= len(r.queue[drop].head)
		drop++
	}
	if drop > 0 {
		clear(r.queue[:drop])
		r.queue = r.queue[drop:]
	}
}
