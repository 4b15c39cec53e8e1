package gateway

import (
	"bufio"
	"errors"
	"net"
	"net/http"
)

// API Gateway limits a WebSocket frame to 32 KB, apart from the 128 KB
// message (which gorilla's read limit enforces). gorilla hides frames from
// its reader, so the frame limit watches the bytes below it: the hijacked
// connection follows the client's frame headers as they pass and fails the
// read that reaches a data frame announcing more than the limit.

// errFrameTooBig is what a read returns at a frame over the limit.
var errFrameTooBig = errors.New("websocket frame over API Gateway's 32 KB frame limit")

// frameLimitConn is a hijacked connection that enforces the frame limit.
type frameLimitConn struct {
	net.Conn
	lim frameLimit
	err error
}

func (c *frameLimitConn) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.Conn.Read(p)
	if bad := c.lim.scan(p[:n]); bad >= 0 {
		// Deliver the frames before the offending one; fail the next read.
		c.err = errFrameTooBig
		if bad > 0 {
			return bad, nil
		}
		return 0, c.err
	}
	return n, err
}

// frameLimit follows client-to-server frame headers (RFC 6455 §5.2): two
// bytes, 2 or 8 more of length, 4 of mask key, then the payload.
type frameLimit struct {
	max     uint64
	hdr     [14]byte
	hdrN    int    // header bytes collected
	need    int    // header bytes this frame has (known once hdrN ≥ 2)
	payload uint64 // payload bytes still to pass
}

// scan passes b through the follower and returns the offset in b where a
// data frame over the limit starts (0 when its header began in an earlier
// read), or -1.
func (f *frameLimit) scan(b []byte) int {
	start := 0
	for i := 0; i < len(b); {
		if f.payload > 0 {
			skip := uint64(len(b) - i)
			if skip > f.payload {
				skip = f.payload
			}
			f.payload -= skip
			i += int(skip)
			continue
		}
		if f.hdrN == 0 {
			start, f.need = i, 2
		}
		f.hdr[f.hdrN] = b[i]
		f.hdrN++
		i++
		if f.hdrN == 2 {
			switch f.hdr[1] & 0x7f {
			case 126:
				f.need += 2
			case 127:
				f.need += 8
			}
			if f.hdr[1]&0x80 != 0 {
				f.need += 4
			}
		}
		if f.hdrN < f.need {
			continue
		}
		var n uint64
		switch l := f.hdr[1] & 0x7f; l {
		case 126:
			n = uint64(f.hdr[2])<<8 | uint64(f.hdr[3])
		case 127:
			for _, c := range f.hdr[2:10] {
				n = n<<8 | uint64(c)
			}
		default:
			n = uint64(l)
		}
		f.hdrN, f.payload = 0, n
		if op := f.hdr[0] & 0x0f; op < 8 && n > f.max {
			return start
		}
	}
	return -1
}

// limitWriter hands gorilla a hijacked connection that enforces the frame
// limit, unwrapped from the header-name recorder: websocket frames are no
// HTTP heads to record.
type limitWriter struct {
	http.ResponseWriter
	max int
}

func (w limitWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if rc, ok := c.(*recordingConn); ok {
		c = rc.Conn
	}
	return &frameLimitConn{Conn: c, lim: frameLimit{max: uint64(w.max)}}, brw, nil
}
