package trunk_test

import (
	"testing"
	"time"
)

// The SIP edges of PROTOCOL §14 as SIPp scenarios (testdata/sipp). SIPp's
// exit status says every expected message came, in order.

func TestSIPpEarlyBye(t *testing.T) {
	t.Parallel()
	var o offers
	tr, _ := limitTrunk(t, trunkConfig(o.handler()))
	runScenario(t, tr, "early_bye.xml", "ring", 20*time.Second)
	waitFor(t, "the offer to end", 5*time.Second, func() bool { return o.n.Load() == 0 && tr.ActiveCalls() == 0 })
}

func TestSIPpMergedRequest(t *testing.T) {
	t.Parallel()
	var o offers
	tr, _ := limitTrunk(t, trunkConfig(o.handler()))
	runScenario(t, tr, "merged_request.xml", "ring", 20*time.Second)
	waitFor(t, "the offer to end", 5*time.Second, func() bool { return o.n.Load() == 0 && tr.ActiveCalls() == 0 })
}

func TestSIPpOptionsWhileDraining(t *testing.T) {
	t.Parallel()
	tr, _ := limitTrunk(t, trunkConfig(nil))
	tr.Drain()
	runScenario(t, tr, "options_draining.xml", "probe", 20*time.Second)
}
