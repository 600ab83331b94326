package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/agent"
	"switchboard/cluster"
	"switchboard/events"
	"switchboard/media/rtpleg"
	"switchboard/router"
	"switchboard/signaling/trunk"
	"switchboard/store"
	"switchboard/view"
)

// floorSource is what the cluster wiring reads from this node: the core's
// floor (its agents, their calls) and the stored configuration (the
// leader's router is set up from it).
type floorSource struct {
	core interface {
		State() view.Floor
		NotifyCallEnded(agent, call, reason string) bool
		RouterActivity(agent string) string
		floorCore
	}
	cfg interface {
		ListAgents(ctx context.Context) ([]store.Agent, error)
		ListQueues(ctx context.Context) ([]store.Queue, error)
		ListWorkflows(ctx context.Context) ([]store.Workflow, error)
		AppendRecord(ctx context.Context, r store.CallRecord) error
	}
	sip  *trunk.Trunk // calls between nodes (clusterpeer.go)
	pool *rtpleg.Pool // their RTP legs
}

// floorLink is this node's part of the one floor (PROTOCOL §13, package
// cluster): a Member that sends the leader the facts of this node's
// agents (from the event hub) and answers a new term's hello with a
// report of them; and, while this node holds the lease, the Leader.
//
// Built: agents' presence and calls reach the leader, which keeps the
// whole floor (published as cluster.floor in every node's `state`) and
// rebuilds it from the reports after a leader's loss; the queue calls
// (workflows included), direct calls and blind transfers are routed by the
// leader (clusterroute.go), to agents on any node (bridged over SIP:
// clusterpeer.go), and so are the tasks of other channels (clusterwork.go,
// not bridged); a dead node's calls are reported (clusterlost.go).
type floorLink struct {
	node   string
	src    floorSource
	member *cluster.Member
	leader *cluster.Leader
	hub    *events.Hub // where lost calls of a dead node are reported
	hook   *floorHook  // the core's queue calls and answers to offers
	bus    *cluster.Bus
	log    *slog.Logger
	peers  *floorPeers          // calls bridged to or from other nodes (clusterpeer.go)
	nodes  func() []ClusterPeer // the live nodes, from presence
	lease  time.Duration        // the presence heartbeat's time to live (our part's too: clusterstate.go)

	draining atomic.Bool // SIGTERM: our agents take no more floor offers (drain)
}

func newFloorLink(n *clusterNode, src floorSource) (*floorLink, error) {
	bus := cluster.NewBus(n.rdb, clusterPrefix)
	fl := &floorLink{node: n.cfg.NodeID, src: src, hub: n.hub, hook: n.hook, bus: bus, log: n.log,
		peers: newFloorPeers(), nodes: func() []ClusterPeer { return n.View().Nodes }, lease: n.cfg.Lease}
	var err error
	fl.member, err = cluster.NewMember(cluster.MemberConfig{
		Bus: bus, Fence: cluster.NewFence(n.rdb, clusterPrefix), Node: n.cfg.NodeID,
		Report: fl.report, Act: fl.act, Logger: n.log,
	})
	if err != nil {
		return nil, err
	}
	fl.leader, err = cluster.NewLeader(cluster.LeaderConfig{
		Bus: bus, Presence: n.presence, Node: n.cfg.NodeID, Setup: fl.setup,
		Poll: max(100*time.Millisecond, n.cfg.Lease/6), Logger: n.log,
	})
	if err != nil {
		return nil, err
	}
	return fl, nil
}

// run reads decisions and forwards the hub's agent and call events as
// facts until ctx ends.
func (fl *floorLink) run(ctx context.Context, hub *events.Hub) {
	sub := hub.Subscribe(1024) // lossy: a dropped subscription is renewed, and the next report repairs
	var wg sync.WaitGroup
	wg.Go(func() { _ = fl.member.Run(ctx) })
	changed := make(chan struct{}, 1)
	wg.Go(func() { fl.publishParts(ctx, changed, fl.lease) })
	reconf := make(chan struct{}, 1)
	wg.Go(func() { fl.reconfigure(ctx, reconf) })
	fl.ownLost(ctx)
	for {
		select {
		case <-ctx.Done():
			sub.Close()
			wg.Wait()
			return
		case f := <-fl.hook.ch:
			fl.sendHook(ctx, f)
		case e, ok := <-sub.C:
			if !ok {
				fl.log.Warn("cluster: event subscription dropped; renewed")
				sub = hub.Subscribe(1024)
				continue
			}
			mark(changed) // our part of the floor changed (clusterstate.go)
			if e.Type == "config.changed" {
				mark(reconf)
			}
			fl.ledger(ctx, e)
			fl.keepActivity(ctx, e) // clusteragent.go
			fl.tellLost(ctx, e)
			if f, ok := fl.fact(e); ok {
				fl.drainHook(ctx) // the core queued those before it published e
				fl.send(ctx, f)
			}
		}
	}
}

func (fl *floorLink) send(ctx context.Context, f cluster.Fact) {
	if err := fl.member.Send(ctx, f); err != nil && ctx.Err() == nil {
		fl.log.Warn("cluster: fact not sent", "type", f.Type, "err", err)
	}
}

// drainHook sends the facts the core has queued so far.
func (fl *floorLink) drainHook(ctx context.Context) {
	for {
		select {
		case f := <-fl.hook.ch:
			fl.sendHook(ctx, f)
		default:
			return
		}
	}
}

// fact maps one of this node's events to a fact for the leader.
func (fl *floorLink) fact(e events.Event) (cluster.Fact, bool) {
	switch e.Type {
	case "agent.connected", "agent.disconnected", "agent.activity":
		for _, a := range fl.src.core.State().Agents {
			if a.ID == e.Agent {
				return cluster.Fact{Type: cluster.FactAgent, Agent: a.ID, Connected: a.Connected && !fl.draining.Load(), Activity: fl.activity(a.ID)}, true
			}
		}
	case "call.answered":
		if _, leg := fl.peers.leg(e.Call); leg {
			return cluster.Fact{}, false // the leg of a call on another node: the floor counts its task
		}
		if e.Agent != "" && e.Call != "" && !fl.hook.isRouted(fl.callID(e.Call), false) { // the floor counts its own
			return cluster.Fact{Type: cluster.FactCall, Agent: e.Agent, Task: &cluster.TaskFact{ID: fl.callID(e.Call)}}, true
		}
	case "agent.wrapup":
		// The end of a wrap-up the core started after floor work (the
		// agent's wrapup.done or its timer): the leader's router ends its
		// own. From the event stream, so it follows the work's ended.
		if e.Agent != "" && e.Reason != router.ReasonWrapupStarted {
			return cluster.Fact{Type: cluster.FactWrapupDone, Agent: e.Agent}, true
		}
	case "call.ended":
		if e.Call != "" && e.Detail[lostNodeKey] == nil { // a lost call reported here lived elsewhere
			id := fl.callID(e.Call)
			if f, leg := fl.peers.leg(e.Call); leg {
				id = f
			}
			fl.peers.ended(e.Call)
			fl.hook.isRouted(fl.callID(e.Call), true)
			return cluster.Fact{Type: cluster.FactEnded, Task: &cluster.TaskFact{ID: id}}, true
		}
	}
	return cluster.Fact{}, false
}

// drain takes this node's agents off the floor for new offers (SIGTERM:
// the node answers new INVITEs with 503, so a call bridged to it would
// ring nobody); the calls they hold go on, and are still counted.
func (fl *floorLink) drain() {
	fl.draining.Store(true)
	for _, a := range fl.src.core.State().Agents {
		if a.Connected {
			fl.hook.put(cluster.Fact{Type: cluster.FactAgent, Agent: a.ID, Connected: false, Activity: fl.activity(a.ID)})
		}
	}
}

// callID names a call of this node on the floor (call ids are per node).
func (fl *floorLink) callID(id string) string { return fl.node + "/" + id }

// activity is agent's activity as the router has it (a custom activity
// available or unavailable as it says: agent.RouterActivity).
func (fl *floorLink) activity(agent string) string {
	if act := fl.src.core.RouterActivity(agent); act != "" {
		return act
	}
	return router.ActivityUnavailable.String()
}

// report is this node's state for a new term: its logged-in agents, their
// calls and the tasks of other channels they hold, and the calls and tasks
// waiting here.
func (fl *floorLink) report() cluster.Report {
	r := cluster.Report{Agents: []cluster.AgentReport{}, Waiting: fl.waiting()}
	held := fl.held()
	for _, a := range fl.src.core.State().Agents {
		if !a.Connected && len(a.Calls) == 0 && len(held[a.ID]) == 0 {
			continue
		}
		ar := cluster.AgentReport{ID: a.ID, Connected: a.Connected && !fl.draining.Load(), Activity: fl.activity(a.ID), Tasks: held[a.ID]}
		for _, c := range a.Calls {
			cr := cluster.CallReport{ID: fl.callID(c.ID), Node: fl.node}
			if f, leg := fl.peers.leg(c.ID); leg { // its caller is on another node
				cr = cluster.CallReport{ID: f, Node: nodeOf(f)}
			}
			ar.Calls = append(ar.Calls, cr)
		}
		r.Agents = append(r.Agents, ar)
	}
	return r
}

// act carries out a decision: routing (clusterroute.go; a term's hello
// also withdraws the older terms' offers, and the Member answers it with
// the report), a lost node's calls (clusterlost.go), and this node's half
// of a bridged call whose other half's node died (clusterpeer.go).
func (fl *floorLink) act(d cluster.Decision) {
	switch d.Type {
	case cluster.DecLost:
		fl.lost(d)
	case cluster.DecNodeLost:
		fl.nodeLost(d)
	default:
		fl.route(d)
	}
}

// setup puts the stored configuration (queues, agents with their
// membership sets, workflows: agent.NewRouterConfig, as the core reads it)
// into a term's router, and takes out what the store no longer has; an
// unreadable store ends the term (cluster.LeaderConfig.Setup).
func (fl *floorLink) setup(rt *router.Router, now time.Time) error {
	rc, err := fl.load()
	if err != nil {
		return err
	}
	return fl.apply(rc)(rt, now)
}

// load reads the stored configuration and translates it for the router.
// It takes no lock: the store may take up to its 2 s bound.
func (fl *floorLink) load() (agent.RouterConfig, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	qs, err := fl.src.cfg.ListQueues(ctx)
	if err != nil {
		return agent.RouterConfig{}, fmt.Errorf("leader setup: queues: %w", err)
	}
	as, err := fl.src.cfg.ListAgents(ctx)
	if err != nil {
		return agent.RouterConfig{}, fmt.Errorf("leader setup: agents: %w", err)
	}
	ws, err := fl.src.cfg.ListWorkflows(ctx)
	if err != nil {
		return agent.RouterConfig{}, fmt.Errorf("leader setup: workflows: %w", err)
	}
	rc, err := agent.NewRouterConfig(qs, as, ws)
	if err != nil {
		fl.log.Warn("cluster: leader setup left out", "err", err) // the node's core logged the same
	}
	return rc, nil
}

// apply is rc as a change to a term's router (never fails: what the
// router refuses is logged, as the node's core logs the same).
func (fl *floorLink) apply(rc agent.RouterConfig) func(rt *router.Router, now time.Time) error {
	return func(rt *router.Router, now time.Time) error {
		if err := rc.Apply(rt, now); err != nil {
			fl.log.Warn("cluster: leader's router refused", "err", err)
		}
		return nil
	}
}

// reconfigure puts the stored configuration into the current term's
// router again after each configuration change signalled on changed, off
// the link's event loop. Changes that arrive during a reload make one more
// reload (changed holds one signal), so a burst of them costs at most two;
// the store is read with no lock held and the leader's floor is locked
// only to apply the result (cluster.Leader.Configure), so routing never
// waits on the store.
func (fl *floorLink) reconfigure(ctx context.Context, changed <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
		leading := false
		fl.leader.View(func(*cluster.Floor) { leading = true })
		if !leading { // the next term's Setup reads the store
			continue
		}
		rc, err := fl.load()
		if err != nil {
			fl.log.Warn("cluster: leader reconfigure", "err", err)
			continue
		}
		if err := fl.leader.Configure(ctx, fl.apply(rc)); err != nil {
			fl.log.Warn("cluster: leader reconfigure", "err", err)
		}
	}
}

// mark marks ch (a channel of one) without waiting: a mark already
// there stands for this one too.
func mark(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
