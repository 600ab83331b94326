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
	"switchboard/store"
)

// Console actions on the whole floor (PROTOCOL §13 "one floor"): an admin
// console's call.hangup of a call another node holds (its `node` in
// `state`) is sent to that node as a command over Redis
// (cluster.Commander: pub/sub, an answer within cluster.CommandTimeout),
// which ends the call as its own console would and answers with the same
// result or error. So are task.get and task.cancel of another node's task
// (its `node` in `state`).

// The commands: cmdHangup ends a call of the node it is sent to,
// cmdTaskGet reads one of its tasks, cmdTaskCancel ends one (as the
// console's methods of the same names).
const (
	cmdHangup     = "call.hangup"
	cmdTaskGet    = "task.get"
	cmdTaskCancel = "task.cancel"
)

// hangupCommand is cmdHangup's params.
type hangupCommand struct {
	Call string `json:"call"`
}

// taskCommand is the params of the task commands (console.NodeTasks'
// methods: task.get, task.cancel).
type taskCommand struct {
	Task string `json:"task"`
}

// commandCore is the part of the core the commands act on (*agent.Core).
type commandCore interface {
	HangupCall(id string) error
	Task(id string) (store.Task, error)
	CancelTask(id string) (store.Task, error)
}

// callHanger is the part of the core call.hangup acts on.
type callHanger interface{ HangupCall(id string) error }

// runCommands answers the commands other nodes send this node (acting on
// src's core) and lets the console send its own, until ctx ends.
func (n *clusterNode) runCommands(ctx context.Context, src floorSource) {
	core, ok := src.core.(commandCore)
	if !ok { // impossible in the binary: the core is an *agent.Core
		n.log.Error("cluster: the core cannot hang up calls or end tasks: other nodes' commands are refused")
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
// and tasks (nil: none).
func commandHandler(core commandCore) cluster.CommandHandler {
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
		case (method == cmdTaskGet || method == cmdTaskCancel) && core != nil:
			var p taskCommand
			if err := json.Unmarshal(params, &p); err != nil || p.Task == "" {
				return nil, &cluster.CommandError{Code: ws.CodeInvalidParams, Reason: "task: required"}
			}
			t, err := taskLocal(core, method, p.Task)
			if err != nil {
				return nil, commandError(err)
			}
			return t, nil
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

// taskLocal does method (cmdTaskGet, cmdTaskCancel) on this node's task
// id; its errors are the console's (console.TaskError).
func taskLocal(core commandCore, method, id string) (store.Task, error) {
	var t store.Task
	var err error
	if method == cmdTaskCancel {
		t, err = core.CancelTask(id)
	} else {
		t, err = core.Task(id)
	}
	return t, console.TaskError(err)
}

// hangupOn ends call id of node (another node: over Redis). Its errors
// are askOn's.
func (n *clusterNode) hangupOn(ctx context.Context, node, id string) error {
	_, err := n.askOn(ctx, node, cmdHangup, hangupCommand{Call: id}, "call "+id)
	if err == nil {
		n.log.Info("admin hung up another node's call", "call", id, "node", node)
	}
	return err
}

// taskOn does method (cmdTaskGet, cmdTaskCancel) on task id of node
// (another node: over Redis) and returns the task as that node answered.
// Its errors are askOn's.
func (n *clusterNode) taskOn(ctx context.Context, node, method, id string) (store.Task, error) {
	js, err := n.askOn(ctx, node, method, taskCommand{Task: id}, "task "+id)
	if err != nil {
		return store.Task{}, err
	}
	var t store.Task
	if err := json.Unmarshal(js, &t); err != nil {
		return store.Task{}, &ws.Error{Code: ws.CodeInternalError, Reason: fmt.Sprintf("task %s on node %s: its answer: %v", id, node, err)}
	}
	t.Node = node
	if method == cmdTaskCancel {
		n.log.Info("admin canceled another node's task", "task", id, "node", node, "state", t.State)
	}
	return t, nil
}

// askOn sends method with params to node (another node: over Redis) about
// what (e.g. "call <id>") and returns its result. Its errors are the
// console's answers: that node's own, -32002 when node is not a live node,
// -32603 naming the node when it cannot be reached or does not answer
// within cluster.CommandTimeout.
func (n *clusterNode) askOn(ctx context.Context, node, method string, params any, what string) (json.RawMessage, error) {
	n.mu.Lock()
	cmds := n.cmds
	live := slices.ContainsFunc(n.view.Nodes, func(p ClusterPeer) bool { return p.ID == node })
	n.mu.Unlock()
	if !live {
		return nil, ws.NotFound(fmt.Sprintf("%s: node %s is not a live node of the floor", what, node))
	}
	if cmds == nil {
		return nil, &ws.Error{Code: ws.CodeInternalError, Reason: fmt.Sprintf("%s on node %s: %v", what, node, cluster.ErrNotReady)}
	}
	res, err := cmds.Ask(ctx, node, method, params, cluster.CommandTimeout)
	var ce *cluster.CommandError
	switch {
	case err == nil:
		return res, nil
	case errors.As(err, &ce):
		return nil, &ws.Error{Code: ce.Code, Message: ce.Message, Reason: ce.Reason}
	case errors.Is(err, context.Canceled):
		return nil, err
	}
	n.log.Warn("admin "+method+" on another node failed", "what", what, "node", node, "err", err)
	return nil, &ws.Error{Code: ws.CodeInternalError, Reason: fmt.Sprintf("%s on node %s: %v", what, node, err)}
}
