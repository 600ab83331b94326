package e2e

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"switchboard/internal/porttest"
	"switchboard/internal/proctest"
	"switchboard/internal/repotest"
	"switchboard/internal/waittest"
	"switchboard/media"
	"switchboard/media/rtpleg/rtplegtest"
	"switchboard/media/tone"
	"switchboard/media/webrtcleg/webrtclegtest"
	"switchboard/signaling/trunk/trunktest"
	"switchboard/signaling/ws/wstest"
)

// Tone frequencies each party sends, far enough apart for Goertzel at 20 ms.
const (
	toneCaller1 = 700.0
	toneCaller2 = 1100.0
	toneAgent   = 1500.0
	toneAgent2  = 1900.0
)

// portBase hands each gateway its own RTP range.
var portBase atomic.Int32

// binary builds cmd/switchboard once per test run.
func binary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv(envBinary); p != "" {
		return p // built by the parent of a re-executed test (publicip_test.go)
	}
	return repotest.BuildOnce(t, "./cmd/switchboard", "-race")
}

// gateway is a running switchboard child process.
type gateway struct {
	t       *testing.T
	cmd     *exec.Cmd
	SIP     netip.AddrPort
	HTTP    string // http://127.0.0.1:port
	Token   string
	DataDir string
	child   *proctest.Child // its output lines: the gateway logs to stderr
	exited  <-chan struct{}
	wssTLS  *tls.Config // set by startTLSGateway: websockets go to HTTPS with it (tls_test.go)
	HTTPS   string      // https://127.0.0.1:port when wssTLS is set
}

// startGateway runs the binary with loopback-only settings and waits for
// /healthz.
//
// The ports were free a moment before the child binds them; another test's
// socket may take one in between (the SIP port must be free for both UDP and
// TCP). A child that exits at start with "address already in use" is
// started again on new ports, up to three times.
func startGateway(t *testing.T, extra ...string) *gateway {
	t.Helper()
	for attempt := 1; ; attempt++ {
		g, collided := tryStartGateway(t, extra...)
		if !collided {
			return g
		}
		if attempt == 3 {
			t.Fatalf("gateway could not bind its ports in %d attempts", attempt)
		}
		t.Logf("gateway start %d: a port was taken before it could bind; starting again on new ports", attempt)
	}
}

// tryStartGateway starts the child once; collided reports that it exited
// at start because a port was taken.
func tryStartGateway(t *testing.T, extra ...string) (*gateway, bool) {
	t.Helper()
	bin := binary(t)
	sipPort := porttest.FreeBoth(t)
	httpPort := porttest.Free(t, "tcp")
	// Each gateway gets its own RTP range so parallel tests never collide.
	base := 40000 + int(portBase.Add(1))*200 // 40000+: clear of cmd/switchboard's SIPp tests (30000-37999)
	// g is captured by the cleanup below: a local, never the nil returned
	// on a collision.
	g := &gateway{
		t: t, Token: "e2e-token", DataDir: t.TempDir(),
		SIP:  netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(sipPort)),
		HTTP: fmt.Sprintf("http://127.0.0.1:%d", httpPort),
	}
	args := []string{
		"-sip-addr", g.SIP.String(), "-http-addr", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"-media-ip", "127.0.0.1", "-rtp-ports", fmt.Sprintf("%d-%d", base, base+198),
		"-data", g.DataDir, "-admin-token", g.Token, "-log-level", "info", "-webrtc-port", "0",
	}
	args = append(args, extra...)
	g.cmd = exec.Command(bin, args...)
	g.child = proctest.Start(t, "gateway", g.cmd, syscall.SIGINT, 10*time.Second)
	g.exited = g.child.Exited()
	exited := false
	waitFor(t, 60*time.Second, "gateway /healthz", func() bool {
		select {
		case <-g.exited:
			exited = true
			return true
		default:
		}
		resp, err := http.Get(g.HTTP + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	if exited {
		if g.Logged("address already in use") {
			return nil, true
		}
		t.Fatalf("gateway exited at start: %v", g.cmd.ProcessState)
	}
	return g, false
}

// Logged reports whether a gateway log line contains every part.
func (g *gateway) Logged(parts ...string) bool {
	for _, l := range g.child.Lines() {
		ok := true
		for _, p := range parts {
			if !strings.Contains(l, p) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	waittest.For(t, what, timeout, cond)
}

// admin opens an authenticated admin console connection.
func (g *gateway) admin(t *testing.T) *wstest.Client {
	t.Helper()
	c := g.dialWS(t, "/ws/admin")
	c.MustCall("auth", map[string]string{"token": g.Token}, nil)
	return c
}

// seed creates queues, agents (password "pw-<id>") and routes.
type agentSpec struct {
	ID, Ext  string
	Capacity int
	Queues   []string
	// NoVoicemail turns the agent's voicemail off (PROTOCOL §11: on by
	// default), for the v1 fallbacks (486, announcement and BYE).
	NoVoicemail bool
}

func (g *gateway) seed(t *testing.T, queues []map[string]any, agents []agentSpec, routes map[string]string) {
	t.Helper()
	c := g.admin(t)
	defer c.Close()
	for _, q := range queues {
		c.MustCall("queue.put", q, nil)
	}
	for _, a := range agents {
		p := map[string]any{"id": a.ID, "name": "Agent " + a.ID, "extension": a.Ext, "password": "pw-" + a.ID, "queues": a.Queues}
		if a.Capacity != 0 {
			p["capacity"] = a.Capacity
		}
		if a.Queues == nil {
			p["queues"] = []string{}
		}
		if a.NoVoicemail {
			p["voicemail"] = false
		}
		c.MustCall("agent.put", p, nil)
	}
	for n, tgt := range routes {
		c.MustCall("route.put", map[string]string{"number": n, "target": tgt}, nil)
	}
}

// agentClient is a logged-in agent: websocket + pion browser leg.
type agentClient struct {
	ID  string
	WS  *wstest.Client
	Br  *webrtclegtest.Browser
	tne float64
	// HTTPToken is the login result's http_token (PROTOCOL §11).
	HTTPToken string
}

// login logs an agent in, connects its WebRTC leg and sets it available.
func (g *gateway) login(t *testing.T, id string, toneHz float64) *agentClient {
	t.Helper()
	a := &agentClient{ID: id, tne: toneHz}
	a.WS = g.dialWS(t, "/ws/agent")
	var lr struct {
		HTTPToken string `json:"http_token"`
	}
	a.WS.MustCall("login", map[string]string{"agent": id, "password": "pw-" + id}, &lr)
	a.HTTPToken = lr.HTTPToken
	a.connect(t)
	a.WS.MustCall("activity.set", map[string]string{"activity": "available"}, nil)
	return a
}

// reservation waits for the next offer and returns its id and call id.
func (a *agentClient) reservation(t *testing.T) (res, call string) {
	t.Helper()
	n := a.WS.WaitNotification("reservation.created", 10*time.Second)
	var r struct {
		ID   string `json:"id"`
		Call string `json:"call"`
	}
	decode(t, n.Params, &r)
	return r.ID, r.Call
}

// accept waits for an offer and accepts it; it returns the call id.
func (a *agentClient) accept(t *testing.T) string {
	t.Helper()
	res, call := a.reservation(t)
	a.WS.MustCall("reservation.accept", map[string]string{"reservation": res}, nil)
	return call
}

// caller is a carrier-side party: a SIP UA and an RTP phone.
type caller struct {
	SIP *trunktest.Phone
	RTP *rtplegtest.Phone
	Dlg *trunktest.Dialog
}

// dial calls number on the gateway and sends toneHz once answered.
func (g *gateway) dial(t *testing.T, number string, toneHz float64) *caller {
	t.Helper()
	return g.dialFrom(t, number, toneHz, rtplegtest.NewPhone(t, media.PCMU))
}

// dialFrom is dial with the caller's RTP phone given (e.g. one behind NAT).
func (g *gateway) dialFrom(t *testing.T, number string, toneHz float64, ph *rtplegtest.Phone) *caller {
	t.Helper()
	c := &caller{SIP: trunktest.NewPhone(t, "udp"), RTP: ph}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	d, err := c.SIP.Call(ctx, g.SIP, number, c.RTP.Offer())
	if err != nil {
		t.Fatalf("call %s: %v", number, err)
	}
	c.Dlg = d
	if err := c.RTP.SetAnswer(d.AnswerSDP()); err != nil {
		t.Fatalf("call %s: answer SDP: %v", number, err)
	}
	if toneHz > 0 {
		c.RTP.PlayTone(toneHz)
	}
	return c
}

// pendingCall is an INVITE whose answer is still to come (direct calls).
type pendingCall struct {
	c    *caller
	done chan struct{}
	err  error
	iv   *trunktest.Invite
}

// dialAsync sends an INVITE and waits for its answer in the background.
func (g *gateway) dialAsync(t *testing.T, number string, toneHz float64) *pendingCall {
	t.Helper()
	p := &pendingCall{c: &caller{SIP: trunktest.NewPhone(t, "udp"), RTP: rtplegtest.NewPhone(t, media.PCMU)}, done: make(chan struct{})}
	iv, err := p.c.SIP.StartInvite(t.Context(), g.SIP, number, p.c.RTP.Offer())
	if err != nil {
		t.Fatalf("invite %s: %v", number, err)
	}
	p.iv = iv
	go func() {
		defer close(p.done)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		d, err := iv.Wait(ctx)
		if err != nil {
			p.err = err
			return
		}
		p.c.Dlg = d
		if err := p.c.RTP.SetAnswer(d.AnswerSDP()); err != nil {
			p.err = err
			return
		}
		if toneHz > 0 {
			p.c.RTP.PlayTone(toneHz)
		}
	}()
	return p
}

// wait returns the answered caller, or fails.
func (p *pendingCall) wait(t *testing.T) *caller {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("no final answer within 30 s")
	}
	if p.err != nil {
		t.Fatalf("call not answered: %v", p.err)
	}
	return p.c
}

// status waits for a final non-2xx answer and returns its code.
func (p *pendingCall) status(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("no final answer within 30 s")
	}
	if se, ok := p.err.(*trunktest.StatusError); ok {
		return se.Code
	}
	if p.err == nil {
		return 200
	}
	t.Fatalf("call failed without a status: %v", p.err)
	return 0
}

func decode(t *testing.T, raw []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}

// hears waits until the party's recent audio is dominated by freq.
func hears(t *testing.T, who string, classify func(freq float64, d time.Duration) tone.Verdict, freq float64) {
	t.Helper()
	waitFor(t, 8*time.Second, fmt.Sprintf("%s to hear %v Hz", who, freq), func() bool {
		return classify(freq, 200*time.Millisecond) == tone.VerdictTone
	})
}

// hearsMusic waits until the party hears something audible that is none of
// the parties' tones (music on hold, ringback, a prompt).
func hearsMusic(t *testing.T, who string, classify func(freq float64, d time.Duration) tone.Verdict) {
	t.Helper()
	waitFor(t, 8*time.Second, who+" to hear music", func() bool {
		for _, f := range []float64{toneCaller1, toneCaller2, toneAgent, toneAgent2} {
			if classify(f, 400*time.Millisecond) != tone.VerdictOther {
				return false
			}
		}
		return true
	})
}

// hearsSilence waits until the party hears silence.
func hearsSilence(t *testing.T, who string, classify func(freq float64, d time.Duration) tone.Verdict) {
	t.Helper()
	waitFor(t, 8*time.Second, who+" to hear silence", func() bool {
		return classify(1000, 300*time.Millisecond) == tone.VerdictSilence
	})
}

// neverHears checks, over a window, that freq does not reach the party.
func neverHears(t *testing.T, who string, ratio func(freq float64, d time.Duration) float64, freq float64, window time.Duration) {
	t.Helper()
	deadline := time.Now().Add(window)
	for time.Now().Before(deadline) {
		if r := ratio(freq, 100*time.Millisecond); r > 0.2 {
			t.Fatalf("%s hears %v Hz (ratio %.2f) but must not", who, freq, r)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
