package report

import (
	"testing"
	"time"
)

// BenchmarkPacket measures the reception statistics one RTP packet costs on
// the hot path (RFC 3550 A.1 sequence accounting and A.8 jitter): the part
// of RTCP and call quality that is paid per packet rather than per report.
func BenchmarkPacket(b *testing.B) {
	var r Receiver
	seq := uint16(0)
	b.ReportAllocs()
	for b.Loop() {
		r.Packet(1, seq, uint32(seq)*160, time.Duration(seq)*20*time.Millisecond, true)
		seq++
	}
}
