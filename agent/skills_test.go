package agent

import (
	"testing"

	"switchboard/store"
)

// PROTOCOL §10: a queue selects members by target_workers over their
// attributes; membership is recomputed when the agent or the queue
// changes. A call to the skills queue reaches only the agent whose
// attributes match, and after an attribute change, the other one.
func TestSkillsRoutedCall(t *testing.T) {
	h := newHarness(t, func(s *setup) {
		s.queues = append(s.queues, store.Queue{ID: "es", Name: "Spanish", TimeoutSeconds: 15,
			QueueRouting: store.QueueRouting{TargetWorkers: `"spanish" in skills and level >= 2`}})
		s.routes = append(s.routes, store.Route{Number: "5005", Target: "queue:es"})
		s.agents[0].Attributes = map[string]any{"skills": []any{"english"}, "level": 3.0}
		s.agents[1].Attributes = map[string]any{"skills": []any{"spanish"}, "level": 2.0}
	})
	a1 := h.login("a1")
	a2 := h.login("a2")
	if m := h.c.Members("es"); len(m) != 1 || m[0] != "a2" {
		t.Fatalf("members %v, want [a2]", m)
	}
	h.call("5005", freqCaller1)
	rv := h.nextOffer(a2)
	h.noOffer(a1)
	if rv.Queue != "es" {
		t.Fatalf("offer %+v", rv)
	}
	// a1 learns Spanish, a2 forgets it: the queue's members follow.
	ag1, ag2 := h.st.agents[0], h.st.agents[1]
	ag1.Attributes = map[string]any{"skills": []any{"english", "spanish"}, "level": 3.0}
	ag2.Attributes = map[string]any{}
	h.c.ApplyAgent(ag1)
	h.c.ApplyAgent(ag2)
	if m := h.c.Members("es"); len(m) != 1 || m[0] != "a1" {
		t.Fatalf("members after attribute change %v, want [a1]", m)
	}
	// A queue change recomputes too: an expression nobody satisfies.
	q := h.st.queues[2]
	q.TargetWorkers = `level >= 9`
	h.c.ApplyQueue(q)
	if m := h.c.Members("es"); len(m) != 0 {
		t.Fatalf("members %v, want none", m)
	}
}
