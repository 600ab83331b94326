package netns

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

// booking is the floor as the agents' own notifications tell it: which
// agents have a live offer of each caller's call, and which agent holds
// it. It finds double booking across agents (PROTOCOL §13: no call
// offered to two agents, none held by two); each agent's own load against
// §5 is checked by the agent (agent.onNotify).
type booking struct {
	c *clusterT

	mu       sync.Mutex                   // guards following
	offers   map[string]map[string]string // caller → agent → reservation
	holder   map[string]string            // caller → the agent holding its call
	overlaps []string                     // offers made while another agent had one (excused: its node was stopped)
	offered  int
}

func newBooking(c *clusterT) *booking {
	return &booking{c: c, offers: map[string]map[string]string{}, holder: map[string]string{}}
}

// offer: agent a (on node) was offered caller's call (reservation res).
func (b *booking) offer(a *agent, caller, res string) {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.offered++
	if h, ok := b.holder[caller]; ok && h != a.id {
		b.c.violation("call %s offered to agent %s (reservation %s) while agent %s holds it", caller, a.id, res, h)
	}
	for other, r := range b.offers[caller] {
		if other == a.id {
			continue
		}
		o := b.c.agentSession(other)
		what := fmt.Sprintf("call %s offered to agent %s on %s (reservation %s) while agent %s has reservation %s", caller, a.id, a.node.id, res, other, r)
		if o != nil && b.c.disturbed(o.node.id, now) {
			b.overlaps = append(b.overlaps, what+" (its node "+o.node.id+" stopped or killed: a stale offer)")
			continue
		}
		b.c.violation("%s", what)
	}
	if b.offers[caller] == nil {
		b.offers[caller] = map[string]string{}
	}
	b.offers[caller][a.id] = res
}

// ended: a's reservation of caller's call ended; accepted, a holds it.
func (b *booking) ended(a *agent, caller string, accepted bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.offers[caller], a.id)
	if !accepted {
		return
	}
	if h, ok := b.holder[caller]; ok && h != a.id {
		b.c.violation("call %s accepted by agent %s while agent %s holds it", caller, a.id, h)
		return
	}
	b.holder[caller] = a.id
}

// callEnded: a's call of caller ended.
func (b *booking) callEnded(a *agent, caller string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.holder[caller] == a.id {
		delete(b.holder, caller)
	}
}

// gone: a's session ended (its node died, or the test closed it): what it
// had offered or held is no longer on it.
func (b *booking) gone(a *agent, callers []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, caller := range callers {
		delete(b.offers[caller], a.id)
		if b.holder[caller] == a.id {
			delete(b.holder, caller)
		}
	}
}

// summary is the number of offers seen and the excused overlaps, sorted.
func (b *booking) summary() (int, []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o := append([]string(nil), b.overlaps...)
	sort.Strings(o)
	return b.offered, o
}

// disturbance is a window in which a node was stopped (SIGSTOP) or dead.
type disturbance struct {
	node     string
	from, to time.Time // to zero: still (or for good)
}

// disturbed says whether node was stopped or dead at, or had been within
// the last lease plus 2 s (the time a resumed node takes to catch up).
func (c *clusterT) disturbed(node string, at time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range c.disturbances {
		if d.node == node && !at.Before(d.from) && (d.to.IsZero() || at.Before(d.to.Add(lease+2*time.Second))) {
			return true
		}
	}
	return false
}

func (c *clusterT) disturb(node string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.disturbances = append(c.disturbances, disturbance{node: node, from: time.Now()})
}

func (c *clusterT) undisturb(node string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.disturbances {
		if d := &c.disturbances[i]; d.node == node && d.to.IsZero() {
			d.to = time.Now()
		}
	}
}

// agentSession is agent id's current session, or nil.
func (c *clusterT) agentSession(id string) *agent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.agents[id]
}
