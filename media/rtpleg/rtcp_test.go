package rtpleg

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtcp"

	"switchboard/media"
	"switchboard/media/rtpleg/rtplegtest"
)

func rtcpPool(t testing.TB) *Pool {
	t.Helper()
	p, err := NewPool(Config{IP: loopback, PortMin: 31000, PortMax: 31999, RTCPInterval: 100 * time.Millisecond, Logger: testLogger(t), Loop: testLoop(t)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// talk starts the legs and plays 700 Hz into each until the test ends.
func talk(t testing.TB, legs ...*Leg) {
	for _, l := range legs {
		l.Start(nil)
	}
	for _, l := range legs {
		playTone(t, l, media.PCMU, 700)
	}
}

// TestRTCPMux: two legs negotiate rtcp-mux (our offers carry it), exchange
// SR every interval on the RTP ports, and each learns the round trip time
// from the other's report blocks; no loss, low jitter, a high MOS.
func TestRTCPMux(t *testing.T) {
	pool := rtcpPool(t)
	a, b := openLeg(t, pool), openLeg(t, pool)
	offer := a.Offer()
	if !strings.Contains(string(offer), "a=rtcp-mux\r\n") {
		t.Fatalf("offer without a=rtcp-mux:\n%s", offer)
	}
	ans, err := b.Answer(offer)
	if err != nil || !strings.Contains(string(ans), "a=rtcp-mux\r\n") {
		t.Fatalf("answer %v without a=rtcp-mux:\n%s", err, ans)
	}
	if err := a.SetAnswer(ans); err != nil {
		t.Fatal(err)
	}
	talk(t, a, b)
	for _, l := range []*Leg{a, b} {
		// Ten packets as well: on a loaded machine two reports can come
		// before the tone's tenth packet.
		waitFor(t, "RTT from RTCP and ten packets", 15*time.Second, func() bool {
			q := l.Quality()
			return q.RTTMS != nil && l.Stats().RTCPIn >= 2 && q.Packets >= 10
		})
		q := l.Quality()
		if q.Packets < 10 || q.Lost != 0 || *q.RTTMS > 50 || q.MOS < 4.2 {
			t.Errorf("Quality() = %+v (rtt %v), want packets, no loss, rtt < 50 ms, MOS >= 4.2", q, *q.RTTMS)
		}
		if s := l.Stats(); s.Dropped != 0 || s.Malformed != 0 {
			t.Errorf("stats %+v: RTCP on the mux port must not count as dropped", s)
		}
	}
}

// TestRTCPPortPlusOne: without rtcp-mux the leg sends its SR from and to
// RTP port + 1 (the port pair the pool allocates), with a report block
// about the peer's stream, and reads the peer's RR there for the RTT.
func TestRTCPPortPlusOne(t *testing.T) {
	l := openLeg(t, rtcpPool(t))
	ph := rtplegtest.NewPhone(t, media.PCMU)
	peerRTCP, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(ph.Addr().Port()) + 1})
	if err != nil {
		t.Skipf("the phone's port + 1 is taken: %v", err)
	}
	defer peerRTCP.Close()
	ans, err := l.Answer(ph.Offer())
	if err != nil || strings.Contains(string(ans), "rtcp-mux") {
		t.Fatalf("answer %v to an offer without rtcp-mux:\n%s", err, ans)
	}
	if err := ph.SetAnswer(ans); err != nil {
		t.Fatal(err)
	}
	l.Start(nil)
	ph.PlayTone(1000)
	pl := playTone(t, l, media.PCMU, 700)
	defer pl.Stop()
	buf := make([]byte, 1500)
	var sr *rtcp.SenderReport
	var from netip.AddrPort
	for sr == nil || len(sr.Reports) == 0 {
		_ = peerRTCP.SetReadDeadline(time.Now().Add(3 * time.Second))
		n, src, err := peerRTCP.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("no RTCP on the phone's port + 1: %v", err)
		}
		from = src
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			t.Fatalf("RTCP from the leg: %v", err)
		}
		sr, _ = pkts[0].(*rtcp.SenderReport)
	}
	if from.Port() != l.LocalAddr().Port()+1 {
		t.Errorf("RTCP from port %d, want RTP port + 1 = %d", from.Port(), l.LocalAddr().Port()+1)
	}
	if sr.Reports[0].SSRC != ph.SSRC() || sr.PacketCount == 0 {
		t.Errorf("SR %+v, want a block about the phone's SSRC %x", sr, ph.SSRC())
	}
	lsr := uint32(sr.NTPTime >> 16)
	rr, _ := rtcp.CompoundPacket{
		&rtcp.ReceiverReport{SSRC: ph.SSRC(), Reports: []rtcp.ReceptionReport{{SSRC: sr.SSRC, LastSenderReport: lsr, Delay: 0}}},
		&rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{Source: ph.SSRC(), Items: []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: "phone"}}}}},
	}.Marshal()
	if _, err := peerRTCP.WriteToUDPAddrPort(rr, from); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the RR taken", 2*time.Second, func() bool { return l.Stats().RTCPIn == 1 })
	if q := l.Quality(); q.RTTMS == nil || *q.RTTMS > 3000 {
		t.Errorf("Quality() = %+v, want an RTT", q)
	}
}

// TestQualityLoss: a phone dropping 5 % of its packets is measured at 5 %
// loss, with a lower MOS than a clean stream.
func TestQualityLoss(t *testing.T) {
	pool := newTestPool(t, 0)
	measure := func(dropEvery int) media.Quality {
		l := openLeg(t, pool)
		ph := rtplegtest.NewPhone(t, media.PCMU)
		ph.DropEvery(dropEvery)
		negotiate(t, l, ph)
		l.Start(nil)
		ph.PlayTone(1000)
		waitFor(t, "200 packets", 10*time.Second, func() bool { return l.Quality().Packets >= 200 })
		ph.Silence()
		return l.Quality()
	}
	clean, lossy := measure(0), measure(20)
	if clean.Lost != 0 || clean.MOS < 4.2 {
		t.Errorf("clean: %+v, want no loss and MOS >= 4.2", clean)
	}
	if lossy.LossPercent < 4 || lossy.LossPercent > 6 || lossy.MOS >= clean.MOS {
		t.Errorf("lossy: %+v, want about 5 %% loss and a MOS below the clean %.2f", lossy, clean.MOS)
	}
}

// TestSRTCP: two legs that negotiated SDES-SRTP exchange their reports as
// SRTCP (RFC 3711): each learns the RTT, and nothing fails to authenticate.
func TestSRTCP(t *testing.T) {
	pool := rtcpPool(t)
	a, b := openLeg(t, pool), openLeg(t, pool)
	a.SetSRTPPolicy(SRTPRequired)
	b.SetSRTPPolicy(SRTPOptional)
	connect(t, a, b, "")
	if a.SRTP() == "" || b.SRTP() == "" {
		t.Fatalf("SRTP not negotiated: %q %q", a.SRTP(), b.SRTP())
	}
	talk(t, a, b)
	for _, l := range []*Leg{a, b} {
		waitFor(t, "RTT over SRTCP", 5*time.Second, func() bool { return l.Quality().RTTMS != nil && l.Stats().RTCPIn >= 2 })
		if n := l.SRTPFailures(); n != 0 {
			t.Errorf("%d packets failed to authenticate", n)
		}
	}
}
