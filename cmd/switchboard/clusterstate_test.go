package main

import (
	"fmt"
	"testing"
	"time"

	"switchboard/events"
	"switchboard/store"
	"switchboard/view"
)

// mergeFloor: three nodes' parts. x is logged in on n1 with a call of
// n1's; y on n2 holds the leg of a caller waiting on n1 (a call bridged
// between the nodes), which is listed once, as n1's call with y's side;
// n3 has a caller waiting in the same queue, earlier than n1's. Agents
// carry their node; a configured agent logged in nowhere has none.
func TestMergeFloor(t *testing.T) {
	now := time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC)
	ago := func(s int) string { return events.FormatTime(now.Add(-time.Duration(s) * time.Second)) }
	cfg := func(live map[string]view.FloorAgent) []view.FloorAgent {
		out := []view.FloorAgent{}
		for _, id := range []string{"x", "y", "z"} {
			a, ok := live[id]
			if !ok {
				a = view.FloorAgent{Agent: view.Agent{ID: id, Activity: "available"}, Calls: []view.Call{}, Reservations: []view.Reservation{}}
			}
			out = append(out, a)
		}
		return out
	}
	xCall := view.Call{ID: "c1", State: "active", Agent: "x", Queue: "sales", StartedAt: ago(60), AnsweredAt: ago(50)}
	bridged := view.Call{ID: "c2", State: "active", Agent: "y", Queue: "sales", Remote: "+100", StartedAt: ago(30), AnsweredAt: ago(20)}
	leg := view.Call{ID: "c1", State: "held", Agent: "y", Queue: "sales", Remote: "n1", StartedAt: ago(25), AnsweredAt: ago(20), HeldAt: ago(5)}
	n1 := floorPart{Node: "n1", State: view.Floor{
		Agents: cfg(map[string]view.FloorAgent{"x": {Agent: view.Agent{ID: "x", Activity: "available", Connected: true, Load: 1}, Calls: []view.Call{xCall}, Reservations: []view.Reservation{}}}),
		Queues: []view.Queue{{ID: "sales", Waiting: 1, Busy: 1, LongestWait: ago(10)}},
		Calls:  []view.Call{xCall, bridged, {ID: "c3", State: "waiting", Queue: "sales", StartedAt: ago(10)}},
	}}
	n2 := floorPart{Node: "n2", Legs: map[string]string{"c1": "n1/c2"}, State: view.Floor{
		Agents: cfg(map[string]view.FloorAgent{"y": {Agent: view.Agent{ID: "y", Activity: "break", Connected: true, Load: 1}, Calls: []view.Call{leg}, Reservations: []view.Reservation{}}}),
		Queues: []view.Queue{{ID: "sales", Busy: 1}},
		Calls:  []view.Call{leg},
		Parked: []view.Parked{{Slot: "701", Call: "c9"}},
		Tasks:  []store.Task{{ID: "tk1", State: store.TaskPending}},
	}}
	n3 := floorPart{Node: "n3", State: view.Floor{
		Agents: cfg(nil),
		Queues: []view.Queue{{ID: "sales", Waiting: 1, LongestWait: ago(40)}},
		Calls:  []view.Call{{ID: "c1", State: "waiting", Queue: "sales", StartedAt: ago(40)}},
	}}
	n1.State.Calls[0].Quality = &view.Quality{}
	roundTrip := func(p floorPart) floorPart { // as published and read back
		t.Helper()
		js, err := p.encode()
		if err != nil {
			t.Fatal(err)
		}
		q, err := decodePart(js)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	got := mergeFloor([]floorPart{n2, roundTrip(n1), roundTrip(n3)}, now)
	if n1.State.Calls[0].Quality == nil || len(n1.State.Agents[0].Calls) != 1 {
		t.Error("encode changed the part it encoded")
	}

	type callKey struct{ node, id string }
	calls := map[callKey]view.Call{}
	for _, c := range got.Calls {
		k := callKey{c.Node, c.ID}
		if _, dup := calls[k]; dup {
			t.Errorf("call %v listed twice", k)
		}
		calls[k] = c
	}
	if len(got.Calls) != 4 {
		t.Errorf("calls: %+v, want n1's three and n3's one", got.Calls)
	}
	b := calls[callKey{"n1", "c2"}]
	if b.Agent != "y" || b.State != "held" || b.HeldAt != leg.HeldAt || b.Remote != "+100" || b.StartedAt != bridged.StartedAt {
		t.Errorf("the bridged call: %+v, want n1's caller (remote, start) with y's side (held)", b)
	}
	if _, ok := calls[callKey{"n2", "c1"}]; ok {
		t.Error("the leg on n2 is listed as a call of its own")
	}
	if c := calls[callKey{"n3", "c1"}]; c.State != "waiting" {
		t.Errorf("n3's c1 (same id as n1's, another call): %+v", c)
	}

	agents := map[string]view.FloorAgent{}
	for _, a := range got.Agents {
		agents[a.ID] = a
	}
	if len(got.Agents) != 3 {
		t.Errorf("agents: %+v", got.Agents)
	}
	if x := agents["x"]; x.Node != "n1" || !x.Connected || x.Load != 1 || len(x.Calls) != 1 || x.Calls[0].Node != "n1" || x.Calls[0].Quality != nil {
		t.Errorf("x: %+v, want on n1 with its call", x)
	}
	if y := agents["y"]; y.Node != "n2" || y.Activity != "break" || y.Load != 1 || len(y.Calls) != 1 || y.Calls[0].Node != "n1" || y.Calls[0].ID != "c2" {
		t.Errorf("y: %+v, want on n2 in break, holding n1's c2", y)
	}
	if z := agents["z"]; z.Node != "" || z.Connected {
		t.Errorf("z: %+v, want logged in nowhere", z)
	}

	if len(got.Queues) != 1 {
		t.Fatalf("queues: %+v", got.Queues)
	}
	q := got.Queues[0]
	if q.Waiting != 2 || q.Busy != 2 || q.Idle != 0 || q.LongestWait != ago(40) || q.LongestWaitSecs != 40 {
		t.Errorf("sales: %+v, want 2 waiting (the oldest 40 s ago), 2 busy", q)
	}
	if len(got.Parked) != 1 || len(got.Tasks) != 1 || got.Tasks[0].ID != "tk1" || got.Tasks[0].Node != "n2" {
		t.Errorf("parked %v tasks %v, want n2's task tk1 with its node", got.Parked, got.Tasks)
	}
}

// The pause between publications grows with their cost, within bounds.
func TestPartEvery(t *testing.T) {
	for _, c := range []struct{ cost, want time.Duration }{
		{0, partMinEvery}, {time.Millisecond, partMinEvery}, {8 * time.Millisecond, 200 * time.Millisecond}, {time.Second, partMaxEvery},
	} {
		if got := partEvery(c.cost); got != c.want {
			t.Errorf("partEvery(%v) = %v, want %v", c.cost, got, c.want)
		}
	}
}

// A part's calls are bounded (maxPartCalls); the rest are counted.
func TestFloorPartBounded(t *testing.T) {
	fl := &floorLink{node: "n1", peers: newFloorPeers()}
	own := view.Floor{Calls: make([]view.Call, maxPartCalls+3)}
	p := fl.part(own, time.Now())
	if len(p.State.Calls) != maxPartCalls || p.Dropped != 3 || p.Node != "n1" {
		t.Errorf("part: %d calls, %d dropped", len(p.State.Calls), p.Dropped)
	}
}

// BenchmarkFloorPart: one node's part with 1,000 calls on 500 agents, as
// publishParts encodes it (reported: bytes per part).
func BenchmarkFloorPart(b *testing.B) {
	fl := &floorLink{node: "n1", peers: newFloorPeers()}
	now := time.Now()
	own := view.Floor{Queues: []view.Queue{{ID: "sales", Name: "Sales", Waiting: 3}}}
	for i := range 500 {
		a := view.FloorAgent{Agent: view.Agent{ID: fmt.Sprintf("agent%03d", i), Name: "Agent", Extension: fmt.Sprint(1000 + i), Activity: "available",
			Capacity: 2, Load: 2, Connected: true, Queues: []string{"sales"}}, Reservations: []view.Reservation{}}
		for j := range 2 {
			c := view.Call{ID: fmt.Sprintf("c%d-%d", i, j), State: "active", Direction: "inbound", Kind: "queue", Remote: "+15550001234",
				Queue: "sales", StartedAt: events.FormatTime(now), MergedWith: []string{}, Agent: a.ID, AnsweredAt: events.FormatTime(now), Recording: "off"}
			a.Calls = append(a.Calls, c)
			own.Calls = append(own.Calls, c)
		}
		own.Agents = append(own.Agents, a)
	}
	var n int
	for b.Loop() {
		js, err := fl.part(own, now).encode()
		if err != nil {
			b.Fatal(err)
		}
		n = len(js)
	}
	b.ReportMetric(float64(n), "bytes/part")
}
