package rtpleg

import (
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/rtpleg/rtplegtest"
	"switchboard/media/tone"
)

// TestLoopbackTone sends a 1 kHz tone both ways between two legs, as PCMU and
// as PCMA, and detects it in the decoded audio on each side.
func TestLoopbackTone(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fmts  string
		codec media.Codec
		feed  media.Codec // codec the player writes (transcoded if different)
	}{
		{"PCMU", "0 101", media.PCMU, media.PCMU},
		{"PCMA", "8 101", media.PCMA, media.PCMA},
		{"PCMA fed PCMU", "8", media.PCMA, media.PCMU},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool := newTestPool(t, 0)
			a, b := openLeg(t, pool), openLeg(t, pool)
			connect(t, a, b, tc.fmts)
			if a.Codec() != tc.codec || b.Codec() != tc.codec {
				t.Fatalf("codecs = %v/%v, want %v", a.Codec(), b.Codec(), tc.codec)
			}
			var ra, rb recorder
			a.Start(&ra)
			b.Start(&rb)
			playTone(t, a, tc.feed, 1000)
			playTone(t, b, tc.feed, 1000)
			for _, r := range []*recorder{&ra, &rb} {
				waitFor(t, "1 kHz tone", 5*time.Second, func() bool {
					return tone.Ratio(r.last(1600), 1000) > 0.9
				})
				r.mu.Lock()
				if n := r.codecs[tc.codec]; n == 0 || len(r.codecs) != 1 {
					t.Errorf("received codecs %v, want only %v", r.codecs, tc.codec)
				}
				r.mu.Unlock()
			}
			if s := a.Stats(); s.PacketsOut == 0 || s.PacketsIn == 0 || s.Dropped != 0 {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

// TestEcho uses the leg as its own sink, as the gateway's echo number does:
// an independent phone hears its own tone back, as PCMU and as PCMA.
func TestEcho(t *testing.T) {
	for _, codec := range []media.Codec{media.PCMU, media.PCMA} {
		t.Run(codec.String(), func(t *testing.T) {
			l := openLeg(t, newTestPool(t, 0))
			ph := rtplegtest.NewPhone(t, codec)
			negotiate(t, l, ph)
			l.Start(l)
			ph.PlayTone(1000)
			if !ph.WaitHeard(1000, 5*time.Second) {
				t.Fatalf("phone does not hear its 1 kHz tone: %v", ph.Classify(1000, 200*time.Millisecond))
			}
			ph.PlayTone(600)
			if !ph.WaitHeard(600, 5*time.Second) {
				t.Fatalf("phone does not hear its 600 Hz tone: %v", ph.Classify(600, 200*time.Millisecond))
			}
		})
	}
}
