package collect

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"

	"github.com/gatescope/gatescope/server/trace"
)

// Daemon is gatescope's X-Ray daemon: a UDP endpoint where SDKs send
// segment documents, one a datagram (functions find it in
// AWS_XRAY_DAEMON_ADDRESS). The real daemon's TCP side, a proxy for
// sampling rules, is not emulated: SDKs fall back to their local rules.
type Daemon struct {
	c       *Collector
	conn    net.PacketConn
	done    chan struct{}
	serving atomic.Bool
}

// ListenDaemon listens for datagrams on addr (udp, "127.0.0.1:0" for any
// free port); Serve reads them.
func (c *Collector) ListenDaemon(addr string) (*Daemon, error) {
	conn, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for X-Ray segments on %s: %w", addr, err)
	}
	if uc, ok := conn.(*net.UDPConn); ok {
		// Absorb bursts while the reader is busy; the kernel may give less.
		_ = uc.SetReadBuffer(4 << 20)
	}
	return &Daemon{c: c, conn: conn, done: make(chan struct{})}, nil
}

// Addr is the address functions send to.
func (d *Daemon) Addr() *net.UDPAddr { return d.conn.LocalAddr().(*net.UDPAddr) }

// Serve reads datagrams until Close.
func (d *Daemon) Serve() {
	d.serving.Store(true)
	defer close(d.done)
	buf := make([]byte, trace.MaxDatagram+1)
	for {
		n, _, err := d.conn.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			d.c.log.Debug("traces: read datagram", slog.Any("err", err))
			continue
		}
		d.c.Datagram(buf[:n])
	}
}

// Close stops Serve and waits for it (when it ran).
func (d *Daemon) Close() error {
	err := d.conn.Close()
	if d.serving.Load() {
		<-d.done
	}
	return err
}

// Datagram takes one datagram: over the rate it is dropped unread; a
// datagram that is not X-Ray's (or too big to be whole) counts as invalid.
func (c *Collector) Datagram(b []byte) {
	if len(b) > trace.MaxDatagram {
		c.invalid.Add(1)
		return
	}
	if !c.admit(1) {
		return
	}
	docs, err := trace.ParseDatagram(b)
	if err != nil {
		c.invalid.Add(1)
		c.log.Debug("traces: not a segment datagram", slog.Any("err", err))
		return
	}
	if len(docs) > 1 && !c.admit(len(docs)-1) { // ADOT: several spans a datagram
		return
	}
	c.offer(docs)
}
