package agent

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/media"
)

// An internal call joins two parties inside the gateway (an agent dialling
// another agent's extension or a queue): two TrunkCall ends over a pair of
// pipe legs. The callee end goes through HandleCall like a carrier's call;
// the caller end is the dialling agent's outbound call.
//
// Pipe legs deliver packets on their own goroutine, never synchronously:
// a media.Switch holds its lock while it writes to a leg, and a synchronous
// pipe between two switches could deadlock them.

// pipeSlots is how many packets a pipe buffers; more are dropped (counted,
// and logged when the pipe ends, with the packets its sink refused).
const pipeSlots = 8

type pipePacket struct {
	pkt media.Packet
	buf [512]byte
}

// pipeLeg is one end of an internal media pipe.
type pipeLeg struct {
	peer    *pipeLeg
	sink    atomic.Pointer[media.PacketWriter]
	queue   chan *pipePacket // to this end's delivery goroutine: packets written by the peer
	free    chan *pipePacket
	dropped atomic.Uint64 // the queue was full
	refused uint64        // the sink returned an error (deliver's own)
	lastErr error         // the sink's last error (deliver's own)
	onDTMF  atomic.Pointer[func(rune)]
	done    chan struct{} // the dialog's: closed when the call ends
	log     *slog.Logger
}

// newPipe returns two connected pipe legs whose goroutines run until done
// is closed, then log on log what they could not deliver.
func newPipe(wg *sync.WaitGroup, done chan struct{}, log *slog.Logger) (a, b *pipeLeg) {
	mk := func() *pipeLeg {
		p := &pipeLeg{queue: make(chan *pipePacket, pipeSlots), free: make(chan *pipePacket, pipeSlots), done: done, log: log}
		for range pipeSlots {
			p.free <- new(pipePacket)
		}
		return p
	}
	a, b = mk(), mk()
	a.peer, b.peer = b, a
	for _, p := range []*pipeLeg{a, b} {
		wg.Go(p.deliver)
	}
	return a, b
}

// deliver hands packets written by the peer to this end's sink. A sink's
// error is counted, not logged per packet; the counts are logged once at
// the end.
func (p *pipeLeg) deliver() {
	for {
		select {
		case pp := <-p.queue:
			if s := p.sink.Load(); s != nil {
				if err := (*s).WritePacket(&pp.pkt); err != nil {
					p.refused++
					p.lastErr = err
				}
			}
			p.free <- pp
		case <-p.done:
			if d := p.dropped.Load(); d > 0 || p.refused > 0 {
				p.log.Info("internal media pipe lost packets", "dropped_packets", d, "refused_packets", p.refused, "err", p.lastErr)
			}
			return
		}
	}
}

// WritePacket sends toward the peer (the peer's sink receives it).
func (p *pipeLeg) WritePacket(in *media.Packet) error {
	q := p.peer
	var pp *pipePacket
	select {
	case pp = <-q.free:
	default:
		q.dropped.Add(1)
		return nil
	}
	n := copy(pp.buf[:], in.Payload)
	pp.pkt = *in
	pp.pkt.Payload = pp.buf[:n]
	select {
	case q.queue <- pp:
	default:
		q.free <- pp
	}
	return nil
}

func (p *pipeLeg) SetSink(s media.PacketWriter) { p.sink.Store(&s) }
func (p *pipeLeg) Codec() media.Codec           { return media.PCMU }

// SendDTMF hands digits to the peer's DTMF handler.
func (p *pipeLeg) SendDTMF(digits string, _ time.Duration) error {
	if fn := p.peer.onDTMF.Load(); fn != nil {
		for _, d := range digits {
			(*fn)(d)
		}
	}
	return nil
}

// internalDialog is the state shared by the two ends of an internal call.
type internalDialog struct {
	mu       sync.Mutex
	answered chan struct{} // closed when the callee answers
	failed   chan struct{} // closed when the callee rejects
	code     int
	done     chan struct{} // closed when either side ends the call
	reason   string
	ended    bool
	ringing  func()
}

func (d *internalDialog) end(reason string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ended {
		return
	}
	d.ended = true
	d.reason = reason
	close(d.done)
}

// internalEnd is one side of an internal call, as a TrunkCall.
type internalEnd struct {
	d      *internalDialog
	leg    *pipeLeg
	id     string
	number string
	from   string
	callee bool
	// callerName and extra are the callee's caller_name and extra call
	// attributes (consult.go).
	callerName string
	extra      map[string]any
}

var _ TrunkCall = (*internalEnd)(nil)
var _ TrunkLeg = (*pipeLeg)(nil)

func (e *internalEnd) ID() string            { return e.id }
func (e *internalEnd) Number() string        { return e.number }
func (e *internalEnd) From() string          { return e.from }
func (e *internalEnd) Leg() TrunkLeg         { return e.leg }
func (e *internalEnd) Done() <-chan struct{} { return e.d.done }

func (e *internalEnd) EndReason() string {
	e.d.mu.Lock()
	defer e.d.mu.Unlock()
	return e.d.reason
}

func (e *internalEnd) OnDTMF(fn func(rune)) { e.leg.onDTMF.Store(&fn) }

func (e *internalEnd) Ringing() error {
	if e.d.ringing != nil {
		e.d.ringing()
	}
	return nil
}

func (e *internalEnd) Answer(context.Context) error {
	e.d.mu.Lock()
	defer e.d.mu.Unlock()
	if e.d.ended {
		return errors.New("internal call ended")
	}
	select {
	case <-e.d.answered:
	default:
		close(e.d.answered)
	}
	return nil
}

func (e *internalEnd) Reject(code int, reason string) error {
	func() {
		e.d.mu.Lock()
		defer e.d.mu.Unlock()
		e.d.code = code
		select {
		case <-e.d.failed:
		default:
			close(e.d.failed)
		}
	}()
	e.d.end(reason)
	return nil
}

func (e *internalEnd) Hangup(reason string) error {
	e.d.end(reason)
	return nil
}

// newInternalCall makes the two ends of an internal call from `from` to
// number.
func newInternalCall(wg *sync.WaitGroup, log *slog.Logger, id, number, from string) (caller, callee *internalEnd) {
	d := &internalDialog{answered: make(chan struct{}), failed: make(chan struct{}), done: make(chan struct{})}
	a, b := newPipe(wg, d.done, log.With("call", id))
	caller = &internalEnd{d: d, leg: a, id: id + "-a", number: number, from: from}
	callee = &internalEnd{d: d, leg: b, id: id + "-b", number: number, from: from, callee: true}
	return caller, callee
}
