package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/webrtcleg/webrtclegtest"
	"switchboard/signaling/ws/wstest"
	"switchboard/view"
)

// toneAgent3 is a third agent's tone, apart from the others for Goertzel.
const toneAgent3 = 2300.0

// loginResult is the result of the agent login method.
type loginResult struct {
	Agent        view.Agent        `json:"agent"`
	Calls        []view.Call       `json:"calls"`
	Reservations []json.RawMessage `json:"reservations"`
}

// state reads the gateway's state over a fresh admin connection.
func (g *gateway) state(t *testing.T) view.Floor {
	t.Helper()
	return adminAnswer[view.Floor](t, g, "state")
}

// agentCalls returns id -> state of the agent's calls in the gateway state.
func (g *gateway) agentCalls(t *testing.T, id string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, a := range g.state(t).Agents {
		if a.ID == id {
			for _, c := range a.Calls {
				out[c.ID] = c.State
			}
		}
	}
	return out
}

// notif matches one expected notification.
type notif struct {
	method string
	match  func(p map[string]any) bool // nil matches any params
}

// expect consumes the agent's notifications until every one of want was
// seen (in any order), or fails after timeout. Other notifications are
// dropped.
func (a *agentClient) expect(t *testing.T, timeout time.Duration, want ...notif) {
	t.Helper()
	left := append([]notif(nil), want...)
	deadline := time.After(timeout)
	var seen []string
	for len(left) > 0 {
		select {
		case n := <-a.WS.Notifications:
			seen = append(seen, n.Method+" "+string(n.Params))
			var p map[string]any
			_ = json.Unmarshal(n.Params, &p)
			for i, w := range left {
				if w.method == n.Method && (w.match == nil || w.match(p)) {
					left = append(left[:i], left[i+1:]...)
					break
				}
			}
		case <-deadline:
			var names []string
			for _, w := range left {
				names = append(names, w.method)
			}
			t.Fatalf("agent %s: no %v within %v; got:\n%s", a.ID, names, timeout, strings.Join(seen, "\n"))
		}
	}
}

// field matches a notification whose params field key equals value.
func field(key, value string) func(map[string]any) bool {
	return func(p map[string]any) bool { return fmt.Sprint(p[key]) == value }
}

// noOffer checks, over window, that the agent gets no reservation.created.
// Other notifications are dropped.
func (a *agentClient) noOffer(t *testing.T, window time.Duration) {
	t.Helper()
	deadline := time.After(window)
	for {
		select {
		case n := <-a.WS.Notifications:
			if n.Method == "reservation.created" {
				t.Fatalf("agent %s was offered a call but must not be: %s", a.ID, n.Params)
			}
		case <-deadline:
			return
		}
	}
}

// offer waits for the next reservation.created and returns its params.
func (a *agentClient) offer(t *testing.T) map[string]any {
	t.Helper()
	n := a.WS.WaitNotification("reservation.created", 10*time.Second)
	var p map[string]any
	decode(t, n.Params, &p)
	return p
}

// transfer calls call.transfer and returns the Call result.
func (a *agentClient) transfer(t *testing.T, call, to, mode string) view.Call {
	t.Helper()
	p := map[string]string{"call": call, "mode": mode}
	if to != "" {
		p["to"] = to
	}
	var v view.Call
	a.WS.MustCall("call.transfer", p, &v)
	return v
}

// relogin logs the agent in again on a new websocket and a new browser leg
// sending toneHz, as a reloaded page would. It returns the new client and
// the login result.
func (g *gateway) relogin(t *testing.T, id string, toneHz float64) (*agentClient, loginResult) {
	t.Helper()
	a, res := g.loginOnly(t, id, toneHz)
	a.connect(t)
	return a, res
}

// loginOnly logs the agent in on a new websocket without a browser leg
// yet (a page that has not offered WebRTC so far).
func (g *gateway) loginOnly(t *testing.T, id string, toneHz float64) (*agentClient, loginResult) {
	t.Helper()
	a := &agentClient{ID: id, tne: toneHz}
	a.WS = wstest.Dial(t, wstest.URL(g.HTTP, "/ws/agent"), nil)
	var res loginResult
	a.WS.MustCall("login", map[string]string{"agent": id, "password": "pw-" + id}, &res)
	return a, res
}

// takesCall sets the agent (its browser leg sending toneAgent) available,
// has it accept a call to number from a caller sending toneCaller1, and
// checks that each hears the other; agent names the agent's side.
func (a *agentClient) takesCall(t *testing.T, g *gateway, number, agent string) {
	t.Helper()
	a.WS.MustCall("activity.set", map[string]string{"activity": "available"}, nil)
	p := g.dialAsync(t, number, toneCaller1)
	a.accept(t)
	c := p.wait(t)
	hears(t, "caller", c.classify, toneAgent)
	hears(t, agent, a.Br.Classify, toneCaller1)
}

// connect gives the agent a new pion browser leg (webrtc.offer) sending its
// tone.
func (a *agentClient) connect(t *testing.T) {
	t.Helper()
	a.Br = webrtclegtest.NewBrowser(t, media.PCMU)
	var ans struct {
		SDP string `json:"sdp"`
	}
	a.WS.MustCall("webrtc.offer", map[string]string{"sdp": string(a.Br.Offer())}, &ans)
	a.Br.SetAnswer([]byte(ans.SDP))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := a.Br.WaitConnected(ctx, 10*time.Second); err != nil {
		t.Fatalf("agent %s: webrtc: %v", a.ID, err)
	}
	if a.tne > 0 {
		a.Br.SendTone(a.tne)
	}
}

// ended waits until the caller's dialog ends (BYE from the gateway).
func (c *caller) ended(t *testing.T, who string, timeout time.Duration) {
	t.Helper()
	select {
	case <-c.Dlg.Done():
	case <-time.After(timeout):
		t.Fatalf("%s: dialog not ended within %v", who, timeout)
	}
}

// talking checks that the caller and the agent hear each other.
func talking(t *testing.T, what string, c *caller, callerHz float64, a *agentClient) {
	t.Helper()
	hears(t, what+": caller", c.classify, a.tne)
	hears(t, what+": agent "+a.ID, a.classify, callerHz)
}

// rtpBlock numbers the RTP port blocks of startGW's gateways.
var rtpBlock atomic.Int32

// startGW is startGateway with an ephemeral WebRTC port (the default,
// 20002, is one fixed port: two gateways at once would collide) and an RTP
// range of its own in 22000-29999: startGateway's 30000+ ranges overlap
// the ones cmd/switchboard's SIPp tests fill (30000-37999) when both
// packages' tests run at once.
func startGW(t *testing.T, extra ...string) *gateway {
	t.Helper()
	lo := 22000 + int(rtpBlock.Add(1)%40)*200
	args := []string{"-webrtc-port", "0", "-rtp-ports", fmt.Sprintf("%d-%d", lo, lo+198)}
	return startGateway(t, append(args, extra...)...)
}
