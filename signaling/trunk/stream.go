package trunk

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// This file is the seam every stream transport (TCP, TLS) goes through
// before sipgo: streamConn frames SIP messages itself (RFC 3261 §18.3,
// Content-Length is mandatory on streams), closes a connection that sends
// no complete message for Config.TCPIdle or leaves a started message
// unfinished for Config.ReadTimeout (slowloris, a Content-Length larger than
// what is sent), and puts each complete message through the same checks as
// a UDP datagram (validate.go, admission.go) before sipgo's parser sees it.
// Invalid requests are answered on the connection and not passed on. Its
// Write side is the outbound seam: Server/User-Agent and debug logging
// (wire.go).

// Stream defaults (PROTOCOL §14).
const (
	defaultTCPIdle     = 60 * time.Second
	defaultReadTimeout = 10 * time.Second
	streamChunk        = 16 << 10
)

// inspector decides what happens to one complete message from src; see
// Trunk.inspect.
type inspector func(transport string, src netip.AddrPort, msg []byte) verdict

// streamConn wraps an accepted stream connection. Only sipgo's reading
// goroutine calls Read; Write may be called from any goroutine.
type streamConn struct {
	net.Conn
	transport   string
	src         netip.AddrPort
	idle, limit time.Duration
	inspect     inspector
	out         outbound
	log         *slog.Logger

	buf     []byte    // received octets not yet framed
	pending []byte    // framed, checked octets not yet returned to Read
	last    time.Time // when the last complete message (or keep-alive) ended
	started time.Time // when buf's first octet arrived; zero while buf is empty
}

func (t *Trunk) wrapStream(c net.Conn, transport string) *streamConn {
	var src netip.AddrPort
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		ap := a.AddrPort()
		src = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return &streamConn{
		Conn: c, transport: transport, src: src,
		idle: t.cfg.TCPIdle, limit: t.cfg.ReadTimeout, inspect: t.inspect, out: t.out, log: t.log,
		last: time.Now(),
	}
}

// Read returns whole checked messages (or parts of one if b is short).
func (c *streamConn) Read(b []byte) (int, error) {
	for {
		if len(c.pending) > 0 {
			n := copy(b, c.pending)
			c.pending = c.pending[n:]
			return n, nil
		}
		msg, err := c.frame()
		if err != nil {
			c.log.Debug("sip connection closed", "transport", c.transport, "source", c.src.String(), "reason", err.Error())
			return 0, io.EOF // sipgo's reader then closes the connection
		}
		if msg != nil {
			c.deliver(msg)
			continue
		}
		if err := c.fill(); err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.log.Debug("sip connection closed", "transport", c.transport, "source", c.src.String(), "reason", err.Error())
			}
			return 0, io.EOF
		}
	}
}

// deliver checks one complete message: it is passed on, answered here, or
// dropped.
func (c *streamConn) deliver(msg []byte) {
	v := c.inspect(c.transport, c.src, msg)
	switch {
	case v.drop:
	case v.code > 0:
		if res := statelessResponse(msg, v.code, v.reason, v.hdrs...); res != nil {
			c.writeOrLog(res)
		}
	default:
		c.pending = v.data
	}
}

var (
	errIdle        = errors.New("idle timeout")
	errReadTimeout = errors.New("read timeout: message incomplete")
)

// fill reads more octets, within the idle or read deadline.
func (c *streamConn) fill() error {
	deadline := c.last.Add(c.idle)
	if !c.started.IsZero() {
		deadline = c.started.Add(c.limit)
	}
	if err := c.Conn.SetReadDeadline(deadline); err != nil {
		return err
	}
	if cap(c.buf)-len(c.buf) < streamChunk {
		nb := make([]byte, len(c.buf), len(c.buf)+2*streamChunk)
		copy(nb, c.buf)
		c.buf = nb
	}
	n, err := c.Conn.Read(c.buf[len(c.buf) : len(c.buf)+streamChunk])
	if n > 0 && len(c.buf) == 0 {
		c.started = time.Now()
	}
	c.buf = c.buf[:len(c.buf)+n]
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if c.started.IsZero() {
			return errIdle
		}
		return errReadTimeout
	}
	if n > 0 {
		return nil
	}
	return err
}

// frame takes the next complete message off buf (a copy), nil when more
// octets are needed, or an error when the stream cannot be framed (the
// connection must close: there is no boundary to resync on).
func (c *streamConn) frame() ([]byte, error) {
	// RFC 5626 §3.5.1: CRLF keep-alives between messages; a double CRLF
	// (ping) gets a single CRLF (pong).
	crlfs := 0
	for bytes.HasPrefix(c.buf, crlf) {
		c.buf = c.buf[2:]
		crlfs++
	}
	if crlfs > 0 {
		c.last = time.Now()
		if crlfs >= 2 {
			_, err := c.Conn.Write(crlf)
			infoIf(c.log, err, "keep-alive pong not sent", "src", c.src)
		}
	}
	if len(c.buf) == 0 {
		c.buf = c.buf[:0]
		c.started = time.Time{}
		return nil, nil
	}
	n, code, reason := frameLen(c.buf)
	if code > 0 {
		if res := statelessResponse(c.buf, code, reason); res != nil {
			c.writeOrLog(res)
		}
		return nil, errors.New(reason)
	}
	if n == 0 {
		return nil, nil
	}
	msg := bytes.Clone(c.buf[:n])
	rest := copy(c.buf, c.buf[n:])
	c.buf = c.buf[:rest]
	c.last = time.Now()
	c.started = time.Time{}
	if rest > 0 {
		c.started = c.last
	}
	return msg, nil
}

var crlf = []byte("\r\n")

// frameLen returns the length of the first message in b (header, blank
// line and Content-Length octets of body), 0 if b does not hold it all yet,
// or a status to answer when it cannot be framed.
func frameLen(b []byte) (n, code int, reason string) {
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		if len(b) > maxMessage {
			return 0, 400, "Message Header Too Large"
		}
		return 0, 0, ""
	}
	cl := -1
	for line := range strings.SplitSeq(string(b[:end]), "\r\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "content-length" && name != "l" {
			continue
		}
		v, err := strconv.ParseUint(strings.TrimSpace(value), 10, 31)
		if err != nil {
			return 0, 400, "Invalid Content-Length"
		}
		if cl >= 0 && cl != int(v) {
			return 0, 400, "Multiple Content-Length"
		}
		cl = int(v)
	}
	if cl < 0 {
		return 0, 400, "Missing Content-Length" // RFC 3261 §18.3: mandatory on streams
	}
	if end+4+cl > maxMessage {
		return 0, 413, "Message Too Large"
	}
	if len(b) < end+4+cl {
		return 0, 0, ""
	}
	return end + 4 + cl, 0, ""
}

// Write sends one message (sipgo writes whole messages), adding our
// Server/User-Agent and logging it at debug.
func (c *streamConn) Write(b []byte) (int, error) {
	msg := c.out.prepare(b, c.transport, c.src.String())
	n, err := c.Conn.Write(msg)
	if err == nil && len(msg) != len(b) {
		n = len(b)
	}
	return n, err
}

// writeOrLog sends a stateless response; a failed write is logged (the
// connection is broken and its next read fails, which closes it).
func (c *streamConn) writeOrLog(res []byte) {
	_, err := c.Write(res)
	infoIf(c.log, err, "stateless response not sent", "src", c.src)
}

// SetReadDeadline is ours: the idle and read deadlines are set in fill.
func (c *streamConn) SetReadDeadline(time.Time) error { return nil }

// SetDeadline sets only the write deadline (see SetReadDeadline).
func (c *streamConn) SetDeadline(d time.Time) error { return c.Conn.SetWriteDeadline(d) }

// streamListener hands sipgo stream connections wrapped in streamConn.
type streamListener struct {
	net.Listener
	t         *Trunk
	transport string
}

func (l *streamListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return l.t.wrapStream(c, l.transport), nil
}
