package agent

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"switchboard/router"
	"switchboard/router/attrexpr"
	"switchboard/store"
)

// The one translation of the stored configuration into the router's
// (PROTOCOL §10): queues, agents with their membership sets (the queues
// they list plus those whose target_workers their attributes satisfy),
// and workflows with their filters' compiled expressions (an agent's
// activity reaches the leader with its facts, as the router has it:
// Core.RouterActivity). The core applies it piece by piece as the configuration
// changes; the cluster's leader builds its router from the whole of it
// (RouterConfig), so both route by the same rules.

// RouterQueue is q's router configuration.
func RouterQueue(q store.Queue) router.Queue {
	order, _ := router.ParseOrder(q.Order) // the store validated it; "" is FIFO
	return router.Queue{
		ID: router.QueueID(q.ID), Priority: q.Priority, OfferTimeout: time.Duration(q.TimeoutSeconds) * time.Second,
		Wrapup: time.Duration(q.WrapupSeconds) * time.Second, AllowBusyAgents: q.AllowBusyAgents,
		Order: order, Simultaneous: q.SimultaneousTasks,
	}
}

// Targets are the compiled target_workers of the queues that have one,
// by queue id.
type Targets map[string]*attrexpr.Expr

// compileTarget compiles a queue's target_workers (nil for none).
func compileTarget(q store.Queue) (*attrexpr.Expr, error) {
	if q.TargetWorkers == "" {
		return nil, nil
	}
	e, err := attrexpr.Compile(q.TargetWorkers)
	if err != nil {
		return nil, fmt.Errorf("queue %s target_workers: %w", q.ID, err)
	}
	return e, nil
}

// Members is agent a's membership set: the queues it lists, then the
// queues whose target_workers its attributes satisfy, by id.
func (ts Targets) Members(a store.Agent) []router.QueueID {
	qs := make([]router.QueueID, 0, len(a.Queues)+len(ts))
	for _, q := range a.Queues {
		qs = append(qs, router.QueueID(q))
	}
	for id, e := range ts {
		if e.Match(a.Attributes) && !slices.Contains(a.Queues, id) {
			qs = append(qs, router.QueueID(id))
		}
	}
	slices.Sort(qs[len(a.Queues):])
	return qs
}

// RouterAgent is a's router configuration, its membership set by ts.
func RouterAgent(a store.Agent, ts Targets) router.AgentConfig {
	return router.AgentConfig{ID: router.AgentID(a.ID), Extension: a.Extension, Capacity: cmp.Or(a.Capacity, store.DefaultCapacity),
		Queues: ts.Members(a), Channels: a.Channels, MaxNonBlocking: a.MaxNonBlocking}
}

// RouterWorkflow is w's router configuration. A filter whose expression
// does not compile is left out and named in the error (the store refuses
// such expressions, so only a store written by hand has them); the rest
// is still returned.
func RouterWorkflow(w store.Workflow) (router.Workflow, error) {
	rw := router.Workflow{ID: router.WorkflowID(w.ID), DefaultQueue: router.QueueID(w.DefaultQueue)}
	var errs []error
	for _, f := range w.Filters {
		rf := router.Filter{Name: f.Name}
		if f.Expression != "" {
			e, err := attrexpr.Compile(f.Expression)
			if err != nil {
				errs = append(errs, fmt.Errorf("workflow %s filter %q: %w", w.ID, f.Name, err))
				continue
			}
			rf.Match = e
		}
		for _, t := range f.Targets {
			rf.Targets = append(rf.Targets, router.Target{Queue: router.QueueID(t.Queue),
				Timeout: time.Duration(t.TimeoutSeconds) * time.Second, Priority: t.Priority})
		}
		rw.Filters = append(rw.Filters, rf)
	}
	return rw, errors.Join(errs...)
}

// RouterConfig is the whole stored configuration as the router takes it.
type RouterConfig struct {
	Queues    []router.Queue
	Agents    []router.AgentConfig
	Workflows []router.Workflow
}

// NewRouterConfig translates the stored configuration. The error names
// what was left out (a target_workers or a filter expression that does not
// compile); the rest is translated.
func NewRouterConfig(qs []store.Queue, as []store.Agent, ws []store.Workflow) (RouterConfig, error) {
	var errs []error
	rc := RouterConfig{}
	ts := Targets{}
	for _, q := range qs {
		rc.Queues = append(rc.Queues, RouterQueue(q))
		e, err := compileTarget(q)
		errs = append(errs, err)
		if e != nil {
			ts[q.ID] = e
		}
	}
	for _, a := range as {
		rc.Agents = append(rc.Agents, RouterAgent(a, ts))
	}
	for _, w := range ws {
		rw, err := RouterWorkflow(w)
		errs = append(errs, err)
		rc.Workflows = append(rc.Workflows, rw)
	}
	return rc, errors.Join(errs...)
}

// Apply puts the configuration into rt and removes from it the queues,
// agents and workflows it does not list. The error names what rt refused;
// the rest is applied.
func (rc RouterConfig) Apply(rt *router.Router, now time.Time) error {
	var errs []error
	qs := map[router.QueueID]bool{}
	for _, q := range rc.Queues {
		qs[q.ID] = true
		errs = append(errs, rt.PutQueue(q, now))
	}
	as := map[router.AgentID]bool{}
	for _, a := range rc.Agents {
		as[a.ID] = true
		errs = append(errs, rt.PutAgent(a, now))
	}
	ws := map[router.WorkflowID]bool{}
	for _, w := range rc.Workflows {
		ws[w.ID] = true
		errs = append(errs, rt.PutWorkflow(w, now))
	}
	for _, a := range rt.Agents() {
		if !as[a.ID] {
			errs = append(errs, rt.RemoveAgent(a.ID, now))
		}
	}
	for _, q := range rt.Queues() {
		if !qs[q.ID] {
			errs = append(errs, rt.RemoveQueue(q.ID, now))
		}
	}
	for _, w := range rt.Workflows() {
		if !ws[w] {
			errs = append(errs, rt.RemoveWorkflow(w, now))
		}
	}
	return errors.Join(errs...)
}

// RouterActivity is the activity agent has in the router (a custom
// activity as RouterActivity maps it), for the cluster's facts; ""
// when the agent is unknown.
func (c *Core) RouterActivity(agent string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.rt.Agent(router.AgentID(agent))
	if !ok {
		return ""
	}
	return s.Activity.String()
}
