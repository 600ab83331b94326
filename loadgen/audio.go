package loadgen

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/media"
	"switchboard/media/tone"
)

// Probe timing: every probeEvery frames a source sends probeFrames frames
// of probeFreq instead of its tone.
const (
	probeFreq   = 3000.0
	probeEvery  = 50 // 1 s
	probeFrames = 2
	// verifyWindow is the audio window tone.Classify judges (200 ms).
	verifyWindow = 200 * media.SampleRate / 1000
	// resyncGap is the sequence jump treated as a new stream, not loss.
	resyncGap = 500
)

// source is one party's outgoing audio: its tone, probes, and a writer.
type source struct {
	freq float64
	// offset is the pacer tick (mod probeEvery) of this source's probes,
	// which spreads them out; merged groups set it so that the three
	// parties of a group never probe within 300 ms of each other.
	offset atomic.Int32
	// phase is this source's send slot within the 20 ms frame interval
	// when the pacer has phases > 1; set before the source is added.
	phase int
	write func(payload []byte, marker bool) error

	sine  tone.Sine
	probe tone.Sine

	probeSentAt atomic.Int64 // UnixNano of the last probe's first frame
	lastSentAt  atomic.Int64 // UnixNano just before the last frame's write
	sent        atomic.Int64 // frames written without error
}

// frame builds and sends the next 20 ms frame at pacer tick tick. pcm and
// enc are scratch.
func (s *source) frame(tick int, codec media.Codec, pcm []int16, enc []byte) {
	k := (tick + int(s.offset.Load())) % probeEvery
	if k < probeFrames {
		if s.probe.Freq == 0 {
			s.probe = tone.Sine{Freq: probeFreq}
		}
		s.probe.Fill(pcm)
		if k == 0 {
			s.probeSentAt.Store(time.Now().UnixNano())
		}
	} else {
		if s.sine.Freq != s.freq {
			s.sine = tone.Sine{Freq: s.freq}
		}
		s.sine.Fill(pcm)
	}
	payload := media.Encode(codec, enc, pcm)
	s.lastSentAt.Store(time.Now().UnixNano())
	if s.write(payload, false) == nil {
		s.sent.Add(1)
	}
}

// rx analyses one direction of one call. Fields are guarded by mu.
type rx struct {
	mu sync.Mutex // guards following

	expect   float64   // frequency the receiver must hear; 0 before the call is bound
	peer     *source   // the far end's source (probe send times)
	acceptAt time.Time // when the agent accepted (zero before)
	acceptOK time.Time // when the accept's result arrived (zero before)
	closed   bool      // the call ended: ignore further packets

	firstHeard time.Time // first 20 ms frame dominated by expect
	// firstSent is when the peer wrote the frame first heard (its latest
	// frame then: transit is far below the 20 ms frame interval).
	firstSent time.Time
	verified  bool    // a 200 ms window classified as the expected tone
	heard     []int16 // recent decoded audio, for tone.Classify
	frames    int     // frames since firstHeard

	seqStarted  bool
	lastSeq     uint16
	packets     int // packets counted for loss (after firstHeard)
	lost        int
	resyncs     int
	haveTransit bool
	lastTransit float64 // arrival minus RTP timestamp, in samples
	jitter      float64 // RFC 3550 §6.4.1 interarrival jitter, samples

	inProbe bool
	latency []time.Duration // probe one-way delays
}

// bind sets what the receiver must hear and whose probes it measures.
func (r *rx) bind(freq float64, peer *source) {
	r.mu.Lock()
	r.expect, r.peer = freq, peer
	r.mu.Unlock()
}

// onPacket analyses one received packet. pcm is scratch of ≥ 1500 samples.
func (r *rx) onPacket(codec media.Codec, payload []byte, seq uint16, ts uint32, at time.Time, pcm []int16) {
	if codec == media.CodecUnknown || len(payload) == 0 {
		return
	}
	frame := media.Decode(codec, pcm[:min(len(payload), len(pcm))], payload)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.expect == 0 {
		return
	}
	e := tone.Energy(frame)
	audible := math.Sqrt(e) >= tone.SilenceRMS
	isTone := audible && tone.Goertzel(frame, r.expect, media.SampleRate)/e >= 0.5
	isProbe := audible && tone.Goertzel(frame, probeFreq, media.SampleRate)/e >= 0.4
	if r.firstHeard.IsZero() {
		// The bridge is heard with the peer's first frame: its tone, or
		// one of its probe frames while it is sending them (2 of every 50
		// frames; not counting them added 20-40 ms to 4 % of the calls).
		if r.acceptAt.IsZero() || !(isTone || isProbe && r.peerProbing(at)) {
			return // music on hold, ring tone, or silence before the bridge
		}
		r.firstHeard = at
		if r.peer != nil {
			if sent := r.peer.lastSentAt.Load(); sent != 0 {
				r.firstSent = time.Unix(0, sent)
			}
		}
	}
	r.frames++
	if !r.verified {
		r.heard = append(r.heard, frame...)
		if len(r.heard) >= verifyWindow && r.frames%5 == 0 {
			w := r.heard[len(r.heard)-verifyWindow:]
			if tone.Classify(w, r.expect) == tone.VerdictTone {
				r.verified, r.heard = true, nil
			} else if len(r.heard) > 4*verifyWindow {
				r.heard = append(r.heard[:0], w...)
			}
		}
	}
	r.countSeq(seq)
	r.countJitter(ts, at)
	if isProbe && !r.inProbe && r.peer != nil {
		if sent := r.peer.probeSentAt.Load(); sent != 0 {
			if d := at.Sub(time.Unix(0, sent)); d >= 0 && d < 500*time.Millisecond {
				r.latency = append(r.latency, d)
			}
		}
	}
	r.inProbe = isProbe
}

// peerProbing reports whether the peer started a probe less than
// probeFrames+1 frame intervals before at.
func (r *rx) peerProbing(at time.Time) bool {
	if r.peer == nil {
		return false
	}
	sent := r.peer.probeSentAt.Load()
	d := at.Sub(time.Unix(0, sent))
	return sent != 0 && d >= 0 && d < (probeFrames+1)*media.FrameDuration
}

// countSeq counts RTP sequence gaps (losses) and late packets that fill them.
func (r *rx) countSeq(seq uint16) {
	r.packets++
	if !r.seqStarted {
		r.seqStarted, r.lastSeq = true, seq
		return
	}
	d := seq - r.lastSeq
	switch {
	case d == 0: // duplicate
		r.packets--
	case d < resyncGap:
		r.lost += int(d) - 1
		r.lastSeq = seq
	case d > 0xffff-resyncGap: // late packet
		if r.lost > 0 {
			r.lost--
		}
	default:
		r.resyncs++
		r.lastSeq = seq
		r.haveTransit = false
	}
}

// countJitter updates the RFC 3550 interarrival jitter estimate.
func (r *rx) countJitter(ts uint32, at time.Time) {
	arrival := float64(at.UnixNano()) * media.SampleRate / 1e9
	transit := arrival - float64(ts)
	if r.haveTransit {
		d := math.Abs(transit - r.lastTransit)
		if d < media.SampleRate { // ignore timestamp jumps
			r.jitter += (d - r.jitter) / 16
		}
	}
	r.haveTransit, r.lastTransit = true, transit
}

// rxResult is a snapshot of an rx at the end of a call.
type rxResult struct {
	FirstHeard time.Time
	FirstSent  time.Time // when the peer sent the frame first heard
	AcceptAt   time.Time
	AcceptOK   time.Time // when the accept's result arrived
	Verified   bool
	Packets    int
	Lost       int
	Resyncs    int
	JitterMs   float64
	Latency    []time.Duration
}

// finish stops the receiver and returns what it saw.
func (r *rx) finish() rxResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	return rxResult{
		FirstHeard: r.firstHeard, FirstSent: r.firstSent, AcceptAt: r.acceptAt, AcceptOK: r.acceptOK, Verified: r.verified,
		Packets: r.packets, Lost: r.lost, Resyncs: r.resyncs,
		JitterMs: r.jitter / media.SampleRate * 1000, Latency: r.latency,
	}
}

// heardAt returns when the receiver first heard its tone (zero if not yet).
func (r *rx) heardAt() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.firstHeard
}

// pacer sends a frame from every registered source every 20 ms. With
// phases > 1 the interval is split into that many slots and each source
// sends in the slot of its phase (mod phases), so that sources are not all
// phase-locked to a receiver's own 20 ms clock (the gateway's mixer).
//
// With independent set (ShapeIndependent, shape.go) every source sends
// from its own goroutine on its own timer instead.
type pacer struct {
	codec       media.Codec
	phases      int        // 0 or 1: every source sends on the same tick
	independent bool       // every source on its own timer (shape.go)
	mu          sync.Mutex // guards following
	srcs        map[*source]struct{}
	loops       map[*source]*sendLoop // independent: each source's sender
	epoch       time.Time             // independent: tick 0
}

func (p *pacer) add(s *source) {
	if p.independent {
		p.addLoop(s)
		return
	}
	p.mu.Lock()
	if p.srcs == nil {
		p.srcs = map[*source]struct{}{}
	}
	p.srcs[s] = struct{}{}
	p.mu.Unlock()
}

func (p *pacer) remove(s *source) {
	if p.independent {
		p.removeLoop(s)
		return
	}
	p.mu.Lock()
	delete(p.srcs, s)
	p.mu.Unlock()
}

// run paces until done is closed.
func (p *pacer) run(done <-chan struct{}) {
	if p.independent {
		<-done
		p.stopLoops()
		return
	}
	phases := max(1, p.phases)
	tick := time.NewTicker(media.FrameDuration / time.Duration(phases))
	defer tick.Stop()
	var (
		pcm  [media.FrameSamples]int16
		enc  [media.FrameSamples]byte
		list []*source
		n    int // ticks so far
	)
	for {
		select {
		case <-tick.C:
		case <-done:
			return
		}
		list = list[:0]
		ph := n % phases
		p.mu.Lock()
		for s := range p.srcs {
			if s.phase%phases == ph {
				list = append(list, s)
			}
		}
		p.mu.Unlock()
		for _, s := range list {
			s.frame(n/phases, p.codec, pcm[:], enc[:])
		}
		n++
	}
}
