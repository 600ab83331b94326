package router

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// liveTasks failf's each index error of r, and a count of live tasks
// other than n (what a model of r holds); it returns the live tasks.
func liveTasks(r *Router, n int, failf func(format string, args ...any)) []TaskSnapshot {
	for _, e := range indexErrors(r) {
		failf("indexes: %s", e)
	}
	live := r.Tasks("")
	if len(live) != n {
		failf("router has %d live tasks, the model %d", len(live), n)
	}
	return live
}

// indexErrors recomputes, from scratch, what the router keeps
// incrementally for routing (each queue's members, each agent's
// memberships, the idle and busy indexes with their keys and order) and
// reports every difference. The property tests call it after every step,
// so an incremental membership change (PutAgent, PutQueue, RemoveQueue,
// RemoveAgent) always equals a full recompute.
func indexErrors(r *Router) []string {
	var errs []string
	fail := func(f string, args ...any) { errs = append(errs, fmt.Sprintf(f, args...)) }
	for qid, q := range r.queues {
		var want []AgentID
		for id, a := range r.agents {
			if slices.Contains(a.queueIDs, qid) {
				want = append(want, id)
			}
		}
		slices.Sort(want)
		if got := r.Members(qid); !slices.Equal(got, want) {
			fail("queue %s: members %v, recomputed %v", qid, got, want)
		}
		for i, m := range q.members {
			if m.memIdx != i || m.q != q || !slices.Contains(m.a.mem, m) || m.a.removed {
				fail("queue %s: member %d (%s) index %d, in the agent's memberships %v", qid, i, m.a.id, m.memIdx, slices.Contains(m.a.mem, m))
			}
			a := m.a
			ready := a.ready() && !a.wrapup
			idle := ready && a.work() == 0
			busy := ready && a.work() > 0 && r.busyOK(a, q)
			if q.idle.has(m) != idle || q.busy.has(m) != busy {
				fail("queue %s agent %s: idle %v busy %v, recomputed %v %v", qid, a.id, q.idle.has(m), q.busy.has(m), idle, busy)
			}
			if (idle || busy) && (m.since != a.idleSince.UnixNano() || m.work != a.work()) {
				fail("queue %s agent %s: keys since %d work %d, recomputed %d %d", qid, a.id, m.since, m.work, a.idleSince.UnixNano(), a.work())
			}
		}
		errs = append(errs, heapErrors(string(qid)+" idle", &q.idle)...)
		errs = append(errs, heapErrors(string(qid)+" busy", &q.busy)...)
	}
	for id, a := range r.agents {
		var want []QueueID
		for _, qid := range a.queueIDs {
			if _, ok := r.queues[qid]; ok && !slices.Contains(want, qid) {
				want = append(want, qid)
			}
		}
		var got []QueueID
		for _, m := range a.mem {
			if m.a != a || m.q.removed || m.memIdx >= len(m.q.members) || m.q.members[m.memIdx] != m {
				fail("agent %s: stale membership of %s", id, m.q.cfg.ID)
			}
			got = append(got, m.q.cfg.ID)
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			fail("agent %s: memberships %v, recomputed %v", id, got, want)
		}
	}
	if len(r.spareM) > maxSpare {
		fail("%d spare memberships, bound %d", len(r.spareM), maxSpare)
	}
	for _, m := range r.spareM {
		if m.a != nil || m.q != nil {
			fail("spare membership still in use: %+v", m)
		}
	}
	errs = append(errs, spareErrors(r)...)
	return errs
}

// spareErrors: a recycled task or reservation is zeroed, kept once, and
// neither live nor waiting to be recycled (none is, between calls).
func spareErrors(r *Router) []string {
	var errs []string
	if len(r.endedT)+len(r.endedR) > 0 {
		errs = append(errs, fmt.Sprintf("%d tasks and %d reservations not recycled after settle", len(r.endedT), len(r.endedR)))
	}
	if len(r.spareT) > maxSpare || len(r.spareR) > maxSpare {
		errs = append(errs, fmt.Sprintf("%d spare tasks, %d spare reservations, bound %d", len(r.spareT), len(r.spareR), maxSpare))
	}
	seenT := map[*task]bool{}
	for _, t := range r.spareT {
		if seenT[t] || t.cfg.ID != "" || t.q != nil || t.res != nil || t.ended {
			errs = append(errs, fmt.Sprintf("spare task kept twice or not zeroed: %+v", *t))
		}
		seenT[t] = true
	}
	for _, t := range r.tasks {
		if seenT[t] || t.ended {
			errs = append(errs, fmt.Sprintf("live task %s is spare or ended", t.cfg.ID))
		}
	}
	seenR := map[*reservation]bool{}
	for _, res := range r.spareR {
		if seenR[res] || res.id != "" || res.t != nil || res.a != nil {
			errs = append(errs, fmt.Sprintf("spare reservation kept twice or not zeroed: %+v", *res))
		}
		seenR[res] = true
	}
	for _, res := range r.res {
		if seenR[res] || res.t.res != res || res.t.ended {
			errs = append(errs, fmt.Sprintf("live reservation %s is spare or its task does not hold it", res.id))
		}
	}
	return errs
}

func heapErrors(name string, h *mheap) []string {
	var errs []string
	for i, m := range h.items {
		if *h.pos(m) != i {
			errs = append(errs, fmt.Sprintf("%s: item %d has index %d", name, i, *h.pos(m)))
		}
		if i > 0 && h.less(m, h.items[(i-1)/mArity]) {
			errs = append(errs, fmt.Sprintf("%s: item %d before its parent", name, i))
		}
	}
	return errs
}

// TestIndexesAfterMembershipChanges: memberships put before and after
// their queues exist, changed, dropped with a queue and brought back with
// it, on a floor with idle and busy agents, equal a recompute each step.
func TestIndexesAfterMembershipChanges(t *testing.T) {
	h := newHarness(t)
	check := func(step string) {
		t.Helper()
		if errs := indexErrors(h.r); len(errs) > 0 {
			t.Fatalf("%s:\n%v", step, errs)
		}
	}
	h.agent("a1", "101", 1, "q1", "q2")
	h.agent("a2", "102", 2, "q2", "q2")
	check("agents before their queues")
	h.queue(Queue{ID: "q1"})
	h.queue(Queue{ID: "q2", AllowBusyAgents: true})
	check("queues put after the agents")
	h.queueTask("t1", "q2", 0)
	h.drain()
	check("one agent busy")
	h.ok(h.r.PutAgent(AgentConfig{ID: "a1", Extension: "101", Queues: []QueueID{"q2", "q3"}}, h.tick(time.Second)))
	h.ok(h.r.PutAgent(AgentConfig{ID: "a2", Extension: "102", Capacity: 2, Queues: []QueueID{"q1"}}, h.tick(time.Second)))
	h.drain()
	check("memberships changed")
	h.ok(h.r.RemoveQueue("q2", h.tick(time.Second)))
	h.queue(Queue{ID: "q3"})
	check("q2 removed, q3 put")
	h.queue(Queue{ID: "q2"})
	h.ok(h.r.RemoveAgent("a2", h.tick(time.Second)))
	h.drain()
	check("q2 back, a2 removed")
	if got := h.r.Members("q2"); !slices.Equal(got, []AgentID{"a1"}) {
		t.Fatalf("q2 members %v, want [a1]", got)
	}
}
