package netns

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// drain sends SIGTERM to a live node that does not lead, with a call in
// progress on it: it answers OPTIONS with 503 (PROTOCOL §13), Kamailio's
// probe takes it out of the set (no new INVITE is sent to it), the held
// call goes on, and the node exits once it has ended.
func (c *clusterT) drain() {
	t := c.t
	var d *node
	for _, n := range c.nodes {
		if n.alive() && !c.view(n).IsLeader {
			d = n
		}
	}
	if d == nil {
		t.Fatal("drain: no live node that does not lead")
	}
	sip := netip.MustParseAddrPort(d.ip + ":5060")
	if code := options(t.Context(), sip); code != 200 {
		t.Fatalf("OPTIONS to %s before the drain: %d, want 200", d.id, code)
	}
	hold := make(chan struct{})
	held := make(chan *call, 1)
	go func() { held <- c.place(t.Context(), 800000, "5000", sip, shape{limit: 10 * time.Second, hold: hold}) }()
	c.waitFor(15*time.Second, "the held call on "+d.id+" talks", func() bool {
		cl := c.callFrom("c800000")
		return cl != nil && cl.callerHeard.Load() >= heardFrames && cl.agentHeard.Load() >= heardFrames
	})
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	drained := time.Now()
	code := 0
	c.waitFor(5*time.Second, d.id+" answers OPTIONS with 503", func() bool {
		code = options(t.Context(), sip)
		return code == 503
	})
	t.Logf("drain: %s answers OPTIONS with 503 %v after SIGTERM", d.id, time.Since(drained).Round(time.Millisecond))

	// Calls through Kamailio until PING_INTERVAL (1 s) has passed with no
	// INVITE sent to d: it has left the set; then 6 more, none to d.
	before := c.kamCount(d)
	out := drained
	for k := 0; time.Since(out) < 1500*time.Millisecond; k++ {
		if time.Since(drained) > 10*time.Second {
			t.Fatalf("drain: Kamailio still sends INVITEs to %s 10 s after its drain", d.id)
		}
		if cl := c.place(t.Context(), 810000+k, "5000", kamSIP, brief); cl.failure != "" {
			t.Errorf("drain: call %d through Kamailio: %s", k, cl.failure)
		}
		if n := c.kamCount(d); n != before {
			before, out = n, time.Now()
		}
	}
	by := map[string]int{}
	for k := range 6 {
		cl := c.place(t.Context(), 820000+k, "5000", kamSIP, brief)
		if cl.failure != "" {
			t.Errorf("drain: call %d after %s left the set: %s", k, d.id, cl.failure)
		}
		by[cl.node]++
	}
	if c.kamCount(d) != before || by[d.id] != 0 {
		t.Errorf("drain: Kamailio sent %d INVITEs to %s after it had left the set (answered by node: %v)", c.kamCount(d)-before, d.id, by)
	}
	t.Logf("drain: Kamailio's last INVITE to %s %v after SIGTERM (0: none after it); the next 6 calls through Kamailio were answered by %v",
		d.id, out.Sub(drained).Round(time.Millisecond), by)
	close(hold)
	if cl := <-held; cl.failure != "" {
		t.Errorf("drain: the call in progress on %s: %s", d.id, cl.failure)
	}
	select {
	case <-d.exited:
		t.Logf("drain: %s exited %v after SIGTERM, once its call had ended", d.id, time.Since(drained).Round(time.Millisecond))
	case <-time.After(10 * time.Second):
		t.Errorf("drain: %s still running 10 s after SIGTERM and its last call", d.id)
	}
}

// kamCount is how many INVITEs Kamailio's log says it sent to n.
func (c *clusterT) kamCount(n *node) int {
	c.kam.mu.Lock()
	defer c.kam.mu.Unlock()
	k := 0
	for _, l := range c.kam.lines {
		if m := kamRoute.FindStringSubmatch(l); m != nil && m[2] == n.ip {
			k++
		}
	}
	return k
}

// options sends one OPTIONS to to and returns the status code of its
// answer (0: none within a second).
func options(ctx context.Context, to netip.AddrPort) int {
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(hostLoad.ip), 0)))
	if err != nil {
		return 0
	}
	defer conn.Close()
	local := conn.LocalAddr().(*net.UDPAddr)
	id := strconv.FormatUint(rand.Uint64(), 36)
	msg := fmt.Sprintf("OPTIONS sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK%s;rport\r\nMax-Forwards: 70\r\n"+
		"From: <sip:probe@%s>;tag=%s\r\nTo: <sip:%s>\r\nCall-ID: %s@netns\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
		to, local, id, hostLoad.ip, id, to, id)
	if _, err := conn.WriteToUDPAddrPort([]byte(msg), to); err != nil {
		return 0
	}
	_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	var buf [4096]byte
	for {
		select {
		case <-ctx.Done():
			return 0
		default:
		}
		n, err := conn.Read(buf[:])
		if err != nil {
			return 0
		}
		line, _, _ := bytes.Cut(buf[:n], []byte("\r\n"))
		f := strings.Fields(string(line))
		if len(f) < 2 || f[0] != "SIP/2.0" {
			continue
		}
		code, _ := strconv.Atoi(f[1])
		if code >= 200 {
			return code
		}
	}
}
