package loadgen

import (
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/tone"
)

// mixFrame encodes 20 ms of the sum of sines at freqs as PCMU.
func mixFrame(freqs ...float64) []byte {
	var sum [media.FrameSamples]int32
	for _, f := range freqs {
		var pcm [media.FrameSamples]int16
		s := tone.Sine{Freq: f}
		s.Fill(pcm[:])
		for i, v := range pcm {
			sum[i] += int32(v)
		}
	}
	var pcm [media.FrameSamples]int16
	for i, v := range sum {
		pcm[i] = int16(max(-32768, min(32767, v)))
	}
	return media.Encode(media.PCMU, make([]byte, media.FrameSamples), pcm[:])
}

func TestMixRxVerifiesBothTonesAndAttributesProbes(t *testing.T) {
	now := time.Now()
	agentSrc, otherCaller := &source{freq: 1000}, &source{freq: 1450}
	var m mixRx
	m.bind(mixPeer{agentSrc, agentToCaller, 1000}, mixPeer{otherCaller, callerToCaller, 1450})
	var pcm [1500]int16
	seq := uint16(1)
	feed := func(at time.Time, freqs ...float64) {
		m.onPacket(decoded(media.PCMU, mixFrame(freqs...), pcm[:]), seq, uint32(seq)*media.FrameSamples, at)
		seq++
	}
	// 200 ms of both tones: verified.
	for i := range 10 {
		feed(now.Add(time.Duration(i)*media.FrameDuration), 1000, 1450)
	}
	// The other caller probes (sent 12 ms before it is heard), mixed with
	// the agent's tone: a caller→caller sample of 12 ms.
	at := now.Add(10 * media.FrameDuration)
	otherCaller.probeSentAt.Store(at.Add(-12 * time.Millisecond).UnixNano())
	feed(at, 1000, probeFreq)
	feed(at.Add(media.FrameDuration), 1000, probeFreq) // second probe frame: no new sample
	feed(at.Add(2*media.FrameDuration), 1000, 1450)
	// The agent probes 340 ms later (the other caller's probe is older
	// than probeWindow): an agent→caller sample of 25 ms.
	at2 := at.Add(340 * time.Millisecond)
	agentSrc.probeSentAt.Store(at2.Add(-25 * time.Millisecond).UnixNano())
	feed(at2, probeFreq, 1450)
	feed(at2.Add(media.FrameDuration), 1000, 1450)
	// Two peers probing within the window: ambiguous, no sample.
	at3 := at2.Add(100 * time.Millisecond)
	otherCaller.probeSentAt.Store(at3.Add(-5 * time.Millisecond).UnixNano())
	feed(at3, probeFreq, 1450)

	r := m.finish()
	if !r.Verified {
		t.Fatal("mix of both tones not verified")
	}
	if got := r.Latency[callerToCaller]; len(got) != 1 || got[0] != 12*time.Millisecond {
		t.Fatalf("caller→caller samples %v, want [12ms]", got)
	}
	if got := r.Latency[agentToCaller]; len(got) != 1 || got[0] != 25*time.Millisecond {
		t.Fatalf("agent→caller samples %v, want [25ms]", got)
	}
	if r.Packets != int(seq-1) || r.Lost != 0 {
		t.Fatalf("packets %d lost %d, want %d, 0", r.Packets, r.Lost, seq-1)
	}
}

func TestMixRxNotVerifiedOnOneTone(t *testing.T) {
	now := time.Now()
	var m mixRx
	m.bind(mixPeer{&source{freq: 1000}, agentToCaller, 1000}, mixPeer{&source{freq: 1450}, callerToCaller, 1450})
	var pcm [1500]int16
	for i := range 50 {
		m.onPacket(decoded(media.PCMU, mixFrame(1000), pcm[:]), uint16(i), uint32(i)*media.FrameSamples, now.Add(time.Duration(i)*media.FrameDuration))
	}
	if m.finish().Verified {
		t.Fatal("verified with only the agent's tone (the other caller unheard)")
	}
}
