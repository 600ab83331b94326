package softphone

import (
	"context"
	"sync"

	"switchboard/events"
	"switchboard/signaling/ws"
	"switchboard/view"
)

// floor.subscribe (PROTOCOL §12): a supervisor's socket gets the admin
// state as the answer, then every floor event as an `event` notification
// (the admin console's stream, read-only: no admin method is reachable
// here). Anyone else gets -32003. Called again it answers the state again
// and keeps the one stream. The stream ends with the socket; a socket too
// slow for its buffer is closed (the stream would have a gap).

// Floor is the live floor a supervisor may watch: the admin state and
// the hub's events.
type Floor interface {
	State() view.Floor
	Subscribe(buffer int) *events.Subscription
}

// floorBuffer bounds the events queued for one supervisor's socket.
const floorBuffer = 1024

// floorSub is a session's floor stream.
type floorSub struct {
	mu     sync.Mutex
	sub    *events.Subscription // guarded by mu; nil until subscribed
	closed bool                 // guarded by mu; the socket has ended
	wg     sync.WaitGroup
}

func (ss *session) registerFloor() {
	ss.mux.Register("floor.subscribe", ws.Typed(func(ctx context.Context, _ struct{}) (any, error) {
		f := ss.s.cfg.Floor
		if f == nil {
			return nil, ws.NotFound("no live floor on this gateway")
		}
		if !ss.s.cfg.Core.IsSupervisor(ss.agent()) {
			return nil, ws.Conflict("only a supervisor may subscribe to the floor")
		}
		st := f.State()
		fs := &ss.floor
		fs.mu.Lock()
		defer fs.mu.Unlock()
		if fs.sub == nil && !fs.closed {
			sub := f.Subscribe(floorBuffer)
			fs.sub = sub
			fs.wg.Go(func() { ss.forwardFloor(sub) })
		}
		return st, nil
	}))
}

// forwardFloor copies hub events to the socket until either ends.
func (ss *session) forwardFloor(sub *events.Subscription) {
	for e := range sub.C {
		if err := ss.conn.Notify("event", e); err != nil {
			sub.Close()
			return
		}
	}
	if err := sub.Err(); err != nil {
		ss.s.log.Warn("supervisor floor stream dropped", "agent_id", ss.agent(), "err", err)
		ss.conn.Close("event stream overflow")
	}
}

// closeFloor ends the session's floor stream and waits for its goroutine.
func (ss *session) closeFloor() {
	fs := &ss.floor
	fs.mu.Lock()
	sub := fs.sub
	fs.closed = true
	fs.mu.Unlock()
	if sub != nil {
		sub.Close()
	}
	fs.wg.Wait()
}
