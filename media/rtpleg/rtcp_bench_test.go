package rtpleg

import (
	"net"
	"testing"
	"time"

	"github.com/pion/srtp/v3"

	"switchboard/media/report"
)

// benchReports times l's sending of its RTCP report in b.Loop, counting
// allocations, after a call's worth of packets (feedLeg).
func benchReports(b *testing.B, l *Leg) {
	feedLeg(l)
	b.ReportAllocs()
	before := l.stats.rtcpOut.Load()
	for b.Loop() {
		l.sendReport(time.Now())
	}
	if l.stats.rtcpOut.Load() == before {
		b.Fatal("no report sent")
	}
}

// BenchmarkRTCP measures a trunk leg's RTCP work per report interval (5 s):
// "send" builds our compound SR/RR+SDES about the peer's stream and sends it
// over the loopback socket (sendto included), "read" takes one compound
// report from the peer (source check, parse, round trip). The srtcp
// variants add SRTCP encryption and authentication (AES_CM_128_HMAC_SHA1_80).
// The per-packet part (reception statistics) is report.BenchmarkPacket.
// bytes/report is the compound packet on the wire without IP/UDP headers.
func BenchmarkRTCP(b *testing.B) {
	peerReport := func(l *Leg) []byte {
		var r report.Receiver
		for i := range 250 {
			r.Packet(l.ssrc, uint16(i), uint32(i)*160, time.Duration(i)*20*time.Millisecond, true)
		}
		return report.AppendCompound(nil, time.Now(), report.Sender{SSRC: 42, Packets: 250, Octets: 40000}, &r, "peer@carrier")
	}
	b.Run("plain/send", func(b *testing.B) {
		l, _ := benchLeg(b)
		l.SetSink(nil)
		benchReports(b, l)
		b.ReportMetric(float64(len(report.AppendCompound(nil, time.Now(), report.Sender{SSRC: 1, Packets: 1}, &l.rtcp.rcv, cname))), "bytes/report")
	})
	b.Run("plain/read", func(b *testing.B) {
		l, peer := benchLeg(b)
		src := peer.LocalAddr().(*net.UDPAddr).AddrPort()
		pkt := peerReport(l)
		b.ReportAllocs()
		before := l.stats.rtcpIn.Load()
		for b.Loop() {
			l.handleRTCP(pkt, src, true)
		}
		if l.stats.rtcpIn.Load() == before {
			b.Fatal("no report taken")
		}
	})
	b.Run("srtcp/send", func(b *testing.B) {
		l, _, _, _ := srtpBenchLeg(b, 1)
		benchReports(b, l)
	})
	b.Run("srtcp/read", func(b *testing.B) {
		const ring = 4096 // distinct SRTCP indexes, then a fresh receive context
		l, _, _, src := srtpBenchLeg(b, 1)
		tx, err := srtp.CreateContext(testKey[:16], testKey[16:], srtp.ProtectionProfileAes128CmHmacSha1_80)
		if err != nil {
			b.Fatal(err)
		}
		plain := peerReport(l)
		pkts := make([][]byte, ring)
		for i := range pkts {
			if pkts[i], err = tx.EncryptRTCP(nil, plain, nil); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		before := l.stats.rtcpIn.Load()
		n := 0
		for b.Loop() {
			if n > 0 && n%ring == 0 {
				b.StopTimer()
				l.rtcp.mu.Lock()
				l.rtcp.sess = nil // new contexts: the replay window starts again
				l.rtcp.srtcpLocked(l.sec.cur.Load())
				l.rtcp.mu.Unlock()
				b.StartTimer()
			}
			l.handleRTCP(pkts[n%ring], src, true)
			n++
		}
		if got := l.stats.rtcpIn.Load() - before; got != uint64(n) {
			b.Fatalf("%d of %d SRTCP reports taken (failed %d)", got, n, l.sec.failed.Load())
		}
	})
}

// feedLeg gives the leg's receiver a stream so its reports carry a block.
func feedLeg(l *Leg) {
	for i := range 250 {
		l.rtcp.rcv.Packet(42, uint16(i), uint32(i)*160, time.Duration(i)*20*time.Millisecond, true)
	}
}
