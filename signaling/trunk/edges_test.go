package trunk_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/signaling/trunk"
)

// udpPeer is a raw SIP peer on its own loopback UDP socket.
type udpPeer struct {
	t    *testing.T
	conn *net.UDPConn
	dst  *net.UDPAddr
	msgs chan string
	mu   sync.Mutex
	from map[string]string // message -> source address
}

// lastFrom returns the source address of the last message waited for.
func (p *udpPeer) lastFrom() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.from[""]
}

func newUDPPeer(t *testing.T, tr *trunk.Trunk) *udpPeer {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := &udpPeer{t: t, conn: c, dst: net.UDPAddrFromAddrPort(tr.Addr()), msgs: make(chan string, 256), from: map[string]string{}}
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 65536)
		for {
			n, src, err := c.ReadFrom(buf)
			if err != nil {
				close(p.msgs)
				return
			}
			p.mu.Lock()
			p.from[string(buf[:n])] = src.String()
			p.mu.Unlock()
			select {
			case p.msgs <- string(buf[:n]):
			default: // the test stopped reading
			}
		}
	})
	t.Cleanup(func() { c.Close(); wg.Wait() })
	return p
}

func (p *udpPeer) local() string { return p.conn.LocalAddr().String() }

func (p *udpPeer) send(msg string) {
	p.t.Helper()
	if _, err := p.conn.WriteTo([]byte(msg), p.dst); err != nil {
		p.t.Fatal(err)
	}
}

// wait returns the next message for which match is true, within 5 s.
func (p *udpPeer) wait(what string, match func(m string) bool) string {
	p.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case m, ok := <-p.msgs:
			if !ok {
				p.t.Fatalf("socket closed waiting for %s", what)
			}
			if match(m) {
				p.mu.Lock()
				p.from[""] = p.from[m]
				p.mu.Unlock()
				return m
			}
		case <-deadline:
			p.t.Fatalf("no %s within 5 s", what)
		}
	}
}

// response matches a response with code (0: any final) to method cseq
// ("1 INVITE") of callID.
func response(callID string, code int, cseq string) func(string) bool {
	return func(m string) bool {
		f := strings.Fields(m)
		if len(f) < 2 || f[0] != "SIP/2.0" || between(m, "Call-ID: ", "\r\n") != callID || between(m, "CSeq: ", "\r\n") != cseq {
			return false
		}
		c, _ := strconv.Atoi(f[1])
		return (code == 0 && c >= 200) || c == code
	}
}

func header(m, name string) string { return between(m, "\r\n"+name+": ", "\r\n") }

// inDialog is a request in the dialog of the INVITE answered by res.
func inDialog(method string, cseq int, p *udpPeer, tr *trunk.Trunk, callID, res string, branch string) string {
	return method + " sip:x@" + tr.Addr().String() + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + p.local() + ";branch=z9hG4bK-" + branch + "\r\n" +
		"Max-Forwards: 70\r\nFrom: <sip:caller@" + p.local() + ">;tag=f-" + callID + "\r\nTo: " + header(res, "To") + "\r\n" +
		"Call-ID: " + callID + "\r\nCSeq: " + strconv.Itoa(cseq) + " " + method + "\r\nContent-Length: 0\r\n\r\n"
}

// offers counts offers held by the handler (calls whose ctx has not ended).
type offers struct{ n atomic.Int32 }

func (o *offers) handler() trunk.Handler {
	return trunk.HandlerFunc(func(ctx context.Context, c *trunk.Call) {
		if c.Number() != "ring" {
			routes.HandleCall(ctx, c)
			return
		}
		o.n.Add(1)
		defer o.n.Add(-1)
		_ = c.Ringing()
		<-ctx.Done()
	})
}

// A BYE on an early dialog gets 200 and the INVITE 487; the offer ends.
// Before: the BYE got 200 and the INVITE no final response at all.
func TestEarlyBye(t *testing.T) {
	var o offers
	tr, _ := limitTrunk(t, trunk.Config{Handler: o.handler()})
	p := newUDPPeer(t, tr)
	p.send(rawRequest("INVITE", "ring", "UDP", p.local(), tr.Addr(), "early-bye", sdpOffer(30002)))
	ringing := p.wait("180", response("early-bye", 180, "1 INVITE"))
	p.send(inDialog("BYE", 2, p, tr, "early-bye", ringing, "early-bye-2"))
	p.wait("200 to the BYE", response("early-bye", 200, "2 BYE"))
	p.wait("487 to the INVITE", response("early-bye", 487, "1 INVITE"))
	waitFor(t, "the offer to end", 5*time.Second, func() bool { return o.n.Load() == 0 && tr.ActiveCalls() == 0 })
}

// A CANCEL sent right behind its INVITE (the two datagrams back to back)
// still ends it with 487, and no offer is left. Before: about one in three
// got 481 and the agent kept a ghost offer for 60 s.
func TestCancelRace(t *testing.T) {
	var o offers
	tr, _ := limitTrunk(t, trunk.Config{Handler: o.handler(), InviteRate: -1})
	p := newUDPPeer(t, tr)
	for i := range 30 {
		id := "race-" + strconv.Itoa(i)
		inv := rawRequest("INVITE", "ring", "UDP", p.local(), tr.Addr(), id, sdpOffer(30002))
		cancel := strings.Replace(strings.Replace(rawRequest("CANCEL", "ring", "UDP", p.local(), tr.Addr(), id, ""), "CSeq: 1 CANCEL", "CSeq: 1 CANCEL", 1), "\r\nContact: <sip:caller@"+p.local()+";transport=udp>", "", 1)
		p.send(inv)
		p.send(cancel)
		if m := p.wait("a final answer to the CANCEL", response(id, 0, "1 CANCEL")); !strings.HasPrefix(m, "SIP/2.0 200") {
			t.Fatalf("call %d: CANCEL answered %q, want 200", i, strings.SplitN(m, "\r\n", 2)[0])
		}
		p.wait("487 to the INVITE", response(id, 487, "1 INVITE"))
		p.send(strings.Replace(strings.Replace(cancel, "CANCEL sip:", "ACK sip:", 1), "1 CANCEL", "1 ACK", 1))
	}
	waitFor(t, "every offer to end", 5*time.Second, func() bool { return o.n.Load() == 0 && tr.ActiveCalls() == 0 })
}

// A merged request (RFC 3261 §8.2.2.2: same From tag, Call-ID and CSeq as
// an INVITE in progress, another branch) gets 482 and makes no second call.
func TestMergedRequest(t *testing.T) {
	var o offers
	tr, _ := limitTrunk(t, trunk.Config{Handler: o.handler()})
	p := newUDPPeer(t, tr)
	first := rawRequest("INVITE", "ring", "UDP", p.local(), tr.Addr(), "merged", sdpOffer(30002))
	p.send(first)
	p.wait("180 to the first", response("merged", 180, "1 INVITE"))
	p.send(strings.Replace(first, "branch=z9hG4bK-merged", "branch=z9hG4bK-merged-path2", 1))
	m := p.wait("a final answer to the second", response("merged", 0, "1 INVITE"))
	if !strings.HasPrefix(m, "SIP/2.0 482") || !strings.Contains(header(m, "Via"), "merged-path2") {
		t.Fatalf("merged INVITE answered %q, want 482 on its own branch", strings.SplitN(m, "\r\n", 2)[0])
	}
	if n := o.n.Load(); n != 1 {
		t.Errorf("%d offers, want 1", n)
	}
	tr.HangupAll()
}

// OPTIONS while draining gets 503, so an SBC's probe stops sending calls.
func TestOptionsWhileDraining(t *testing.T) {
	tr, _ := limitTrunk(t, trunk.Config{})
	p := newUDPPeer(t, tr)
	p.send(rawRequest("OPTIONS", "x", "UDP", p.local(), tr.Addr(), "opt-1", ""))
	if m := p.wait("OPTIONS answer", response("opt-1", 0, "1 OPTIONS")); !strings.HasPrefix(m, "SIP/2.0 200") {
		t.Fatalf("OPTIONS = %q before draining, want 200", m)
	}
	tr.Drain()
	p.send(rawRequest("OPTIONS", "x", "UDP", p.local(), tr.Addr(), "opt-2", ""))
	if m := p.wait("OPTIONS answer", response("opt-2", 0, "1 OPTIONS")); !strings.HasPrefix(m, "SIP/2.0 503") || header(m, "Retry-After") == "" {
		t.Fatalf("OPTIONS while draining = %q, want 503 with Retry-After", strings.SplitN(m, "\r\n", 2)[0])
	}
}

// The 2xx to an INVITE carries Allow and Supported and our Server header;
// with a Record-Route to another port the trunk's BYE leaves from the SIP
// listening port (before: from a random port) and carries User-Agent.
func TestAnswerHeadersAndRecordRoutePort(t *testing.T) {
	tr, _ := limitTrunk(t, trunk.Config{UserAgent: "Switchboard-Test"})
	p := newUDPPeer(t, tr)
	proxy := newUDPPeer(t, tr) // the Record-Route's other port
	inv := rawRequest("INVITE", "echo", "UDP", p.local(), tr.Addr(), "rr-1", sdpOffer(30002))
	inv = strings.Replace(inv, "Max-Forwards: 70\r\n", "Max-Forwards: 70\r\nRecord-Route: <sip:"+proxy.local()+";lr>\r\n", 1)
	p.send(inv)
	ok := p.wait("200 OK", response("rr-1", 200, "1 INVITE"))
	allow := header(ok, "Allow")
	for _, m := range []string{"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "INFO", "UPDATE", "PRACK"} {
		if !strings.Contains(allow, m) {
			t.Errorf("2xx Allow %q lacks %s", allow, m)
		}
	}
	if header(ok, "Supported") == "" {
		t.Error("2xx has no Supported")
	}
	if s := header(ok, "Server"); s != "Switchboard-Test" {
		t.Errorf("2xx Server = %q, want Switchboard-Test", s)
	}
	p.send(strings.Replace(inDialog("ACK", 1, p, tr, "rr-1", ok, "rr-ack"), "Max-Forwards", "Route: <sip:"+proxy.local()+";lr>\r\nMax-Forwards", 1))
	waitFor(t, "the call to be answered", 5*time.Second, func() bool { return tr.ActiveCalls() == 1 })
	go tr.HangupAll()
	bye := proxy.wait("BYE at the Record-Route address", func(m string) bool { return strings.HasPrefix(m, "BYE ") })
	if src := proxy.lastFrom(); src != tr.Addr().String() {
		t.Errorf("BYE came from %s, want the SIP listening address %s", src, tr.Addr())
	}
	if ua := header(bye, "User-Agent"); ua != "Switchboard-Test" {
		t.Errorf("BYE User-Agent = %q, want Switchboard-Test", ua)
	}
	via := header(bye, "Via")
	if !strings.Contains(via, ":"+strconv.Itoa(int(tr.Addr().Port()))) {
		t.Errorf("BYE Via %q does not name the listening port %d", via, tr.Addr().Port())
	}
}

// At debug, one line per SIP message in and out with its first line and
// Call-ID (field sip_call_id).
func TestDebugLogsEveryMessage(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tr2, _ := limitTrunk(t, trunk.Config{Logger: log})
	p := newUDPPeer(t, tr2)
	p.send(rawRequest("OPTIONS", "x", "UDP", p.local(), tr2.Addr(), "dbg-1", ""))
	p.wait("OPTIONS answer", response("dbg-1", 200, "1 OPTIONS"))
	waitFor(t, "the log lines", 5*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		s := buf.String()
		return strings.Contains(s, `"msg":"sip in"`) && strings.Contains(s, `"first_line":"OPTIONS sip:x@`) &&
			strings.Contains(s, `"msg":"sip out"`) && strings.Contains(s, `"first_line":"SIP/2.0 200 OK"`) &&
			strings.Contains(s, `"sip_call_id":"dbg-1"`)
	})
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// tel: URIs (RFC 3966, visual separators included) and sip: numbers reach
// the handler as the plain number. Before: sipgo does not parse tel: URIs,
// so the number was empty and the call got 404.
func TestTelURI(t *testing.T) {
	numbers := make(chan string, 4)
	tr, _ := limitTrunk(t, trunk.Config{Handler: trunk.HandlerFunc(func(ctx context.Context, c *trunk.Call) {
		numbers <- c.Number()
		_ = c.Reject(486, "Busy Here")
	})})
	p := newUDPPeer(t, tr)
	for i, tc := range []struct{ uri, want string }{
		{"tel:+49-30-1234;phone-context=example.com", "+49301234"},
		{"tel:+4930(1234)", "+49301234"},
		{"sip:+49.30.1234@" + tr.Addr().String() + ";user=phone", "+49301234"},
		{"sip:echo-room@" + tr.Addr().String(), "echo-room"},
	} {
		id := "tel-" + strconv.Itoa(i)
		msg := rawRequest("INVITE", "x", "UDP", p.local(), tr.Addr(), id, sdpOffer(30002))
		msg = strings.Replace(msg, "INVITE sip:x@"+tr.Addr().String()+" SIP/2.0", "INVITE "+tc.uri+" SIP/2.0", 1)
		p.send(msg)
		p.wait("486", response(id, 486, "1 INVITE"))
		if got := <-numbers; got != tc.want {
			t.Errorf("INVITE %s: number %q, want %q", tc.uri, got, tc.want)
		}
	}
}
