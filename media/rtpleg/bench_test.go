package rtpleg

import (
	"net"
	"net/netip"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"

	"switchboard/media"
)

// benchLeg opens a leg negotiated (PCMU, telephone-event) with a raw socket.
func benchLeg(b *testing.B) (*Leg, *net.UDPConn) {
	b.Helper()
	peer, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = peer.Close() })
	pool, err := NewPool(Config{IP: loopback, PortMin: 33000, PortMax: 33999, Timeout: -1, Logger: testLogger(b), Loop: testLoop(b)})
	if err != nil {
		b.Fatal(err)
	}
	l := openLeg(b, pool)
	if _, err := l.Answer(sdpOffer(peer.LocalAddr().(*net.UDPAddr).AddrPort(), "0 101", "a=rtpmap:101 telephone-event/8000")); err != nil {
		b.Fatal(err)
	}
	return l, peer
}

func rtpBytes(b testing.TB, seq uint16) []byte {
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: seq, Timestamp: 1000, SSRC: 42},
		Payload: make([]byte, media.FrameSamples)}
	buf, err := p.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	return buf
}

// BenchmarkReceive measures the whole receive path of one packet over a real
// loopback socket: sendto, the leg's read loop (read, source check,
// rtp.Unmarshal, dispatch) and the sink call. Each iteration waits for the
// sink, so it includes one goroutine wake-up (on the udploop, which
// testLoop gives the pool: one tick, ≈ 1 ms; RTPLEG_GOROUTINES=1 measures
// the goroutine reader).
func BenchmarkReceive(b *testing.B) {
	l, peer := benchLeg(b)
	var got atomic.Int64
	l.Start(media.PacketWriterFunc(func(p *media.Packet) error {
		got.Add(1)
		return nil
	}))
	pkt := rtpBytes(b, 1)
	dst := l.LocalAddr()
	b.ReportAllocs()
	var n int64
	start := time.Now()
	for b.Loop() {
		n++
		if _, err := peer.WriteToUDPAddrPort(pkt, dst); err != nil {
			b.Fatal(err)
		}
		for got.Load() < n {
			runtime.Gosched()
		}
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(n), "ns/packet")
}

// BenchmarkReceiveHandle measures the leg's own receive work per packet
// (source check, rtp.Unmarshal, sink dispatch) without the socket.
func BenchmarkReceiveHandle(b *testing.B) {
	l, peer := benchLeg(b)
	var got int
	l.SetSink(media.PacketWriterFunc(func(p *media.Packet) error {
		got += len(p.Payload)
		return nil
	}))
	pkt := rtpBytes(b, 1)
	src := peer.LocalAddr().(*net.UDPAddr).AddrPort()
	r := new(receiver)
	b.ReportAllocs()
	start, n := time.Now(), 0
	for b.Loop() {
		n++
		l.handle(r, pkt, src)
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(n), "ns/packet")
	if got == 0 {
		b.Fatal("sink not called")
	}
}

// benchWrites times l.WritePacket of one frame of codec in b.Loop,
// counting allocations, reports ns/packet and returns how many it wrote.
func benchWrites(b *testing.B, l *Leg, codec media.Codec) int {
	p := &media.Packet{Payload: make([]byte, media.FrameSamples), Codec: codec}
	b.ReportAllocs()
	start, n := time.Now(), 0
	for b.Loop() {
		n++
		if err := l.WritePacket(p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(n), "ns/packet")
	return n
}

// BenchmarkSend measures WritePacket: stamping, marshalling and sendto, with
// and without transcoding.
func BenchmarkSend(b *testing.B) {
	for _, tc := range []struct {
		name  string
		codec media.Codec
	}{{"PCMU", media.PCMU}, {"PCMA-transcoded", media.PCMA}} {
		b.Run(tc.name, func(b *testing.B) {
			l, _ := benchLeg(b)
			n := benchWrites(b, l, tc.codec)
			if s := l.Stats(); s.PacketsOut < uint64(n) {
				b.Fatalf("sent %d of %d", s.PacketsOut, n)
			}
		})
	}
}

// TestHotPathAllocs pins the benchmarks' claim in the normal test run: the
// receive and send paths allocate nothing per packet.
func TestHotPathAllocs(t *testing.T) {
	l := openLeg(t, newTestPool(t, -1))
	peer := newCapture(t)
	if _, err := l.Answer(sdpOffer(peer.addr(), "0 101", "a=rtpmap:101 telephone-event/8000")); err != nil {
		t.Fatal(err)
	}
	l.SetSink(media.Discard)
	pkt := rtpBytes(t, 1)
	r := new(receiver)
	if a := testing.AllocsPerRun(1000, func() { l.handle(r, pkt, peer.addr()) }); a != 0 {
		t.Errorf("receive path: %v allocs/packet", a)
	}
	p := &media.Packet{Payload: make([]byte, media.FrameSamples), Codec: media.PCMA}
	if a := testing.AllocsPerRun(1000, func() { _ = l.WritePacket(p) }); a != 0 {
		t.Errorf("send path: %v allocs/packet", a)
	}
	if s := l.Stats(); s.PacketsIn < 1000 || s.PacketsOut < 1000 {
		t.Errorf("stats %+v: the measured paths did not run", s)
	}
}
