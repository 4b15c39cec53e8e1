package gateway

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestNameRecorder feeds request streams to the recorder in every split a
// connection could deliver, and checks it pairs each head with its names
// while skipping bodies of either framing.
func TestNameRecorder(t *testing.T) {
	tests := []struct {
		name   string
		stream string
		want   [][]string
	}{
		{"one GET", "GET / HTTP/1.1\r\nHost: a\r\nx-api-key: k\r\n\r\n",
			[][]string{{"Host", "x-api-key"}}},
		{"body with Content-Length, then another request",
			"POST /a HTTP/1.1\r\ncontent-length: 11\r\nX-One: 1\r\n\r\nx-two: no\r\n\r\nGET /b HTTP/1.1\r\nx-two: 2\r\n\r\n",
			[][]string{{"content-length", "X-One"}, {"x-two"}}},
		{"chunked body with extension and trailer",
			"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhe\r\nl\r\n0\r\nx-trailer: t\r\n\r\nGET /d HTTP/1.1\r\nACCEPT: *\r\n\r\n",
			[][]string{{"Transfer-Encoding"}, {"ACCEPT"}}},
		{"bare LF and blank lines between requests",
			"GET / HTTP/1.1\nmY-header: v\n\n\r\nGET /2 HTTP/1.1\r\nother: o\r\n\r\n",
			[][]string{{"mY-header"}, {"other"}}},
	}
	for _, tt := range tests {
		for _, size := range []int{1, 2, 3, 7, 64, len(tt.stream)} {
			r := &nameRecorder{}
			for s := tt.stream; len(s) > 0; {
				n := min(size, len(s))
				r.feed([]byte(s[:n]))
				s = s[n:]
			}
			var got [][]string
			for names := r.next(); names != nil; names = r.next() {
				got = append(got, names)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s, fed %d bytes at a time (-want +got):\n%s", tt.name, size, diff)
			}
		}
	}
}

// TestNameRecorderGivesUp: a head larger than the server accepts stops the
// recording instead of growing without bound.
func TestNameRecorderGivesUp(t *testing.T) {
	r := &nameRecorder{}
	r.feed([]byte("GET / HTTP/1.1\r\nX-Big: " + strings.Repeat("a", maxHead) + "\r\n\r\n"))
	if !r.broken || r.next() != nil || len(r.buf) > maxHead {
		t.Errorf("broken %v, buffered %d", r.broken, len(r.buf))
	}
}

// BenchmarkNameRecorder is the recorder's cost for a typical request head.
func BenchmarkNameRecorder(b *testing.B) {
	head := []byte("GET /items/42?x=1 HTTP/1.1\r\nHost: localhost:3000\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n" +
		"x-api-key: abc\r\nCookie: a=1; b=2\r\nX-Amzn-Trace-Id: Root=1-abc\r\n\r\n")
	r := &nameRecorder{}
	b.ReportAllocs()
	for b.Loop() {
		r.feed(head)
		r.next()
	}
}
