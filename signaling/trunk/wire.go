package trunk

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"

	"switchboard/internal/netguard"
)

// The wire seam: every message the trunk sends leaves through outbound.prepare
// (UDP through udpConn, streams through streamConn), which adds the
// Server (responses) or User-Agent (requests) header when the message has
// none (-sip-user-agent), and at debug logs one line per message in and out
// with its first line and Call-ID.

// defaultUserAgent is the Server/User-Agent value when Config.UserAgent is "".
const defaultUserAgent = "Switchboard"

// outbound applies the wire rules to outgoing messages.
type outbound struct {
	ua  string // "" sends none
	log *slog.Logger
}

// prepare returns b, or a copy with our Server/User-Agent header.
func (o outbound) prepare(b []byte, transport, dst string) []byte {
	o.logOut(b, transport, dst)
	if o.ua == "" || len(b) < 8 {
		return b
	}
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		return b
	}
	name := "User-Agent"
	if bytes.HasPrefix(b, []byte("SIP/")) {
		name = "Server"
	}
	if hasHeader(b[:end], name) {
		return b
	}
	out := make([]byte, 0, len(b)+len(name)+len(o.ua)+4)
	out = append(out, b[:end]...)
	out = append(out, "\r\n"+name+": "+o.ua...)
	return append(out, b[end:]...)
}

// hasHeader reports whether head has a header line called name.
func hasHeader(head []byte, name string) bool {
	for line := range bytes.SplitSeq(head, crlf) {
		n, _, ok := bytes.Cut(line, []byte(":"))
		if ok && strings.EqualFold(strings.TrimSpace(string(n)), name) {
			return true
		}
	}
	return false
}

func (o outbound) logIn(b []byte, transport, src string) {
	if o.log.Enabled(context.Background(), slog.LevelDebug) {
		first, callID := summary(b)
		o.log.Debug("sip in", "transport", transport, "source", src, "first_line", first, "sip_call_id", callID)
	}
}

func (o outbound) logOut(b []byte, transport, dst string) {
	if o.log.Enabled(context.Background(), slog.LevelDebug) && len(bytes.Trim(b, "\r\n")) > 0 {
		first, callID := summary(b)
		o.log.Debug("sip out", "transport", transport, "destination", dst, "first_line", first, "sip_call_id", callID)
	}
}

// summary returns a message's first line and Call-ID.
func summary(b []byte) (first, callID string) {
	head := b
	if end := bytes.Index(b, []byte("\r\n\r\n")); end >= 0 {
		head = b[:end]
	}
	for i, line := range strings.Split(string(head), "\r\n") {
		if i == 0 {
			first = line
			continue
		}
		n, v, ok := strings.Cut(line, ":")
		if ok {
			n = strings.ToLower(strings.TrimSpace(n))
			if n == "call-id" || n == "i" {
				return first, strings.TrimSpace(v)
			}
		}
	}
	return first, ""
}

// udpConn is the UDP listener socket: reads retried through transient
// errors (netguard), writes through the wire seam.
type udpConn struct {
	*netguard.PacketConn
	out outbound
}

func (u *udpConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	msg := u.out.prepare(b, "UDP", addrString(addr))
	n, err := u.PacketConn.WriteTo(msg, addr)
	if err == nil && len(msg) != len(b) {
		n = len(b)
	}
	return n, err
}
