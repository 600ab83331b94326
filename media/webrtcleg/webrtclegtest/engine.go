package webrtclegtest

import (
	"log/slog"
	"net/netip"
	"testing"

	"switchboard/media"
	"switchboard/media/browserleg"
	"switchboard/media/tone"
)

// Loopback fills what a test left zero in an engine's shared Config: the
// address (127.0.0.1) and the logger (log(t)).
func Loopback(t testing.TB, c *browserleg.Config, log func(testing.TB) *slog.Logger) {
	if !c.IP.IsValid() {
		c.IP = netip.MustParseAddr("127.0.0.1")
	}
	if c.Logger == nil {
		c.Logger = log(t)
	}
}

// Started returns the engine e that New just made, closed at the end of t
// (an error from Close fails t); an error from New fails t at once.
func Started[E interface{ Close() error }](t testing.TB, e E, err error) E {
	t.Helper()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("Engine.Close: %v", err)
		}
	})
	return e
}

// BenchWrites times leg.WritePacket of one 1 kHz frame of codec in b.Loop,
// counting allocations; a write error fails b.
func BenchWrites(b *testing.B, leg media.PacketWriter, codec media.Codec) {
	var pcm [media.FrameSamples]int16
	(&tone.Sine{Freq: 1000}).Fill(pcm[:])
	p := media.Packet{Payload: media.Encode(codec, make([]byte, media.FrameSamples), pcm[:]), Codec: codec}
	b.ReportAllocs()
	for b.Loop() {
		if err := leg.WritePacket(&p); err != nil {
			b.Fatal(err)
		}
	}
}
