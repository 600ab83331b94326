package events

import (
	"errors"
	"sync"
	"time"
)

// ErrSlowSubscriber is the reason a subscription is dropped when its buffer
// is full at a Publish.
var ErrSlowSubscriber = errors.New("events: subscriber too slow, buffer full")

// ErrHubClosed is the reason of subscriptions ended by Hub.Close.
var ErrHubClosed = errors.New("events: hub closed")

// Hub fans events out to subscribers. Publish never blocks: a subscriber
// whose buffer is full is dropped (its channel closed, Err set), so a slow
// reader cannot stall the producer. The zero Hub is not usable; use NewHub.
// All methods are safe for concurrent use.
type Hub struct {
	now func() time.Time

	mu      sync.Mutex // guards following
	seq     uint64
	subs    map[*Subscription]struct{}
	dropped uint64
	closed  bool
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{now: time.Now, subs: map[*Subscription]struct{}{}}
}

// Subscription receives the events published after Subscribe.
type Subscription struct {
	// C delivers events in Seq order. It is closed (by the hub) when the
	// subscription is closed or dropped; Err then says why.
	C <-chan Event

	hub *Hub
	c   chan Event // the sender (hub) closes it, under hub.mu
	err error      // guarded by hub.mu
}

// Subscribe registers a subscriber with room for buffer undelivered events
// (minimum 1).
func (h *Hub) Subscribe(buffer int) *Subscription {
	buffer = max(buffer, 1)
	s := &Subscription{hub: h, c: make(chan Event, buffer)}
	s.C = s.c
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		s.err = ErrHubClosed
		close(s.c)
		return s
	}
	h.subs[s] = struct{}{}
	return s
}

// Publish stamps e with the next Seq (and At, if zero) and hands it to
// every subscriber without blocking. It returns the stamped event.
func (h *Hub) Publish(e Event) Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	e.Seq = h.seq
	if e.At.IsZero() {
		e.At = h.now()
	}
	for s := range h.subs {
		select {
		case s.c <- e:
		default:
			h.dropped++
			h.removeLocked(s, ErrSlowSubscriber)
		}
	}
	return e
}

// Subscribers returns the number of live subscriptions.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Dropped returns how many subscriptions were dropped for being slow.
func (h *Hub) Dropped() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.dropped
}

// Close ends every subscription (Err = ErrHubClosed); later Subscribe calls
// get a closed subscription and Publish only stamps. Idempotent.
func (h *Hub) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		h.removeLocked(s, ErrHubClosed)
	}
	return nil
}

func (h *Hub) removeLocked(s *Subscription, err error) {
	if _, ok := h.subs[s]; !ok {
		return
	}
	delete(h.subs, s)
	s.err = err
	close(s.c)
}

// Close unsubscribes; C is closed. Idempotent; Err stays nil if the
// subscription had not been dropped.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.removeLocked(s, nil)
}

// Err returns why the subscription ended: ErrSlowSubscriber, ErrHubClosed,
// or nil (open, or closed by its owner).
func (s *Subscription) Err() error {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.err
}
