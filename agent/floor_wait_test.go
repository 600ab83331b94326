package agent

import (
	"testing"
	"time"

	"switchboard/store"
)

// PROTOCOL §2 on the floor: a workflow call handed to the leader learns its
// queue from the leader's moved decision. With no leader to decide, it
// still never waits forever: it is bounded by the longest max_wait of any
// queue (here 90 s), and once the leader names its queue (sales, 60 s),
// by that queue's bound counted from arrival.
func TestFloorWorkflowCallWaitIsBounded(t *testing.T) {
	setupWF := func(s *setup) {
		s.queues = []store.Queue{{ID: "sales", Name: "Sales", TimeoutSeconds: 15, MaxWaitSeconds: 60}, {ID: "es", Name: "Spanish", TimeoutSeconds: 15, MaxWaitSeconds: 90}}
		s.routes = append(s.routes, store.Route{Number: "5006", Target: "workflow:wf"})
	}
	for _, tc := range []struct {
		name  string
		moved bool
		bound time.Duration
	}{
		{"no leader", false, 90 * time.Second},
		{"moved to sales", true, 60 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ft := &floorTasks{}
			h := newHarness(t, setupWF, func(s *setup) { s.cfg = func(c *Config) { c.Floor = ft } })
			h.c.ApplyWorkflow(store.Workflow{ID: "wf", Filters: []store.WorkflowFilter{
				{Name: "all", Expression: `number == "5006"`, Targets: []store.WorkflowTarget{{Queue: "sales"}}},
			}})
			fc := h.call("5006", freqCaller1)
			h.waitFor("the workflow call on the floor", func() bool { return ft.n() == 1 })
			if tc.moved {
				h.c.FloorMoved(ft.calls[0], "sales", "", 0, h.clock.Now())
			}
			h.advance(tc.bound - time.Second)
			if fc.snap().hangups != 0 {
				t.Fatalf("caller hung up before %v", tc.bound)
			}
			h.advance(time.Second)
			e := h.waitEvent("call.ended", nil)
			if e.Reason != "fallback_queue_timeout" {
				t.Errorf("call.ended reason %q, want fallback_queue_timeout", e.Reason)
			}
		})
	}
}
