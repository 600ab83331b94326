package report

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
)

// feed accounts for packets seq from..to (inclusive, wrapping) of ssrc,
// 20 ms apart, except those in lost.
func feed(r *Receiver, ssrc uint32, from uint16, n int, lost map[int]bool) {
	for i := range n {
		if lost[i] {
			continue
		}
		seq := from + uint16(i)
		r.Packet(ssrc, seq, uint32(seq)*160, time.Duration(i)*20*time.Millisecond, true)
	}
}

// TestReceiverLoss: RFC 3550 A.3 accounting across a sequence wrap, with
// loss, a duplicate and a reordered packet.
func TestReceiverLoss(t *testing.T) {
	var r Receiver
	lost := map[int]bool{}
	for i := 0; i < 1000; i += 20 {
		lost[i+7] = true // 5 %
	}
	feed(&r, 42, 65000, 1000, lost)        // wraps at 65535
	r.Packet(42, 65990-65536, 0, 0, false) // a recent duplicate: counted, as RFC 3550 A.3 says
	q := r.Quality()
	if q.Packets != 951 || q.Lost != 49 {
		t.Errorf("Quality() = %+v, want 951 packets (950 + a duplicate), 49 lost", q)
	}
	if q.LossPercent < 4.5 || q.LossPercent > 5.5 {
		t.Errorf("loss %.2f %%, want about 5", q.LossPercent)
	}
	if q.JitterMS > 0.01 {
		t.Errorf("jitter %.3f ms on a perfectly paced stream", q.JitterMS)
	}
}

// TestReceiverJitter: arrivals alternating 10 ms early and late converge to
// RFC 3550 A.8's estimate of about 20 ms of transit difference.
func TestReceiverJitter(t *testing.T) {
	var r Receiver
	for i := range 2000 {
		at := time.Duration(i)*20*time.Millisecond + time.Duration(i%2)*20*time.Millisecond - 10*time.Millisecond
		r.Packet(7, uint16(i), uint32(i)*160, at, true)
	}
	if j := r.Quality().JitterMS; j < 19 || j > 21 {
		t.Errorf("jitter %.2f ms, want about 20", j)
	}
}

// TestCompoundWire: what AppendCompound writes is what pion/rtcp reads (SR
// with a block about the received stream, SDES CNAME; an RR before we
// sent), and the peer's RR about our stream yields the round trip time.
func TestCompoundWire(t *testing.T) {
	var r Receiver
	lost := map[int]bool{3: true, 4: true}
	feed(&r, 0xabc, 100, 100, lost)
	now := time.Now()
	buf := AppendCompound(make([]byte, 0, MaxCompound), now, Sender{SSRC: 0x1234, Packets: 250, Octets: 40000, RTPTime: 99}, &r, "switchboard")
	pkts, err := rtcp.Unmarshal(buf)
	if err != nil {
		t.Fatalf("pion cannot read our compound packet: %v (% x)", err, buf)
	}
	sr, ok := pkts[0].(*rtcp.SenderReport)
	if !ok || len(pkts) != 2 {
		t.Fatalf("packets %v, want SR then SDES", pkts)
	}
	if sr.SSRC != 0x1234 || sr.PacketCount != 250 || sr.OctetCount != 40000 || sr.RTPTime != 99 || len(sr.Reports) != 1 {
		t.Fatalf("SR %+v", sr)
	}
	rb := sr.Reports[0]
	if rb.SSRC != 0xabc || rb.TotalLost != 2 || rb.LastSequenceNumber != 199 || rb.FractionLost != 2*256/100 {
		t.Errorf("report block %+v, want ssrc abc, 2 lost (fraction 5/256), highest 199", rb)
	}
	if sd, ok := pkts[1].(*rtcp.SourceDescription); !ok || len(sd.Chunks) != 1 || string(sd.Chunks[0].Items[0].Text) != "switchboard" {
		t.Errorf("SDES %+v", pkts[1])
	}
	var fresh Receiver
	rr := AppendCompound(nil, now, Sender{SSRC: 5}, &fresh, "x")
	if pkts, err := rtcp.Unmarshal(rr); err != nil || len(pkts) != 2 {
		t.Fatalf("RR: %v %v", pkts, err)
	} else if p, ok := pkts[0].(*rtcp.ReceiverReport); !ok || p.SSRC != 5 || len(p.Reports) != 0 {
		t.Errorf("RR %+v", pkts[0])
	}

	// The peer: our SR at t0 is echoed 30 ms later with DLSR 10 ms -> RTT 20 ms.
	t0 := now
	ourLSR := uint32(ntp(t0) >> 16)
	peer, _ := rtcp.CompoundPacket{
		&rtcp.ReceiverReport{SSRC: 0xabc, Reports: []rtcp.ReceptionReport{{SSRC: 0x1234, LastSenderReport: ourLSR, Delay: 655}}},
		&rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{Source: 0xabc, Items: []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: "peer"}}}}},
	}.Marshal()
	if err := r.HandleRTCP(peer, 0x1234, t0.Add(30*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	q := r.Quality()
	if q.RTTMS == nil || *q.RTTMS < 19 || *q.RTTMS > 21 {
		t.Errorf("RTT %v ms, want about 20", q.RTTMS)
	}
	// The peer's SR: our next block echoes its LSR.
	sr2, _ := (&rtcp.SenderReport{SSRC: 0xabc, NTPTime: 0x0102030405060708, PacketCount: 1}).Marshal()
	if err := r.HandleRTCP(sr2, 0x1234, t0); err != nil {
		t.Fatal(err)
	}
	buf = AppendCompound(buf[:0], t0.Add(time.Second), Sender{SSRC: 0x1234, Packets: 1}, &r, "s")
	pkts, _ = rtcp.Unmarshal(buf)
	rb = pkts[0].(*rtcp.SenderReport).Reports[0]
	if rb.LastSenderReport != 0x03040506 || rb.Delay < 65530 || rb.Delay > 65540 {
		t.Errorf("LSR %x DLSR %d, want 03040506 and 65536 (1 s)", rb.LastSenderReport, rb.Delay)
	}
	for _, bad := range [][]byte{nil, {0x80, 200, 0, 1}, {0x40, 201, 0, 1, 0, 0, 0, 0}, {0x80, 201, 0, 9, 0, 0, 0, 0}} {
		if err := r.HandleRTCP(bad, 1, now); err == nil {
			t.Errorf("HandleRTCP(% x) = nil, want ErrMalformed", bad)
		}
	}
}

// cycle is one leg's RTCP work per interval: build our compound packet
// (into buf) and read the peer's, after n packets of SSRC 1 (seq 0..n-1).
type cycle struct {
	r         Receiver
	buf, peer []byte
	now       time.Time
	seq       uint16 // the next packet's
}

func newCycle(n int) *cycle {
	c := &cycle{buf: make([]byte, 0, MaxCompound), now: time.Now(), seq: uint16(n)}
	feed(&c.r, 1, 0, n, nil)
	c.peer = AppendCompound(nil, c.now, Sender{SSRC: 1, Packets: uint32(n), Octets: uint32(n) * 160}, &c.r, "peer@carrier")
	return c
}

// packet accounts the next packet of SSRC 1.
func (c *cycle) packet() {
	c.r.Packet(1, c.seq, uint32(c.seq)*160, time.Duration(c.seq)*20*time.Millisecond, true)
	c.seq++
}

func (c *cycle) report() error {
	c.buf = AppendCompound(c.buf[:0], c.now, Sender{SSRC: 2, Packets: 250, Octets: 40000}, &c.r, "switchboard")
	return c.r.HandleRTCP(c.peer, 2, c.now)
}

// TestNoAllocs: accounting a packet, building a report and reading one
// allocate nothing.
func TestNoAllocs(t *testing.T) {
	c := newCycle(10)
	var err error
	if n := testing.AllocsPerRun(100, func() {
		c.packet()
		if e := c.report(); e != nil {
			err = e
		}
	}); n != 0 {
		t.Errorf("%v allocations per packet and report", n)
	}
	if err != nil {
		t.Errorf("HandleRTCP(peer's report) = %v", err)
	}
}

// BenchmarkReportCycle measures one call's RTCP work per 5 s interval on
// one leg (build and send-size our compound packet, read the peer's), and
// reports the bandwidth it adds per call and direction (with IPv4+UDP
// headers).
func BenchmarkReportCycle(b *testing.B) {
	c := newCycle(250)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.report(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(c.buf)+28)/Interval.Seconds(), "bytes/s/call")
	b.ReportMetric(float64(len(c.buf)+28)*8/Interval.Seconds()/(50*(172+28)*8)*100, "%-of-rtp")
}
