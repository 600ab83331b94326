package loadgen

import (
	"testing"
	"time"

	"switchboard/media"
)

func TestRxBridgeHeardOnToneOrPeerProbe(t *testing.T) {
	now := time.Now()
	cases := []struct {
		name     string
		freq     float64
		probeAgo time.Duration // peer's probe start before the frame; < 0: none
		accepted bool
		want     bool
	}{
		{"peer tone after accept", 1000, -1, true, true},
		{"peer tone before accept", 1000, -1, false, false},
		{"other tone (music on hold)", 1300, -1, true, false},
		{"peer probe while it probes", probeFreq, 25 * time.Millisecond, true, true},
		{"3 kHz while the peer is not probing", probeFreq, 200 * time.Millisecond, true, false},
		{"3 kHz, peer never probed", probeFreq, -1, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			peer := &source{freq: 1000}
			if tc.probeAgo >= 0 {
				peer.probeSentAt.Store(now.Add(-tc.probeAgo).UnixNano())
			}
			peer.lastSentAt.Store(now.Add(-time.Millisecond).UnixNano())
			var r rx
			r.bind(1000, peer)
			if tc.accepted {
				r.acceptAt = now.Add(-30 * time.Millisecond)
			}
			var pcm [1500]int16
			r.onPacket(decoded(media.PCMU, encodedTone(media.PCMU, tc.freq), pcm[:]), 1, 160, now)
			res := r.finish()
			if got := !res.FirstHeard.IsZero(); got != tc.want {
				t.Fatalf("heard = %v, want %v", got, tc.want)
			}
			if tc.want && res.FirstHeard.Sub(res.FirstSent) != time.Millisecond {
				t.Fatalf("first frame transit = %v, want 1ms", res.FirstHeard.Sub(res.FirstSent))
			}
		})
	}
}
