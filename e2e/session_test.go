package e2e

import (
	"strings"
	"testing"
	"time"

	"switchboard/signaling/ws/wstest"
	"switchboard/view"
)

// onQueueCall starts a gateway (extra flags), seeds a1 and a2 in sales,
// and puts a queue call on a1 with audio both ways.
func onQueueCall(t *testing.T, extra ...string) (*gateway, *agentClient, *caller, string) {
	t.Helper()
	g := startGW(t, extra...)
	a, c, call := salesCall(t, g, agentSpec{ID: "a2", Ext: "1002", Queues: []string{"sales"}})
	talking(t, "before", c, toneCaller1, a)
	return g, a, c, call
}

// wantActive fails t unless the gateway's state shows call active on
// agent's list.
func (g *gateway) wantActive(t *testing.T, agent, call, when string) {
	t.Helper()
	if st := g.agentCalls(t, agent)[call]; st != "active" {
		t.Errorf("call %s %s: %q in the gateway state, want active", call, when, st)
	}
}

// callIn returns the state of call in list ("" if absent).
func callIn(list []view.Call, call string) string {
	for _, c := range list {
		if c.ID == call {
			return c.State
		}
	}
	return ""
}

// drop makes the agent vanish: websocket closed, browser gone.
func (a *agentClient) drop() {
	a.WS.Close()
	a.Br.Close()
}

// Issue 5: a second login takes the session over; the call goes on.
func TestSessionTakeover(t *testing.T) {
	t.Parallel()
	g, a, c, call := onQueueCall(t)
	b, res := g.loginOnly(t, "a1", toneAgent2)
	a.expect(t, 5*time.Second, notif{"session.replaced", nil})
	select {
	case <-a.WS.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the taken-over socket was not closed")
	}
	if s := callIn(res.Calls, call); s != "active" {
		t.Errorf("takeover login lists call %s as %q, want active; calls %+v", call, s, res.Calls)
	}
	// Until the new page offers WebRTC, the old page's audio goes on.
	talking(t, "after the takeover, before the new offer", c, toneCaller1, a)
	b.connect(t)
	talking(t, "after the takeover and the new offer", c, toneCaller1, b)
	g.wantActive(t, "a1", call, "after the takeover")
}

// Issue 5: a dropped agent's call is held; a re-login within the grace
// period gets it back, held; resuming brings the audio back.
func TestSessionDropAndRelogin(t *testing.T) {
	t.Parallel()
	// The grace is long enough for a loaded CI machine to hear the music
	// and log in again (3 s was not: the re-login came 3.7 s after the
	// drop); TestSessionGraceOverRequeues covers its end.
	g, a, c, call := onQueueCall(t, "-reconnect-grace", "20s")
	a.drop()
	hearsMusic(t, "caller of a dropped agent", c.classify)
	b, res := g.relogin(t, "a1", toneAgent)
	if s := callIn(res.Calls, call); s != "held" {
		t.Fatalf("re-login lists call %s as %q, want held; calls %+v", call, s, res.Calls)
	}
	neverHears(t, "held caller after re-login", c.ratio, toneAgent, 500*time.Millisecond)
	b.callOp(t, "call.resume", call)
	talking(t, "after resume", c, toneCaller1, b)
	g.wantActive(t, "a1", call, "after the resume")
}

// Issue 5: after the grace period an active queue call goes back to the
// queue and another agent gets it.
func TestSessionGraceOverRequeues(t *testing.T) {
	t.Parallel()
	g, a, c, call := onQueueCall(t, "-reconnect-grace", "3s")
	a2 := g.login(t, "a2", toneAgent2)
	a.drop()
	hearsMusic(t, "caller of a dropped agent", c.classify)
	a2.noOffer(t, 2*time.Second) // within the grace the call stays a1's
	res, got := a2.reservation(t)
	if got != call {
		t.Fatalf("a2 offered %s, want the requeued call %s", got, call)
	}
	a2.WS.MustCall("reservation.accept", map[string]string{"reservation": res}, nil)
	talking(t, "requeued call", c, toneCaller1, a2)
}

// Issue 5: the browser vanishing (ICE consent lost) with the websocket
// still open is treated like a drop.
func TestSessionBrowserVanishes(t *testing.T) {
	t.Parallel()
	g, a, c, call := onQueueCall(t, "-reconnect-grace", "30s")
	a.Br.Close()
	hearsMusic(t, "caller after the browser vanished", c.classify)
	select {
	case <-a.WS.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the websocket of an agent whose browser vanished was not closed")
	}
	b, res := g.relogin(t, "a1", toneAgent)
	if s := callIn(res.Calls, call); s != "held" {
		t.Fatalf("re-login lists call %s as %q, want held", call, s)
	}
	b.callOp(t, "call.resume", call)
	talking(t, "after resume", c, toneCaller1, b)
}

// Issue 5: security of the agent websocket.
func TestAgentSocketSecurity(t *testing.T) {
	t.Parallel()
	g := startGW(t)
	oneQueue(t, g, nil, agentSpec{ID: "a1", Ext: "1001"}, agentSpec{ID: "a2", Ext: "1002"})
	url := wstest.URL(g.HTTP, "/ws/agent")

	t.Run("method before login", func(t *testing.T) {
		c := wstest.Dial(t, url, nil)
		err := c.Call(t.Context(), "activity.set", map[string]string{"activity": "available"}, nil)
		if wstest.RPCError(err) == nil {
			t.Fatalf("activity.set before login: err %v, want a JSON-RPC error", err)
		}
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("socket not closed after a method before login")
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		c := wstest.Dial(t, url, nil)
		err := c.Call(t.Context(), "login", map[string]string{"agent": "a1", "password": "nope"}, nil)
		if e := wstest.RPCError(err); e == nil {
			t.Fatalf("wrong password: err %v, want a JSON-RPC error", err)
		}
	})
	t.Run("other origin", func(t *testing.T) {
		_, err := wstest.DialErr(t, url, map[string][]string{"Origin": {"http://evil.example"}})
		if err == nil {
			t.Fatal("websocket from another origin accepted")
		}
	})
	t.Run("too big", func(t *testing.T) {
		login := func(n int) []byte {
			return []byte(`{"jsonrpc":"2.0","id":"big","method":"login","params":{"agent":"` + strings.Repeat("a", n) + `","password":"x"}}`)
		}
		// Just under 64 KiB: an ordinary (refused) login, the socket stays.
		c := wstest.Dial(t, url, nil)
		resp, err := c.RawCall(t.Context(), `"big"`, login(60<<10))
		if err != nil || resp.Error == nil {
			t.Fatalf("60 KiB login: %+v, %v; want a JSON-RPC error", resp, err)
		}
		c.Close()
		// Over 64 KiB: the socket is closed (the server may reset it
		// before the whole message is written).
		c = wstest.Dial(t, url, nil)
		werr := c.WriteRaw(login(70 << 10))
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("a message over 64 KiB did not close the socket (write: %v)", werr)
		}
		if code := c.CloseCode(); werr == nil && code != wstest.CloseMessageTooBig {
			t.Errorf("close code %d, want %d", code, wstest.CloseMessageTooBig)
		}
	})
	t.Run("rate limited", func(t *testing.T) {
		// A failed login closes the socket: each attempt on a new one.
		for i := range 20 {
			c := wstest.Dial(t, url, nil)
			err := c.Call(t.Context(), "login", map[string]string{"agent": "a2", "password": "wrong"}, nil)
			e := wstest.RPCError(err)
			if e == nil {
				t.Fatalf("attempt %d: err %v, want a JSON-RPC error", i+1, err)
			}
			c.Close()
			if strings.Contains(e.Reason, "too many") {
				return
			}
		}
		t.Fatal("20 wrong passwords in a row were never rate-limited")
	})
}
