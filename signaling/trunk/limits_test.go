package trunk_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/media/rtpleg"
	"switchboard/signaling/trunk"
)

// limitTrunk runs a trunk with the given limits (and a pool it returns).
func limitTrunk(t *testing.T, cfg trunk.Config) (*trunk.Trunk, *rtpleg.Pool) {
	t.Helper()
	pool, err := rtpleg.NewPool(rtpleg.Config{IP: loopback, PortMin: 40000, PortMax: 49999, Timeout: 10 * time.Second, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen, cfg.Media = "127.0.0.1:0", pool
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	if cfg.Handler == nil {
		cfg.Handler = routes
	}
	return runTrunk(t, cfg), pool
}

// rawRequest is a request with Via/From/To/Call-ID/CSeq for transport
// ("UDP" or "TCP") from local to the trunk at dst.
func rawRequest(method, user, transport, local string, dst netip.AddrPort, callID string, body string) string {
	ct := ""
	if body != "" {
		ct = "Content-Type: application/sdp\r\n"
	}
	return method + " sip:" + user + "@" + dst.String() + " SIP/2.0\r\n" +
		"Via: SIP/2.0/" + transport + " " + local + ";branch=z9hG4bK-" + callID + "\r\n" +
		"Max-Forwards: 70\r\nFrom: <sip:caller@" + local + ">;tag=f-" + callID + "\r\nTo: <sip:" + user + "@" + dst.String() + ">\r\n" +
		"Call-ID: " + callID + "\r\nCSeq: 1 " + method + "\r\nContact: <sip:caller@" + local + ";transport=" + strings.ToLower(transport) + ">\r\n" +
		ct + "Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}

// dialTCPFrom connects to the trunk's TCP port from the loopback address from.
func dialTCPFrom(t *testing.T, tr *trunk.Trunk, from string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := d.Dial("tcp", tr.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedWithin reports whether the peer closes c within d (reading and
// discarding whatever comes).
func closedWithin(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	return err == nil // io.Copy returns nil on EOF; a deadline is an error
}

// statusLine reads the next status line on r.
func statusLine(c net.Conn, r *bufio.Reader) (string, error) {
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(line, "SIP/2.0 ") {
			return strings.TrimSpace(line), nil
		}
	}
}

// -sip-tcp-idle and -sip-read-timeout: an idle connection, a slowloris
// trickle and a Content-Length larger than the body are all closed; a
// connection that keeps completing messages stays. Before: sipgo set no
// deadline at all and held each of them forever.
func TestStreamTimeouts(t *testing.T) {
	tr, _ := limitTrunk(t, trunk.Config{TCPIdle: 600 * time.Millisecond, ReadTimeout: 400 * time.Millisecond})
	t.Run("idle", func(t *testing.T) {
		t.Parallel()
		c := dialTCPFrom(t, tr, "127.0.0.1")
		start := time.Now()
		if !closedWithin(c, 5*time.Second) {
			t.Fatal("idle connection still open 5 s after a 600 ms -sip-tcp-idle")
		}
		if el := time.Since(start); el < 500*time.Millisecond {
			t.Errorf("idle connection closed after %v, before the 600 ms idle time", el)
		}
	})
	t.Run("slowloris", func(t *testing.T) {
		t.Parallel()
		c := dialTCPFrom(t, tr, "127.0.0.1")
		msg := rawRequest("OPTIONS", "echo", "TCP", c.LocalAddr().String(), tr.Addr(), "slow-1", "")
		closed := make(chan struct{})
		go func() { closedWithin(c, 10*time.Second); close(closed) }()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for i := 0; i < len(msg)-4; i++ { // never the final CRLF CRLF
			select {
			case <-closed:
				return // closed while still trickling: the read timeout held
			case <-tick.C:
			}
			if _, err := c.Write([]byte{msg[i]}); err != nil {
				return // closed
			}
		}
		t.Fatal("a message trickled for the whole of its length was not cut off by the 400 ms read timeout")
	})
	t.Run("content-length beyond body", func(t *testing.T) {
		t.Parallel()
		c := dialTCPFrom(t, tr, "127.0.0.1")
		msg := rawRequest("OPTIONS", "echo", "TCP", c.LocalAddr().String(), tr.Addr(), "cl-1", "")
		msg = strings.Replace(msg, "Content-Length: 0", "Content-Length: 500", 1) + "only a few octets"
		if _, err := io.WriteString(c, msg); err != nil {
			t.Fatal(err)
		}
		if !closedWithin(c, 5*time.Second) {
			t.Fatal("a message short of its Content-Length held its connection past the 400 ms read timeout")
		}
	})
	t.Run("busy connection stays", func(t *testing.T) {
		t.Parallel()
		c := dialTCPFrom(t, tr, "127.0.0.1")
		r := bufio.NewReader(c)
		for i := range 8 { // 8 x 200 ms = 1.6 s, well past the 600 ms idle time
			msg := rawRequest("OPTIONS", "echo", "TCP", c.LocalAddr().String(), tr.Addr(), "busy-"+strconv.Itoa(i), "")
			if _, err := io.WriteString(c, msg); err != nil {
				t.Fatalf("OPTIONS %d: %v", i, err)
			}
			if line, err := statusLine(c, r); err != nil || !strings.HasPrefix(line, "SIP/2.0 200") {
				t.Fatalf("OPTIONS %d on a busy connection: %q, %v", i, line, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}

// -max-sip-conns and its per-source share: connections over either are
// closed at once, others from elsewhere still come in, and a freed slot is
// reusable.
func TestStreamConnBudget(t *testing.T) {
	tr, _ := limitTrunk(t, trunk.Config{MaxConns: 5, MaxConnsPerSource: 3})
	answers := func(c net.Conn, id string) bool {
		if _, err := io.WriteString(c, rawRequest("OPTIONS", "echo", "TCP", c.LocalAddr().String(), tr.Addr(), id, "")); err != nil {
			return false
		}
		line, err := statusLine(c, bufio.NewReader(c))
		return err == nil && strings.HasPrefix(line, "SIP/2.0 200")
	}
	var a []net.Conn
	for i := range 3 {
		c := dialTCPFrom(t, tr, "127.0.6.1")
		if !answers(c, "a"+strconv.Itoa(i)) {
			t.Fatalf("connection %d from 127.0.6.1 (within 3 per source) not served", i)
		}
		a = append(a, c)
	}
	if c := dialTCPFrom(t, tr, "127.0.6.1"); !closedWithin(c, 3*time.Second) {
		t.Error("a 4th connection from one source (3 per source) was not closed")
	}
	for i := range 2 {
		if c := dialTCPFrom(t, tr, "127.0.6.2"); !answers(c, "b"+strconv.Itoa(i)) {
			t.Fatalf("connection %d from 127.0.6.2 not served", i)
		}
	}
	if c := dialTCPFrom(t, tr, "127.0.6.3"); !closedWithin(c, 3*time.Second) {
		t.Error("a 6th connection (5 at once) was not closed")
	}
	if open, refused := tr.StreamConns(); open != 5 || refused != 2 {
		t.Errorf("StreamConns = %d open, %d refused; want 5 and 2", open, refused)
	}
	a[0].Close()
	waitFor(t, "the closed connection's slot to free", 5*time.Second, func() bool { open, _ := tr.StreamConns(); return open == 4 })
	if c := dialTCPFrom(t, tr, "127.0.6.3"); !answers(c, "c0") {
		t.Error("a connection after a slot was freed not served")
	}
}

// -sip-rate: a burst of INVITEs from one source gets 503 with Retry-After
// past its bucket, before any RTP port is taken; another source and
// requests in existing dialogs are unaffected. Before: every INVITE took a
// port for 32 s, and 160/s from one source starved everyone.
func TestInviteRate(t *testing.T) {
	tr, pool := limitTrunk(t, trunk.Config{InviteRate: 5, Handler: trunk.HandlerFunc(func(ctx context.Context, c *trunk.Call) {
		_ = c.Reject(486, "Busy Here")
	})})
	flood, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP("127.0.0.2")})
	if err != nil {
		t.Fatal(err)
	}
	defer flood.Close()
	dst := net.UDPAddrFromAddrPort(tr.Addr())
	const n = 40
	for i := range n {
		msg := rawRequest("INVITE", "1000", "UDP", flood.LocalAddr().String(), tr.Addr(), "flood-"+strconv.Itoa(i), sdpOffer(flood.LocalAddr().(*net.UDPAddr).Port+2))
		if _, err := flood.WriteTo([]byte(msg), dst); err != nil {
			t.Fatal(err)
		}
	}
	finals := map[string]int{}
	refusedWithRetry := 0
	buf := make([]byte, 65536)
	_ = flood.SetReadDeadline(time.Now().Add(5 * time.Second))
	for len(finals) < n {
		k, _, err := flood.ReadFrom(buf)
		if err != nil {
			break
		}
		m := string(buf[:k])
		f := strings.Fields(m)
		if len(f) < 2 || f[0] != "SIP/2.0" || f[1] < "2" {
			continue
		}
		id := between(m, "Call-ID: ", "\r\n")
		if _, seen := finals[id]; seen {
			continue
		}
		code, _ := strconv.Atoi(f[1])
		finals[id] = code
		if code == 503 && strings.Contains(m, "\r\nRetry-After: ") {
			refusedWithRetry++
		}
	}
	if len(finals) != n {
		t.Fatalf("%d of %d INVITEs got a final response", len(finals), n)
	}
	// Burst 10 at 5/s: about 10 pass in the time 40 are sent.
	if refusedWithRetry < n-15 || refusedWithRetry > n-10 {
		t.Errorf("%d of %d INVITEs from one source got 503 with Retry-After; want %d to %d (-sip-rate 5, burst 10)", refusedWithRetry, n, n-15, n-10)
	}
	if got := tr.InvitesRefused(); got != uint64(refusedWithRetry) {
		t.Errorf("InvitesRefused = %d, want %d", got, refusedWithRetry)
	}
	waitFor(t, "ports back", 5*time.Second, func() bool { return pool.InUse() == 0 })
	// Another source is not affected.
	other, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP("127.0.0.3")})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.WriteTo([]byte(rawRequest("INVITE", "1000", "UDP", other.LocalAddr().String(), tr.Addr(), "other-1", sdpOffer(30000))), dst); err != nil {
		t.Fatal(err)
	}
	if code := readFinal(t, other); code != 486 {
		t.Errorf("INVITE from another source answered %d, want 486 (the handler's)", code)
	}
}

func between(s, a, b string) string {
	_, rest, ok := strings.Cut(s, a)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, b)
	return v
}

func sdpOffer(port int) string {
	return fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n", port)
}

func trunkConfig(h trunk.Handler) trunk.Config { return trunk.Config{Handler: h} }
