package netns

import (
	"context"
	"strings"
	"sync"
	"time"

	"switchboard/signaling/ws/wsclient"
)

// lostReport is one call.ended with reason node_lost a node published
// (PROTOCOL §13).
type lostReport struct {
	by       string // the node that published it
	call     string // <dead node>/<call id>
	from     string // the caller, when the dead node's ledger had it
	agent    string
	lostNode string
	at       time.Time
}

// eventLog keeps an admin console on every node, subscribed to its
// events: it collects the node_lost reports, and view polls through it.
type eventLog struct {
	mu       sync.Mutex // guards following
	consoles map[string]*wsclient.Client
	lost     []lostReport
	terms    []term
}

// term is a cluster.leader event: node started leading with token.
type term struct {
	node  string
	token int64
	at    time.Time // when the test got it
}

// watchEvents opens the consoles (the nodes must be up).
func (c *clusterT) watchEvents() {
	c.events = &eventLog{consoles: map[string]*wsclient.Client{}}
	for _, n := range c.nodes {
		by := n.id
		a, err := c.admin(n, func(e map[string]any) { c.events.onEvent(by, e) })
		if err != nil {
			c.t.Fatalf("admin console on %s: %v", n.id, err)
		}
		c.events.consoles[n.id] = a
		c.t.Cleanup(func() { _ = a.Close() })
	}
}

func (l *eventLog) onEvent(by string, e map[string]any) {
	if n, _ := e["node"].(string); n != by {
		return // another node's event (a console streams the whole floor's): its own console has it
	}
	if e["type"] == "cluster.leader" {
		d, _ := e["detail"].(map[string]any)
		tok, _ := d["token"].(float64)
		l.mu.Lock()
		l.terms = append(l.terms, term{node: by, token: int64(tok), at: time.Now()})
		l.mu.Unlock()
		return
	}
	if e["type"] != "call.ended" || e["reason"] != "node_lost" {
		return
	}
	str := func(k string) string { s, _ := e[k].(string); return s }
	r := lostReport{by: by, call: str("call"), from: str("from"), agent: str("agent"), at: time.Now()}
	if d, ok := e["detail"].(map[string]any); ok {
		r.lostNode, _ = d["lost_node"].(string)
	}
	if r.lostNode == "" {
		r.lostNode, _, _ = strings.Cut(r.call, "/")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lost = append(l.lost, r)
}

// reports is every node_lost report of calls of node lost.
func (l *eventLog) reports(lost string) []lostReport {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []lostReport
	for _, r := range l.lost {
		if r.lostNode == lost {
			out = append(out, r)
		}
	}
	return out
}

// termAfter is the first term with a token above token, if one started.
func (l *eventLog) termAfter(token int64) (term, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, t := range l.terms {
		if t.token > token {
			return t, true
		}
	}
	return term{}, false
}

// since is every node_lost report published at or after t.
func (l *eventLog) since(t time.Time) []lostReport {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []lostReport
	for _, r := range l.lost {
		if !r.at.Before(t) {
			out = append(out, r)
		}
	}
	return out
}

// call is one request on n's console; false when it does not answer
// within a second (a dead or stopped node).
func (l *eventLog) call(n *node, method string, out any) bool {
	l.mu.Lock()
	a := l.consoles[n.id]
	l.mu.Unlock()
	if a == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return a.Call(ctx, method, map[string]any{}, out) == nil
}
