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
	names := rec.next()
	if names == nil {
		return nil
	}
	m := make(map[string]string, len(names))
	for _, n := range names {
		k := http.CanonicalHeaderKey(n)
		if _, seen := m[k]; !seen {
			m[k] = n
		}
	}
	// The recording must describe this very request: the same names. If
	// anything went out of step, fall back to canonical names.
	for k := range r.Header {
		if _, ok := m[k]; !ok {
			return nil
		}
	}
	return m
}

// nameRecorder follows the HTTP/1.1 byte stream of one connection: request
// heads, then bodies framed by Content-Length or chunked encoding. It keeps
// the names of each head until the gateway takes them, in order.
type nameRecorder struct {
	mu     sync.Mutex
	queue  [][]string
	state  parseState
	buf    []byte // a head or a chunk-size line being assembled
	remain int64  // body or chunk bytes still to skip
	broken bool   // the stream stopped making sense: record nothing more
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

// next takes the oldest recorded head's names, or nil.
func (r *nameRecorder) next() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.queue) == 0 {
		return nil
	}
	names := r.queue[0]
	r.queue = r.queue[1:]
	return names
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
		if !bytes.HasSuffix(r.buf, []byte("\r\n\r\n")) && !bytes.HasSuffix(r.buf, []byte("\n\n")) {
			if string(r.buf) == "\r\n" || string(r.buf) == "\n" {
				r.buf = r.buf[:0] // blank lines before a request line are allowed
			}
			return
		}
		r.head()
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

// head parses a complete request head: it records the names and works out
// how the body that follows is framed.
func (r *nameRecorder) head() {
	lines := strings.Split(strings.TrimRight(string(r.buf), "\r\n"), "\n")
	r.buf = r.buf[:0]
	var names []string
	var length int64
	chunked := false
	for _, l := range lines[1:] { // lines[0] is the request line
		name, value, ok := strings.Cut(strings.TrimRight(l, "\r"), ":")
		if !ok || name == "" {
			continue
		}
		names = append(names, name)
		value = strings.TrimSpace(value)
		switch http.CanonicalHeaderKey(name) {
		case "Content-Length":
			if n, err := strconv.ParseInt(value, 10, 64); err == nil {
				length = n
			}
		case "Transfer-Encoding":
			chunked = chunked || strings.Contains(strings.ToLower(value), "chunked")
		}
	}
	r.queue = append(r.queue, names)
	switch {
	case chunked:
		r.state = inChunkSize
	case length > 0:
		r.state, r.remain = inBody, length
	default:
		r.state = inHead
	}
}
