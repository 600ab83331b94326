package events

import (
	"testing"
	"time"
)

// A lossless subscriber with a tiny buffer and a slow reader still gets
// every event of a burst, in order, and is never dropped.
func TestLosslessBackPressure(t *testing.T) {
	h := NewHub()
	j := h.SubscribeLossless(4)
	const n = 20000
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range n {
			h.Publish(Event{Type: CallAnswered})
		}
	}()
	for i := range n {
		e := <-j.C
		if e.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d: gap", i, e.Seq)
		}
		if i%1000 == 0 {
			time.Sleep(time.Millisecond) // a slow reader (fsync)
		}
	}
	<-done
	if h.Dropped() != 0 || j.Err() != nil || h.Subscribers() != 1 {
		t.Errorf("dropped %d, err %v, subscribers %d", h.Dropped(), j.Err(), h.Subscribers())
	}
}

// Closing a lossless subscription (or the hub) releases a Publish waiting
// on its full buffer.
func TestLosslessCloseReleasesPublish(t *testing.T) {
	for _, viaHub := range []bool{false, true} {
		h := NewHub()
		j := h.SubscribeLossless(1)
		h.Publish(Event{Type: CallAnswered}) // fills the buffer
		blocked := make(chan struct{})
		go func() { defer close(blocked); h.Publish(Event{Type: CallEnded}) }()
		select {
		case <-blocked:
			t.Fatal("Publish did not wait for the full lossless buffer")
		case <-time.After(50 * time.Millisecond):
		}
		if viaHub {
			_ = h.Close()
		} else {
			j.Close()
		}
		select {
		case <-blocked:
		case <-time.After(5 * time.Second):
			t.Fatalf("Publish still blocked after Close (via hub: %v)", viaHub)
		}
		if _, ok := <-j.C; !ok {
			t.Error("the buffered event was lost")
		}
	}
}

func TestNewHubAt(t *testing.T) {
	if e := NewHubAt(41).Publish(Event{Type: CallAnswered}); e.Seq != 42 {
		t.Errorf("first seq %d, want 42", e.Seq)
	}
}

func TestNewNodeHub(t *testing.T) {
	h := NewNodeHub("n2", 9)
	if e := h.Publish(Event{Type: CallAnswered, Node: "forged"}); e.Seq != 10 || e.Node != "n2" {
		t.Errorf("event seq %d node %q, want 10 n2", e.Seq, e.Node)
	}
	if e := NewHub().Publish(Event{Type: CallAnswered}); e.Node != "" {
		t.Errorf("a single gateway's event has node %q", e.Node)
	}
}
