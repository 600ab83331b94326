package softphone

import "switchboard/signaling/ws"

// monitorParams is call.monitor's and call.monitor.stop's params
// (PROTOCOL §12; node: §13).
type monitorParams struct {
	Call string `json:"call"`
	Mode string `json:"mode"`
	// Node is the node that holds the call (its `node` on the floor), ""
	// for this one.
	Node string `json:"node"`
}

// check refuses params without a call, and a call of a node other than
// self: a supervisor monitors only the calls of the node its socket is on
// (the media of another node's call is there; docs/CLUSTER.md "Not built
// yet").
func (p monitorParams) check(self string) error {
	if p.Call == "" {
		return ws.InvalidParams("call: required")
	}
	if p.Node != "" && p.Node != self {
		return ws.Conflict("call " + p.Call + " is on node " + p.Node + ": a supervisor monitors the calls of its own node only (log in on " + p.Node + " to monitor it)")
	}
	return nil
}
