package agent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/media"
	"switchboard/media/tone"
	"switchboard/store"
)

// Fakes for the core's interfaces: no sockets, everything recorded.

// stepClock counts test steps (one step = one pacer tick = 20 ms of audio).
type stepClock struct{ n atomic.Int64 }

func (s *stepClock) now() int { return int(s.n.Load()) }

// recPkt is one packet a fake leg received, decoded.
type recPkt struct {
	step int
	pcm  []int16
}

// recLeg is the common part of the fake legs: it records what is written
// toward its party (decoded, with the step), and sends its party's tone into
// the sink the core set.
type recLeg struct {
	steps *stepClock
	codec media.Codec

	mu   sync.Mutex // guards following
	pkts []recPkt
	sink media.PacketWriter
	freq float64 // the party's tone; 0 sends nothing
	sine tone.Sine
	seq  uint16
	ts   uint32
	pcm  [media.FrameSamples]int16
	buf  [media.FrameSamples]byte
}

func newRecLeg(steps *stepClock, freq float64) *recLeg {
	return &recLeg{steps: steps, codec: media.PCMU, freq: freq}
}

func (l *recLeg) WritePacket(p *media.Packet) error {
	pcm := media.Decode(p.Codec, make([]int16, len(p.Payload)), p.Payload)
	step := l.steps.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pkts = append(l.pkts, recPkt{step: step, pcm: pcm})
	return nil
}

func (l *recLeg) SetSink(s media.PacketWriter) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sink = s
}

func (l *recLeg) Codec() media.Codec { return l.codec }

// send pushes one 20 ms frame of the party's tone into the sink. The sink
// is called without l.mu (it may write back to this leg: echo, bridges).
func (l *recLeg) send() {
	l.mu.Lock()
	sink := l.sink
	if sink == nil || l.freq == 0 {
		l.mu.Unlock()
		return
	}
	l.sine.Freq = l.freq
	l.sine.Fill(l.pcm[:])
	l.seq++
	l.ts += media.FrameSamples
	media.Encode(l.codec, l.buf[:], l.pcm[:])
	p := media.Packet{Payload: slices.Clone(l.buf[:]), Codec: l.codec, SequenceNumber: l.seq, Timestamp: l.ts}
	l.mu.Unlock()
	_ = sink.WritePacket(&p)
}

// heard returns what the party received at steps [from, to).
func (l *recLeg) heard(from, to int) []int16 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []int16
	for _, p := range l.pkts {
		if p.step >= from && p.step < to {
			out = append(out, p.pcm...)
		}
	}
	return out
}

// fakeTrunkLeg is a trunk call's RTP leg.
type fakeTrunkLeg struct {
	*recLeg
	dmu  sync.Mutex
	dtmf string
}

func (l *fakeTrunkLeg) SendDTMF(digits string, _ time.Duration) error {
	l.dmu.Lock()
	defer l.dmu.Unlock()
	l.dtmf += digits
	return nil
}

func (l *fakeTrunkLeg) sentDTMF() string {
	l.dmu.Lock()
	defer l.dmu.Unlock()
	return l.dtmf
}

// fakeCall is a SIP dialog with the carrier.
type fakeCall struct {
	id, number, from string
	leg              *fakeTrunkLeg

	mu        sync.Mutex // guards following
	ringing   int
	answered  bool
	rejected  int // final response code, 0 if none
	hangups   []string
	done      chan struct{}
	ended     bool
	endReason string
	dtmf      func(rune)
	// answerGate, if set, makes Answer wait for it (the ACK) or ctx.
	answerGate chan struct{}
}

func newFakeCall(steps *stepClock, id, number, from string, freq float64) *fakeCall {
	return &fakeCall{id: id, number: number, from: from, leg: &fakeTrunkLeg{recLeg: newRecLeg(steps, freq)}, done: make(chan struct{})}
}

func (f *fakeCall) ID() string            { return f.id }
func (f *fakeCall) Number() string        { return f.number }
func (f *fakeCall) From() string          { return f.from }
func (f *fakeCall) Leg() TrunkLeg         { return f.leg }
func (f *fakeCall) Done() <-chan struct{} { return f.done }

func (f *fakeCall) Ringing() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ringing++
	return nil
}

func (f *fakeCall) Answer(ctx context.Context) error {
	f.mu.Lock()
	gate := f.answerGate
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		case <-f.done:
			return errors.New("call ended")
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ended {
		return errors.New("call ended")
	}
	if f.rejected != 0 {
		return fmt.Errorf("already rejected with %d", f.rejected)
	}
	f.answered = true
	return nil
}

func (f *fakeCall) Reject(code int, reason string) error {
	f.mu.Lock()
	if f.ended || f.answered {
		f.mu.Unlock()
		return errors.New("reject after answer or end")
	}
	f.rejected = code
	f.mu.Unlock()
	f.end(reason)
	return nil
}

func (f *fakeCall) Hangup(reason string) error {
	f.mu.Lock()
	f.hangups = append(f.hangups, reason)
	f.mu.Unlock()
	f.end(reason)
	return nil
}

// end closes the dialog (idempotent).
func (f *fakeCall) end(reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ended {
		return
	}
	f.ended = true
	f.endReason = reason
	close(f.done)
}

// callerHangup is the caller's BYE (or CANCEL before answer).
func (f *fakeCall) callerHangup() { f.end("caller_hangup") }

func (f *fakeCall) EndReason() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.endReason
}

func (f *fakeCall) OnDTMF(fn func(rune)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dtmf = fn
}

// press fires the caller's digits (RFC 4733 or INFO on the real trunk).
func (f *fakeCall) press(digits string) {
	f.mu.Lock()
	fn := f.dtmf
	f.mu.Unlock()
	for _, d := range digits {
		if fn != nil {
			fn(d)
		}
	}
}

type callSnap struct {
	ringing  int
	answered bool
	rejected int
	hangups  int
	ended    bool
}

func (f *fakeCall) snap() callSnap {
	f.mu.Lock()
	defer f.mu.Unlock()
	return callSnap{ringing: f.ringing, answered: f.answered, rejected: f.rejected, hangups: len(f.hangups), ended: f.ended}
}

// fakeBrowserLeg is an agent's WebRTC leg.
type fakeBrowserLeg struct {
	*recLeg
	once sync.Once
	done chan struct{}
}

func (l *fakeBrowserLeg) Start(sink media.PacketWriter) { l.SetSink(sink) }
func (l *fakeBrowserLeg) Done() <-chan struct{}         { return l.done }
func (l *fakeBrowserLeg) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *fakeBrowserLeg) closed() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// fakeLegs is the LegFactory: each Accept makes a leg with the agent's tone.
type fakeLegs struct {
	steps *stepClock
	freq  float64
	mu    sync.Mutex
	legs  []*fakeBrowserLeg
}

func (f *fakeLegs) Accept(_ context.Context, offer []byte) (BrowserLeg, []byte, error) {
	if string(offer) == "bad" {
		return nil, nil, errors.New("bad sdp")
	}
	l := &fakeBrowserLeg{recLeg: newRecLeg(f.steps, f.freq), done: make(chan struct{})}
	f.mu.Lock()
	f.legs = append(f.legs, l)
	f.mu.Unlock()
	return l, []byte("answer"), nil
}

// note is one notification.
type note struct {
	method string
	params any
}

// fakeConn is an agent's websocket (Notifier).
type fakeConn struct {
	mu          sync.Mutex
	notes       []note
	closed      bool
	closeReason string
	panicOn     atomic.Pointer[string] // Notify of this method panics (a handler bug)
}

func (n *fakeConn) Notify(method string, params any) error {
	if m := n.panicOn.Load(); m != nil && *m == method {
		panic("notify " + method)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return errors.New("closed")
	}
	n.notes = append(n.notes, note{method, params})
	return nil
}

func (n *fakeConn) Close(reason string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.closed {
		n.closed, n.closeReason = true, reason
	}
}

func (n *fakeConn) all() []note {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.notes)
}

func (n *fakeConn) isClosed() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.closed
}

// fakeStore is an in-memory Store (store.go): exactly what the core uses.
type fakeStore struct {
	mu      sync.Mutex
	agents  []store.Agent
	queues  []store.Queue
	routes  []store.Route
	pw      map[string]string
	records []store.CallRecord
}

func (s *fakeStore) ListAgents(context.Context) ([]store.Agent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.agents), nil
}

func (s *fakeStore) ListQueues(context.Context) ([]store.Queue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.queues), nil
}

func (s *fakeStore) ListRoutes(context.Context) ([]store.Route, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.routes), nil
}

func (s *fakeStore) CheckPassword(_ context.Context, id, pw string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	want, ok := s.pw[id]
	return ok && want == pw, nil
}

func (s *fakeStore) AppendRecord(_ context.Context, r store.CallRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = append(s.records, r)
	return nil
}

func (s *fakeStore) nrecords() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.records)
}

func (s *fakeStore) record(call string) (store.CallRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.records {
		if r.Call == call {
			return r, true
		}
	}
	return store.CallRecord{}, false
}

// fakeDialer is the outbound trunk: each Dial makes a fakeCall the test
// drives through its dial script.
type fakeDialer struct {
	steps *stepClock
	freq  float64
	mu    sync.Mutex
	dials []*dialAttempt
}

// dialAttempt is one outbound call in progress.
type dialAttempt struct {
	to, from string
	call     *fakeCall
	progress func(code int, leg TrunkLeg)
	answer   chan error // the test sends nil (200 OK) or an error
}

func (d *fakeDialer) Dial(ctx context.Context, to, from string, onProgress func(int, TrunkLeg)) (TrunkCall, error) {
	a := &dialAttempt{to: to, from: from, progress: onProgress, answer: make(chan error, 1)}
	a.call = newFakeCall(d.steps, fmt.Sprintf("out-%s", to), to, from, d.freq)
	a.call.answered = true
	d.mu.Lock()
	d.dials = append(d.dials, a)
	d.mu.Unlock()
	select {
	case err := <-a.answer:
		if err != nil {
			return nil, err
		}
		return a.call, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (d *fakeDialer) attempts() []*dialAttempt {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.dials)
}
