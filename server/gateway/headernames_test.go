package gateway

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// drain takes every queued head, oldest first, as "METHOD target" and names.
func (r *nameRecorder) drain() (lines []string, names [][]string) {
	r.mu.Lock()
	q := append([]recordedHead(nil), r.queue...)
	r.mu.Unlock()
	for _, h := range q {
		lines = append(lines, h.method+" "+h.target)
		names = append(names, r.names(h.method, h.target))
	}
	return lines, names
}

// names is next as a list of names: nil when no head matches.
func (r *nameRecorder) names(method, target string) []string {
	head, ok := r.next(method, target)
	if !ok {
		return nil
	}
	out := []string{}
	eachName(head, func(n string) { out = append(out, n) })
	return out
}

func feedInSizes(r *nameRecorder, stream string, size int) {
	for s := stream; len(s) > 0; {
		n := min(size, len(s))
		r.feed([]byte(s[:n]))
		s = s[n:]
	}
}

// TestNameRecorder feeds request streams to the recorder in every split a
// connection could deliver, and checks it pairs each head with its names
// while skipping bodies of either framing.
func TestNameRecorder(t *testing.T) {
	tests := []struct {
		name   string
		stream string
		lines  []string
		want   [][]string
	}{
		{"one GET", "GET / HTTP/1.1\r\nHost: a\r\nx-api-key: k\r\n\r\n",
			[]string{"GET /"}, [][]string{{"Host", "x-api-key"}}},
		{"body with Content-Length, then another request",
			"POST /a HTTP/1.1\r\ncontent-length: 11\r\nX-One: 1\r\n\r\nx-two: no\r\n\r\nGET /b HTTP/1.1\r\nx-two: 2\r\n\r\n",
			[]string{"POST /a", "GET /b"}, [][]string{{"content-length", "X-One"}, {"x-two"}}},
		{"chunked body with extension and trailer",
			"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhe\r\nl\r\n0\r\nx-trailer: t\r\n\r\nGET /d HTTP/1.1\r\nACCEPT: *\r\n\r\n",
			[]string{"POST /c", "GET /d"}, [][]string{{"Transfer-Encoding"}, {"ACCEPT"}}},
		{"bare LF and blank lines between requests",
			"GET / HTTP/1.1\nmY-header: v\n\n\r\nGET /2 HTTP/1.1\r\nother: o\r\n\r\n",
			[]string{"GET /", "GET /2"}, [][]string{{"mY-header"}, {"other"}}},
		{"HTTP/1.0 ignores Transfer-Encoding: the body is Content-Length long",
			smuggle10, []string{"POST /rest/t5a", "GET /rest/t5b"},
			[][]string{{"Host", "Connection", "Transfer-Encoding", "Content-Length"}, {"Host", "x-api-key"}}},
		{"no names", "GET /bare HTTP/1.0\r\n\r\n", []string{"GET /bare"}, [][]string{{}}},
	}
	for _, tt := range tests {
		for _, size := range []int{1, 2, 3, 7, 64, len(tt.stream)} {
			r := &nameRecorder{}
			feedInSizes(r, tt.stream, size)
			lines, got := r.drain()
			if diff := cmp.Diff(tt.lines, lines); diff != "" {
				t.Errorf("%s, fed %d bytes at a time: request lines (-want +got):\n%s", tt.name, size, diff)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s, fed %d bytes at a time (-want +got):\n%s", tt.name, size, diff)
			}
		}
	}
}

// TestNameRecorderNextMatches: the gateway takes the head of the request it
// serves, by method and target; heads before it that the server answered
// itself are dropped. A request whose head was never recorded means the
// follower lost step with the server: it stops, and the connection's later
// requests get canonical names.
func TestNameRecorderNextMatches(t *testing.T) {
	r := &nameRecorder{}
	r.feed([]byte(optionsThenTwo))
	if diff := cmp.Diff([]string{"Host", "x-api-key"}, r.names("GET", "/rest/t6a")); diff != "" {
		t.Errorf("t6a (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Host", "x-second"}, r.names("GET", "/rest/t6b")); diff != "" {
		t.Errorf("t6b (-want +got):\n%s", diff)
	}
	if len(r.queue) != 0 || r.queued != 0 || r.broken {
		t.Errorf("queue left %d heads, %d bytes; broken %v", len(r.queue), r.queued, r.broken)
	}

	r = &nameRecorder{}
	r.feed([]byte(optionsThenTwo))
	if got := r.names("GET", "/nothing"); got != nil {
		t.Errorf("a request never recorded got names %q", got)
	}
	r.feed([]byte("GET /later HTTP/1.1\r\nHost: a\r\n\r\n"))
	if got := r.names("GET", "/rest/t6a"); got != nil || !r.broken || len(r.queue) != 0 {
		t.Errorf("after losing step: names %q, broken %v, %d heads queued", got, r.broken, len(r.queue))
	}
}

// TestNameRecorderGivesUp: a head larger than the server accepts stops the
// recording instead of growing without bound.
func TestNameRecorderGivesUp(t *testing.T) {
	r := &nameRecorder{}
	r.feed([]byte("GET / HTTP/1.1\r\nX-Big: " + strings.Repeat("a", maxHead) + "\r\n\r\n"))
	if !r.broken || r.names("GET", "/") != nil || len(r.buf) > maxHead {
		t.Errorf("broken %v, buffered %d", r.broken, len(r.buf))
	}
}

// TestNameRecorderQueueBounded: 50,000 pipelined OPTIONS * heads of 40
// headers each, which the server answers without the gateway, keep the
// queue within its bounds (the review saw RSS grow by 200 MB), and the
// request that follows still gets its names.
func TestNameRecorderQueueBounded(t *testing.T) {
	var head strings.Builder
	head.WriteString("OPTIONS * HTTP/1.1\r\nHost: a\r\n")
	for i := range 40 {
		fmt.Fprintf(&head, "X-Header-Number-%02d: v\r\n", i)
	}
	head.WriteString("\r\n")
	r := &nameRecorder{}
	most := 0
	for range 50_000 {
		r.feed([]byte(head.String()))
		most = max(most, r.queued)
		if len(r.queue) > maxQueued || r.queued > maxQueuedBytes {
			t.Fatalf("queue at %d heads, %d bytes", len(r.queue), r.queued)
		}
	}
	r.feed([]byte("GET /after HTTP/1.1\r\nHost: a\r\nx-api-key: k\r\n\r\n"))
	if diff := cmp.Diff([]string{"Host", "x-api-key"}, r.names("GET", "/after")); diff != "" {
		t.Errorf("the request after the flood (-want +got):\n%s", diff)
	}
	t.Logf("at most %d heads, %d bytes of names queued", maxQueued, most)
}

// The review's desynchronisations, each on one connection.
var (
	// An HTTP/1.0 request with both framings: Go ignores Transfer-Encoding
	// on HTTP/1.0 and reads Content-Length bytes, so the "head" inside the
	// body is body, and t5b keeps the names its client sent.
	smuggledBody = "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\nX-API-KEY: a\r\n\r\n"
	smuggle10    = "POST /rest/t5a HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n" +
		fmt.Sprintf("Content-Length: %d\r\n\r\n", len(smuggledBody)) + smuggledBody +
		"GET /rest/t5b HTTP/1.1\r\nHost: a\r\nx-api-key: real\r\n\r\n"
	// OPTIONS * is answered by the server without the gateway: its head
	// must not be taken by the next request.
	optionsThenTwo = "OPTIONS * HTTP/1.1\r\nHost: a\r\nX-API-KEY: k\r\nX-SECOND: s\r\n\r\n" +
		"GET /rest/t6a HTTP/1.1\r\nHost: a\r\nx-api-key: k\r\n\r\n" +
		"GET /rest/t6b HTTP/1.1\r\nHost: a\r\nx-second: s\r\n\r\n"
)

// mixedEndings ends a head of bare-LF lines with a CRLF blank line, which
// ends it for Go (found by FuzzHeaderNames: the follower once read on to
// the next "\n\n" and handed this head's names to the next request with
// the same request line).
var mixedEndings = "0 * HTTP/1.1\nHost:\nTrAnsfer-EnCoding:Chunked\n0:\n\r\n5\r\n00000\r\n0\r\n0:\n\n0 * HTTP/1.0\n0:\r\n\r\n"

// served is what the handler saw of one request: its request line and the
// names headerCase gave it.
type served struct {
	Line  string
	Names map[string]string
}

// TestHeaderNamesThroughServer runs request streams through Go's own
// server with the recorder in front, as the API listener does, and checks
// the names each request is handed, the review's desynchronisations among
// them.
func TestHeaderNamesThroughServer(t *testing.T) {
	tests := []struct {
		name, stream string
		want         []served
	}{
		{"HTTP/1.0 with Transfer-Encoding and Content-Length", smuggle10, []served{
			{"POST /rest/t5a", map[string]string{"Host": "Host", "Connection": "Connection", "Transfer-Encoding": "Transfer-Encoding", "Content-Length": "Content-Length"}},
			{"GET /rest/t5b", map[string]string{"Host": "Host", "X-Api-Key": "x-api-key"}},
		}},
		{"OPTIONS * then two requests", optionsThenTwo, []served{
			{"GET /rest/t6a", map[string]string{"Host": "Host", "X-Api-Key": "x-api-key"}},
			{"GET /rest/t6b", map[string]string{"Host": "Host", "X-Second": "x-second"}},
		}},
		{"chunked HTTP/1.1 with a trailer, then a GET",
			"POST /c HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\ntrailer: x-t\r\n\r\n3\r\nabc\r\n0\r\nx-t: 1\r\n\r\nGET /d HTTP/1.1\r\nHOST: a\r\nx-d: d\r\n\r\n",
			[]served{
				{"POST /c", map[string]string{"Host": "host", "Transfer-Encoding": "transfer-encoding", "Trailer": "trailer"}},
				{"GET /d", map[string]string{"Host": "HOST", "X-D": "x-d"}},
			}},
		{"bare LF lines ended by a CRLF blank line", mixedEndings, []served{
			{"0 *", map[string]string{"Host": "Host", "Transfer-Encoding": "TrAnsfer-EnCoding", "0": "0"}},
			{"0 *", map[string]string{"0": "0"}},
		}},
		{"POST with trailing CRLF (tolerated by Go), then a GET",
			"POST /p HTTP/1.1\r\nHost: a\r\ncontent-length: 2\r\n\r\nok\r\nGET /q HTTP/1.1\r\nHost: a\r\nx-q: q\r\n\r\n",
			[]served{
				{"POST /p", map[string]string{"Host": "Host", "Content-Length": "content-length"}},
				{"GET /q", map[string]string{"Host": "Host", "X-Q": "x-q"}},
			}},
	}
	for _, tt := range tests {
		for _, size := range []int{1, 5, len(tt.stream)} {
			t.Run(fmt.Sprintf("%s/%d", tt.name, size), func(t *testing.T) {
				got := serveStream(t, []byte(tt.stream), size)
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.want, expectNames(t, []byte(tt.stream))); diff != "" {
					t.Errorf("the oracle disagrees with the table (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// FuzzHeaderNames checks the follower against Go's own parser: a stream is
// served by Go's server with the recorder in front, and each request's
// names, when headerCase gives any, must be the ones in that request's own
// head, as http.ReadRequest frames the same bytes. Falling back (nil) is
// always allowed; naming a header from another head never is. The seeds
// run with go test; fuzz with go test -fuzz FuzzHeaderNames ./server/gateway.
func FuzzHeaderNames(f *testing.F) {
	for _, s := range []string{
		smuggle10, optionsThenTwo,
		"GET / HTTP/1.1\r\nHost: a\r\nx-api-key: k\r\n\r\n",
		"POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: 1\r\n\r\nGET /d HTTP/1.1\r\nHost: a\r\nacCept: *\r\n\r\n",
		"POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody\r\n\r\nGET /q HTTP/1.0\r\nConnection: keep-alive\r\nx-q: q\r\n\r\nGET /r HTTP/1.0\r\nX-r: r\r\n\r\n",
		"GET /a HTTP/1.1\nHost: a\nx-lf: 1\n\nGET /b HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nxGET /c HTTP/1.1\r\nHost: b\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nGET /GET /o HTTP/1.1\r\nHost: a\r\nx-o: o\r\n\r\n",
		"PUT /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\nGET /g HTTP/1.1\r\nHost: a\r\nX-g: g\r\n\r\n",
		mixedEndings,
	} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, stream []byte, split uint8) {
		if len(stream) > 64<<10 {
			return
		}
		want := expectNames(t, stream)
		got := serveStream(t, stream, int(split)+1)
		if len(got) > len(want) {
			t.Fatalf("the server handled %d requests, Go's parser finds %d:\n%q\ngot %v\nwant %v", len(got), len(want), stream, got, want)
		}
		for i, g := range got {
			if g.Line != want[i].Line {
				t.Fatalf("request %d is %q to the server, %q to Go's parser: %q", i, g.Line, want[i].Line, stream)
			}
			if g.Names != nil && !cmp.Equal(g.Names, want[i].Names) {
				t.Fatalf("request %d (%s) got names %v, its head has %v:\n%q", i, g.Line, g.Names, want[i].Names, stream)
			}
		}
	})
}

// expectNames frames stream as Go's server does, with http.ReadRequest, and
// returns the requests the server hands its handler (not OPTIONS *) with
// the names in each one's own head: the first spelling of each canonical
// name. It stops where the server would close the connection.
func expectNames(t testing.TB, stream []byte) []served {
	cr := &countingReader{r: bytes.NewReader(stream)}
	br := bufio.NewReaderSize(cr, 4096)
	pos := func() int { return cr.n - br.Buffered() }
	var out []served
	last := ""
	for {
		if last == "POST" { // the server's tolerance of a CRLF after a POST body
			peek, _ := br.Peek(4)
			n := 0
			for n < len(peek) && (peek[n] == '\r' || peek[n] == '\n') {
				n++
			}
			br.Discard(n)
		}
		start := pos()
		req, err := http.ReadRequest(br)
		if err != nil {
			return out
		}
		head := stream[start:pos()]
		last = req.Method
		if !(req.Method == "OPTIONS" && req.RequestURI == "*") {
			out = append(out, served{Line: req.Method + " " + req.RequestURI, Names: headNames(head)})
		}
		if _, err := io.Copy(io.Discard, req.Body); err != nil || req.Close {
			return out
		}
	}
}

// headNames reads the names of a raw head: one per header line, first
// spelling of each canonical name; folded continuation lines are values.
func headNames(head []byte) map[string]string {
	m := map[string]string{}
	lines := strings.Split(string(head), "\n")
	for _, l := range lines[1:] {
		l = strings.TrimSuffix(l, "\r")
		if l == "" || l[0] == ' ' || l[0] == '\t' {
			continue
		}
		name, _, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		if _, seen := m[http.CanonicalHeaderKey(name)]; !seen {
			m[http.CanonicalHeaderKey(name)] = name
		}
	}
	return m
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += n
	return n, err
}

// serveStream serves stream as one connection through Go's server with the
// recorder in front, handing out at most chunk bytes per read, and returns
// what the handler saw, in order. The connection reads EOF after the
// stream; the server still serves the requests it has buffered, then
// closes it.
func serveStream(t testing.TB, stream []byte, chunk int) []served {
	conn := &streamConn{data: stream, chunk: chunk, closed: make(chan struct{})}
	var mu sync.Mutex
	var got []served
	gone := make(chan struct{})
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			names := headerCase(r)
			mu.Lock()
			got = append(got, served{Line: r.Method + " " + r.RequestURI, Names: names})
			mu.Unlock()
			io.Copy(io.Discard, r.Body)
		}),
		ConnContext: HeaderNamesContext,
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateClosed || s == http.StateHijacked {
				close(gone)
			}
		},
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go srv.Serve(RecordHeaderNames(&oneConnListener{conn: conn, done: make(chan struct{})}))
	select {
	case <-gone:
	case <-time.After(10 * time.Second):
		t.Fatalf("the server did not close the connection for %q", stream)
	}
	srv.Shutdown(context.Background())
	mu.Lock()
	defer mu.Unlock()
	return got
}

// streamConn hands out its data chunk bytes at a time, then EOF. Writes
// are discarded.
type streamConn struct {
	mu        sync.Mutex
	data      []byte
	chunk     int
	closed    chan struct{}
	closeOnce sync.Once
}

func (c *streamConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(b), len(c.data), c.chunk)
	copy(b, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func (c *streamConn) Write(b []byte) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
		return len(b), nil
	}
}

func (c *streamConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return nil
}

func (c *streamConn) LocalAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 3000}
}
func (c *streamConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
}
func (c *streamConn) SetDeadline(time.Time) error      { return nil }
func (c *streamConn) SetReadDeadline(time.Time) error  { return nil }
func (c *streamConn) SetWriteDeadline(time.Time) error { return nil }

// oneConnListener accepts conn once, then blocks until closed.
type oneConnListener struct {
	conn     net.Conn
	accepted bool
	mu       sync.Mutex
	done     chan struct{}
	once     sync.Once
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if !l.accepted {
		l.accepted = true
		l.mu.Unlock()
		return l.conn, nil
	}
	l.mu.Unlock()
	<-l.done
	return nil, net.ErrClosed
}

func (l *oneConnListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *oneConnListener) Addr() net.Addr { return l.conn.LocalAddr() }

// BenchmarkNameRecorder is the recorder's cost for a typical request head.
func BenchmarkNameRecorder(b *testing.B) {
	head := []byte("GET /items/42?x=1 HTTP/1.1\r\nHost: localhost:3000\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n" +
		"x-api-key: abc\r\nCookie: a=1; b=2\r\nX-Amzn-Trace-Id: Root=1-abc\r\n\r\n")
	r := &nameRecorder{}
	b.ReportAllocs()
	for b.Loop() {
		r.feed(head)
		r.next("GET", "/items/42?x=1")
	}
}
