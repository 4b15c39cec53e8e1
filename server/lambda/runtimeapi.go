package lambda

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"time"
)

// The Runtime API is served by hand rather than by net/http: it has four
// routes, one client (the function's runtime, on one keep-alive
// connection) and two requests per invoke, and net/http's server spent
// more on each than the routes do — a goroutine started per request to
// watch the connection, a context, header maps, a mux, and the read that
// goroutine ends with. Here a connection is one goroutine with a reader
// and a writer it reuses: a request is read, answered with its
// Content-Length known, and flushed in one write. Requests are HTTP/1.1 as
// runtimes send them; bodies may be chunked, and "Expect: 100-continue"
// (curl's, for bodies over 1 KB) is answered.

const (
	runtimePrefix = "/2018-06-01/runtime/"
	// maxHeadBytes bounds a request head: runtimes send a few hundred
	// bytes, plus an X-Ray error cause of up to 1 MiB in a header.
	maxHeadBytes = 1<<20 + 64<<10
)

// runtimeRequest is what the routes need of a request.
type runtimeRequest struct {
	method, path string
	length       int64 // Content-Length; -1 if none
	chunked      bool
	expect       bool // Expect: 100-continue
	close        bool // Connection: close, or HTTP/1.0
	errorType    string
	errorCause   string
}

var errHeadTooLarge = errors.New("request head too large")

// serveRuntimeAPI accepts the runtime's connections until ln is closed.
func (e *env) serveRuntimeAPI(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		if !e.addConn(c) { // killed meanwhile
			c.Close()
			return
		}
		go e.serveConn(c)
	}
}

// addConn records c so that kill closes it; false once killed.
func (e *env) addConn(c net.Conn) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	select {
	case <-e.stop:
		return false
	default:
	}
	if e.conns == nil {
		e.conns = map[net.Conn]struct{}{}
	}
	e.conns[c] = struct{}{}
	return true
}

// closeConns ends the listener and every connection of the Runtime API.
func (e *env) closeConns() {
	if e.ln != nil {
		e.ln.Close()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for c := range e.conns {
		c.Close()
	}
	e.conns = nil
}

func (e *env) serveConn(c net.Conn) {
	defer func() {
		c.Close()
		e.mu.Lock()
		delete(e.conns, c)
		e.mu.Unlock()
	}()
	br := bufio.NewReaderSize(c, 4<<10)
	bw := bufio.NewWriterSize(c, 4<<10)
	for {
		req, err := readRuntimeRequest(br)
		if err != nil {
			if errors.Is(err, errHeadTooLarge) {
				writeRuntimeAnswer(bw, http.StatusRequestHeaderFieldsTooLarge, nil, nil, true)
				bw.Flush()
			} else if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				writeRuntimeAnswer(bw, http.StatusBadRequest, nil, nil, true)
				bw.Flush()
			}
			return
		}
		if !e.route(br, bw, req) || req.close {
			return
		}
	}
}

// route answers one request; false when the connection must end.
func (e *env) route(br *bufio.Reader, bw *bufio.Writer, req *runtimeRequest) bool {
	p, ok := strings.CutPrefix(req.path, runtimePrefix)
	switch {
	case !ok:
	case req.method == http.MethodGet && p == "invocation/next":
		if !discardBody(br, bw, req) {
			return false
		}
		return e.serveNext(bw)
	case req.method == http.MethodPost && p == "init/error":
		body, ok := readBody(br, bw, req, MaxResponseBytes)
		if !ok {
			return false
		}
		e.saveInitError(body, req)
		return acceptedAnswer(bw, req)
	case req.method == http.MethodPost:
		rest, ok := strings.CutPrefix(p, "invocation/")
		if !ok {
			break
		}
		if id, ok := strings.CutSuffix(rest, "/response"); ok && id != "" {
			return e.serveResponse(br, bw, req, id)
		}
		if id, ok := strings.CutSuffix(rest, "/error"); ok && id != "" {
			return e.serveError(br, bw, req, id)
		}
	}
	if !discardBody(br, bw, req) {
		return false
	}
	writeRuntimeAnswer(bw, http.StatusNotFound, jsonType, errorPayload("NotFound", "no such Runtime API route: "+req.method+" "+req.path), req.close)
	return bw.Flush() == nil
}

// serveNext is GET /next: the long poll that hands the runtime its next event.
// A later GET /next supersedes a waiting one (a runtime that gave up on
// its connection and asked again), so no event goes to a connection no
// one reads; the superseded one ends its connection.
func (e *env) serveNext(bw *bufio.Writer) bool {
	e.polled.Store(time.Now().UnixNano())
	e.readyOnce.Do(func() {
		e.initDur = time.Since(e.started)
		close(e.ready)
	})
	gone := make(chan struct{})
	e.mu.Lock()
	if e.waiting != nil {
		close(e.waiting)
	}
	e.waiting = gone
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		if e.waiting == gone {
			e.waiting = nil
		}
		e.mu.Unlock()
	}()
	select {
	case inv := <-e.next:
		inv.started = time.Now()
		e.mu.Lock()
		e.cur = inv
		e.mu.Unlock()
		bw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: ")
		bw.WriteString(inv.id)
		bw.WriteString("\r\nLambda-Runtime-Deadline-Ms: ")
		bw.Write(strconv.AppendInt(bw.AvailableBuffer(), inv.deadline.UnixMilli(), 10))
		bw.WriteString("\r\nLambda-Runtime-Invoked-Function-Arn: ")
		bw.WriteString(inv.arn)
		bw.WriteString("\r\nLambda-Runtime-Trace-Id: ")
		bw.WriteString(inv.traceID)
		if inv.clientCtx != "" {
			bw.WriteString("\r\nLambda-Runtime-Client-Context: ")
			bw.WriteString(inv.clientCtx)
		}
		if inv.cognito != "" {
			bw.WriteString("\r\nLambda-Runtime-Cognito-Identity: ")
			bw.WriteString(inv.cognito)
		}
		bw.WriteString("\r\nContent-Length: ")
		bw.Write(strconv.AppendInt(bw.AvailableBuffer(), int64(len(inv.payload)), 10))
		bw.WriteString("\r\n\r\n")
		bw.Write(inv.payload)
		return bw.Flush() == nil
	case <-e.stop:
	case <-gone:
	}
	return false
}

// serveResponse is POST /invocation/{id}/response.
func (e *env) serveResponse(br *bufio.Reader, bw *bufio.Writer, req *runtimeRequest, id string) bool {
	inv := e.take(id)
	if inv == nil {
		return invalidRequestID(br, bw, req)
	}
	body, err := readBodyErr(br, bw, req, MaxResponseBytes+1)
	if err != nil {
		inv.done <- reply{payload: errorPayload("Runtime.ExitError", "reading the response: "+err.Error()), isError: true, finished: time.Now()}
		return false
	}
	if len(body) > MaxResponseBytes {
		inv.done <- reply{
			payload:  errorPayload("Function.ResponseSizeTooLarge", fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", MaxResponseBytes)),
			isError:  true,
			finished: time.Now(),
		}
		msg := fmt.Sprintf("Exceeded maximum allowed payload size (%d bytes).", MaxResponseBytes)
		// The rest of the body is not read: the connection ends.
		writeRuntimeAnswer(bw, http.StatusRequestEntityTooLarge, jsonType, errorPayload("RequestEntityTooLarge", msg), true)
		bw.Flush()
		return false
	}
	// The caller is told first; the runtime's 202 follows at once.
	inv.done <- reply{payload: body, finished: time.Now()}
	return acceptedAnswer(bw, req)
}

// serveError is POST /invocation/{id}/error.
func (e *env) serveError(br *bufio.Reader, bw *bufio.Writer, req *runtimeRequest, id string) bool {
	inv := e.take(id)
	if inv == nil {
		return invalidRequestID(br, bw, req)
	}
	body, ok := readBody(br, bw, req, MaxResponseBytes)
	if !ok {
		inv.done <- reply{payload: errorPayload("Runtime.ExitError", "reading the error"), isError: true, finished: time.Now()}
		return false
	}
	body = normalizeErrorBody(body, req.errorType)
	inv.done <- reply{payload: body, isError: true, finished: time.Now(), cause: errorCause(req.errorCause)}
	return acceptedAnswer(bw, req)
}

// saveInitError is POST /init/error.
func (e *env) saveInitError(body []byte, req *runtimeRequest) {
	body = normalizeErrorBody(body, req.errorType)
	e.mu.Lock()
	e.initErr = body
	e.mu.Unlock()
}

func invalidRequestID(br *bufio.Reader, bw *bufio.Writer, req *runtimeRequest) bool {
	if !discardBody(br, bw, req) {
		return false
	}
	writeRuntimeAnswer(bw, http.StatusBadRequest, jsonType, errorPayload("InvalidRequestID", "Invalid request ID"), req.close)
	return bw.Flush() == nil
}

func acceptedAnswer(bw *bufio.Writer, req *runtimeRequest) bool {
	writeRuntimeAnswer(bw, http.StatusAccepted, jsonType, accepted, req.close)
	return bw.Flush() == nil
}

// accepted is the Runtime API's answer to a posted response or error.
var accepted = []byte(`{"status":"OK"}`)

// jsonType is the Content-Type of the Runtime API's answers.
var jsonType = []string{"application/json"}

// writeRuntimeAnswer writes a response head and body, its length known.
func writeRuntimeAnswer(bw *bufio.Writer, status int, contentType []string, body []byte, close bool) {
	bw.WriteString("HTTP/1.1 ")
	bw.Write(strconv.AppendInt(bw.AvailableBuffer(), int64(status), 10))
	bw.WriteByte(' ')
	bw.WriteString(http.StatusText(status))
	if contentType != nil {
		bw.WriteString("\r\nContent-Type: ")
		bw.WriteString(contentType[0])
	}
	if close {
		bw.WriteString("\r\nConnection: close")
	}
	bw.WriteString("\r\nContent-Length: ")
	bw.Write(strconv.AppendInt(bw.AvailableBuffer(), int64(len(body)), 10))
	bw.WriteString("\r\n\r\n")
	bw.Write(body)
}

// readRuntimeRequest reads a request head. io.EOF: the runtime closed the
// connection between requests.
func readRuntimeRequest(br *bufio.Reader) (*runtimeRequest, error) {
	line, err := readLine(br, maxHeadBytes)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, io.EOF
		}
		return nil, err
	}
	size := len(line)
	method, rest, ok1 := bytes.Cut(line, []byte(" "))
	target, proto, ok2 := bytes.Cut(rest, []byte(" "))
	if !ok1 || !ok2 || len(method) == 0 || len(target) == 0 {
		return nil, fmt.Errorf("malformed request line %q", line)
	}
	req := &runtimeRequest{method: string(method), length: -1}
	if i := bytes.IndexByte(target, '?'); i >= 0 {
		target = target[:i]
	}
	req.path = string(target)
	switch string(proto) {
	case "HTTP/1.1":
	case "HTTP/1.0":
		req.close = true
	default:
		return nil, fmt.Errorf("unsupported protocol %q", proto)
	}
	for {
		line, err := readLine(br, maxHeadBytes-size)
		if err != nil {
			return nil, err
		}
		size += len(line) + 2
		if len(line) == 0 {
			return req, nil
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return nil, fmt.Errorf("malformed header line %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case ascii(name, "Content-Length"):
			n, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("bad Content-Length %q", value)
			}
			req.length = n
		case ascii(name, "Transfer-Encoding"):
			req.chunked = ascii(value, "chunked")
		case ascii(name, "Expect"):
			req.expect = ascii(value, "100-continue")
		case ascii(name, "Connection"):
			if ascii(value, "close") {
				req.close = true
			} else if ascii(value, "keep-alive") {
				req.close = false
			}
		case ascii(name, "Lambda-Runtime-Function-Error-Type"):
			req.errorType = string(value)
		case ascii(name, "Lambda-Runtime-Function-Xray-Error-Cause"):
			req.errorCause = string(value)
		}
	}
}

// readLine reads one CRLF- (or LF-) ended line of at most max bytes,
// without its ending.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) { // longer than the buffer: gather it
		long := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) && len(long) <= max {
			line, err = br.ReadSlice('\n')
			long = append(long, line...)
		}
		line = long
	}
	if len(line) > max {
		return nil, errHeadTooLarge
	}
	if errors.Is(err, io.EOF) {
		return nil, io.ErrUnexpectedEOF
	}
	if err != nil {
		return nil, err
	}
	line = bytes.TrimSuffix(line[:len(line)-1], []byte("\r"))
	return line, nil
}

// readBody reads a request's body for a route that keeps at most max
// bytes of it: a longer body is cut, and the connection ends after the
// answer (the rest is left unread). false when the body could not be read.
func readBody(br *bufio.Reader, bw *bufio.Writer, req *runtimeRequest, max int) ([]byte, bool) {
	body, err := readBodyErr(br, bw, req, max+1)
	if err != nil {
		return nil, false
	}
	if len(body) > max {
		body, req.close = body[:max], true
	}
	return body, true
}

// readBodyErr reads the body, or its first max bytes when it is longer
// (the rest left unread: the connection must end).
func readBodyErr(br *bufio.Reader, bw *bufio.Writer, req *runtimeRequest, max int) ([]byte, error) {
	if req.expect {
		bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
		if err := bw.Flush(); err != nil {
			return nil, err
		}
	}
	switch {
	case req.chunked:
		b, err := io.ReadAll(io.LimitReader(httputil.NewChunkedReader(br), int64(max)))
		if err != nil || len(b) == max {
			return b, err // cut: the connection ends, trailer unread
		}
		for { // the trailer, which the chunk reader leaves: up to its empty line
			line, err := readLine(br, maxHeadBytes)
			if err != nil || len(line) == 0 {
				return b, err
			}
		}
	case req.length <= 0:
		return nil, nil
	default:
		b := make([]byte, min(req.length, int64(max)))
		_, err := io.ReadFull(br, b)
		return b, err
	}
}

// discardBody reads and drops a body the route has no use for; a body
// over MaxResponseBytes ends the connection after the answer.
func discardBody(br *bufio.Reader, bw *bufio.Writer, req *runtimeRequest) bool {
	if !req.chunked && req.length <= 0 {
		return true
	}
	_, ok := readBody(br, bw, req, MaxResponseBytes)
	return ok
}

// ascii reports whether b equals s, ignoring ASCII case.
func ascii(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
