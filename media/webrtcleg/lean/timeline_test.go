package lean

import (
	"net"
	"testing"
	"time"

	"github.com/pion/rtp"

	"switchboard/media"
)

// TestWritePacketKeepsGaps: the browser leg sends the writer's sequence gaps
// and timestamp steps (offsets, not re-stamping), so the browser sees loss
// as loss; a new writer continues the stream right after.
func TestWritePacketKeepsGaps(t *testing.T) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, leg, browser := keyedLeg(t, media.PCMU, conn.LocalAddr().(*net.UDPAddr).AddrPort())
	payload := make([]byte, 3*media.FrameSamples)
	in := []struct {
		seq uint16
		ts  uint32
		n   int
	}{{10, 800, 160}, {11, 960, 160}, {14, 1440, 160}, {15, 1600, 240}, {16, 1840, 160}, {500, 77, 160}}
	for _, p := range in {
		if err := leg.WritePacket(&media.Packet{Payload: payload[:p.n], Codec: media.PCMU, SequenceNumber: p.seq, Timestamp: p.ts}); err != nil {
			t.Fatal(err)
		}
	}
	want := []struct {
		seq uint16
		ts  uint32
	}{{0, 0}, {1, 160}, {4, 640}, {5, 800}, {6, 1040}, {7, 1200}}
	buf := make([]byte, 1500)
	var base rtp.Header
	for i, w := range want {
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		var h rtp.Header
		if _, err := browser.DecryptRTP(nil, buf[:n], &h); err != nil {
			t.Fatalf("packet %d: decrypt: %v", i, err)
		}
		if i == 0 {
			base = h
		}
		if h.SequenceNumber-base.SequenceNumber != w.seq || h.Timestamp-base.Timestamp != w.ts {
			t.Errorf("packet %d: seq +%d ts +%d, want +%d +%d", i, h.SequenceNumber-base.SequenceNumber, h.Timestamp-base.Timestamp, w.seq, w.ts)
		}
	}
}
