package storetest

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/events"
	"switchboard/store"
)

// countingJournal counts the transactions the journal commits.
type countingJournal struct {
	Store
	batches atomic.Int64
}

func (c *countingJournal) AppendEvents(ctx context.Context, evs []events.Event) error {
	c.batches.Add(1)
	return c.Store.AppendEvents(ctx, evs)
}

func waitEvents(t *testing.T, s Store, want uint64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		seq, err := s.LastEventSeq(t.Context(), "")
		if err != nil {
			t.Fatal(err)
		}
		if seq >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("journal reached seq %d, want %d", seq, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A 20,000-event burst is persisted whole, seq without a gap, and the
// journal is still subscribed afterwards. Before, the journal's 4,096-event
// buffer overflowed, the hub dropped it, and persistence ended for good;
// each event was its own fsync'd transaction.
func JournalBurstLosesNothing(t *testing.T, be Backend) {
	name := be.Fresh(t)
	s := be.Open(t, name)
	cj := &countingJournal{Store: s}
	hub := events.NewHub()
	sub := hub.SubscribeLossless(4096)
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- store.RunJournal(ctx, store.JournalConfig{Store: cj, Sub: sub}) }()
	const n = 20000
	start := time.Now()
	for i := range n {
		hub.Publish(events.Event{Type: events.AgentActivity, Agent: "a1", Activity: []string{"available", "break"}[i%2]})
	}
	publish := time.Since(start)
	waitEvents(t, s, n)
	t.Logf("20,000 events: published in %v, persisted in %v, %d transactions", publish, time.Since(start), cj.batches.Load())
	if hub.Dropped() != 0 || hub.Subscribers() != 1 {
		t.Errorf("hub dropped %d subscribers, %d left", hub.Dropped(), hub.Subscribers())
	}
	hub.Publish(events.Event{Type: events.CallEnded, Call: "after"}) // still journaled
	waitEvents(t, s, n+1)
	evs := listAll(t, be, s, name)
	if len(evs) != n+1 {
		t.Fatalf("%d events persisted, want %d", len(evs), n+1)
	}
	for i, e := range evs {
		if e.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d: a gap", i, e.Seq)
		}
	}
	if b := cj.batches.Load(); b >= n/10 {
		t.Errorf("%d transactions for %d events: not batched", b, n)
	}
	cancel()
	if err := <-errc; err != context.Canceled {
		t.Errorf("RunJournal = %v, want context.Canceled", err)
	}
}

// listAll reads every persisted event, in seq order.
func listAll(t *testing.T, be Backend, s Store, name string) []events.Event {
	t.Helper()
	return be.Events(t, s, name)
}

// Events buffered when the journal stops are still written.
func JournalDrainsOnStop(t *testing.T, be Backend) {
	s := be.Open(t, be.Fresh(t))
	hub := events.NewHub()
	sub := hub.SubscribeLossless(1000)
	for range 500 {
		hub.Publish(events.Event{Type: events.TaskCreated})
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // stopped before it ran
	if err := store.RunJournal(ctx, store.JournalConfig{Store: s, Sub: sub}); err != context.Canceled {
		t.Errorf("RunJournal = %v", err)
	}
	if seq, _ := s.LastEventSeq(t.Context(), ""); seq != 500 {
		t.Errorf("last persisted seq %d, want 500", seq)
	}
}

// The journal keeps at most about Keep events: the oldest are deleted.
func JournalRetention(t *testing.T, be Backend) {
	name := be.Fresh(t)
	s := be.Open(t, name)
	hub := events.NewHub()
	sub := hub.SubscribeLossless(64)
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- store.RunJournal(ctx, store.JournalConfig{Store: s, Sub: sub, Keep: 100, Batch: 50}) }()
	for range 3000 {
		hub.Publish(events.Event{Type: events.TaskCreated})
	}
	waitEvents(t, s, 3000)
	cancel()
	<-errc
	evs := listAll(t, be, s, name)
	if len(evs) > 200 || evs[len(evs)-1].Seq != 3000 || evs[0].Seq <= 1 {
		t.Errorf("after 3000 events with Keep 100: %d kept, seq %d..%d", len(evs), evs[0].Seq, evs[len(evs)-1].Seq)
	}
}

// BenchmarkJournalWrite compares one transaction per event (the old
// journal) with the batched writer.
func BenchJournalWrite(b *testing.B, be Backend) {
	ev := events.Event{Type: events.AgentActivity, Agent: "a1", Activity: "available", At: time.Now()}
	b.Run("per-event", func(b *testing.B) {
		s := be.Open(b, be.Fresh(b))
		for b.Loop() {
			if err := s.AppendEvent(context.Background(), ev); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("batch-512", func(b *testing.B) {
		s := be.Open(b, be.Fresh(b))
		batch := make([]events.Event, 512)
		for i := range batch {
			batch[i] = ev
		}
		for b.Loop() {
			if err := s.AppendEvents(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "events/s")
	})
}

// Nodes sharing one journal (PROTOCOL §13) each continue their own seq: a
// node's last seq is its own, whatever the others wrote after it, and a
// node new to the journal continues after the events of a single gateway.
func JournalPerNode(t *testing.T, be Backend) {
	name := be.Fresh(t)
	s := be.Open(t, name)
	ctx := t.Context()
	write := func(hub *events.Hub, n int) {
		t.Helper()
		evs := make([]events.Event, n)
		for i := range evs {
			evs[i] = hub.Publish(events.Event{Type: events.TaskCreated})
		}
		if err := s.AppendEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
	}
	last := func(node string) uint64 {
		t.Helper()
		seq, err := s.LastEventSeq(ctx, node)
		if err != nil {
			t.Fatal(err)
		}
		return seq
	}
	write(events.NewHub(), 7) // a single gateway, before it joined a floor
	n1 := events.NewNodeHub("n1", last("n1"))
	write(n1, 3) // n1 continues after the single gateway: 8..10
	n2 := events.NewNodeHub("n2", last("n2"))
	write(n2, 20) // 8..27
	write(n1, 1)  // 11
	if got := last("n1"); got != 11 {
		t.Errorf("n1's last seq %d, want 11 (its own, though n2 wrote after it)", got)
	}
	if got := last("n2"); got != 27 {
		t.Errorf("n2's last seq %d, want 27", got)
	}
	if got := last(""); got != 7 {
		t.Errorf("the single gateway's last seq %d, want 7", got)
	}
	if got := last("n3"); got != 7 {
		t.Errorf("a new node's seq continues after %d, want 7", got)
	}
	seen := map[string]uint64{}
	for _, e := range listAll(t, be, s, name) {
		if e.Seq <= seen[e.Node] {
			t.Fatalf("node %q: seq %d after %d", e.Node, e.Seq, seen[e.Node])
		}
		seen[e.Node] = e.Seq
	}
	if len(seen) != 3 || seen["n1"] != 11 || seen["n2"] != 27 {
		t.Errorf("journal's last seq per node %v, want \"\":7 n1:11 n2:27", seen)
	}
}
