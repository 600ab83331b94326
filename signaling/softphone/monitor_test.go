package softphone_test

import (
	"strings"
	"testing"

	"switchboard/signaling/softphone"
	"switchboard/signaling/ws"
	"switchboard/signaling/ws/wstest"
)

// TestMonitorMethods: call.monitor and call.monitor.stop reach the core
// through the websocket; an agent that is not a supervisor is refused.
func TestMonitorMethods(t *testing.T) {
	url := newServerWith(t, softphone.Config{LoginRate: 3, Node: "n1"}, nil)
	c, _ := loginA1(t, url)
	for _, tc := range []struct {
		method string
		params map[string]string
		code   int
		reason string
	}{
		{"call.monitor", map[string]string{"mode": "listen"}, ws.CodeInvalidParams, "call: required"},
		{"call.monitor", map[string]string{"call": "x", "mode": "shout"}, ws.CodeInvalidParams, "mode:"},
		{"call.monitor", map[string]string{"call": "x", "mode": "listen"}, ws.CodeConflict, "only a supervisor may monitor calls"},
		{"call.monitor.stop", map[string]string{}, ws.CodeInvalidParams, "call: required"},
		{"call.monitor.stop", map[string]string{"call": "x"}, ws.CodeNotFound, "not monitored"},
		// Another node's call (PROTOCOL §13): refused before the role check.
		{"call.monitor", map[string]string{"call": "x", "mode": "listen", "node": "n2"}, ws.CodeConflict, "is on node n2"},
		{"call.monitor.stop", map[string]string{"call": "x", "node": "n2"}, ws.CodeConflict, "is on node n2"},
		{"call.monitor", map[string]string{"call": "x", "mode": "listen", "node": "n1"}, ws.CodeConflict, "only a supervisor may monitor calls"}, // this node's
	} {
		err := c.Call(t.Context(), tc.method, tc.params, nil)
		e := wstest.RPCError(err)
		if e == nil || e.Code != tc.code || !strings.Contains(e.Reason, tc.reason) {
			t.Errorf("%s %v = %v, want %d %q", tc.method, tc.params, err, tc.code, tc.reason)
		}
	}
}
