package lean_test

import (
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/webrtcleg/lean"
	"switchboard/media/webrtcleg/webrtclegtest"
)

// TestSRTCPReports: against a pion browser (default interceptors: sender and
// receiver reports), the lean leg sends its SRTCP reports every interval,
// takes the browser's, and measures the browser's stream: packets, no loss,
// the round trip from the browser's report blocks, a high MOS.
func TestSRTCPReports(t *testing.T) {
	e := engine(newEngine(t, lean.Config{RTCPInterval: 200 * time.Millisecond}))
	b, leg, _ := webrtclegtest.Connect(t, e, webrtclegtest.Options{})
	l := leg.(*lean.Leg)
	b.SendTone(1000)
	webrtclegtest.StartTone(t, l, media.PCMU, 700)
	defer func() { t.Logf("stats %+v quality %+v", l.Stats(), l.Quality()) }()
	webrtclegtest.WaitFor(t, "SRTCP both ways and an RTT", 10*time.Second, func() bool {
		s := l.Stats()
		return s.RTCPSent >= 2 && s.RTCPReceived >= 1 && l.Quality().RTTMS != nil
	})
	q := l.Quality()
	if q.Packets < 20 || q.Lost > 1 || *q.RTTMS > 100 || q.MOS < 4.2 {
		t.Errorf("Quality() = %+v (rtt %.2f ms), want packets, no loss, a short RTT and MOS >= 4.2", q, *q.RTTMS)
	}
}
