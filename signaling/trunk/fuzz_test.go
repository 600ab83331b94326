package trunk

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// memConn is a net.Conn whose reads come from r and whose writes are kept.
type memConn struct {
	net.Conn // nil: only the methods below are used
	r        io.Reader
	w        bytes.Buffer
}

func (c *memConn) Read(b []byte) (int, error)       { return c.r.Read(b) }
func (c *memConn) Write(b []byte) (int, error)      { return c.w.Write(b) }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }
func (c *memConn) Close() error                     { return nil }
func (c *memConn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5999} }
func (c *memConn) LocalAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5060} }
func (c *memConn) SetDeadline(d time.Time) error    { return nil }
func (c *memConn) reset(b []byte)                   { c.r = &chunkReader{b: b}; c.w.Reset() }

// chunkReader returns its bytes a few at a time (TCP delivers what it
// likes), then EOF.
type chunkReader struct {
	b []byte
	n int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	r.n = r.n%7 + 1
	k := min(len(p), len(r.b), r.n*97)
	copy(p, r.b[:k])
	r.b = r.b[k:]
	return k, nil
}

// FuzzSIPPreparse feeds arbitrary octets to the checks above sipgo's parser:
// as a datagram (checkRaw) and as a stream (streamConn framing, then
// checkRaw per message). Properties: no panic; a passed datagram is the
// input cut at its Content-Length, plus at most ";rport"; a stream yields
// only whole messages that passed checkRaw themselves, never more octets
// than it was given (plus ";rport" per message).
func FuzzSIPPreparse(f *testing.F) {
	for _, dir := range []string{filepath.Join("..", "..", "testdata", "rfc4475")} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".dat") {
				if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Add([]byte("OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n\r\n\r\n"))
	log := slog.New(slog.DiscardHandler)
	f.Fuzz(func(t *testing.T, data []byte) {
		v := checkRaw(data)
		if !v.drop && v.code == 0 && len(v.data) > len(data)+len(";rport") {
			t.Fatalf("checkRaw grew %d octets to %d", len(data), len(v.data))
		}
		if v.code > 0 {
			_ = statelessResponse(data, v.code, v.reason, v.hdrs...)
		}
		mc := &memConn{}
		mc.reset(data)
		passed := 0
		sc := &streamConn{Conn: mc, transport: "TCP", idle: time.Minute, limit: time.Minute, out: outbound{ua: "Switchboard", log: log}, log: log, last: time.Now(),
			inspect: func(_ string, _ netip.AddrPort, msg []byte) verdict {
				if n, code, _ := frameLen(msg); code != 0 || n != len(msg) {
					t.Fatalf("framed message %q does not frame to itself (%d, %d)", msg, n, code)
				}
				passed++
				return checkRaw(msg)
			}}
		buf := make([]byte, 4096)
		total := 0
		for range 10000 {
			n, err := sc.Read(buf)
			total += n
			if err != nil {
				break
			}
		}
		if total > len(data)+passed*len(";rport") {
			t.Fatalf("stream delivered %d octets of %d given", total, len(data))
		}
	})
}
