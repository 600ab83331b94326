package events

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestHubDeliversInOrder(t *testing.T) {
	h := NewHub()
	a, b := h.Subscribe(100), h.Subscribe(100)
	for i := range 10 {
		got := h.Publish(Event{Type: CallAnswered, Call: string(rune('a' + i))})
		if got.Seq != uint64(i+1) || got.At.IsZero() {
			t.Fatalf("Publish #%d stamped seq=%d at=%v", i, got.Seq, got.At)
		}
	}
	for _, s := range []*Subscription{a, b} {
		for i := range 10 {
			e := <-s.C
			if e.Seq != uint64(i+1) || e.Call != string(rune('a'+i)) {
				t.Fatalf("event %d = %+v", i, e)
			}
		}
	}
	a.Close()
	a.Close() // idempotent
	if _, ok := <-a.C; ok {
		t.Error("C open after Close")
	}
	if a.Err() != nil {
		t.Errorf("Err after own Close = %v", a.Err())
	}
	if n := h.Subscribers(); n != 1 {
		t.Errorf("Subscribers = %d, want 1", n)
	}
}

func TestHubDropsSlowSubscriberWithoutBlocking(t *testing.T) {
	h := NewHub()
	slow := h.Subscribe(4) // never read
	fast := h.Subscribe(1000)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 1000 {
			h.Publish(Event{Type: AgentActivity})
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Publish blocked on a slow subscriber")
	}
	if !errors.Is(slow.Err(), ErrSlowSubscriber) {
		t.Errorf("slow.Err = %v, want ErrSlowSubscriber", slow.Err())
	}
	n := 0
	for range slow.C { // drains the 4 buffered, then sees the close
		n++
	}
	if n != 4 {
		t.Errorf("slow subscriber got %d events before the drop, want 4", n)
	}
	if len(fast.C) != 1000 || fast.Err() != nil {
		t.Errorf("fast subscriber has %d events, err %v", len(fast.C), fast.Err())
	}
	if h.Dropped() != 1 {
		t.Errorf("Dropped = %d", h.Dropped())
	}
}

func TestHubConcurrentPublishSeqUnique(t *testing.T) {
	h := NewHub()
	s := h.Subscribe(4000)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 1000 {
				h.Publish(Event{Type: TaskCreated})
			}
		})
	}
	wg.Wait()
	var last uint64
	for range 4000 {
		e := <-s.C
		if e.Seq != last+1 {
			t.Fatalf("seq %d after %d", e.Seq, last)
		}
		last = e.Seq
	}
}

func TestHubClose(t *testing.T) {
	h := NewHub()
	s := h.Subscribe(1)
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-s.C; ok || !errors.Is(s.Err(), ErrHubClosed) {
		t.Errorf("after hub Close: ok=%v err=%v", ok, s.Err())
	}
	late := h.Subscribe(1)
	if _, ok := <-late.C; ok {
		t.Error("subscription after Close is open")
	}
	h.Publish(Event{Type: TaskCreated}) // must not panic
	_ = h.Close()
}

func TestEventJSONMillis(t *testing.T) {
	talk := 12.5
	e := Event{Seq: 7, Type: CallEnded, At: time.Date(2026, 3, 1, 12, 0, 5, 123456789, time.FixedZone("x", 3600)), Call: "c1", TalkSeconds: &talk}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"at":"2026-03-01T11:00:05.123Z"`) {
		t.Errorf("marshal = %s, want at with milliseconds in UTC", b)
	}
	if strings.Count(string(b), `"at"`) != 1 {
		t.Errorf("duplicate at: %s", b)
	}
	var back Event
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Seq != 7 || back.Call != "c1" || *back.TalkSeconds != 12.5 || !back.At.Equal(e.At.Truncate(time.Millisecond)) {
		t.Errorf("round trip = %+v", back)
	}
	// Whole seconds still carry .000.
	b, _ = json.Marshal(Event{Type: TaskCreated, At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if !strings.Contains(string(b), `"at":"2026-01-01T00:00:00.000Z"`) {
		t.Errorf("marshal = %s", b)
	}
}

// Relay hands another node's event to the subscribers as it was stamped:
// its Seq, Node and At kept, this hub's own Seq unmoved.
func TestHubRelayKeepsTheStamp(t *testing.T) {
	h := NewNodeHub("n1", 0)
	s := h.Subscribe(10)
	at := time.Date(2026, 12, 7, 23, 0, 0, 0, time.UTC)
	h.Relay(Event{Type: CallAnswered, Node: "n3", Seq: 77, At: at})
	own := h.Publish(Event{Type: CallEnded})
	if e := <-s.C; e.Node != "n3" || e.Seq != 77 || !e.At.Equal(at) {
		t.Errorf("relayed %+v, want n3's seq 77 at %v", e, at)
	}
	if e := <-s.C; e.Node != "n1" || e.Seq != 1 || own.Seq != 1 {
		t.Errorf("own event after a relay %+v, want n1's seq 1", e)
	}
}
