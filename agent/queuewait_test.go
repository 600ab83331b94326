package agent

import (
	"testing"
	"time"

	"switchboard/store"
)

// PROTOCOL.md section 2: no caller waits forever. A queue call nobody takes
// within the queue's max_wait_seconds hears the announcement, then BYE.
func TestQueueMaxWait(t *testing.T) {
	h := newHarness(t, func(s *setup) {
		s.queues = []store.Queue{{ID: "sales", Name: "Sales", TimeoutSeconds: 15, MaxWaitSeconds: 60}}
		s.agents = []store.Agent{{ID: "a1", Name: "Ann", Extension: "1001", Capacity: 2, Queues: []string{"sales"}}}
	})
	fc := h.call("5000", freqCaller1) // nobody is logged in: it waits
	h.waitFor("answer", func() bool { return fc.snap().answered })
	if q := h.queueView("sales"); q.Waiting != 1 {
		t.Fatalf("queue %+v, want 1 waiting", q)
	}
	h.advance(59 * time.Second)
	if q := h.queueView("sales"); q.Waiting != 1 {
		t.Fatalf("after 59 s: queue %+v, want the call still waiting", q)
	}
	h.advance(time.Second)
	var seen bool
	h.waitFor("announcement", func() bool {
		pcm := fc.leg.heard(h.steps.now()-5, h.steps.now()+1)
		seen = seen || (len(pcm) > 0 && hasTone(pcm, freqPromptUnavail))
		return seen
	})
	h.waitFor("BYE after the announcement", func() bool { return fc.snap().hangups == 1 })
	if q := h.queueView("sales"); q.Waiting != 0 {
		t.Errorf("queue %+v, want none waiting", q)
	}
	e := h.waitEvent("call.ended", nil)
	if e.Reason != "fallback_queue_timeout" {
		t.Errorf("call.ended reason %q, want fallback_queue_timeout", e.Reason)
	}
}
