package netns

import (
	"context"
	"syscall"
	"time"
)

// newLeaderLimit is PROTOCOL §13's bound on a leader's replacement.
const newLeaderLimit = 5 * time.Second

// failover is one disturbance of a leader during the load, as measured.
type failover struct {
	node      string // the leader stopped or killed
	token     int64  // its term
	at        time.Time
	resumed   time.Time // SIGCONT (the overlap); zero for a kill
	newLeader string
	took      time.Duration // from the signal to the next term's cluster.leader
}

// leaderNow is the node leading now (by its own view) and its term.
func (c *clusterT) leaderNow() (*node, int64) {
	for _, n := range c.nodes {
		if !n.alive() || n.stopped.Load() {
			continue
		}
		if v := c.view(n); v.IsLeader {
			return n, v.Token
		}
	}
	return nil, 0
}

// awaitTerm waits for a term above token (a cluster.leader event on a
// console) and returns it with the time since since.
func (c *clusterT) awaitTerm(token int64, since time.Time) (term, time.Duration, bool) {
	deadline := time.Now().Add(3 * newLeaderLimit)
	for time.Now().Before(deadline) {
		if tm, ok := c.events.termAfter(token); ok {
			return tm, tm.at.Sub(since), true
		}
		time.Sleep(5 * time.Millisecond) // polls the events the consoles collect
	}
	return term{}, 0, false
}

// killLeader SIGKILLs the leading node in the middle of the load; a new
// leader must follow within 5 s. The dead node's agents then log in again
// on the survivors (PROTOCOL §13).
func (c *clusterT) killLeader() {
	t := c.t
	old, tok := c.leaderNow()
	if old == nil {
		t.Error("kill: no node leads")
		return
	}
	c.disturb(old.id)
	f := &failover{node: old.id, token: tok, at: time.Now()}
	if err := syscall.Kill(old.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Errorf("kill %s: %v", old.id, err)
		return
	}
	c.mu.Lock()
	c.killed = f
	c.mu.Unlock()
	tm, took, ok := c.awaitTerm(tok, f.at)
	if !ok {
		t.Errorf("SIGKILL of the leader %s (token %d): no new term within %v", old.id, tok, 3*newLeaderLimit)
		return
	}
	f.newLeader, f.took = tm.node, took
	c.summary.killLeader = took
	t.Logf("SIGKILL of the leader %s (term %d) at %v into the load: %s leads term %d %v later",
		old.id, tok, f.at.Sub(c.loadBegan).Round(time.Millisecond), tm.node, tm.token, took.Round(time.Millisecond))
	if took > newLeaderLimit {
		t.Errorf("new leader %v after the leader's SIGKILL, want within %v", took, newLeaderLimit)
	}
	c.relogin(old)
}

// relogin logs every agent of node d (dead, or about to drain) in again,
// spread over the other live nodes.
func (c *clusterT) relogin(d *node) {
	t := c.t
	var live []*node
	for _, n := range c.nodes {
		if n != d && n.alive() {
			live = append(live, n)
		}
	}
	since := time.Now()
	c.mu.Lock()
	if c.killed != nil && c.killed.node == d.id {
		since = c.killed.at
	}
	c.mu.Unlock()
	c.mu.Lock()
	var moved []*agent
	for _, a := range c.agents {
		if a.node == d {
			moved = append(moved, a)
		}
	}
	c.mu.Unlock()
	began := time.Now()
	for i, a := range moved {
		a.close()
		n := live[i%len(live)]
		b, err := c.login(context.Background(), a.id, n)
		if err != nil {
			t.Errorf("agent %s of dead %s: %v", a.id, d.id, err)
			continue
		}
		c.mu.Lock()
		c.agents[a.id] = b
		c.mu.Unlock()
	}
	t.Logf("the %d agents of %s logged in again on the %d other nodes %v after its death or before its drain (%v for the logins)",
		len(moved), d.id, len(live), time.Since(since).Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
}

// overlap stops the leader (SIGSTOP) until another node leads, then
// resumes it (SIGCONT): two routers overlap. The resumed node must step
// down, the decisions of its stale term be refused by the nodes' fences,
// and nobody double booked (checked throughout by booking).
func (c *clusterT) overlap() {
	t := c.t
	old, tok := c.leaderNow()
	if old == nil {
		t.Error("overlap: no node leads")
		return
	}
	refused := c.refusals()
	c.disturb(old.id)
	old.stopped.Store(true)
	f := &failover{node: old.id, token: tok, at: time.Now()}
	if err := syscall.Kill(old.cmd.Process.Pid, syscall.SIGSTOP); err != nil {
		t.Errorf("SIGSTOP %s: %v", old.id, err)
		return
	}
	tm, took, ok := c.awaitTerm(tok, f.at)
	if err := syscall.Kill(old.cmd.Process.Pid, syscall.SIGCONT); err != nil {
		t.Errorf("SIGCONT %s: %v", old.id, err)
	}
	f.resumed = time.Now()
	old.stopped.Store(false)
	c.undisturb(old.id)
	c.mu.Lock()
	c.paused = f
	c.mu.Unlock()
	if !ok {
		t.Errorf("SIGSTOP of the leader %s (term %d): no new term within %v", old.id, tok, 3*newLeaderLimit)
		return
	}
	f.newLeader, f.took = tm.node, took
	c.summary.stopLeader = took
	t.Logf("SIGSTOP of the leader %s (term %d) at %v into the load: %s leads term %d %v later; %s resumed (SIGCONT) %v after the stop",
		old.id, tok, f.at.Sub(c.loadBegan).Round(time.Millisecond), tm.node, tm.token, took.Round(time.Millisecond),
		old.id, f.resumed.Sub(f.at).Round(time.Millisecond))
	if took > newLeaderLimit {
		t.Errorf("new leader %v after the leader's SIGSTOP, want within %v", took, newLeaderLimit)
	}
	c.waitFor(10*time.Second, "the resumed "+old.id+" no longer leads", func() bool {
		v := c.view(old)
		return v.Token >= tm.token && !v.IsLeader
	})
	stepped := time.Since(f.resumed)
	var lead *node
	for _, n := range c.nodes {
		if n.id == tm.node {
			lead = n
		}
	}
	want := len(c.nodes) * agentsPerNode
	c.waitFor(10*time.Second, "the new term's floor has every agent connected", func() bool { return c.view(lead).connected() == want })
	t.Logf("overlap: the resumed %s stepped down within %v; the floor of term %d has all %d agents %v after the resume; "+
		"decisions refused by the nodes' fences since the stop: %d", old.id, stepped.Round(time.Millisecond), tm.token, want,
		time.Since(f.resumed).Round(time.Millisecond), c.refusals()-refused)
}

// refusals counts the decisions the nodes' fences refused so far (the
// cluster package's log line).
func (c *clusterT) refusals() int64 {
	var k int64
	for _, n := range c.nodes {
		k += n.refused.Load()
	}
	return k
}
