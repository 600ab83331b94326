package browserleg

import (
	"log/slog"
	"sync"
	"sync/atomic"
)

// Notifier is what both engines' legs do when their state changes: the
// OnState callback, the Done channel closed at a final state, and the log
// line of each transition. The engine decides when a transition happens
// and on which goroutine the callback runs; the Notifier reports it. The
// zero value is ready to use; a Notifier must not be copied.
type Notifier struct {
	fn       atomic.Pointer[func(State)]
	mkDone   sync.Once
	done     chan struct{}
	doneOnce sync.Once
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
