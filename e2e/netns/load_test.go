package netns

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// The carriers' load (PROTOCOL §13's proof): rate calls per second
// through Kamailio for loadFor, each talking loadTalk after its answer
// (and until both ways are heard).
const (
	rate     = 20
	loadFor  = 60 * time.Second
	loadTalk = time.Second
)

var loadShape = shape{limit: 10 * time.Second, talk: loadTalk}

// step is done during the load, not before its offset from the start.
type step struct {
	at   time.Duration
	name string
	fn   func()
}

// load places the carriers' calls, each on its own goroutine, while the
// test goroutine runs the steps one after the other; it returns every
// call once all have ended.
func (c *clusterT) load(steps []step) []*call {
	t := c.t
	c.loadBegan = time.Now()
	var (
		mu    sync.Mutex
		calls []*call
		wg    sync.WaitGroup
	)
	ticking := make(chan struct{})
	go func() {
		defer close(ticking)
		timer := time.NewTimer(0)
		defer timer.Stop()
		for n := 1; n <= int(loadFor.Seconds())*rate; n++ {
			// Call n leaves at its own moment (n-1)/rate s into the load:
			// a late start does not drop calls.
			<-timer.C
			wg.Go(func() {
				cl := c.place(t.Context(), n, "5000", kamSIP, loadShape)
				mu.Lock()
				calls = append(calls, cl)
				mu.Unlock()
			})
			timer.Reset(time.Until(c.loadBegan.Add(time.Duration(n) * time.Second / rate)))
		}
	}()
	for _, s := range steps {
		timer := time.NewTimer(time.Until(c.loadBegan.Add(s.at)))
		<-timer.C // the step's moment in the load
		t.Logf("load: %s at %v", s.name, time.Since(c.loadBegan).Round(time.Millisecond))
		s.fn()
	}
	<-ticking
	t.Logf("load: %d calls placed in %v; waiting for the last to end", c.placed(), time.Since(c.loadBegan).Round(time.Millisecond))
	wg.Wait()
	slices.SortFunc(calls, func(a, b *call) int { return a.n - b.n })
	return calls
}

func (c *clusterT) placed() int {
	k := 0
	c.calls.Range(func(_, v any) bool {
		if cl := v.(*call); cl.n > 0 && cl.n < 800000 {
			k++
		}
		return true
	})
	return k
}

var kamRoute = regexp.MustCompile(`INVITE \S+ from (\S+) (?:to|retried on) sip:([0-9.]+):`)

// kamRoutes is, for each caller, the node Kamailio last sent its INVITE to
// (its log: deploy/kamailio/kamailio.cfg's xlog lines).
func (c *clusterT) kamRoutes() map[string]string {
	out := map[string]string{}
	c.kam.mu.Lock()
	defer c.kam.mu.Unlock()
	for _, l := range c.kam.lines {
		if m := kamRoute.FindStringSubmatch(l); m != nil {
			out[m[1]] = c.nodeByIP(m[2])
		}
	}
	return out
}

// checkLoad checks every call of the load: each talked both ways with an
// agent, except the calls of a node that was killed (in progress at its
// death) or stopped (the overlap), which must be reported node_lost; and
// it reports the rates and the losses.
func (c *clusterT) checkLoad(calls []*call) {
	t := c.t
	routes := c.kamRoutes()
	involves := func(cl *call, n string) bool {
		return cl.node == n || cl.agentNd == n || routes[cl.from] == n
	}
	var ok, failed int
	var setup []time.Duration
	perSec := make([]int, int(loadFor/time.Second)+30)
	lost := map[string][]*call{} // "kill"/"overlap" → calls
	var bad []string
	for _, cl := range calls {
		cl.mu.Lock()
		switch {
		case cl.failure == "" && cl.agent == nil:
			bad = append(bad, fmt.Sprintf("call %s talked without an offer to an agent", cl.from))
		case cl.failure == "":
			ok++
			setup = append(setup, cl.answered.Sub(cl.start))
			if s := int(cl.answered.Sub(c.loadBegan) / time.Second); s >= 0 && s < len(perSec) {
				perSec[s]++
			}
		case c.killed != nil && cl.start.Before(c.killed.at) && cl.done.After(c.killed.at) && involves(cl, c.killed.node):
			lost["kill"] = append(lost["kill"], cl)
		case c.paused != nil && cl.start.Before(c.paused.resumed) && cl.done.After(c.paused.at) && involves(cl, c.paused.node):
			// The stopped node left presence: the other nodes end their
			// halves of the calls bridged with it (node_lost), as for a
			// dead node.
			lost["overlap"] = append(lost["overlap"], cl)
		default:
			failed++
			bad = append(bad, fmt.Sprintf("call %s (started %v into the load, answered by %q, agent %s on %q, kamailio sent it to %q): %s",
				cl.from, cl.start.Sub(c.loadBegan).Round(time.Millisecond), cl.node, agentName(cl.agent), cl.agentNd, routes[cl.from], cl.failure))
		}
		cl.mu.Unlock()
	}
	for i, b := range bad {
		if i == 20 {
			t.Errorf("… and %d more failed calls", len(bad)-20)
			break
		}
		t.Error(b)
	}
	slices.Sort(setup)
	window := loadFor / time.Second
	low := ok
	for s := 5; s+5 <= int(window)-5; s++ { // the lowest 5 s rate, away from the ramp up and down
		k := 0
		for _, v := range perSec[s : s+5] {
			k += v
		}
		low = min(low, k)
	}
	t.Logf("load: %d calls at %d/s for %v: %d talked both ways with an agent (%.1f calls/s sustained, lowest 5 s window %.1f/s), %d failed unexplained; "+
		"answer time p50 %v p95 %v max %v", len(calls), rate, loadFor, ok, float64(ok)/loadFor.Seconds(), float64(low)/5, failed,
		pct(setup, 50), pct(setup, 95), pct(setup, 100))
	c.summary.rate, c.summary.lowest = float64(ok)/loadFor.Seconds(), float64(low)/5
	c.summary.killLost = len(lost["kill"])
	offers, excused := c.book.summary()
	t.Logf("booking: %d offers seen by the agents, none beyond PROTOCOL §5, no call offered to or held by two agents; %d offers overlapping a stale offer of a stopped or dead node", offers, len(excused))
	for _, e := range excused {
		t.Log("  " + e)
	}
	if f := c.killed; f != nil {
		var after, talked int
		for _, cl := range calls {
			if cl.start.After(f.at) && cl.start.Before(f.at.Add(10*time.Second)) {
				after++
				if cl.failure == "" {
					talked++
				}
			}
		}
		t.Logf("kill of %s: of the %d calls placed in the 10 s after it, %d talked both ways with an agent", f.node, after, talked)
	}
	c.checkLost("kill", c.killed, lost["kill"])
	if c.killed != nil {
		t.Logf("kill of %s: its agents, logged in again elsewhere, were told call.ended node_lost %d times", c.killed.node, c.told())
	}
	if f := c.paused; f != nil {
		t.Logf("overlap of %s: the survivors published call.ended node_lost for %d calls of %s", f.node, len(c.events.reports(f.node)), f.node)
	}
	if f := c.paused; f != nil {
		t.Logf("overlap of %s: %d calls lost (in progress during the stop, with their caller or agent on %s); \"floor: the agent's node not reached\" logged %d times in the run",
			f.node, len(lost["overlap"]), f.node, c.unreached())
		for _, cl := range lost["overlap"] {
			t.Logf("  overlap lost %s: started %v into the load, caller on %q, agent %s on %q: %s", cl.from,
				cl.start.Sub(c.loadBegan).Round(time.Millisecond), cl.node, agentName(cl.agent), cl.agentNd, cl.failure)
		}
		c.summary.stopLost = len(lost["overlap"])
	}
	c.idleAtEnd()
}

// unreached counts the nodes' "floor: the agent's node not reached" lines.
func (c *clusterT) unreached() int64 {
	var k int64
	for _, n := range c.nodes {
		k += n.unreached.Load()
	}
	return k
}

// idleAtEnd: once the load is over, every agent is idle by its own
// notifications within 5 s.
func (c *clusterT) idleAtEnd() {
	t := c.t
	stuck := func() (bad []string) {
		for _, a := range c.sessions() {
			a.mu.Lock()
			for id, caller := range a.calls {
				bad = append(bad, fmt.Sprintf("agent %s on %s still in call %s (caller %s)", a.id, a.node.id, id, caller))
			}
			for id, caller := range a.resBy {
				bad = append(bad, fmt.Sprintf("agent %s on %s still offered %s (caller %s)", a.id, a.node.id, id, caller))
			}
			a.mu.Unlock()
		}
		return bad
	}
	deadline := time.Now().Add(5 * time.Second)
	bad := stuck()
	for len(bad) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // the last calls' notifications
		bad = stuck()
	}
	for _, b := range bad {
		t.Error("after the load: " + b)
	}
	rona := 0
	for _, a := range c.sessions() {
		a.mu.Lock()
		rona += a.rona
		a.mu.Unlock()
	}
	t.Logf("agents set unavailable by an offer's timeout (RONA), then available again by the test: %d", rona)
}

func agentName(a *agent) string {
	if a == nil {
		return "none"
	}
	return a.id
}

// checkLost: of the calls a failover lost, each one an agent had taken
// (accepted) must be reported node_lost by a survivor naming its caller; the calls
// still waiting for an agent are counted against the reports without a
// caller (the dead node's ledger has none for them).
func (c *clusterT) checkLost(what string, f *failover, lost []*call) {
	t := c.t
	if f == nil {
		return
	}
	reports := c.events.reports(f.node)
	byFrom := map[string]bool{}
	for _, r := range c.events.since(f.at) { // a survivor's own half names no lost node
		byFrom[r.from] = true
	}
	calls, anon := map[string]bool{}, map[string]bool{}
	for _, r := range reports {
		byFrom[r.from] = true
		calls[r.call] = true
		if r.from == "" {
			anon[r.call] = true
		}
	}
	var taken, unreported []string
	for _, cl := range lost {
		side := "caller on " + cl.node
		if cl.node == "" {
			side = "unanswered, sent to " + c.kamRoutes()[cl.from]
		}
		state := "waiting for an agent"
		if cl.agent != nil && !cl.accepted {
			state = "offered to " + cl.agent.id + " on " + cl.agentNd + ", not accepted yet"
		}
		if cl.accepted {
			state = "taken by " + cl.agent.id + " on " + cl.agentNd
			taken = append(taken, cl.from)
			if !byFrom[cl.from] {
				unreported = append(unreported, cl.from)
			}
		}
		t.Logf("  %s lost %s: started %v into the load, %s, %s, reported: %v (%s)", what, cl.from, cl.start.Sub(c.loadBegan).Round(time.Millisecond),
			side, state, byFrom[cl.from], cl.failure)
	}
	t.Logf("%s of %s: %d calls lost (%d taken by an agent, %d waiting or ringing); the survivors published call.ended node_lost for %d calls of %s (%d without a caller: waiting calls)",
		what, f.node, len(lost), len(taken), len(lost)-len(taken), len(calls), f.node, len(anon))
	if len(unreported) > 0 {
		t.Errorf("%s of %s: calls lost without a node_lost report: %s", what, f.node, strings.Join(unreported, " "))
	}
}

// told is how many call.ended node_lost the agents' current sessions got.
func (c *clusterT) told() int {
	k := 0
	for _, a := range c.sessions() {
		a.mu.Lock()
		k += a.lost
		a.mu.Unlock()
	}
	return k
}

// pct is the p-th percentile of sorted d.
func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, len(d)*p/100)].Round(time.Millisecond)
}
