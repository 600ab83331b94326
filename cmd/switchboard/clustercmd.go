package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"switchboard/cluster"
	"switchboard/signaling/console"
	"switchboard/signaling/ws"
)

// Console actions on the whole floor (PROTOCOL §13 "one floor"): an admin
// console's call.hangup of a call another node holds (its `node` in
// `state`) is sent to that node as a command over Redis
// (cluster.Commander: pub/sub, an answer within cluster.CommandTimeout),
// which ends the call as its own console would and answers with the same
// result or error.

// cmdHangup is the command that ends a call of the node it is sent to.
const cmdHangup = "call.hangup"

// hangupCommand is cmdHangup's params.
type hangupCommand struct {
	Call string `json:"call"`
}

// callHanger is the part of the core the commands act on (*agent.Core).
type callHanger interface{ HangupCall(id string) error }

// runCommands answers the commands other nodes send this node (acting on
// src's core) and lets the console send its own, until ctx ends.
func (n *clusterNode) runCommands(ctx context.Context, src floorSource) {
	core, ok := src.core.(callHanger)
	if !ok { // impossible in the binary: the core is an *agent.Core
		n.log.Error("cluster: the core cannot hang up calls: other nodes' commands are refused")
	}
	c := cluster.NewCommander(n.rdb, clusterPrefix, n.cfg.NodeID, commandHandler(core), n.log)
	n.mu.Lock()
	n.cmds = c
	n.mu.Unlock()
	if err := c.Run(ctx); err != nil && ctx.Err() == nil {
		n.log.Error("cluster: console commands between nodes are off", "err", err)
	}
}

// commandHandler acts on the commands sent to this node: on core's calls
// (nil: none).
func commandHandler(core callHanger) cluster.CommandHandler {
	return func(ctx context.Context, method string, params json.RawMessage) (any, error) {
		switch {
		case method == cmdHangup && core != nil:
			var p hangupCommand
			if err := json.Unmarshal(params, &p); err != nil || p.Call == "" {
				return nil, &cluster.CommandError{Code: ws.CodeInvalidParams, Reason: "call: required"}
			}
			if err := hangupLocal(core, p.Call); err != nil {
				return nil, commandError(err)
			}
			return struct{}{}, nil
		}
		return nil, &cluster.CommandError{Code: ws.CodeMethodNotFound, Reason: "unknown method " + method}
	}
}

// commandError is err as the console would answer it (-32002 for an
// unknown call).
func commandError(err error) error {
	var we *ws.Error
	switch {
	case errors.As(err, &we):
		return &cluster.CommandError{Code: we.Code, Message: we.Message, Reason: we.Reason}
	case errors.Is(err, console.ErrNoSuchCall):
		return &cluster.CommandError{Code: ws.CodeNotFound, Reason: err.Error()}
	}
	return err
}

// hangupOn ends call id of node (another node: over Redis). Its errors
// are the console's answers: that node's own, -32002 when node is not a
// live node, -32603 naming the node when it cannot be reached or does not
// answer within cluster.CommandTimeout.
func (n *clusterNode) hangupOn(ctx context.Context, node, id string) error {
	n.mu.Lock()
	cmds := n.cmds
	live := slices.ContainsFunc(n.view.Nodes, func(p ClusterPeer) bool { return p.ID == node })
	n.mu.Unlock()
	if !live {
		return ws.NotFound(fmt.Sprintf("call %s: node %s is not a live node of the floor", id, node))
	}
	if cmds == nil {
		return &ws.Error{Code: ws.CodeInternalError, Reason: fmt.Sprintf("call %s on node %s: %v", id, node, cluster.ErrNotReady)}
	}
	_, err := cmds.Ask(ctx, node, cmdHangup, hangupCommand{Call: id}, cluster.CommandTimeout)
	var ce *cluster.CommandError
	switch {
	case err == nil:
		n.log.Info("admin hung up another node's call", "call", id, "node", node)
		return nil
	case errors.As(err, &ce):
		return &ws.Error{Code: ce.Code, Message: ce.Message, Reason: ce.Reason}
	case errors.Is(err, context.Canceled):
		return err
	}
	n.log.Warn("admin hang-up of another node's call failed", "call", id, "node", node, "err", err)
	return &ws.Error{Code: ws.CodeInternalError, Reason: fmt.Sprintf("call %s on node %s: %v", id, node, err)}
}
