package loadgen

import (
	"bytes"
	"fmt"
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
	// loop is the index of the generator's media loop the source's socket
	// is on: its frames are sent on that loop's clock (pacer.go).
	loop  int
	write func(payload []byte, marker bool) error

	// Set by pacer.add: the encoded 20 ms frames of the tone and of the
	// probe (every tone is a multiple of 50 Hz: each frame is the same),
	// and the source's place in its wheel (guarded by the wheel's mu).
	toneFrame, probeFrame []byte
	wheel                 *wheel
	slot, idx             int

	probeSentAt atomic.Int64 // UnixNano of the last probe's first frame
	lastSentAt  atomic.Int64 // UnixNano just before the last frame's write
	sent        atomic.Int64 // frames written without error
}

// frame sends the 20 ms frame of pacer tick tick (frame intervals since
// the pacer's epoch): the probe or the tone, encoded once.
func (s *source) frame(tick int) {
	payload := s.toneFrame
	now := time.Now().UnixNano()
	if k := (tick + int(s.offset.Load())) % probeEvery; k < probeFrames {
		payload = s.probeFrame
		if k == 0 {
			s.probeSentAt.Store(now)
		}
	}
	s.lastSentAt.Store(now)
	if s.write(payload, false) == nil {
		s.sent.Add(1)
	}
}

// toneFrames caches encodedTone.
var toneFrames struct {
	sync.Mutex
	m map[toneKey][]byte
}

type toneKey struct {
	codec media.Codec
	freq  float64
}

// encodedTone returns one 20 ms frame of a sine of freq Hz encoded in
// codec (shared, read-only). freq must be a multiple of 50 Hz: a whole
// number of periods per frame, so that the frame repeated is the
// continuous tone.
func encodedTone(codec media.Codec, freq float64) []byte {
	if math.Mod(freq, 50) != 0 {
		panic(fmt.Sprintf("loadgen: tone of %g Hz is not a multiple of 50 Hz", freq))
	}
	toneFrames.Lock()
	defer toneFrames.Unlock()
	k := toneKey{codec, freq}
	if f, ok := toneFrames.m[k]; ok {
		return f
	}
	var pcm [media.FrameSamples]int16
	sine := tone.Sine{Freq: freq}
	sine.Fill(pcm[:])
	f := bytes.Clone(media.Encode(codec, make([]byte, media.FrameSamples), pcm[:]))
	if toneFrames.m == nil {
		toneFrames.m = map[toneKey][]byte{}
	}
	toneFrames.m[k] = f
	return f
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
	verify    verifier // a 200 ms window classified as the expected tone
	frames    int      // frames since firstHeard

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

// onPacket analyses one received packet's decoded audio (decoded): is it
// the expected tone, the peer's probe; its sequence number and timing.
func (r *rx) onPacket(frame []int16, seq uint16, ts uint32, at time.Time) {
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
	if w := r.verify.add(frame, r.frames); w != nil {
		r.verify.result(tone.Classify(w, r.expect) == tone.VerdictTone)
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

// decoded decodes payload into pcm (scratch of ≥ 1500 samples): nil for
// an unknown codec or no payload.
func decoded(codec media.Codec, payload []byte, pcm []int16) []int16 {
	if codec == media.CodecUnknown || len(payload) == 0 {
		return nil
	}
	return media.Decode(codec, pcm[:min(len(payload), len(pcm))], payload)
}

// verifier keeps a receiver's decoded audio until a check of its last
// verifyWindow samples passes (then the receiver is verified and keeps
// nothing).
type verifier struct {
	ok    bool
	heard []int16
}

// add appends frame, the receiver's frames-th; every 5th frame once a
// window is in (and until verified) it returns the last window, to check
// and pass the verdict to result; otherwise nil.
func (v *verifier) add(frame []int16, frames int) []int16 {
	if v.ok {
		return nil
	}
	v.heard = append(v.heard, frame...)
	if len(v.heard) < verifyWindow || frames%5 != 0 {
		return nil
	}
	return v.heard[len(v.heard)-verifyWindow:]
}

// result takes the verdict on the window add returned: verified, or the
// audio kept trimmed to that window once it exceeds four.
func (v *verifier) result(ok bool) {
	switch {
	case ok:
		v.ok, v.heard = true, nil
	case len(v.heard) > 4*verifyWindow:
		v.heard = append(v.heard[:0], v.heard[len(v.heard)-verifyWindow:]...)
	}
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
		FirstHeard: r.firstHeard, FirstSent: r.firstSent, AcceptAt: r.acceptAt, AcceptOK: r.acceptOK, Verified: r.verify.ok,
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
