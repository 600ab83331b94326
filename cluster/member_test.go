package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/cluster"
	"switchboard/internal/redistest"
	"switchboard/router"
)

// fakeNode is a node's core reduced to what the floor needs: agents
// logged in on it (each auto-accepts its offers), calls waiting on it,
// and the decisions it acted on.
type fakeNode struct {
	t      *testing.T
	id     string
	rdb    *redis.Client
	member *cluster.Member
	lease  *cluster.Lease
	leader *cluster.Leader
	stop   context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	agents  map[string][]cluster.CallReport // agent → its calls
	waiting map[string]cluster.TaskFact
	acted   []cluster.Decision
	terms   []int64 // hellos seen
}

func setupFloor(rt *router.Router, now time.Time) error {
	_ = rt.PutQueue(router.Queue{ID: "sales"}, now)
	for _, a := range []router.AgentConfig{
		{ID: "x", Extension: "100", Queues: []router.QueueID{"sales"}, Capacity: 1},
		{ID: "y", Extension: "200", Queues: []router.QueueID{"sales"}, Capacity: 1},
	} {
		_ = rt.PutAgent(a, now)
	}
	return nil
}

func startNode(t *testing.T, srv *redistest.Server, id string, agents ...string) *fakeNode {
	t.Helper()
	n := &fakeNode{t: t, id: id, rdb: srv.Client(), agents: map[string][]cluster.CallReport{}, waiting: map[string]cluster.TaskFact{}}
	for _, a := range agents {
		n.agents[a] = nil
	}
	log := slog.New(slog.NewTextHandler(t.Output(), nil)).With("test_node", id)
	bus := cluster.NewBus(n.rdb, "sb")
	var err error
	n.member, err = cluster.NewMember(cluster.MemberConfig{Bus: bus, Fence: cluster.NewFence(n.rdb, "sb"), Node: id, Report: n.report, Act: n.act, Logger: log})
	must(t, err)
	pres := cluster.NewPresence(n.rdb, "sb")
	n.leader, err = cluster.NewLeader(cluster.LeaderConfig{Bus: bus, Presence: pres, Node: id, Setup: setupFloor, Rebuild: time.Second, Poll: 100 * time.Millisecond, Logger: log})
	must(t, err)
	n.lease, err = cluster.NewLease(n.rdb, "sb", id, ttl)
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	n.stop = cancel
	n.wg.Go(func() { _ = n.member.Run(ctx) })
	must(t, pres.Beat(ctx, id, id+":5060", ttl))
	n.wg.Go(func() {
		for ctx.Err() == nil {
			_ = pres.Beat(ctx, id, id+":5060", ttl)
			select {
			case <-ctx.Done():
			case <-time.After(ttl / 3):
			}
		}
	})
	t.Cleanup(n.kill)
	return n
}

// campaign makes the node campaign for the lease.
func (n *fakeNode) campaign() {
	ctx, cancel := context.WithCancel(context.Background())
	prev := n.stop
	n.stop = func() { cancel(); prev() }
	n.wg.Go(func() {
		_ = n.lease.Elect(ctx, func(lctx context.Context, tok int64) {
			if err := n.leader.Lead(lctx, tok); err != nil && lctx.Err() == nil {
				n.t.Logf("%s: lead: %v", n.id, err)
			}
		})
	})
}

// kill stops the node as SIGKILL would: its Redis connection goes first,
// so it neither renews nor releases its lease nor leaves presence.
func (n *fakeNode) kill() {
	n.rdb.Close()
	n.stop()
	n.wg.Wait()
}

func (n *fakeNode) report() cluster.Report {
	n.mu.Lock()
	defer n.mu.Unlock()
	r := cluster.Report{}
	for a, calls := range n.agents {
		r.Agents = append(r.Agents, cluster.AgentReport{ID: a, Connected: true, Activity: "available", Calls: calls})
	}
	for _, w := range n.waiting {
		r.Waiting = append(r.Waiting, w)
	}
	return r
}

func (n *fakeNode) act(d cluster.Decision) {
	n.mu.Lock()
	n.acted = append(n.acted, d)
	var accept bool
	switch d.Type {
	case cluster.DecHello:
		n.terms = append(n.terms, d.Token)
	case cluster.DecOffer:
		if calls, ok := n.agents[d.Agent]; ok && d.AgentNode == n.id {
			if len(calls) > 0 {
				n.t.Errorf("%s: agent %s (capacity 1) offered %s while holding %v: double booking", n.id, d.Agent, d.Task, calls)
			}
			n.agents[d.Agent] = append(calls, cluster.CallReport{ID: d.Task, Node: d.TaskNode})
			accept = true
		}
	case cluster.DecAccepted:
		delete(n.waiting, d.Task)
	}
	n.mu.Unlock()
	if accept {
		_ = n.member.Send(context.Background(), cluster.Fact{Type: cluster.FactAccept, Agent: d.Agent, Reservation: d.Reservation})
	}
}

func (n *fakeNode) call(id string) {
	tf := cluster.TaskFact{ID: id, Kind: "queue", Queue: "sales", Arrived: time.Now()}
	n.mu.Lock()
	n.waiting[id] = tf
	n.mu.Unlock()
	must(n.t, n.member.Send(context.Background(), cluster.Fact{Type: cluster.FactTask, Task: &tf}))
}

// hangup ends agent's call id on this node (the agent's end of it).
func (n *fakeNode) hangup(agent, id string) {
	n.mu.Lock()
	calls := n.agents[agent]
	for i, c := range calls {
		if c.ID == id {
			n.agents[agent] = append(calls[:i:i], calls[i+1:]...)
		}
	}
	n.mu.Unlock()
	must(n.t, n.member.Send(context.Background(), cluster.Fact{Type: cluster.FactEnded, Task: &cluster.TaskFact{ID: id}}))
}

// waitFor polls cond (under the node's lock) until it holds or 5 s pass.
func (n *fakeNode) waitFor(what string, cond func() bool) time.Duration {
	n.t.Helper()
	start := time.Now()
	for deadline := start.Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		n.mu.Lock()
		ok := cond()
		n.mu.Unlock()
		if ok {
			return time.Since(start)
		}
	}
	n.t.Fatalf("%s: %s: not within 5 s; acted on %+v", n.id, what, n.acted)
	return 0
}

func (n *fakeNode) got(typ cluster.DecisionType, task string) *cluster.Decision {
	for i := range n.acted {
		if d := &n.acted[i]; d.Type == typ && d.Task == task {
			return d
		}
	}
	return nil
}

// Three nodes over Redis: a call on n1 is routed by the leader (n3) to
// agent x on n2 and bridged there. SIGKILL of the leader: n1 leads within
// the lease plus a poll, rebuilds from n1's and n2's reports (x still busy
// with c1), a paused leader's late decision is refused by the fence, and
// a new call waits for x instead of double booking it. Then n2 dies and
// n1 ends the call bridged to it with node_lost.
func TestLeaderRoutesAndFailsOver(t *testing.T) {
	srv := redistest.Start(t)
	n1 := startNode(t, srv, "n1")
	n2 := startNode(t, srv, "n2", "x")
	n3 := startNode(t, srv, "n3", "y")
	n3.campaign()
	for _, n := range []*fakeNode{n1, n2, n3} {
		n.waitFor("hello of the first term", func() bool { return len(n.terms) == 1 })
	}
	first := n1.terms[0]
	n1.campaign() // n1 is next in line; n2 never leads, so it keeps its calls
	// Reports are in when the leader's floor has all three.
	n3.waitFor("every report", func() bool {
		all := false
		n3.leader.View(func(f *cluster.Floor) { all = f.Reported("n1") && f.Reported("n2") && f.Reported("n3") })
		return all
	})
	n1.call("c1")
	n1.waitFor("c1 accepted", func() bool { return n1.got(cluster.DecAccepted, "c1") != nil })
	if d := n1.got(cluster.DecAccepted, "c1"); d.AgentNode != "n2" && d.AgentNode != "n3" {
		t.Fatalf("c1 accepted on %q", d.AgentNode)
	}
	if d := n1.got(cluster.DecAccepted, "c1"); d.Agent != "x" || d.AgentNode != "n2" {
		t.Fatalf("c1 accepted by %s on %s, want x (idle as long as y, first by id) on n2", d.Agent, d.AgentNode)
	}
	// The leader dies.
	killed := time.Now()
	n3.kill()
	n1.waitFor("hello of the second term", func() bool { return len(n1.terms) == 2 })
	second := n1.terms[1]
	t.Logf("leader n3 (token %d) killed; n1 leads with token %d after %v (lease %v)", first, second, time.Since(killed), ttl)
	if second <= first {
		t.Errorf("new term %d after %d", second, first)
	}
	n1.waitFor("the new leader's rebuild", func() bool {
		done := false
		n1.leader.View(func(f *cluster.Floor) { done = !f.Rebuilding() && f.Reported("n1") && f.Reported("n2") })
		return done
	})
	rebuilt := time.Since(killed)
	t.Logf("the new leader rebuilt from n1's and n2's reports %v after the loss", rebuilt)
	if rebuilt > 5*time.Second {
		t.Errorf("rebuild took %v, want within 5 s", rebuilt)
	}
	// Every node reads the whole floor from the new term's view; a deposed
	// term cannot overwrite it.
	bus2 := cluster.NewBus(n2.rdb, "sb")
	wantX := cluster.FloorAgent{ID: "x", Node: "n2", Connected: true, Activity: "available", Load: 1}
	viewOK := func() bool {
		v, ok, _ := bus2.View(context.Background())
		return ok && v.Token == second && v.Ready && len(v.Agents) == 1 && v.Agents[0] == wantX
	}
	n2.waitFor("the new term's floor view", viewOK)
	must(t, bus2.PutView(context.Background(), cluster.FloorView{Token: first}, time.Second))
	if !viewOK() {
		t.Error("the deposed term overwrote the floor view")
	}
	n2.waitFor("hello of the second term", func() bool { return len(n2.terms) == 2 })
	// A paused old leader resumes and offers c9 to x: refused by the fence.
	old := cluster.NewBus(n1.rdb, "sb")
	must(t, old.SendDecisions(context.Background(), []cluster.Decision{{Type: cluster.DecOffer, Token: first, To: "n2", Task: "c9", Agent: "x", AgentNode: "n2", TaskNode: "n1", Reservation: fmt.Sprint(first, ".r9")}}))
	if _, err := old.OpenFacts(context.Background(), first, "n3"); !errors.Is(err, cluster.ErrDeposed) {
		t.Errorf("the old term opened the facts again: %v", err)
	}
	n2.waitFor("stale decision refused", func() bool { return n2.member.Refused() >= 1 })
	if n2.got(cluster.DecOffer, "c9") != nil {
		t.Fatal("n2 acted on the deposed leader's offer")
	}
	// c2 on n1: x is busy with c1 (rebuilt from n2's report) and y is gone: c2 waits.
	n1.call("c2")
	n1.waitFor("c2 waiting on the new leader's floor", func() bool {
		st := router.TaskState("")
		n1.leader.View(func(f *cluster.Floor) {
			if ts, ok := f.Router().Task("c2"); ok {
				st = ts.State
			}
		})
		return st == router.TaskWaiting // not reserved: busy x was not offered it
	})
	// x ends c1: c2 goes to x.
	n2.hangup("x", "c1")
	n1.waitFor("c2 accepted", func() bool { return n1.got(cluster.DecAccepted, "c2") != nil })
	if d := n1.got(cluster.DecAccepted, "c2"); d.Token != second || d.AgentNode != "n2" {
		t.Errorf("c2 accepted %+v, want x on n2 in term %d", d, second)
	}
	// n2 dies with c2 bridged from n1: the leader (n1) ends c2 with node_lost.
	n2.kill()
	took := n1.waitFor("c2 node_lost", func() bool { return n1.got(cluster.DecNodeLost, "c2") != nil })
	t.Logf("n2 killed: node_lost for c2 on n1 after %v", took)
}

// A term whose Setup fails (the configuration unreadable) ends before it
// routes, with Setup's error: Lead returns instead of leading with an
// empty router for the rest of its lease.
func TestLeadEndsWhenSetupFails(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	bus := cluster.NewBus(rdb, "sb")
	pres := cluster.NewPresence(rdb, "sb")
	unreadable := errors.New("store: context deadline exceeded")
	l, err := cluster.NewLeader(cluster.LeaderConfig{Bus: bus, Presence: pres, Node: "n1",
		Setup: func(*router.Router, time.Time) error { return unreadable }})
	must(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := l.Lead(ctx, 1); !errors.Is(err, unreadable) {
		t.Fatalf("Lead with a failing Setup returned %v, want its error", err)
	}
	if ctx.Err() != nil {
		t.Fatal("Lead ran until its context ended instead of returning Setup's error")
	}
	l.View(func(*cluster.Floor) { t.Error("a floor is set after a term that was never set up") })
}
