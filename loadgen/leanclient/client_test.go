package leanclient

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/loadgen/udpmux"
	"switchboard/loadgen/udpmux/muxtest"
	"switchboard/media"
	"switchboard/media/browserleg"
	"switchboard/media/webrtcleg/lean"
)

// connectToLean negotiates a client with the gateway's lean engine (a real
// peer: ICE-lite, DTLS server, SRTP) and returns both ends. mangle may
// alter the engine's answer before the client sees it.
func connectToLean(t testing.TB, mux *udpmux.Mux, onPacket func(*media.Packet, time.Time), mangle func([]byte) []byte) (*Client, *lean.Leg, error) {
	t.Helper()
	e, err := lean.New(lean.Config{Config: browserleg.Config{IP: netip.MustParseAddr("127.0.0.1"), Logger: slog.New(slog.DiscardHandler)}, ConnectTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	pool, err := NewPool()
	if err != nil {
		t.Fatal(err)
	}
	c, err := pool.New(Config{OnPacket: onPacket, ConnectTimeout: 3 * time.Second, Mux: mux})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	offer, _ := c.Offer(ctx)
	leg, answer, err := e.Accept(ctx, offer)
	if err != nil {
		t.Fatalf("engine refused the offer: %v\n%s", err, offer)
	}
	if mangle != nil {
		answer = mangle(answer)
	}
	if err := c.SetAnswer(answer); err != nil {
		t.Fatal(err)
	}
	return c, leg, c.WaitConnected(ctx)
}

// TestAudioBothWaysWithLeanEngine: frames the client writes reach the
// engine's sink, frames the engine writes reach OnPacket, intact; with a
// socket of the client's own and on a shared udpmux.Mux.
func TestAudioBothWaysWithLeanEngine(t *testing.T) {
	t.Run("own socket", func(t *testing.T) { audioBothWays(t, nil) })
	t.Run("mux", func(t *testing.T) { audioBothWays(t, muxtest.New(t, 213)) })
}

func audioBothWays(t *testing.T, mux *udpmux.Mux) {
	var got atomic.Int64
	want := bytes.Repeat([]byte{0x55}, media.FrameSamples)
	c, leg, err := connectToLean(t, mux, func(p *media.Packet, _ time.Time) {
		if p.Codec == media.PCMU && bytes.Equal(p.Payload, want) {
			got.Add(1)
		}
	}, nil)
	if err != nil {
		t.Fatalf("not connected: %v", err)
	}
	var atEngine atomic.Int64
	leg.Start(media.PacketWriterFunc(func(p *media.Packet) error {
		if p.Codec == media.PCMU && bytes.Equal(p.Payload, want) {
			atEngine.Add(1)
		}
		return nil
	}))
	deadline := time.Now().Add(30 * time.Second)
	for seq := uint16(1); (got.Load() < 20 || atEngine.Load() < 20) && time.Now().Before(deadline); seq++ {
		if err := c.WritePayload(want, false); err != nil {
			t.Fatal(err)
		}
		if err := leg.WritePacket(&media.Packet{Payload: want, Codec: media.PCMU, SequenceNumber: seq, Timestamp: uint32(seq) * media.FrameSamples}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(media.FrameDuration) // pacing the stream, not waiting for a condition
	}
	if got.Load() < 20 || atEngine.Load() < 20 {
		t.Fatalf("client heard %d frames, engine %d: want ≥ 20 each", got.Load(), atEngine.Load())
	}
}

// TestWrongFingerprintFails: a peer whose certificate is not the one in
// its SDP must not connect.
func TestWrongFingerprintFails(t *testing.T) {
	_, _, err := connectToLean(t, nil, nil, func(sdp []byte) []byte {
		i := bytes.Index(sdp, []byte("a=fingerprint:sha-256 "))
		if i < 0 {
			t.Fatalf("no fingerprint in %s", sdp)
		}
		out := bytes.Clone(sdp)
		j := i + len("a=fingerprint:sha-256 ")
		if out[j] == 'A' {
			out[j] = 'B'
		} else {
			out[j] = 'A'
		}
		return out
	})
	if err == nil || !strings.Contains(err.Error(), "fingerprint") {
		t.Fatalf("connected (or failed otherwise: %v) with a wrong fingerprint", err)
	}
}

// BenchmarkMuxPath is one frame each way between a client on a udpmux.Mux
// and the lean engine: the client's WritePayload (SRTP encrypt, queued,
// sent in the tick's sendmmsg) and the engine's packet read on the loop's
// clock, decrypted in place and handed to OnPacket. It must not allocate
// (the engine's side included).
func BenchmarkMuxPath(b *testing.B) {
	m := muxtest.New(b, 214)
	var got, atEngine atomic.Int64
	c, leg, err := connectToLean(b, m, func(*media.Packet, time.Time) { got.Add(1) }, nil)
	if err != nil {
		b.Fatal(err)
	}
	leg.Start(media.PacketWriterFunc(func(*media.Packet) error { atEngine.Add(1); return nil }))
	frame := bytes.Repeat([]byte{0x55}, media.FrameSamples)
	pkt := &media.Packet{Payload: frame, Codec: media.PCMU}
	sent := 0
	send := func(n int) {
		for range n {
			sent++
			pkt.SequenceNumber, pkt.Timestamp = uint16(sent), uint32(sent)*media.FrameSamples
			if err := c.WritePayload(frame, false); err != nil {
				b.Fatal(err)
			}
			if err := leg.WritePacket(pkt); err != nil {
				b.Fatal(err)
			}
		}
		for deadline := time.Now().Add(10 * time.Second); got.Load() < int64(sent) || atEngine.Load() < int64(sent); time.Sleep(100 * time.Microsecond) {
			if time.Now().After(deadline) {
				b.Fatalf("client heard %d, engine %d of %d frames", got.Load(), atEngine.Load(), sent)
			}
		}
	}
	send(50)
	b.ReportAllocs()
	b.ResetTimer()
	for n := b.N; n > 0; n -= 8 {
		send(min(n, 8))
	}
}
