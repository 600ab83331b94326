package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"switchboard/cluster"
	"switchboard/internal/redistest"
)

const ttl = 600 * time.Millisecond

// Three nodes campaign: exactly one leads at a time; when the leader dies
// without releasing (SIGKILL: it just stops), another leads within the
// TTL plus one retry, with a larger token.
func TestElectOneLeaderAndFailover(t *testing.T) {
	srv := redistest.Start(t)
	type term struct {
		node  string
		token int64
	}
	var mu sync.Mutex
	leading := map[string]bool{}
	var terms []term
	var overlap bool
	newTerm := make(chan term, 16)
	ctxs := map[string]context.CancelFunc{}
	clients := map[string]interface{ Close() error }{}
	var wg sync.WaitGroup
	for i := range 3 {
		node := fmt.Sprintf("n%d", i+1)
		rdb := srv.Client()
		t.Cleanup(func() { rdb.Close() })
		clients[node] = rdb
		l, err := cluster.NewLease(rdb, "sb", node, ttl)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		ctxs[node] = cancel
		wg.Go(func() {
			_ = l.Elect(ctx, func(lctx context.Context, tok int64) {
				mu.Lock()
				for n, on := range leading {
					if on && n != node {
						overlap = true
					}
				}
				leading[node] = true
				terms = append(terms, term{node, tok})
				mu.Unlock()
				newTerm <- term{node, tok}
				<-lctx.Done()
				mu.Lock()
				leading[node] = false
				mu.Unlock()
			})
		})
	}
	t.Cleanup(func() {
		for _, c := range ctxs {
			c()
		}
		wg.Wait()
	})
	first := <-newTerm
	// Kill the leader: its connection to Redis goes, as with SIGKILL; it
	// neither renews nor releases, so the lease runs out its TTL.
	killed := time.Now()
	clients[first.node].Close()
	select {
	case next := <-newTerm:
		took := time.Since(killed)
		t.Logf("leader %s (token %d) killed; %s leads with token %d after %v (ttl %v)", first.node, first.token, next.node, next.token, took, ttl)
		if next.node == first.node || next.token <= first.token {
			t.Errorf("new term %+v after %+v", next, first)
		}
		if took > ttl+ttl/3+200*time.Millisecond {
			t.Errorf("new leader after %v, want within ttl %v + one retry", took, ttl)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no new leader within 5 s")
	}
	mu.Lock()
	defer mu.Unlock()
	if overlap {
		t.Errorf("two nodes led at once: %+v", terms)
	}
}

// A leader paused past its TTL resumes with a stale token: its renewal
// fails and a node's fence refuses its decisions, while the new leader's
// are admitted. No double booking from overlapping routers.
func TestPausedLeaderIsFenced(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	defer rdb.Close()
	a, _ := cluster.NewLease(rdb, "sb", "a", ttl)
	b, _ := cluster.NewLease(rdb, "sb", "b", ttl)
	ta, err := a.Acquire(t.Context())
	if err != nil || ta == 0 {
		t.Fatalf("a acquires: %d, %v", ta, err)
	}
	if tb, _ := b.Acquire(t.Context()); tb != 0 {
		t.Fatalf("b acquired a held lease (token %d)", tb)
	}
	fence := cluster.NewFence(rdb, "sb")
	if err := fence.Admit(t.Context(), ta); err != nil {
		t.Fatalf("a's decision refused while a leads: %v", err)
	}
	// a pauses (no renewal) past its TTL; b takes over.
	var tb int64
	deadline := time.Now().Add(5 * time.Second)
	for tb == 0 && time.Now().Before(deadline) {
		time.Sleep(ttl / 6)
		tb, _ = b.Acquire(t.Context())
	}
	if tb <= ta {
		t.Fatalf("b's token %d, a's %d", tb, ta)
	}
	if err := fence.Admit(t.Context(), tb); err != nil {
		t.Fatalf("new leader's decision refused: %v", err)
	}
	// a resumes: it believes it leads and sends a decision.
	if ok, err := a.Renew(t.Context(), ta); ok || err != nil {
		t.Errorf("paused leader renewed its lost lease: %v, %v", ok, err)
	}
	if err := fence.Admit(t.Context(), ta); !errors.Is(err, cluster.ErrStaleToken) {
		t.Errorf("stale leader's decision: %v, want ErrStaleToken", err)
	}
	// Another node that never saw b's decisions also refuses a (Redis's counter).
	if err := cluster.NewFence(rdb, "sb").Admit(t.Context(), ta); !errors.Is(err, cluster.ErrStaleToken) {
		t.Errorf("fresh fence admitted the stale token: %v", err)
	}
	if node, tok, _ := a.Leader(t.Context()); node != "b" || tok != tb {
		t.Errorf("Leader = %s %d, want b %d", node, tok, tb)
	}
	// Releasing with a stale token does not remove b's lease.
	_ = a.Release(t.Context(), ta)
	if node, _, _ := a.Leader(t.Context()); node != "b" {
		t.Errorf("a stale release removed b's lease (leader %q)", node)
	}
}

// Presence lists live nodes with their addresses; a node whose heartbeat
// lapsed is gone, one that leaves is gone at once.
func TestPresence(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	defer rdb.Close()
	p := cluster.NewPresence(rdb, "sb")
	ctx := t.Context()
	for _, n := range []struct{ id, addr string }{{"n1", "10.0.0.1"}, {"n2", "10.0.0.2"}, {"n3", "10.0.0.3"}} {
		if err := p.Beat(ctx, n.id, n.addr, ttl); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Leave(ctx, "n3"); err != nil {
		t.Fatal(err)
	}
	nodes, err := p.Nodes(ctx)
	if err != nil || len(nodes) != 2 || nodes["n1"] != "10.0.0.1" || nodes["n2"] != "10.0.0.2" {
		t.Fatalf("Nodes = %v, %v", nodes, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_ = p.Beat(ctx, "n1", "10.0.0.1", ttl) // n1 keeps beating, n2 stopped
		nodes, err = p.Nodes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(nodes) == 1 && nodes["n1"] != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("n2 still listed after its heartbeat lapsed: %v", nodes)
		}
		time.Sleep(ttl / 6)
	}
}

// Bad node ids and TTLs are refused.
func TestNewLeaseValidation(t *testing.T) {
	for _, c := range []struct {
		node string
		ttl  time.Duration
	}{{"", 0}, {"a b", 0}, {"a", time.Millisecond}} {
		if _, err := cluster.NewLease(nil, "sb", c.node, c.ttl); err == nil {
			t.Errorf("NewLease(%q, %v) accepted", c.node, c.ttl)
		}
	}
}
