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

// Hub fans events out to subscribers. For an ordinary subscription Publish
// never blocks: one whose buffer is full is dropped (its channel closed,
// Err set), so a slow reader cannot stall the producer. A lossless
// subscription (SubscribeLossless, the journal's) is never dropped:
// Publish waits for room in its buffer instead (back-pressure), so its
// reader sees every Seq with no gap. The zero Hub is not usable; use
// NewHub. All methods are safe for concurrent use.
//
// Locks: pubMu (held by Publish for the whole fan-out, so events reach
// lossless subscribers in Seq order) is taken before mu (guards the
// subscriber set); mu is never held while waiting for a lossless reader.
type Hub struct {
	now  func() time.Time
	node string // stamped on every event (Event.Node)

	pubMu sync.Mutex // serializes Publish and the closing of lossless channels

	mu      sync.Mutex // guards following
	seq     uint64
	subs    map[*Subscription]struct{}
	dropped uint64
	closed  bool
}

// NewHub returns an empty hub.
func NewHub() *Hub { return NewHubAt(0) }

// NewHubAt returns an empty hub whose first event gets Seq seq+1 (to
// continue a persisted journal).
func NewHubAt(seq uint64) *Hub { return NewNodeHub("", seq) }

// NewNodeHub is NewHubAt for one node of several (PROTOCOL §13): every
// event it publishes carries Node node, and seq continues that node's own
// last persisted event.
func NewNodeHub(node string, seq uint64) *Hub {
	return &Hub{now: time.Now, node: node, seq: seq, subs: map[*Subscription]struct{}{}}
}

// Subscription receives the events published after Subscribe.
type Subscription struct {
	// C delivers events in Seq order. It is closed (by the hub) when the
	// subscription is closed or dropped; Err then says why.
	C <-chan Event

	hub      *Hub
	c        chan Event    // the sender (hub) closes it: under hub.mu, or for a lossless one under hub.pubMu
	lossless bool          // Publish waits for room instead of dropping
	stop     chan struct{} // lossless: closed first by Close, to release a waiting Publish
	stopOnce sync.Once
	err      error // guarded by hub.mu
}

// Subscribe registers a subscriber with room for buffer undelivered events
// (minimum 1). It is dropped if the buffer is full at a Publish.
func (h *Hub) Subscribe(buffer int) *Subscription { return h.subscribe(buffer, false) }

// SubscribeLossless registers a subscriber that is never dropped: when its
// buffer (minimum 1) is full, Publish waits until the reader makes room or
// the subscription is closed. Its reader must not call Publish.
func (h *Hub) SubscribeLossless(buffer int) *Subscription { return h.subscribe(buffer, true) }

func (h *Hub) subscribe(buffer int, lossless bool) *Subscription {
	buffer = max(buffer, 1)
	s := &Subscription{hub: h, c: make(chan Event, buffer), lossless: lossless, stop: make(chan struct{})}
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
// every subscriber: without blocking to the ordinary ones, waiting for room
// for the lossless ones. It returns the stamped event.
func (h *Hub) Publish(e Event) Event { return h.fanOut(e, true) }

// Relay hands e, an event another node's hub stamped (PROTOCOL §13: the
// whole floor's admin events), to every subscriber as Publish does, but as
// it is: its Seq, Node and At are kept, and this hub's Seq does not move.
func (h *Hub) Relay(e Event) { h.fanOut(e, false) }

// fanOut hands e to every subscriber, stamped first if stamp.
func (h *Hub) fanOut(e Event, stamp bool) Event {
	h.pubMu.Lock()
	defer h.pubMu.Unlock()
	var wait []*Subscription
	func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if stamp {
			h.seq++
			e.Seq = h.seq
			e.Node = h.node
			if e.At.IsZero() {
				e.At = h.now()
			}
		}
		for s := range h.subs {
			select {
			case s.c <- e:
			default:
				if s.lossless {
					wait = append(wait, s)
					continue
				}
				h.dropped++
				h.removeLocked(s, ErrSlowSubscriber)
			}
		}
	}()
	for _, s := range wait { // back-pressure, without holding mu
		select {
		case s.c <- e:
		case <-s.stop:
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
	for s := range h.subs {
		s.stopOnce.Do(func() { close(s.stop) }) // release a Publish waiting on it
	}
	h.mu.Unlock()
	h.pubMu.Lock()
	defer h.pubMu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		h.removeLocked(s, ErrHubClosed)
	}
	return nil
}

// removeLocked ends s; for a lossless s the caller also holds pubMu (no
// Publish is sending to it).
func (h *Hub) removeLocked(s *Subscription, err error) {
	if _, ok := h.subs[s]; !ok {
		return
	}
	delete(h.subs, s)
	s.err = err
	close(s.c)
}

// Close unsubscribes; C is closed. Idempotent; Err stays nil if the
// subscription had not been dropped. A Publish waiting for room in a
// lossless subscription's buffer returns.
func (s *Subscription) Close() {
	if s.lossless {
		s.stopOnce.Do(func() { close(s.stop) })
		s.hub.pubMu.Lock()
		defer s.hub.pubMu.Unlock()
	}
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
