package media

import (
	"math"
	"sync"
)

// Source produces 8 kHz linear PCM, one frame at a time.
//
// ReadFrame fills dst (FrameSamples long) and reports whether it did; false
// means the source has ended (a one-shot clip) and dst is unspecified. A
// Source is used by one goroutine at a time.
type Source interface {
	ReadFrame(dst []int16) (ok bool)
}

// encodedSource is implemented by sources whose audio is encoded once and
// shared (music on hold, ringback, silence): a player copies their bytes
// instead of encoding per listener.
type encodedSource interface {
	Source
	// readEncoded copies the next frame, encoded as c, into dst
	// (FrameSamples long) and reports whether there was one.
	readEncoded(c Codec, dst []byte) bool
}

// Tone plans used by the gateway. Ringback follows ETSI (425 Hz, 1 s on,
// 4 s off), the one most European carriers play. The call-waiting beep the
// agent hears is two 440 Hz beeps of 200 ms, 200 ms apart, every 4 s, at a
// low level so it sits under the conversation.
const (
	RingbackFreq    = 425 // Hz
	CallWaitingFreq = 440 // Hz
)

// loop is audio shared by many listeners: PCM and its encodings, made once.
// Its length is a whole number of frames, so frames never straddle the end.
type loop struct {
	pcm []int16
	enc [3][]byte // indexed by Codec
}

func newLoop(pcm []int16) *loop {
	if r := len(pcm) % FrameSamples; r != 0 || len(pcm) == 0 {
		pcm = append(pcm[:len(pcm):len(pcm)], make([]int16, FrameSamples-r)...)
	}
	l := &loop{pcm: pcm}
	for _, c := range []Codec{PCMU, PCMA} {
		l.enc[c] = Encode(c, make([]byte, len(pcm)), pcm)
	}
	return l
}

func (l *loop) frames() int { return len(l.pcm) / FrameSamples }

// cursor plays a loop from its start, forever (or once, if oneShot).
type cursor struct {
	l       *loop
	off     int
	oneShot bool
}

func (c *cursor) advance() (int, bool) {
	if c.off >= len(c.l.pcm) {
		if c.oneShot {
			return 0, false
		}
		c.off = 0
	}
	o := c.off
	c.off += FrameSamples
	return o, true
}

// ReadFrame implements Source.
func (c *cursor) ReadFrame(dst []int16) bool {
	o, ok := c.advance()
	if ok {
		copy(dst[:FrameSamples], c.l.pcm[o:])
	}
	return ok
}

func (c *cursor) readEncoded(codec Codec, dst []byte) bool {
	o, ok := c.advance()
	if ok {
		if codec != PCMA {
			codec = PCMU
		}
		copy(dst[:FrameSamples], c.l.enc[codec][o:])
	}
	return ok
}

// toneLoop builds a cadence: bursts of on seconds of a sine at freq (peak
// amp), each followed by off seconds of silence, repeated to total.
func toneLoop(freq, amp float64, pattern ...float64) *loop {
	var n int
	for _, d := range pattern {
		n += int(d * SampleRate)
	}
	pcm := make([]int16, n)
	pos := 0
	for i, d := range pattern {
		m := int(d * SampleRate)
		if i%2 == 0 {
			ramp := 40 // 5 ms fades, no clicks
			for j := range m {
				g := 1.0
				if j < ramp {
					g = float64(j) / float64(ramp)
				} else if m-j < ramp {
					g = float64(m-j) / float64(ramp)
				}
				pcm[pos+j] = int16(g * amp * math.Sin(2*math.Pi*freq*float64(j)/SampleRate))
			}
		}
		pos += m
	}
	return newLoop(pcm)
}

var (
	ringbackLoop    = sync.OnceValue(func() *loop { return toneLoop(RingbackFreq, 8000, 1, 4) })
	callWaitingLoop = sync.OnceValue(func() *loop { return toneLoop(CallWaitingFreq, 3000, 0.2, 0.2, 0.2, 3.4) })
	silenceLoop     = sync.OnceValue(func() *loop { return newLoop(make([]int16, FrameSamples)) })
)

// Ringback returns a new endless ringback Source (425 Hz, 1 s on, 4 s off),
// starting with a ring. Its audio is encoded once and shared.
func Ringback() Source { return &cursor{l: ringbackLoop()} }

// CallWaiting returns a new endless call-waiting Source for the agent's ear
// (two short 440 Hz beeps every 4 s, low level), starting with a beep.
func CallWaiting() Source { return &cursor{l: callWaitingLoop()} }

// Silence returns an endless Source of silence.
func Silence() Source { return &cursor{l: silenceLoop()} }

// Clip is a one-shot recording (a prompt, an announcement) encoded once per
// codec; many Playbacks may play it at the same time.
type Clip struct{ l *loop }

// NewClip prepares 8 kHz PCM (see LoadWAV) for playing; pcm is padded with
// silence to a whole frame and must not be modified afterwards.
func NewClip(pcm []int16) *Clip { return &Clip{l: newLoop(pcm)} }

// Frames returns the clip's length in 20 ms frames.
func (c *Clip) Frames() int { return c.l.frames() }

// Source returns a new one-shot Source over the clip, from its start.
func (c *Clip) Source() Source { return &cursor{l: c.l, oneShot: true} }

var _ encodedSource = (*cursor)(nil)
