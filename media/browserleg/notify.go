package browserleg

import (
	"log/slog"
	"sync"
	"sync/atomic"
)

// Notifier holds a leg's state and reports its changes, as both engines'
// legs do: the OnState callback, the Done channel closed at a final state,
// and the log line of each transition. The engine decides when a
// transition happens (Set) and on which goroutine the callback runs
// (Report); the Notifier keeps and reports it. The zero value (state
// StateUnknown) is ready to use; a Notifier must not be copied.
type Notifier struct {
	state    atomic.Uint32
	fn       atomic.Pointer[func(State)]
	mkDone   sync.Once
	done     chan struct{}
	doneOnce sync.Once
}

// State returns the state last Set.
func (n *Notifier) State() State { return State(n.state.Load()) }

// Set makes s the leg's state, and calls Finish when s is final. Reporting
// it (Report) is the engine's.
func (n *Notifier) Set(s State) {
	n.state.Store(uint32(s))
	if s.Final() {
		n.Finish()
	}
}

// OnState sets the callback Report calls (nil: none).
func (n *Notifier) OnState(fn func(State)) { n.fn.Store(&fn) }

// Done is closed by Finish.
func (n *Notifier) Done() <-chan struct{} { return n.ch() }

func (n *Notifier) ch() chan struct{} {
	n.mkDone.Do(func() { n.done = make(chan struct{}) })
	return n.done
}

// Finish closes Done (once): the leg reached a final state or was closed.
func (n *Notifier) Finish() {
	ch := n.ch()
	n.doneOnce.Do(func() { close(ch) })
}

// Report logs the transition to s and runs the callback with s, on the
// caller's goroutine. c gives the packet counts of the Closed line.
func (n *Notifier) Report(log *slog.Logger, s State, c *Counters) {
	switch s {
	case StateConnected:
		log.Info("webrtc leg connected")
	case StateDisconnected:
		log.Warn("webrtc leg disconnected")
	case StateFailed:
		log.Warn("webrtc leg failed")
	case StateClosed:
		log.Info("webrtc leg closed", "packets_sent", c.Sent.Load(), "packets_received", c.Received.Load())
	}
	if fn := n.fn.Load(); fn != nil && *fn != nil {
		(*fn)(s)
	}
}
