package ui

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/gatescope/gatescope/server/httpio"
)

// DefaultBodyTimeout is how long a request body may take to arrive.
const DefaultBodyTimeout = time.Minute

// ErrSlowBody is what reading a body that missed its deadline returns:
// the JSON API answers it 408, the gateway drops the request.
var ErrSlowBody = httpio.NewKind("the request body arrived too slowly", http.StatusRequestTimeout)

// BodyDeadline gives each request's body d to arrive, on both listeners:
// ReadHeaderTimeout covers only headers, and a client sending a body a byte
// a second would hold its connection (and a goroutine) forever. The
// deadline is set only on requests with a body: a request without one
// (a websocket upgrade, a GET) is already in its background read, which a
// deadline would end, cancelling the request. When the body has been read
// the server clears the deadline, so a handler may then wait as long as its
// function runs. Not http.Server.ReadTimeout: it would also bound
// connections hijacked by websocket libraries that keep the deadline.
func BodyDeadline(d time.Duration, next http.Handler) http.Handler {
	if d <= 0 {
		d = DefaultBodyTimeout
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
			if err := http.NewResponseController(w).SetReadDeadline(time.Now().Add(d)); err == nil {
				r.Body = slowBody{r.Body}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// slowBody names a missed read deadline for what it is.
type slowBody struct{ io.ReadCloser }

func (b slowBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = fmt.Errorf("%w (%w)", ErrSlowBody, err)
	}
	return n, err
}
