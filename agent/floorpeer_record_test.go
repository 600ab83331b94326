package agent

import (
	"context"
	"testing"
	"time"

	"switchboard/store"
)

// A call bridged between two nodes has one record (PROTOCOL §13): the
// agent's node stores its leg's, as the caller's call; the caller's node
// stores none once bridged, except when the agent's node died.
func TestPeerRecord(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC)
	leg := func(outcome string, accepted bool, o *FloorOrigin) *call {
		cl := &call{peerIn: true, outcome: outcome, peerOrigin: o}
		if accepted {
			cl.firstAccept = t0.Add(12 * time.Second)
		}
		return cl
	}
	origin := &FloorOrigin{Call: "n1/c5", Arrived: t0, From: "+15550001", To: "5000"}
	for _, c := range []struct {
		name  string
		cl    *call
		store bool
	}{
		{"caller's node, bridged", &call{peerOut: true, outcome: "caller_hangup"}, false},
		{"caller's node, bridged, the agent's node died", &call{peerOut: true, outcome: reasonNodeLost}, true},
		{"caller's node, answered here", &call{outcome: "caller_hangup"}, true},
		{"leg nobody took", leg("canceled", false, origin), false},
		{"leg, the caller's node died", leg(reasonNodeLost, true, origin), false},
		{"leg taken, its origin unknown", leg("agent_hangup", true, nil), true},
	} {
		rec := store.CallRecord{Call: "c1", StartedAt: t0.Add(10 * time.Second), WaitSeconds: 2, From: "+15550001"}
		if got := c.cl.peerRecord(&rec); got != c.store {
			t.Errorf("%s: store %v, want %v", c.name, got, c.store)
		}
		if rec.Call != "c1" {
			t.Errorf("%s: record renamed %s", c.name, rec.Call)
		}
	}
	rec := store.CallRecord{Call: "c1", StartedAt: t0.Add(10 * time.Second), WaitSeconds: 2, From: "+15550001"}
	if !leg("agent_hangup", true, origin).peerRecord(&rec) {
		t.Fatal("the leg an agent took: not stored")
	}
	if rec.Call != "n1/c5" || !rec.StartedAt.Equal(t0) || rec.WaitSeconds != 12 || rec.To != "5000" || rec.From != "+15550001" {
		t.Errorf("the leg's record %+v, want n1/c5 from its arrival, waited 12 s, to 5000", rec)
	}
}

// With Config.LastActivity (a cluster), login gives the agent the activity
// it last had on another node before it connects; one the node does not
// know, or none, leaves the node's own.
func TestLoginLastActivity(t *testing.T) {
	last := map[string]string{"a1": "break", "a2": "no-such-activity"}
	h := newHarness(t, func(s *setup) {
		s.cfg = func(c *Config) {
			c.LastActivity = func(_ context.Context, id string) (string, bool) { a, ok := last[id]; return a, ok }
		}
	})
	for id, want := range map[string]string{"a1": "break", "a2": "offline", "a3": "offline"} {
		a := h.connect(id)
		if got := a.login.Agent.Activity; got != want {
			t.Errorf("%s logs in with activity %q, want %q", id, got, want)
		}
	}
}
