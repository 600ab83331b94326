package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"context"
	"net/netip"
	"switchboard/media"
	"switchboard/media/rtpleg/rtplegtest"
	"switchboard/media/webrtcleg/webrtclegtest"
	"switchboard/signaling/trunk/trunktest"
)

// envBinary names the gateway binary a re-executed test uses instead of
// building it again; envNetns marks a test running inside its own network
// namespace.
const (
	envBinary = "SWITCHBOARD_E2E_BINARY"
	envNetns  = "SWITCHBOARD_E2E_NETNS"
)

// publicIP is the 1:1 NAT address of TestPublicIP (TEST-NET-3, RFC 5737).
const publicIP = "203.0.113.7"

// wan is the veth interface that takes every non-loopback packet inside
// the test's network namespace: its tx counter says whether anything was
// sent toward publicIP.
const wan = "sbwan0"

// TestPublicIP: with -public-ip 203.0.113.7 and -media-ip 127.0.0.1 the
// gateway starts, its SDP c= lines, ICE candidates and SIP Contact carry
// 203.0.113.7, calls work through a (simulated) 1:1 NAT, and no packet is
// ever sent to 203.0.113.7. The test re-runs itself in a private network
// namespace (unshare -n) whose only route out of loopback is a veth
// interface; the interface's transmit counter must stay 0.
func TestPublicIP(t *testing.T) {
	if os.Getenv(envNetns) == "" {
		reexecInNetns(t, "TestPublicIP")
		return
	}
	ipCmd := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	ipCmd("link", "set", "lo", "up")
	ipCmd("link", "add", wan, "type", "veth", "peer", "name", wan+"p")
	for _, dev := range []string{wan, wan + "p"} {
		// No IPv6 autoconfiguration chatter on the counted link.
		if err := os.WriteFile("/proc/sys/net/ipv6/conf/"+dev+"/disable_ipv6", []byte("1"), 0o644); err != nil {
			t.Logf("disable ipv6 on %s: %v", dev, err)
		}
		ipCmd("link", "set", dev, "up")
	}
	ipCmd("addr", "add", "198.18.0.1/32", "dev", wan)
	ipCmd("route", "add", "default", "dev", wan)
	// The control: a packet to the public address would leave through wan.
	if out, _ := exec.Command("ip", "route", "get", publicIP).CombinedOutput(); !bytes.Contains(out, []byte("dev "+wan)) {
		t.Fatalf("ip route get %s = %q, want it routed to %s", publicIP, out, wan)
	}
	before := txPackets(t)

	g := startGateway(t, "-public-ip", publicIP)
	g.seed(t, []map[string]any{{"id": "sales", "name": "Sales"}}, []agentSpec{{ID: "ann", Ext: "201", Queues: []string{"sales"}}}, map[string]string{"500": "queue:sales"})
	pub, lo := netip.MustParseAddr(publicIP), netip.MustParseAddr("127.0.0.1")

	// The agent: the gateway's answer carries the public address; the
	// browser reaches it through the NAT (the test maps it to loopback).
	a := &agentClient{ID: "ann", tne: toneAgent}
	a.WS = g.dialWS(t, "/ws/agent")
	a.WS.MustCall("login", map[string]string{"agent": "ann", "password": "pw-ann"}, nil)
	a.Br = webrtclegtest.NewBrowser(t, media.PCMU)
	var ans struct {
		SDP string `json:"sdp"`
	}
	a.WS.MustCall("webrtc.offer", map[string]string{"sdp": string(a.Br.Offer())}, &ans)
	if !strings.Contains(ans.SDP, "c=IN IP4 "+publicIP) || !candidateOn(ans.SDP, publicIP) {
		t.Fatalf("browser answer lacks c= and a host candidate on %s:\n%s", publicIP, ans.SDP)
	}
	if strings.Contains(ans.SDP, "127.0.0.1") {
		t.Errorf("browser answer still names the bound address 127.0.0.1:\n%s", ans.SDP)
	}
	a.Br.SetAnswer([]byte(strings.ReplaceAll(ans.SDP, publicIP, "127.0.0.1")))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := a.Br.WaitConnected(ctx, 10*time.Second); err != nil {
		t.Fatalf("agent webrtc through the NAT: %v", err)
	}
	a.Br.SendTone(toneAgent)
	a.WS.MustCall("activity.set", map[string]string{"activity": "available"}, nil)

	// The caller: SDP and Contact carry the public address.
	c := &caller{SIP: trunktest.NewPhone(t, "udp"), RTP: rtplegtest.NewPhone(t, media.PCMU)}
	c.SIP.MapAddress(pub, lo)
	pc := &pendingCall{c: c, done: make(chan struct{})}
	iv, err := c.SIP.StartInvite(t.Context(), g.SIP, "500", c.RTP.Offer())
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(pc.done)
		d, err := iv.Wait(context.Background())
		if err != nil {
			pc.err = err
			return
		}
		c.Dlg = d
	}()
	a.accept(t)
	pc.wait(t)
	if sdp := string(c.Dlg.AnswerSDP()); !strings.Contains(sdp, "c=IN IP4 "+publicIP) || strings.Contains(sdp, "127.0.0.1") {
		t.Errorf("trunk answer SDP should carry only %s:\n%s", publicIP, sdp)
	}
	if ct := c.Dlg.Contact(); !strings.Contains(ct, publicIP) {
		t.Errorf("200 OK Contact = %q, want %s", ct, publicIP)
	}
	if err := c.RTP.SetAnswer(bytes.ReplaceAll(c.Dlg.AnswerSDP(), []byte(publicIP), []byte("127.0.0.1"))); err != nil {
		t.Fatal(err)
	}
	c.RTP.PlayTone(toneCaller1)
	hears(t, "caller", c.classify, toneAgent)
	hears(t, "agent", a.Br.Classify, toneCaller1)
	bye, cancelBye := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancelBye()
	if err := c.Dlg.Bye(bye); err != nil {
		t.Errorf("bye through the NAT mapping: %v", err)
	}
	waitFor(t, 5*time.Second, "call ended", func() bool { return g.Logged(`"call ended"`) })

	if n := txPackets(t) - before; n != 0 {
		t.Errorf("%d packets left through %s (toward %s or elsewhere off loopback), want 0", n, wan, publicIP)
	}
}

// candidateOn reports whether sdp has an ICE candidate on ip.
func candidateOn(sdp, ip string) bool {
	for l := range strings.SplitSeq(sdp, "\n") {
		if strings.HasPrefix(l, "a=candidate:") && strings.Contains(l, " "+ip+" ") {
			return true
		}
	}
	return false
}

// txPackets reads wan's transmit counter (ip -s -j: sysfs shows the
// host's namespace, not this one).
func txPackets(t *testing.T) uint64 {
	t.Helper()
	out, err := exec.Command("ip", "-s", "-j", "link", "show", wan).Output()
	if err != nil {
		t.Fatalf("ip -s link show %s: %v", wan, err)
	}
	var links []struct {
		Stats struct {
			TX struct {
				Packets uint64 `json:"packets"`
			} `json:"tx"`
		} `json:"stats64"`
	}
	if err := json.Unmarshal(out, &links); err != nil || len(links) != 1 {
		t.Fatalf("ip -s -j link show %s = %s: %v", wan, out, err)
	}
	return links[0].Stats.TX.Packets
}

// reexecInNetns runs the test named name again in a new network namespace
// (as root, with unshare), with the gateway binary built here, and fails t
// if it fails there.
func reexecInNetns(t *testing.T, name string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to run in a private network namespace (unshare -n)")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare (util-linux) not on PATH")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("ip (iproute2) not on PATH")
	}
	bin := binary(t)
	cmd := exec.CommandContext(t.Context(), unshare, "-n", os.Args[0], "-test.run=^"+name+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), envNetns+"=1", envBinary+"="+bin)
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: "+name)) {
		t.Fatalf("%s in a private network namespace: %v\n%s\n(the test's own lines:)\n%s", name, err, tail(string(out), 6000), ownLines(string(out)))
	}
	t.Logf("%s passed in a private network namespace", name)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// ownLines is the re-executed test's output without the gateway's log lines,
// which can push its failure out of the tail.
func ownLines(out string) string {
	var b strings.Builder
	for l := range strings.Lines(out) {
		if !strings.Contains(l, "gateway: {") {
			b.WriteString(l)
		}
	}
	return tail(b.String(), 6000)
}
