package lean

import (
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"

	"switchboard/media"
	"switchboard/media/browserleg"
	"switchboard/media/udploop"
	"switchboard/media/webrtcleg/webrtclegtest"
)

// keyedLeg makes an engine on loopback and a leg whose SRTP contexts are
// keyed directly (no DTLS), with peer as the browser's address. It returns
// the browser's own context for packets it sends.
func keyedLeg(tb testing.TB, codec media.Codec, peer netip.AddrPort) (*Engine, *Leg, *srtp.Context) {
	tb.Helper()
	return keyedLegOn(tb, nil, codec, peer)
}

// keyedLegOn is keyedLeg with the engine's socket on loop (nil: a read
// goroutine).
func keyedLegOn(tb testing.TB, loop *udploop.Loop, codec media.Codec, peer netip.AddrPort) (*Engine, *Leg, *srtp.Context) {
	tb.Helper()
	e, err := New(Config{Config: browserleg.Config{IP: netip.MustParseAddr("127.0.0.1"), Logger: slog.New(slog.DiscardHandler)}, Loop: loop})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = e.Close() })
	l, tx := keyLeg(tb, e, codec, peer)
	return e, l, tx
}

// keyLeg adds a keyed leg to e (as keyedLeg) and returns it and the
// browser's context.
func keyLeg(tb testing.TB, e *Engine, codec media.Codec, peer netip.AddrPort) (*Leg, *srtp.Context) {
	tb.Helper()
	o := &offer{ufrag: "brws", ptPCMU: 0, ptPCMA: 8}
	l := newLeg(e, o, codec, codec.PayloadType())
	e.mu.Lock()
	e.legs[l] = struct{}{}
	e.byUfrag[l.ufrag] = l
	e.mu.Unlock()
	key, salt := make([]byte, 16), make([]byte, 12)
	for i := range key {
		key[i] = byte(i)
	}
	p := srtp.ProtectionProfileAeadAes128Gcm
	mk := func(opts ...srtp.ContextOption) *srtp.Context {
		c, err := srtp.CreateContext(key, salt, p, opts...)
		if err != nil {
			tb.Fatal(err)
		}
		return c
	}
	l.tx, l.rx = mk(), mk(srtp.SRTPReplayProtection(64))
	e.register(l, peer)
	l.onCheck(peer, true, l)
	l.notify.Set(browserleg.StateConnected)
	return l, mk()
}

func BenchmarkWritePacket(b *testing.B) {
	webrtclegtest.BenchWritePacket(b, func(b *testing.B) webrtclegtest.Leg {
		sinkConn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = sinkConn.Close() })
		_, leg, _ := keyedLeg(b, media.PCMU, sinkConn.LocalAddr().(*net.UDPAddr).AddrPort())
		return leg
	})
}

// receiveRig sends SRTP from a browser socket to the engine and waits for
// the sink: the whole receive path (socket read → lookup → decrypt → sink).
type receiveRig struct {
	leg     *Leg
	cli     *net.UDPConn
	to      netip.AddrPort
	tx      *srtp.Context
	hdr     rtp.Header
	plain   []byte
	enc     []byte
	got     chan struct{}
	scratch rtp.Header
}

// newReceiveRig's sink signals got, which buffers queue deliveries (1 if
// not given).
func newReceiveRig(tb testing.TB, queue ...int) *receiveRig {
	return newReceiveRigOn(tb, nil, queue...)
}

// newReceiveRigOn is newReceiveRig with the engine's socket on loop.
func newReceiveRigOn(tb testing.TB, loop *udploop.Loop, queue ...int) *receiveRig {
	cli, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = cli.Close() })
	e, leg, tx := keyedLegOn(tb, loop, media.PCMU, cli.LocalAddr().(*net.UDPAddr).AddrPort())
	r := &receiveRig{leg: leg, cli: cli, to: e.Addr(), tx: tx, got: make(chan struct{}, max(1, sum(queue))),
		hdr: rtp.Header{Version: 2, SSRC: 4242}, plain: make([]byte, 12+160), enc: make([]byte, 0, 256)}
	leg.Start(media.PacketWriterFunc(func(p *media.Packet) error {
		if len(p.Payload) == 160 && p.Codec == media.PCMU {
			r.got <- struct{}{}
		}
		return nil
	}))
	return r
}

func sum(xs []int) (n int) {
	for _, x := range xs {
		n += x
	}
	return n
}

func (r *receiveRig) once(tb testing.TB) {
	r.send(tb)
	<-r.got
}

// send sends the next SRTP packet from the browser socket.
func (r *receiveRig) send(tb testing.TB) {
	if _, err := r.cli.WriteToUDPAddrPort(r.encrypt(tb), r.to); err != nil {
		tb.Fatal(err)
	}
}

// encrypt returns the next SRTP packet in r.enc.
func (r *receiveRig) encrypt(tb testing.TB) []byte {
	r.hdr.SequenceNumber++
	r.hdr.Timestamp += 160
	n, _ := r.hdr.MarshalTo(r.plain)
	out, err := r.tx.EncryptRTP(r.enc[:0], r.plain[:n+160], &r.scratch)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// next returns a copy of the next SRTP packet, not sent.
func (r *receiveRig) next(tb testing.TB) []byte { return append([]byte(nil), r.encrypt(tb)...) }

// BenchmarkReceiveBurst: 16 SRTP packets sent back to back, then the sink
// waited for: what the engine costs per packet when datagrams queue up
// (a busy machine, a burst from many browsers), one recvmmsg for several.
func BenchmarkReceiveBurst(b *testing.B) {
	r := newReceiveRig(b, 16)
	const burst = 16
	b.ReportAllocs()
	for b.Loop() {
		for range burst {
			r.send(b)
		}
		for range burst {
			<-r.got
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*burst), "ns/packet")
}

// BenchmarkReceivePath: one packet at a time through the read goroutine,
// or through a udploop of GOMAXPROCS shards (one tick per packet, ≈ 1 ms).
func BenchmarkReceivePath(b *testing.B) {
	for _, tc := range []struct {
		name string
		loop func(testing.TB) *udploop.Loop
	}{{"reader", func(testing.TB) *udploop.Loop { return nil }}, {"loop", benchLoop}} {
		b.Run(tc.name, func(b *testing.B) {
			r := newReceiveRigOn(b, tc.loop(b))
			b.ReportAllocs()
			for b.Loop() {
				r.once(b)
			}
		})
	}
}

// benchLoop returns a udploop closed after the benchmark's engines.
func benchLoop(tb testing.TB) *udploop.Loop {
	l, err := udploop.New()
	if err != nil {
		tb.Skip(err)
	}
	tb.Cleanup(func() { _ = l.Close() })
	return l
}

func TestHotPathsDoNotAllocate(t *testing.T) {
	r := newReceiveRig(t)
	r.once(t) // warm up (SSRC state)
	if n := testing.AllocsPerRun(200, func() { r.once(t) }); n != 0 {
		t.Errorf("receive path: %v allocs per packet (socket read → decrypt → sink, incl. the sender), want 0", n)
	}
	sinkConn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sinkConn.Close()
	_, leg, _ := keyedLeg(t, media.PCMU, sinkConn.LocalAddr().(*net.UDPAddr).AddrPort())
	p := media.Packet{Payload: make([]byte, 160), Codec: media.PCMA}
	if n := testing.AllocsPerRun(200, func() { _ = leg.WritePacket(&p) }); n != 0 {
		t.Errorf("WritePacket: %v allocs per packet, want 0", n)
	}
}

// A DTLS alert after the handshake cannot be authenticated any more: it
// closes the leg only when nothing authentic follows it (a spoofed alert
// while the browser still sends must not end the agent's audio).
func TestAlertClosesOnlyWhenSilent(t *testing.T) {
	r := newReceiveRig(t)
	l := r.leg
	l.dmu.Lock()
	l.hsDone = time.Now()
	l.dmu.Unlock()
	alert := []byte{21, 254, 253, 0, 1, 0, 0, 0, 0, 0, 5, 0, 2, 1, 2, 3}
	state := l.notify.State

	r.once(t)
	l.receiveDTLS(alert)
	r.once(t) // the browser is still there
	l.tick(time.Now().Add(2 * alertGrace))
	if state().Final() {
		t.Fatalf("a DTLS alert followed by media ended the leg (state %v)", state())
	}

	l.receiveDTLS(alert)
	l.tick(time.Now().Add(2 * alertGrace)) // and then nothing
	if state() != browserleg.StateClosed {
		t.Fatalf("state %v after an alert and silence, want closed", state())
	}
}
