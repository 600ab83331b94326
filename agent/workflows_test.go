package agent

import (
	"testing"
	"time"

	"switchboard/events"
	"switchboard/store"
)

// PROTOCOL §10: a call to workflow:<id> is routed by its attributes; it
// waits in the first target's queue and after 3 s unassigned moves to the
// next target (task.moved), where an agent gets it. A call no filter
// matches, without a default queue, hears the announcement and BYE.
func TestWorkflowCallEscalates(t *testing.T) {
	h := newHarness(t, func(s *setup) {
		s.queues = append(s.queues, store.Queue{ID: "es", Name: "Spanish", TimeoutSeconds: 15})
		s.routes = append(s.routes, store.Route{Number: "5006", Target: "workflow:wf"}, store.Route{Number: "5007", Target: "workflow:wf"})
	})
	h.c.ApplyWorkflow(store.Workflow{ID: "wf", Filters: []store.WorkflowFilter{
		{Name: "line 5006", Expression: `number == "5006"`, Targets: []store.WorkflowTarget{{Queue: "es", TimeoutSeconds: 3}, {Queue: "sales"}}},
	}})
	a1 := h.login("a1")
	h.call("5006", freqCaller1)
	h.waitEvent(events.TaskCreated, func(events.Event) bool { return true })
	h.advance(2900 * time.Millisecond)
	h.noOffer(a1)
	h.advance(100 * time.Millisecond)
	rv := h.nextOffer(a1)
	if rv.Queue != "sales" {
		t.Fatalf("offer %+v, want from sales", rv)
	}
	mv := h.waitEvent("task.moved", func(events.Event) bool { return true })
	if mv.Detail["from_queue"] != "es" || mv.Detail["to_queue"] != "sales" {
		t.Fatalf("task.moved %+v", mv)
	}
	fc := h.call("5007", freqCaller2)
	h.waitEvent("task.fallback", func(e events.Event) bool { return e.Reason == "no_match" })
	h.waitFor("no_match caller hung up", func() bool { return fc.snap().hangups > 0 })
}

// Reservations carry the call's attributes.
func TestReservationAttributes(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	fc, rv := h.offered(a1, "5000", freqCaller1)
	if rv.Attributes["channel"] != "voice" || rv.Attributes["from"] != fc.from || rv.Attributes["number"] != "5000" {
		t.Fatalf("reservation attributes %v", rv.Attributes)
	}
}

// A trunk call that knows its caller name, trunk and X- headers hands them to the
// attributes (only the methods callAttributes reads are implemented).
type namedCall struct{ TrunkCall }

func (namedCall) From() string       { return "+15550001" }
func (namedCall) Number() string     { return "5000" }
func (namedCall) CallerName() string { return "Ana Díaz" }
func (namedCall) TrunkID() string    { return "carrier1" }
func (namedCall) XHeaders() map[string]string {
	return map[string]string{"X-Lang": "es"}
}

func TestCallAttributesFromTrunk(t *testing.T) {
	a := callAttributes(namedCall{})
	if a["caller_name"] != "Ana Díaz" || a["headers"].(map[string]any)["X-Lang"] != "es" || a["from"] != "+15550001" || a["number"] != "5000" ||
		a["trunk"] != "carrier1" {
		t.Fatalf("attributes %v", a)
	}
}
