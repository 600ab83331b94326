package loadgen

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/media"
	"switchboard/media/tone"
)

// Merged calls (Config.Merge): each agent takes two calls and merges them
// with call.merge, which puts both callers and the agent on the gateway's
// mixing path (mix-minus: each party hears the other two). A group's three
// sources probe 17 frames (340 ms) apart, so a probe heard in a mix can be
// told apart by its send time.

// mergePhases is the number of send slots (2 ms apart) with Config.Merge.
const mergePhases = 10

// Direction pairs of the mixing path.
const (
	callerToCaller = iota
	callerToAgent
	agentToCaller
	mixKinds
)

// probeWindow is how long after a peer's probe started a probe frame heard
// is attributed to it (the group's probes are 340 ms apart).
const probeWindow = 300 * time.Millisecond

// mergedProbeRatio is the share of a mixed frame's energy at probeFreq
// that counts as a probe: a probe mixed with one tone of the same
// amplitude gives about 0.5, a tone alone about 0.
const mergedProbeRatio = 0.25

// mergedToneRatio is the share each expected tone must have in a 200 ms
// window of a mix of two parties (about 0.5 each when both are heard).
const mergedToneRatio = 0.2

// group is one agent's pair of calls, merged once both are accepted.
type group struct {
	a *agent

	mu       sync.Mutex // guards calls, accepted
	calls    [2]*call
	accepted int

	merged   atomic.Bool
	ended    atomic.Bool
	mergeErr atomic.Pointer[error]
	mergeRPC time.Duration // call.merge round trip; written before merged is set

	agentRx mixRx // what the agent hears: both callers
}

// join binds c to a's current group (a new one if that has two calls) and
// sets c's probe offset 17 or 34 frames after the agent's.
func (a *agent) join(c *call) *group {
	a.gmu.Lock()
	defer a.gmu.Unlock()
	g := a.grp.Load()
	if g == nil || g.full() {
		g = &group{a: a}
		a.grp.Store(g)
	}
	g.mu.Lock()
	slot := 0
	if g.calls[0] != nil {
		slot = 1
	}
	g.calls[slot] = c
	g.mu.Unlock()
	off := (int(a.src.offset.Load()) + 17*(slot+1)) % probeEvery
	c.src.offset.Store(int32(off))
	c.grp.Store(g)
	return g
}

func (g *group) full() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls[1] != nil
}

// onAccepted counts an accepted call of g; the second one merges the pair.
func (g *group) onAccepted() {
	g.mu.Lock()
	g.accepted++
	both := g.accepted == 2
	c0, c1 := g.calls[0], g.calls[1]
	g.mu.Unlock()
	if !both {
		return
	}
	id0, id1 := c0.gwID.Load(), c1.gwID.Load()
	if id0 == nil || id1 == nil {
		return
	}
	r := g.a.run
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := g.a.rpc.Call(ctx, "call.merge", map[string]any{"calls": []string{*id0, *id1}}, nil); err != nil {
		g.mergeErr.Store(&err)
		return
	}
	g.mergeRPC = time.Since(start)
	a := g.a
	g.agentRx.bind(mixPeer{c0.src, callerToAgent, c0.src.freq}, mixPeer{c1.src, callerToAgent, c1.src.freq})
	c0.mix.bind(mixPeer{a.src, agentToCaller, a.src.freq}, mixPeer{c1.src, callerToCaller, c1.src.freq})
	c1.mix.bind(mixPeer{a.src, agentToCaller, a.src.freq}, mixPeer{c0.src, callerToCaller, c0.src.freq})
	if g.ended.Load() {
		return
	}
	g.merged.Store(true)
	r.merged.Add(2)
}

// end stops the group's measurement when its first call ends (the other
// caller then hears the agent alone). Idempotent.
func (g *group) end() {
	if g.ended.Swap(true) {
		return
	}
	if g.merged.Load() {
		g.a.run.merged.Add(-2)
	}
	g.agentRx.close()
	g.mu.Lock()
	cs := g.calls
	g.mu.Unlock()
	for _, c := range cs {
		if c != nil {
			c.mix.close()
		}
	}
}

// mixPeer is one party heard in a mix.
type mixPeer struct {
	src  *source
	kind int // callerToCaller, callerToAgent or agentToCaller
	freq float64
}

// mixRx analyses what one party hears once its calls are merged: two
// peers' tones (each must be heard), their probes, loss and jitter.
type mixRx struct {
	mu      sync.Mutex // guards following
	peers   []mixPeer
	closed  bool
	seq     rx // sequence and jitter counting only (its mu is unused)
	frames  int
	verify  verifier
	inProbe bool
	latency [mixKinds][]time.Duration
}

func (m *mixRx) bind(peers ...mixPeer) {
	m.mu.Lock()
	m.peers = peers
	m.mu.Unlock()
}

func (m *mixRx) close() {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
}

// onPacket takes one packet's decoded audio (decoded) heard in the mix:
// both peers' tones, whose probe it carries, sequence and jitter.
func (m *mixRx) onPacket(frame []int16, seq uint16, ts uint32, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || len(m.peers) == 0 {
		return
	}
	m.frames++
	m.seq.countSeq(seq)
	m.seq.countJitter(ts, at)
	if w := m.verify.add(frame, m.frames); w != nil {
		ok := tone.RMS(w) >= tone.SilenceRMS
		for _, p := range m.peers {
			ok = ok && tone.Ratio(w, p.freq) > mergedToneRatio
		}
		m.verify.result(ok)
	}
	e := tone.Energy(frame)
	isProbe := math.Sqrt(e) >= tone.SilenceRMS && tone.Goertzel(frame, probeFreq, media.SampleRate)/e >= mergedProbeRatio
	if isProbe && !m.inProbe {
		// Attribute the probe to the one peer that started one within
		// probeWindow; none or two (never, by the offsets): no sample.
		var who *mixPeer
		var d time.Duration
		n := 0
		for i := range m.peers {
			sent := m.peers[i].src.probeSentAt.Load()
			if sent == 0 {
				continue
			}
			if dd := at.Sub(time.Unix(0, sent)); dd >= 0 && dd < probeWindow {
				who, d = &m.peers[i], dd
				n++
			}
		}
		if n == 1 {
			m.latency[who.kind] = append(m.latency[who.kind], d)
		}
	}
	m.inProbe = isProbe
}

// mixResult is a snapshot of a mixRx.
type mixResult struct {
	Bound    bool
	Verified bool
	Packets  int
	Lost     int
	Resyncs  int
	JitterMs float64
	Latency  [mixKinds][]time.Duration
}

// finish closes the receiver and returns what it saw.
func (m *mixRx) finish() mixResult {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return mixResult{
		Bound: len(m.peers) > 0, Verified: m.verify.ok, Packets: m.seq.packets, Lost: m.seq.lost, Resyncs: m.seq.resyncs,
		JitterMs: m.seq.jitter / media.SampleRate * 1000, Latency: m.latency,
	}
}

// MixLatency is the probe delay of one direction pair on the mixing path.
type MixLatency struct {
	LatencyMs Percentiles `json:"latency_ms"`
	// AddedLatencyMs is LatencyMs minus the loopback baseline, clamped at 0.
	AddedLatencyMs Percentiles `json:"added_latency_ms"`
	// Over25MsPercent is the share of probes delayed more than 25 ms (the
	// issue 8 target for the mixing path's added latency p99).
	Over25MsPercent float64 `json:"over_25ms_percent"`
}

// MixingFigures describe merged calls (Config.Merge).
type MixingFigures struct {
	Groups   int `json:"groups"`   // agents that got two calls
	Merged   int `json:"merged"`   // groups whose call.merge succeeded
	Verified int `json:"verified"` // parties that heard both other parties' tones
	Parties  int `json:"parties"`  // parties of merged groups (3 per group)
	// MergeRPCMs is the call.merge round trip.
	MergeRPCMs     Percentiles `json:"merge_rpc_ms"`
	CallerToCaller MixLatency  `json:"caller_to_caller"`
	CallerToAgent  MixLatency  `json:"caller_to_agent"`
	AgentToCaller  MixLatency  `json:"agent_to_caller"`
	// ToCaller and ToAgent are loss and jitter of what callers and
	// agents hear while merged (their latency fields are unused).
	ToCaller Direction `json:"to_caller"`
	ToAgent  Direction `json:"to_agent"`
}

// mixAcc accumulates MixingFigures.
type mixAcc struct {
	f        MixingFigures
	rpc      []float64
	lat      [mixKinds][]float64
	toCaller dirAcc
	toAgent  dirAcc
}

func (m *mixAcc) add(r mixResult, agent bool) {
	if !r.Bound {
		return
	}
	m.f.Parties++
	if r.Verified {
		m.f.Verified++
	}
	for k := range mixKinds {
		for _, d := range r.Latency[k] {
			m.lat[k] = append(m.lat[k], ms(d))
		}
	}
	acc := &m.toCaller
	if agent {
		acc = &m.toAgent
	}
	acc.add(rxResult{Packets: r.Packets, Lost: r.Lost, Resyncs: r.Resyncs, JitterMs: r.JitterMs})
}

func (m *mixAcc) result(base Percentiles) *MixingFigures {
	f := m.f
	f.MergeRPCMs = percentiles(m.rpc)
	lat := func(v []float64) MixLatency {
		l := MixLatency{LatencyMs: percentiles(v)}
		over := 0
		for _, x := range v {
			if x > 25 {
				over++
			}
		}
		if len(v) > 0 {
			l.Over25MsPercent = round(100 * float64(over) / float64(len(v)))
		}
		if l.LatencyMs.N > 0 {
			l.AddedLatencyMs = Percentiles{N: l.LatencyMs.N, P50: round(max(0, l.LatencyMs.P50-base.P50)),
				P99: round(max(0, l.LatencyMs.P99-base.P99)), Max: round(max(0, l.LatencyMs.Max-base.Max))}
		}
		return l
	}
	f.CallerToCaller = lat(m.lat[callerToCaller])
	f.CallerToAgent = lat(m.lat[callerToAgent])
	f.AgentToCaller = lat(m.lat[agentToCaller])
	f.ToCaller = m.toCaller.result(base)
	f.ToAgent = m.toAgent.result(base)
	return &f
}
