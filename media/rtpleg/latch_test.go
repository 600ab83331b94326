package rtpleg

import (
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/rtpleg/rtplegtest"
	"switchboard/media/tone"
)

// TestSprayFromOtherHost: while the caller sends from its SDP address, an
// attacker spraying well-formed, in-sequence RTP from 127.0.0.5 at the
// leg's port never takes the stream: the caller's tone reaches the sink,
// the spray's does not, the leg keeps sending to the caller, and the drops
// are counted by reason. (On the old main the first packet of a latching
// leg won, and a routable one dropped a NATed caller.)
func TestSprayFromOtherHost(t *testing.T) {
	pool := newTestPool(t, 0)
	l := openLeg(t, pool)
	caller := rtplegtest.NewPhone(t, media.PCMU)
	spray := rtplegtest.NewPhoneAt(t, media.PCMU, netip.MustParseAddr("127.0.0.5"))
	ans, err := l.Answer(caller.Offer())
	if err != nil {
		t.Fatal(err)
	}
	if err := caller.SetAnswer(ans); err != nil {
		t.Fatal(err)
	}
	var rec recorder
	l.Start(&rec)
	caller.PlayTone(1000)
	waitFor(t, "the caller's 1 kHz", 3*time.Second, func() bool {
		return rec.packets() > 10 && tone.Ratio(rec.last(1600), 1000) > 0.9
	})
	spray.SetRemote(l.LocalAddr())
	spray.PlayTone(500)
	player := playTone(t, l, media.PCMU, 700)
	defer player.Stop()
	waitFor(t, "150 dropped spray packets", 10*time.Second, func() bool { return l.Stats().Dropped >= 150 })
	if r := tone.Ratio(rec.last(8000), 500); r > 0.01 {
		t.Errorf("the spray's 500 Hz reached the sink: ratio %.2f", r)
	}
	if r := tone.Ratio(rec.last(1600), 1000); r < 0.9 {
		t.Errorf("the caller's 1 kHz is gone from the sink: ratio %.2f", r)
	}
	if got := l.RemoteAddr(); got != caller.Addr() {
		t.Errorf("RemoteAddr() = %v, want the caller %v", got, caller.Addr())
	}
	if !caller.WaitHeard(700, 3*time.Second) {
		t.Error("the caller no longer hears the leg")
	}
	if n := spray.Packets(); n != 0 {
		t.Errorf("the leg sent %d packets to the spraying host", n)
	}
	if d := pool.Dropped(); d["source"] < 150 {
		t.Errorf("Pool.Dropped() = %v, want source >= 150", d)
	}
}

// TestLatchAfterProbation: a caller whose SDP names another port (NAT, an
// SBC) is latched after exactly 4 in-sequence packets of one SSRC, heard
// from then on, and sent to; when the SDP address speaks, it wins back at
// once.
func TestLatchAfterProbation(t *testing.T) {
	pool := newTestPool(t, 0)
	l := openLeg(t, pool)
	natted := rtplegtest.NewPhone(t, media.PCMU)
	sdpSide := rtplegtest.NewPhone(t, media.PCMU) // owns the SDP address
	natted.Advertise(sdpSide.Addr())
	ans, err := l.Answer(natted.Offer())
	if err != nil {
		t.Fatal(err)
	}
	if err := natted.SetAnswer(ans); err != nil {
		t.Fatal(err)
	}
	var rec recorder
	l.Start(&rec)
	if got := l.RemoteAddr(); got != sdpSide.Addr() {
		t.Fatalf("RemoteAddr() before any packet = %v, want the SDP address %v", got, sdpSide.Addr())
	}
	natted.PlayTone(1000)
	waitFor(t, "latch onto the NATed source", 3*time.Second, func() bool { return l.RemoteAddr() == natted.Addr() })
	if d := pool.Dropped(); d["probation"] != probationPackets-1 {
		t.Errorf("dropped in probation %d, want %d", d["probation"], probationPackets-1)
	}
	player := playTone(t, l, media.PCMU, 700)
	defer player.Stop()
	if !natted.WaitHeard(700, 3*time.Second) {
		t.Fatal("the NATed caller does not hear the leg after latching")
	}
	waitFor(t, "the NATed caller's 1 kHz", 3*time.Second, func() bool {
		return tone.Ratio(rec.last(1600), 1000) > 0.9
	})

	// The SDP address speaks: it wins back at once.
	sdpSide.SetRemote(l.LocalAddr())
	sdpSide.PlayTone(500)
	waitFor(t, "back to the SDP address", 3*time.Second, func() bool { return l.RemoteAddr() == sdpSide.Addr() })
	waitFor(t, "the SDP side's 500 Hz", 3*time.Second, func() bool {
		return tone.Ratio(rec.last(1600), 500) > 0.9
	})
	if !sdpSide.WaitHeard(700, 3*time.Second) {
		t.Error("the SDP address does not hear the leg after winning back")
	}
}

// TestProbationNeedsSequence: packets from another source that are out of
// sequence, or alternate SSRCs, never pass probation; 4 in a row do.
func TestProbationNeedsSequence(t *testing.T) {
	l := openLeg(t, newTestPool(t, 0))
	if _, err := l.Answer(sdpOffer(netip.MustParseAddrPort("127.0.0.1:9"), "0")); err != nil {
		t.Fatal(err)
	}
	var rec recorder
	l.Start(&rec)
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	src := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	send := func(ssrc uint32, seq uint16) {
		pkt := make([]byte, 12+160)
		pkt[0], pkt[1] = 0x80, 0
		binary.BigEndian.PutUint16(pkt[2:], seq)
		binary.BigEndian.PutUint32(pkt[4:], uint32(seq)*160)
		binary.BigEndian.PutUint32(pkt[8:], ssrc)
		if _, err := conn.WriteToUDPAddrPort(pkt, l.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	// Every other packet skips one: never 4 in sequence.
	for i := range 20 {
		send(7, uint16(i*2))
	}
	// Alternating SSRCs, each in sequence with itself.
	for i := range 20 {
		send(uint32(8+i%2), uint16(100+i/2))
	}
	waitFor(t, "40 drops", 2*time.Second, func() bool { return l.Stats().Dropped == 40 })
	if l.RemoteAddr() == src || rec.packets() != 0 {
		t.Fatalf("latched (%v) or delivered %d packets without passing probation", l.RemoteAddr(), rec.packets())
	}
	for i := range 4 {
		send(9, uint16(500+i))
	}
	waitFor(t, "latched", 2*time.Second, func() bool { return l.RemoteAddr() == src })
	waitFor(t, "the 4th packet delivered", 2*time.Second, func() bool { return rec.packets() == 1 })
}

// TestOldStyleHold: a re-offer with c=0.0.0.0 (RFC 2543 hold) is answered
// recvonly, the leg sends nothing, and the inactivity timeout is suspended
// while the holder sends nothing; a re-offer with its address resumes.
func TestOldStyleHold(t *testing.T) {
	const timeout = 300 * time.Millisecond
	l := openLeg(t, newTestPool(t, timeout))
	ph := rtplegtest.NewPhone(t, media.PCMU)
	negotiate(t, l, ph)
	l.Start(nil)
	ph.PlayTone(1000)
	player := playTone(t, l, media.PCMU, 700)
	defer player.Stop()
	if !ph.WaitHeard(700, 3*time.Second) {
		t.Fatal("no audio before hold")
	}
	ph.Silence()
	ph.Advertise(netip.MustParseAddrPort("0.0.0.0:" + strconvItoa(int(ph.Addr().Port()))))
	ans, err := l.Answer(ph.Offer())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ans), "a=recvonly\r\n") || l.Direction() != "recvonly" {
		t.Fatalf("hold answered %q (leg %s), want a=recvonly", ans, l.Direction())
	}
	sent := l.Stats().PacketsOut
	select {
	case <-l.Done():
		t.Fatalf("held leg ended: %v", l.Err())
	case <-time.After(6 * timeout):
	}
	if n := l.Stats().PacketsOut; n != sent {
		t.Errorf("sent %d packets toward 0.0.0.0 hold", n-sent)
	}
	ph.Advertise(ph.Addr())
	if _, err := l.Answer(ph.Offer()); err != nil {
		t.Fatal(err)
	}
	if l.Direction() != "sendrecv" {
		t.Fatalf("resume: direction %s", l.Direction())
	}
	ph.PlayTone(1000)
	if !ph.WaitHeard(700, 3*time.Second) {
		t.Fatal("no audio after resume")
	}
}

// TestPortsRandom: consecutive Opens do not hand out ports in order.
func TestPortsRandom(t *testing.T) {
	pool := newTestPool(t, 0)
	var ports []int
	for range 8 {
		ports = append(ports, int(openLeg(t, pool).LocalAddr().Port()))
	}
	inOrder := 0
	for i := 1; i < len(ports); i++ {
		if ports[i] == ports[i-1]+2 {
			inOrder++
		}
	}
	if inOrder > 2 {
		t.Errorf("ports %v: %d of 7 follow the previous one", ports, inOrder)
	}
}
