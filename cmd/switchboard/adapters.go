package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"

	"switchboard/agent"
	"switchboard/events"
	"switchboard/media/browserleg"
	"switchboard/media/rtpleg"
	"switchboard/media/udploop"
	"switchboard/media/webrtcleg/lean"
	"switchboard/signaling/console"
	"switchboard/signaling/trunk"
	"switchboard/signaling/ws"
	"switchboard/store"
	"switchboard/view"
)

// The agent core speaks to the trunk, the browser legs and the admin
// console through small interfaces of its own; these adapters fit the
// concrete packages to them (cmd is the only place that knows both).

// trunkCall adapts *trunk.Call to agent.TrunkCall.
type trunkCall struct{ *trunk.Call }

func (c trunkCall) Leg() agent.TrunkLeg { return c.Call.Leg() }

var _ agent.TrunkCall = trunkCall{}
var _ agent.TrunkLeg = (*rtpleg.Leg)(nil)

// webrtcEngine is the browser-leg engine chosen by -webrtc-engine.
type webrtcEngine interface {
	agent.LegFactory
	Addr() netip.AddrPort
	Dropped() map[string]uint64 // browser datagrams not delivered, by reason
	Batched() uint64            // packets toward browsers sent in a tick's sendmmsg
	Close() error
}

// newWebRTCEngine builds the browser-leg engine: lean, the only one the
// binary ships (issue 20). The pion PeerConnection engine (media/webrtcleg)
// is kept as the conformance oracle in tests only.
func newWebRTCEngine(cfg Config, loop *udploop.Loop, log *slog.Logger) (webrtcEngine, error) {
	e, err := lean.New(lean.Config{Config: browserleg.Config{IP: cfg.MediaIP, PublicIP: cfg.Deploy.PublicIP, UDPPort: cfg.WebRTCPort, Logger: log}, Loop: loop})
	if err != nil {
		return nil, err
	}
	return leanFactory{e}, nil
}

// leanFactory adapts the lean WebRTC engine to agent.LegFactory.
type leanFactory struct{ *lean.Engine }

func (f leanFactory) Accept(ctx context.Context, offer []byte) (agent.BrowserLeg, []byte, error) {
	leg, answer, err := f.Engine.Accept(ctx, offer)
	if err != nil {
		return nil, nil, err
	}
	return leg, answer, nil
}

// floor adapts the core to console.Floor and softphone.Floor (the admin
// `state`, view.Floor). With -cluster, State is the whole floor (every
// live node's part merged: clusterstate.go) and adds the "cluster" member
// (cluster.go's ClusterView).
type floor struct {
	core    *agent.Core
	cluster *clusterNode // nil on a single node
}

func (f floor) State() view.Floor {
	st := f.core.State()
	if f.cluster != nil {
		st = f.cluster.floorState(st)
		var err error
		if st.Cluster, err = json.Marshal(f.cluster.View()); err != nil {
			// Only a floor time outside years 0-9999 fails; state goes
			// out without the member.
			f.cluster.log.Warn("state: cluster view", "err", err)
		}
	}
	return st
}

// HangupCall ends call id of node: this node's ("" or its own id), or
// with -cluster another node's, by that node (clustercmd.go).
func (f floor) HangupCall(ctx context.Context, node, id string) error {
	if f.cluster != nil && node != "" && node != f.cluster.cfg.NodeID {
		return f.cluster.hangupOn(ctx, node, id)
	}
	if node != "" && f.cluster == nil {
		return fmt.Errorf("%w: %s (no node %s: a single gateway)", console.ErrNoSuchCall, id, node)
	}
	return hangupLocal(f.core, id)
}

// TaskOn does method (task.get, task.cancel) on task id of node: this
// node's (its own id), or with -cluster another node's, by that node
// (clustercmd.go; console.NodeTasks).
func (f floor) TaskOn(ctx context.Context, node, method, id string) (store.Task, error) {
	switch {
	case f.cluster == nil:
		return store.Task{}, ws.NotFound(fmt.Sprintf("task %s: no node %s (a single gateway)", id, node))
	case node != f.cluster.cfg.NodeID:
		return f.cluster.taskOn(ctx, node, method, id)
	}
	t, err := taskLocal(f.core, method, id)
	if err == nil {
		t.Node = node
	}
	return t, err
}

var _ console.NodeTasks = floor{}

// hangupLocal ends this node's call id (an unknown one: console.ErrNoSuchCall).
func hangupLocal(core callHanger, id string) error {
	err := core.HangupCall(id)
	if errors.Is(err, agent.ErrNotFound) {
		return fmt.Errorf("%w: %s", console.ErrNoSuchCall, id)
	}
	return err
}

// supervisorFloor is what a supervisor's floor.subscribe streams (PROTOCOL
// §12): the admin state and the hub's events.
type supervisorFloor struct {
	floor
	hub *events.Hub
}

func (f supervisorFloor) Subscribe(buffer int) *events.Subscription { return f.hub.Subscribe(buffer) }
