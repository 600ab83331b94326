package agent

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"switchboard/events"
	"switchboard/media"
	"switchboard/media/mediatest"
	"switchboard/media/prompts"
	"switchboard/media/tone"
	"switchboard/recordings"
	"switchboard/store"
	"switchboard/view"
)

// Party tones: callers 700 and 1100 Hz, agent a1 1500 Hz; a2 and a3 have
// their own so transfers can tell them apart.
const (
	freqCaller1 = 700
	freqCaller2 = 1100
	freqAgent   = 1500
	freqAgentB  = 1900
	freqAgentC  = 2300
	freqFar     = 2700 // the far end of an outbound call
)

// Prompt tones: the test prompts are short tone clips so what the caller
// hears can be told apart.
const (
	freqPromptExt     = 400
	freqPromptInvalid = 500
	freqPromptGoodbye = 600
	freqPromptUnavail = 900
	promptFrames      = 10
)

var agentFreq = map[string]float64{"a1": freqAgent, "a2": freqAgentB, "a3": freqAgentC}

func toneClip(freq float64) *media.Clip {
	pcm := make([]int16, promptFrames*media.FrameSamples)
	s := tone.Sine{Freq: freq}
	s.Fill(pcm)
	return media.NewClip(pcm)
}

// setup is the store's content for a harness.
type setup struct {
	queues []store.Queue
	agents []store.Agent
	routes []store.Route
	grace  time.Duration
	ring   time.Duration   // Config.RingTimeout; 0 means the default
	cfg    func(*Config)   // last edits of the Config, if any
	recs   *recordings.Dir // Config.Recordings; nil means none
}

func defaultSetup() *setup {
	return &setup{
		queues: []store.Queue{
			{ID: "sales", Name: "Sales", TimeoutSeconds: 15},
			{ID: "support", Name: "Support", TimeoutSeconds: 15, WrapupSeconds: 30},
		},
		agents: []store.Agent{
			{ID: "a1", Name: "Ann", Extension: "1001", Capacity: 2, Queues: []string{"sales", "support"}},
			{ID: "a2", Name: "Bob", Extension: "1002", Capacity: 2, Queues: []string{"sales", "support"}},
			{ID: "a3", Name: "Cid", Extension: "1003", Capacity: 2, Queues: []string{}},
		},
		routes: []store.Route{
			{Number: "5000", Target: "queue:sales"},
			{Number: "5001", Target: "queue:support"},
			{Number: "6000", Target: "ivr:extension"},
			{Number: "7000", Target: "extension:1001"},
		},
	}
}

// harness runs a Core on a manual pacer and a fake clock, with fake trunk
// calls, browser legs, sessions, store and dialer.
type harness struct {
	t      *testing.T
	c      *Core
	pacer  *media.Pacer
	clock  *mediatest.WallClock
	steps  *stepClock
	st     *fakeStore
	legs   *fakeLegs
	dialer *fakeDialer
	hub    *events.Hub
	sub    *events.Subscription
	wg     sync.WaitGroup  // HandleCall goroutines (the trunk's, in production)
	ctx    context.Context // HandleCall's: the trunk's, ended after Close
	cancel context.CancelFunc

	mu     sync.Mutex // guards following
	evs    []events.Event
	calls  []*fakeCall
	agents map[string]*agentH
	n      int
}

// agentH is a logged-in agent: its websocket and browser leg.
type agentH struct {
	id    string
	conn  *fakeConn
	leg   *fakeBrowserLeg
	seen  int // reservation.created notifications consumed by nextOffer
	login LoginResult
}

func newHarness(t *testing.T, edit ...func(*setup)) *harness {
	t.Helper()
	s := defaultSetup()
	for _, e := range edit {
		e(s)
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := &harness{
		t: t, clock: mediatest.NewWallClock(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)), steps: &stepClock{},
		agents: map[string]*agentH{}, hub: events.NewHub(),
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.pacer = media.NewPacer(media.PacerConfig{Manual: true, Logger: log})
	h.st = &fakeStore{agents: s.agents, queues: s.queues, routes: s.routes, pw: map[string]string{}}
	for _, a := range s.agents {
		h.st.pw[a.ID] = "pw-" + a.ID
	}
	h.legs = &fakeLegs{steps: h.steps}
	h.dialer = &fakeDialer{steps: h.steps, freq: freqFar}
	h.sub = h.hub.Subscribe(100000)
	cfg := Config{
		Pacer: h.pacer, Store: h.st, Hub: h.hub, Legs: h.legs, Dialer: h.dialer,
		Prompts: prompts.Set{
			Extension: toneClip(freqPromptExt), Invalid: toneClip(freqPromptInvalid),
			Goodbye: toneClip(freqPromptGoodbye), Unavailable: toneClip(freqPromptUnavail),
		},
		Recordings: s.recs,
		Grace:      s.grace, RingTimeout: s.ring, DigitTimeout: 150 * time.Millisecond, Logger: log, Now: h.clock.Now,
	}
	if s.cfg != nil {
		s.cfg(&cfg)
	}
	c, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	t.Cleanup(h.close)
	return h
}

// close shuts the core down and checks that everything it started ends.
func (h *harness) close() {
	if err := h.c.Close(); err != nil {
		h.t.Error(err)
	}
	h.mu.Lock()
	calls := append([]*fakeCall(nil), h.calls...)
	h.mu.Unlock()
	for _, fc := range calls {
		if !fc.snap().ended {
			h.t.Errorf("call %s still up after Close", fc.id)
		}
		fc.end("test over")
	}
	h.cancel()
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		h.t.Error("HandleCall did not return after Close")
	}
	h.sub.Close()
	_ = h.pacer.Close()
}

// login logs an agent in, opens its browser leg and makes it available.
func (h *harness) login(id string) *agentH {
	h.t.Helper()
	a := h.connect(id)
	if _, err := h.c.SetActivity(id, "available"); err != nil {
		h.t.Fatalf("SetActivity(%s) = %v", id, err)
	}
	return a
}

// connect logs an agent in with a browser leg, leaving its activity alone.
func (h *harness) connect(id string) *agentH {
	h.t.Helper()
	a := &agentH{id: id, conn: &fakeConn{}}
	res, err := h.c.Login(h.t.Context(), id, "pw-"+id, a.conn)
	if err != nil {
		h.t.Fatalf("Login(%s) = %v", id, err)
	}
	a.login = res
	if _, err := h.c.Offer(h.t.Context(), id, a.conn, []byte("offer")); err != nil {
		h.t.Fatalf("Offer(%s) = %v", id, err)
	}
	h.legs.mu.Lock()
	a.leg = h.legs.legs[len(h.legs.legs)-1]
	h.legs.mu.Unlock()
	a.leg.mu.Lock()
	a.leg.freq = agentFreq[id]
	a.leg.mu.Unlock()
	h.mu.Lock()
	h.agents[id] = a
	h.mu.Unlock()
	return a
}

// call places an inbound trunk call to number whose caller sends freq.
func (h *harness) call(number string, freq float64) *fakeCall {
	h.mu.Lock()
	h.n++
	fc := newFakeCall(h.steps, fmt.Sprintf("sip-%d", h.n), number, fmt.Sprintf("+3361234%04d", h.n), freq)
	h.calls = append(h.calls, fc)
	h.mu.Unlock()
	h.wg.Go(func() { h.c.HandleCall(h.ctx, fc) })
	return fc
}

// step runs n frames: every party sends one packet, then the pacer ticks.
// It returns the half-open range of steps it covered.
func (h *harness) step(n int) (from, to int) {
	from = h.steps.now() + 1
	for range n {
		h.steps.n.Add(1)
		h.mu.Lock()
		calls := append([]*fakeCall(nil), h.calls...)
		var legs []*fakeBrowserLeg
		for _, a := range h.agents {
			legs = append(legs, a.leg)
		}
		for _, d := range h.dialer.attempts() {
			calls = append(calls, d.call)
		}
		h.mu.Unlock()
		for _, fc := range calls {
			if !fc.snap().ended {
				fc.leg.send()
			}
		}
		for _, l := range legs {
			if !l.closed() {
				l.send()
			}
		}
		h.pacer.Tick()
	}
	return from, h.steps.now() + 1
}

// listen lets paths settle, then records 25 frames (500 ms) and returns the
// range, to read with recLeg.heard.
func (h *harness) listen() (from, to int) {
	h.step(6)
	return h.step(25)
}

// bothWays listens (listen or listenAsync) and checks the two ends of a
// connected call: a hears only aFreq, b only bFreq.
func (h *harness) bothWays(listen func() (int, int), a string, aLeg ear, aFreq float64, b string, bLeg ear, bFreq float64) {
	h.t.Helper()
	from, to := listen()
	hearsOnly(h.t, a, aLeg.heard(from, to), aFreq)
	hearsOnly(h.t, b, bLeg.heard(from, to), bFreq)
}

// ear is a leg that records what it receives.
type ear interface{ heard(from, to int) []int16 }

// listenAsync is listen for paths through internal pipes (their own
// goroutines): it paces the frames in real time so the pipes keep up.
func (h *harness) listenAsync() (from, to int) {
	for range 6 {
		h.step(1)
		time.Sleep(2 * time.Millisecond)
	}
	from = h.steps.now() + 1
	for range 25 {
		h.step(1)
		time.Sleep(2 * time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond)
	return from, h.steps.now() + 1
}

// waitFor polls cond (stepping the media clock) until it holds.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		h.step(1)
		time.Sleep(time.Millisecond)
	}
}

// notes returns the agent's notifications of a method.
func (a *agentH) notes(method string) []any {
	var out []any
	for _, n := range a.conn.all() {
		if n.method == method {
			out = append(out, n.params)
		}
	}
	return out
}

// waitNote waits for a notification of method for which match holds.
func (h *harness) waitNote(a *agentH, method string, match func(any) bool) any {
	h.t.Helper()
	var got any
	h.waitFor(fmt.Sprintf("%s notification %s", a.id, method), func() bool {
		for _, p := range a.notes(method) {
			if match == nil || match(p) {
				got = p
				return true
			}
		}
		return false
	})
	return got
}

// nextOffer waits for the agent's next reservation.created.
func (h *harness) nextOffer(a *agentH) view.Reservation {
	h.t.Helper()
	var rv view.Reservation
	h.waitFor(a.id+" offer", func() bool {
		ns := a.notes("reservation.created")
		if len(ns) > a.seen {
			rv = ns[a.seen].(view.Reservation)
			a.seen++
			return true
		}
		return false
	})
	return rv
}

// noOffer asserts the agent has no unconsumed offer.
func (h *harness) noOffer(a *agentH) {
	h.t.Helper()
	if ns := a.notes("reservation.created"); len(ns) > a.seen {
		h.t.Errorf("%s got an unexpected offer %+v", a.id, ns[a.seen])
	}
}

func (h *harness) accept(a *agentH, rv view.Reservation) view.Call {
	h.t.Helper()
	v, err := h.c.Accept(h.t.Context(), a.id, rv.ID)
	if err != nil {
		h.t.Fatalf("Accept(%s, %s) = %v", a.id, rv.ID, err)
	}
	return v
}

// advance moves the fake clock on by d and has the core act on what fell
// due (Advance).
func (h *harness) advance(d time.Duration) {
	h.clock.Add(d)
	h.c.Advance()
}

// offered places a call to number, the caller sending a tone of freq,
// and waits for the offer it makes to the agent: the fake caller and the
// offer.
func (h *harness) offered(a *agentH, number string, freq float64) (*fakeCall, view.Reservation) {
	h.t.Helper()
	fc := h.call(number, freq)
	return fc, h.nextOffer(a)
}

// answered places a call to number, the caller sending a tone of freq,
// and has the agent accept the offer it gets: the fake caller and the
// agent's view of the call.
func (h *harness) answered(a *agentH, number string, freq float64) (*fakeCall, view.Call) {
	h.t.Helper()
	fc := h.call(number, freq)
	return fc, h.accept(a, h.nextOffer(a))
}

// reservationEnded reports whether the agent was told the offer ended with
// reason.
func (a *agentH) reservationEnded(id, reason string) bool {
	for _, p := range a.notes("reservation.ended") {
		if e := p.(EndedView); e.ID == id && e.Reason == reason {
			return true
		}
	}
	return false
}

func (a *agentH) callEnded(id string) (string, bool) {
	for _, p := range a.notes("call.ended") {
		if e := p.(EndedView); e.ID == id {
			return e.Reason, true
		}
	}
	return "", false
}

// lastAgentNote is the last agent.updated the agent received.
func (a *agentH) lastAgentNote() (view.Agent, bool) {
	ns := a.notes("agent.updated")
	if len(ns) == 0 {
		return view.Agent{}, false
	}
	return ns[len(ns)-1].(view.Agent), true
}

// floor returns the admin view.
func (h *harness) floor() view.Floor { return h.c.State() }

func (h *harness) agentView(id string) view.FloorAgent {
	h.t.Helper()
	return inState(h.t, "agent "+id, h.floor().Agents, func(a view.FloorAgent) bool { return a.ID == id })
}

func (h *harness) queueView(id string) view.Queue {
	h.t.Helper()
	return inState(h.t, "queue "+id, h.floor().Queues, func(q view.Queue) bool { return q.ID == id })
}

// inState is the element of the State() list s that match picks; it fails
// t when there is none.
func inState[T any](t testing.TB, what string, s []T, match func(T) bool) T {
	t.Helper()
	i := slices.IndexFunc(s, match)
	if i < 0 {
		t.Fatalf("%s not in State()", what)
	}
	return s[i]
}

// callState is the state of a call of the agent ("" if it has no such call).
func (h *harness) callState(agent, call string) string {
	for _, cl := range h.agentView(agent).Calls {
		if cl.ID == call {
			return cl.State
		}
	}
	return ""
}

// events returns every event published so far.
func (h *harness) events() []events.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	for {
		select {
		case e := <-h.sub.C:
			h.evs = append(h.evs, e)
			continue
		default:
		}
		return append([]events.Event(nil), h.evs...)
	}
}

func (h *harness) waitEvent(typ string, match func(events.Event) bool) events.Event {
	h.t.Helper()
	var got events.Event
	h.waitFor("event "+typ, func() bool {
		for _, e := range h.events() {
			if e.Type == typ && (match == nil || match(e)) {
				got = e
				return true
			}
		}
		return false
	})
	return got
}

// Audio assertions (tone.Ratio / tone.Classify on what a leg received).

// hears asserts each tone of freqs is present in what who heard (pcm).
func hears(t testing.TB, who string, pcm []int16, freqs ...float64) {
	t.Helper()
	if len(pcm) < media.FrameSamples*10 {
		t.Errorf("%s: received %d samples, want at least 10 frames", who, len(pcm))
		return
	}
	if rms := tone.RMS(pcm); rms < tone.SilenceRMS {
		t.Errorf("%s: silence (RMS %.0f), want %v Hz", who, rms, freqs)
		return
	}
	for _, f := range freqs {
		if r := tone.Ratio(pcm, f); r < 0.2 {
			t.Errorf("%s: %v Hz ratio %.3f, want present (>= 0.2)", who, f, r)
		}
	}
}

// hearsOnly asserts freq dominates (Classify says tone).
func hearsOnly(t testing.TB, who string, pcm []int16, freq float64) {
	t.Helper()
	if len(pcm) < media.FrameSamples*10 {
		t.Errorf("%s: received %d samples, want at least 10 frames", who, len(pcm))
		return
	}
	if v := tone.Classify(pcm, freq); v != tone.VerdictTone {
		t.Errorf("%s: Classify(%v Hz) = %v (ratio %.3f, RMS %.0f), want tone", who, freq, v, tone.Ratio(pcm, freq), tone.RMS(pcm))
	}
}

func absent(t testing.TB, who string, pcm []int16, freqs ...float64) {
	t.Helper()
	for _, f := range freqs {
		if r := tone.Ratio(pcm, f); r > 0.03 {
			t.Errorf("%s: %v Hz ratio %.3f, want absent", who, f, r)
		}
	}
}

func silent(t testing.TB, who string, pcm []int16) {
	t.Helper()
	if len(pcm) < media.FrameSamples*10 {
		t.Errorf("%s: received %d samples, want silence frames", who, len(pcm))
		return
	}
	if v := tone.Classify(pcm, 1000); v != tone.VerdictSilence {
		t.Errorf("%s: %v (RMS %.0f), want silence", who, v, tone.RMS(pcm))
	}
}

// nothingOrSilence: a party that is on no path may receive nothing at all.
func nothingOrSilence(t testing.TB, who string, pcm []int16) {
	t.Helper()
	if rms := tone.RMS(pcm); len(pcm) > 0 && rms >= tone.SilenceRMS {
		t.Errorf("%s: audible (RMS %.0f), want nothing or silence", who, rms)
	}
}

func music(t testing.TB, who string, pcm []int16) {
	t.Helper()
	if len(pcm) < media.FrameSamples*10 {
		t.Errorf("%s: received %d samples, want music", who, len(pcm))
		return
	}
	if rms := tone.RMS(pcm); rms < tone.SilenceRMS {
		t.Errorf("%s: silence (RMS %.0f), want music", who, rms)
	}
	absent(t, who, pcm, freqCaller1, freqCaller2, freqAgent)
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.01 }

// hasTone reports whether freq dominates pcm.
func hasTone(pcm []int16, freq float64) bool { return tone.Classify(pcm, freq) == tone.VerdictTone }
