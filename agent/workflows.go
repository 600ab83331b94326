package agent

import (
	"maps"
	"time"

	"switchboard/router"
	"switchboard/store"
)

// Workflows (PROTOCOL §10): the route target workflow:<id> routes a call
// by its attributes through the workflow's filters and targets; the router
// escalates it (task.moved).

// ApplyWorkflow creates or replaces a workflow; it applies to calls that
// arrive afterwards.
func (c *Core) ApplyWorkflow(w store.Workflow) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rw, err := RouterWorkflow(w)
	if err != nil {
		c.log.Warn("workflow expression does not compile", "workflow_id", w.ID, "err", err)
	}
	if err := c.rt.PutWorkflow(rw, c.now()); err != nil {
		c.log.Warn("router refused workflow", "workflow_id", w.ID, "err", err)
	}
	c.flushLocked()
}

// RemoveWorkflow deletes a workflow; calls already routed go on.
func (c *Core) RemoveWorkflow(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.warnIf(c.rt.RemoveWorkflow(router.WorkflowID(id), c.now()), "router refused workflow removal", "workflow", id)
	c.flushLocked()
}

// callAttributes are a call's attributes (PROTOCOL §10) as far as the
// TrunkCall tells them: channel, from, to, number, and from a TrunkCall
// that offers them caller_name, trunk and headers (the INVITE's X- ones).
func callAttributes(tc TrunkCall) map[string]any {
	attrs := map[string]any{"channel": "voice", "from": tc.From(), "to": tc.Number(), "number": tc.Number()}
	if n, ok := tc.(interface{ CallerName() string }); ok {
		attrs["caller_name"] = n.CallerName()
	}
	if n, ok := tc.(interface{ TrunkID() string }); ok && n.TrunkID() != "" {
		attrs["trunk"] = n.TrunkID()
	}
	if x, ok := tc.(interface{ XHeaders() map[string]string }); ok {
		h := map[string]any{}
		for k, v := range x.XHeaders() {
			h[k] = v
		}
		attrs["headers"] = h
	}
	if x, ok := tc.(interface{ ExtraAttributes() map[string]any }); ok { // consult.go
		maps.Copy(attrs, x.ExtraAttributes())
	}
	return attrs
}

// attributes returns a copy of the call's attributes for views.
func (cl *call) attributes() map[string]any {
	if cl.attrs == nil {
		return map[string]any{"channel": "voice", "from": cl.remote, "to": cl.dialled, "number": cl.dialled}
	}
	out := make(map[string]any, len(cl.attrs))
	for k, v := range cl.attrs {
		out[k] = v
	}
	return out
}

// workflowQueuedLocked records where the router put a workflow call.
func (c *Core) workflowQueuedLocked(cl *call, id router.TaskID) {
	if s, ok := c.rt.Task(id); ok && s.Queue != "" {
		c.queuedInLocked(cl, string(s.Queue))
	}
}

// queuedInLocked records the queue a workflow call waits in first: its
// queue, and the max_wait bound of that queue counted from arrival.
func (c *Core) queuedInLocked(cl *call, queue string) {
	cl.queue = queue
	maxWait := time.Duration(c.queues[cl.queue].MaxWaitSeconds) * time.Second
	if maxWait <= 0 {
		maxWait = store.DefaultMaxWaitSeconds * time.Second
	}
	if cl.waitUntil.IsZero() || cl.waitProvisional {
		cl.waitUntil, cl.waitProvisional = cl.arrived.Add(maxWait), false
	}
	c.queued[cl] = struct{}{}
}

// longestMaxWaitLocked is the longest max_wait of any queue (a queue
// without one counts store.DefaultMaxWaitSeconds).
func (c *Core) longestMaxWaitLocked() time.Duration {
	var longest time.Duration
	for _, q := range c.queues {
		w := time.Duration(q.MaxWaitSeconds) * time.Second
		if w <= 0 {
			w = store.DefaultMaxWaitSeconds * time.Second
		}
		longest = max(longest, w)
	}
	if longest == 0 { // no queue at all
		longest = store.DefaultMaxWaitSeconds * time.Second
	}
	return longest
}
