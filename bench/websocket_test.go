package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatescope/gatescope/server/apigw"
	"github.com/gatescope/gatescope/server/gateway"
	"github.com/gorilla/websocket"
)

// WebSocket APIs: messages through one connection and across 100, each
// answered by the warm Noop function on a two-way $default route, and
// the memory an idle connection holds. Capture is off (discard), as in
// BenchmarkGateway: these measure the gateway and the invoke.

// wsServer serves testdata/template.yaml and returns the ws:// URL of its
// WebSocket API.
func wsServer(tb testing.TB) (string, *gateway.Gateway) {
	tb.Helper()
	project, m := setup(tb)
	router, err := apigw.NewRouter(project.APIs)
	if err != nil {
		tb.Fatal(err)
	}
	gw := gateway.New(slog.New(slog.NewTextHandler(io.Discard, nil)), router, m, discard{}, func() string { return "bench" })
	srv := httptest.NewUnstartedServer(gw)
	srv.Listener = gateway.RecordHeaderNames(srv.Listener)
	srv.Config.ConnContext = gateway.HeaderNamesContext
	srv.Start()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		gw.CloseWebSockets(ctx)
		srv.Close()
	})
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws", gw
}

func wsDial(tb testing.TB, url string) *websocket.Conn {
	tb.Helper()
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// pump sends n messages on c from one goroutine and reads the n replies on
// another, so up to the gateway's per-connection bound are in flight.
func pump(tb testing.TB, c *websocket.Conn, n int) {
	errs := make(chan error, 1)
	go func() {
		for range n {
			if err := c.WriteMessage(websocket.TextMessage, []byte(`{"action":"noop"}`)); err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	}()
	for i := range n {
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, b, err := c.ReadMessage(); err != nil || string(b) != "ok" {
			tb.Fatalf("reply %d: %q %v", i, b, err)
		}
	}
	if err := <-errs; err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkWebSocketOneConnection: messages/s through one connection, one
// at a time (each waits for its reply) and pipelined.
func BenchmarkWebSocketOneConnection(b *testing.B) {
	url, _ := wsServer(b)
	c := wsDial(b, url)
	pump(b, c, 10) // warm: the environment is started
	b.Run("sequential", func(b *testing.B) {
		for b.Loop() {
			pump(b, c, 1)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
	b.Run("pipelined", func(b *testing.B) {
		b.ResetTimer()
		pump(b, c, b.N)
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
}

// BenchmarkWebSocket100Connections: messages/s across 100 connections, each
// sending its share one at a time.
func BenchmarkWebSocket100Connections(b *testing.B) {
	const conns = 100
	url, _ := wsServer(b)
	cs := make([]*websocket.Conn, conns)
	for i := range cs {
		cs[i] = wsDial(b, url)
	}
	pump(b, cs[0], 10)
	b.ResetTimer()
	var wg sync.WaitGroup
	for i, c := range cs {
		n := b.N / conns
		if i < b.N%conns {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				pump(b, c, 1)
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// rawHandshake opens a WebSocket connection with nothing on the client
// side but the socket: no reader goroutine, no buffers, so what the
// process holds per connection is the server's.
func rawHandshake(tb testing.TB, addr, path string) net.Conn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", path, addr)
	resp, err := http.ReadResponse(bufio.NewReaderSize(c, 256), nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		tb.Fatalf("handshake: %v %v", resp, err)
	}
	return c
}

// BenchmarkWebSocketIdleMemory reports the memory (heap and goroutine
// stacks) one idle connection holds in gatescope, over 1,000 connections.
func BenchmarkWebSocketIdleMemory(b *testing.B) {
	const conns = 1000
	url, gw := wsServer(b)
	addr := strings.TrimSuffix(strings.TrimPrefix(url, "ws://"), "/ws")
	measure := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapInuse + ms.StackInuse
	}
	for b.Loop() {
		before := measure()
		cs := make([]net.Conn, conns)
		for i := range cs {
			cs[i] = rawHandshake(b, addr, "/ws")
		}
		for len(gw.Connections()) < conns {
			runtime.Gosched()
		}
		after := measure()
		b.ReportMetric(float64(after-before)/conns, "B/conn")
		b.StopTimer()
		for _, c := range cs {
			c.Close()
		}
		for len(gw.Connections()) > 0 {
			time.Sleep(time.Millisecond)
		}
		b.StartTimer()
	}
}

// TestWebSocketBenchSetup keeps the WebSocket fixture honest under go test
// ./...: a message through the two-way route gets the function's answer.
func TestWebSocketBenchSetup(t *testing.T) {
	url, _ := wsServer(t)
	pump(t, wsDial(t, url), 3)
}
