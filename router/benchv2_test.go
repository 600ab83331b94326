package router

import (
	"slices"
	"strconv"
	"testing"
	"time"
)

// Routing v2 at issue 14 scale: 15,000 agents with attributes, 50 queues
// (the odd ones select their members by an expression over the agents'
// skills; membership computed here as the core computes it, and put with
// PutAgent), half of them simultaneous, and 10,000 waiting tasks of mixed
// channels (calls, blocking chats, non-blocking chats).
//
// Even agents serve queues 0..24 and are busy (an outbound call: blocking
// work), so the 10,000 tasks there wait; odd agents serve 25..49 and are
// free.

type v2Floor struct {
	r      *Router
	now    time.Time
	busy   []AgentID
	free   []AgentID
	skills map[AgentID][]int // expression queues selected by the agent's skills
	listed map[AgentID][]QueueID
	ext    map[AgentID]string
	buf    []QueueID // members' result, reused: PutAgent copies it
	next   int
}

func benchTaskV2(id string, q QueueID, i int) Task {
	t := Task{ID: TaskID(id), Kind: KindQueue, Queue: q, Priority: i % 3}
	switch i % 3 {
	case 1:
		t.Channel = "chat"
	case 2:
		t.Channel, t.NonBlocking = "chat", true
	}
	return t
}

// membership: listed queues plus the expression queues the skills select,
// in a buffer the next call reuses (the router copies what it keeps).
func (f *v2Floor) members(id AgentID) []QueueID {
	f.buf = append(f.buf[:0], f.listed[id]...)
	for _, k := range f.skills[id] {
		f.buf = append(f.buf, benchQueue(k))
	}
	return f.buf
}

func newV2Floor(b *testing.B) *v2Floor {
	b.Helper()
	f := &v2Floor{r: New(Config{}), now: t0, skills: map[AgentID][]int{}, listed: map[AgentID][]QueueID{}, ext: map[AgentID]string{}}
	for i := range benchQueues {
		must(b, f.r.PutQueue(Queue{ID: benchQueue(i), Simultaneous: i%4 < 2}, f.now))
	}
	half := benchQueues / 2
	for i := range benchAgents {
		id := AgentID("a" + strconv.Itoa(i))
		base := (i % 2) * half
		even := func(k int) int { return base + (k%half)&^1 } // listed: even queues
		odd := func(k int) int { return base + ((k%half)|1)%half }
		f.listed[id] = []QueueID{benchQueue(even(i)), benchQueue(even(i + 7))}
		f.skills[id] = []int{odd(i + 13)}
		f.now = f.now.Add(time.Millisecond)
		f.ext[id] = strconv.Itoa(10000 + i)
		must(b, f.r.PutAgent(AgentConfig{ID: id, Extension: f.ext[id], Queues: f.members(id)}, f.now))
		must(b, f.r.SetConnected(id, true, f.now))
		if i%2 == 0 {
			must(b, f.r.AddCall(id, f.now))
			f.busy = append(f.busy, id)
		} else {
			f.free = append(f.free, id)
		}
		must(b, f.r.SetActivity(id, ActivityAvailable, f.now))
	}
	for i := range benchTasks {
		f.now = f.now.Add(time.Millisecond)
		must(b, f.r.AddTask(benchTaskV2("w"+strconv.Itoa(i), benchQueue(i%half), i), f.now))
	}
	if n := len(f.r.tasks); n != benchTasks {
		b.Fatalf("%d tasks live, want %d waiting", n, benchTasks)
	}
	f.r.Drain(nil)
	return f
}

// BenchmarkV2AgentFreesUp: a busy agent ends its call and takes what rule 3
// allows of the mixed waiting tasks across its three queues (a non-blocking
// chat may be followed by a call); it accepts, as many new tasks arrive
// (and wait), it dials out again and completes the tasks.
func BenchmarkV2AgentFreesUp(b *testing.B) {
	f := newV2Floor(b)
	r := f.r
	var evs []Event
	var got []TaskID
	half := benchQueues / 2
	run(b, r, func(i int) {
		id := f.busy[i%len(f.busy)]
		f.now = f.now.Add(time.Millisecond)
		_ = r.EndCall(id, f.now)
		evs = r.Drain(evs[:0])
		got = got[:0]
		for _, e := range evs {
			if e.Type == ReservationCreated {
				_ = r.Accept(e.Reservation, f.now)
				got = append(got, e.Task)
			}
		}
		if len(got) == 0 {
			b.Fatalf("step %d: %v", i, evs)
		}
		for range got {
			f.next++
			_ = r.AddTask(benchTaskV2("n"+strconv.Itoa(f.next), benchQueue(f.next%half), f.next), f.now)
		}
		_ = r.AddCall(id, f.now)
		for _, t := range got {
			_ = r.Complete(t, f.now)
		}
		evs = r.Drain(evs[:0]) // keep the grown buffer: the next step reuses it
	})
}

// BenchmarkV2TaskArrives: a task of a mixed channel arrives in a queue with
// free members and is offered to the longest idle one, who accepts and
// completes it.
func BenchmarkV2TaskArrives(b *testing.B) {
	f := newV2Floor(b)
	r := f.r
	arrivals(b, r, &f.now, idleHalfTaskV2, func(i int, t Task, evs []Event) []Event {
		if len(evs) != 2 || evs[1].Type != ReservationCreated {
			b.Fatalf("step %d: %v", i, evs)
		}
		_ = r.Accept(evs[1].Reservation, f.now)
		_ = r.Complete(t.ID, f.now)
		return r.Drain(evs[:0]) // keep the grown buffer: the next step reuses it
	})
}

// BenchmarkV2RejectReoffer: a task arrives, is offered, rejected and
// offered to the next member (two decisions), then canceled.
func BenchmarkV2RejectReoffer(b *testing.B) {
	f := newV2Floor(b)
	r := f.r
	arrivals(b, r, &f.now, idleHalfTaskV2, func(i int, t Task, evs []Event) []Event {
		_ = r.Reject(evs[1].Reservation, f.now)
		evs = r.Drain(evs[:0])
		if len(evs) != 2 || evs[1].Type != ReservationCreated {
			b.Fatalf("step %d: %v", i, evs)
		}
		_ = r.CancelTask(t.ID, f.now)
		return r.Drain(evs[:0]) // keep the grown buffer: the next step reuses it
	})
}

// idleHalfTaskV2 is the i-th task of the v2 arrival benchmarks: one of a
// mixed channel (benchTaskV2) for a queue of the free half.
func idleHalfTaskV2(i int) Task {
	half := benchQueues / 2
	return benchTaskV2("x"+strconv.Itoa(i), benchQueue(half+i%half), i)
}

// BenchmarkV2AttributeChange: a free agent gains a skill; its membership is
// recomputed and put, which adds an expression queue of the busy half: it
// is offered the best waiting task there (one decision), accepts and
// completes it, a new task arrives there, and the skill is removed again
// (a second recompute).
func BenchmarkV2AttributeChange(b *testing.B) {
	f := newV2Floor(b)
	r := f.r
	var evs []Event
	half := benchQueues / 2
	run(b, r, func(i int) {
		id := f.free[i%len(f.free)]
		k := (2*i + 1) % half // an odd (expression) queue of the busy half
		f.now = f.now.Add(time.Millisecond)
		old := f.skills[id]
		f.skills[id] = append(old, k)
		_ = r.PutAgent(AgentConfig{ID: id, Extension: f.ext[id], Queues: f.members(id)}, f.now)
		evs = r.Drain(evs[:0])
		if len(evs) == 0 || evs[0].Type != ReservationCreated || evs[0].Queue != benchQueue(k) {
			qs, _ := r.Queue(benchQueue(k))
			as, _ := r.Agent(id)
			b.Fatalf("step %d: %v\nqueue %+v\nagent %+v", i, evs, qs, as)
		}
		// A non-blocking chat may be followed by a call (rule 3).
		for _, e := range evs {
			_ = r.Accept(e.Reservation, f.now)
		}
		f.skills[id] = old[:len(old):len(old)]
		_ = r.PutAgent(AgentConfig{ID: id, Extension: f.ext[id], Queues: f.members(id)}, f.now)
		for _, e := range evs {
			_ = r.Complete(e.Task, f.now)
			f.next++
			_ = r.AddTask(benchTaskV2("n"+strconv.Itoa(f.next), benchQueue(k), f.next), f.now)
		}
		if evs = r.Drain(evs[:0]); countType(evs, ReservationCreated) != 0 {
			b.Fatalf("step %d: new tasks offered: %v", i, evs)
		}
	})
}

func countType(evs []Event, t EventType) int {
	n := 0
	for _, e := range evs {
		if e.Type == t {
			n++
		}
	}
	return n
}

// BenchmarkV2QueueRecompute is the router's share of a membership
// recompute after a queue's target_workers changes: as the core does
// (agent/membership.go, setTargetLocked), every one of the 15,000 agents is
// put again with its recomputed membership; here the expression queue of
// the free half that a skill selects gains (next op: loses) the 300 free
// agents whose skills now select it, and the other 14,700 are put
// unchanged. One op is one queue change; evaluating the expression over
// the agents (router/attrexpr, BenchmarkRecomputeQueue) comes on top.
func BenchmarkV2QueueRecompute(b *testing.B) {
	f := newV2Floor(b)
	r := f.r
	half := benchQueues / 2
	k := half + 1
	with, without := map[AgentID][]int{}, map[AgentID][]int{}
	ids := make([]AgentID, 0, benchAgents)
	for i := range benchAgents {
		id := AgentID("a" + strconv.Itoa(i))
		ids = append(ids, id)
		if i%50 == 1 && !slices.Contains(f.skills[id], k) {
			without[id] = f.skills[id]
			with[id] = append(slices.Clip(f.skills[id]), k)
		}
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		sel := with
		if n%2 == 1 {
			sel = without
		}
		for id, s := range sel {
			f.skills[id] = s
		}
		for _, id := range ids {
			_ = r.PutAgent(AgentConfig{ID: id, Extension: f.ext[id], Queues: f.members(id)}, f.now)
		}
		n++
	}
	if s, _ := r.Queue(benchQueue(k)); n%2 == 1 && s.Members < len(with) {
		b.Fatalf("queue %s has %d members after the change, want at least %d", benchQueue(k), s.Members, len(with))
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*benchAgents), "ns/agent")
}
