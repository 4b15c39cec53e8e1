package ui

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/httpio"
)

// TestBodyDeadline: a body that trickles in is cut when its deadline
// passes (the JSON API answers 408), while a request that has sent its
// body, or has none, may then take as long as its handler does.
func TestBodyDeadline(t *testing.T) {
	const d = 100 * time.Millisecond
	log := slog.New(slog.DiscardHandler)
	handlerDone := make(chan error, 4)
	srv := httptest.NewServer(BodyDeadline(d, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		if err != nil {
			handlerDone <- err
			httpio.Error(log, w, r, err)
			return
		}
		if r.URL.Path == "/long" {
			// Longer than the deadline: the request must outlive it.
			select {
			case <-r.Context().Done():
				handlerDone <- fmt.Errorf("request cancelled after its body was read: %w", r.Context().Err())
				return
			case <-time.After(4 * d):
			}
		}
		handlerDone <- nil
		w.Write([]byte("ok"))
	})))
	t.Cleanup(srv.Close)

	t.Run("slow body is cut", func(t *testing.T) {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /api/import HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"a\":")
		conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // a failure bound, not a wait
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer to a slow body: %v", err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(b), "too slowly") {
			t.Errorf("%d %s", resp.StatusCode, b)
		}
		if err := <-handlerDone; !errors.Is(err, ErrSlowBody) {
			t.Errorf("handler read error %v", err)
		}
		// And the connection is closed, not left to the client.
		if n, err := conn.Read(make([]byte, 1)); err == nil {
			t.Errorf("connection still open (read %d bytes)", n)
		}
	})
	for _, tt := range []struct{ name, method, body string }{
		{"a handler outlives the deadline once the body is in", "POST", `{"a":1}`},
		{"a request without a body is never cut", "GET", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+"/long", strings.NewReader(tt.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err := <-handlerDone; err != nil || string(b) != "ok" {
				t.Errorf("%v: %d %s", err, resp.StatusCode, b)
			}
		})
	}
}
