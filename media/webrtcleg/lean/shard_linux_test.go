package lean

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/stun/v4"

	"switchboard/media"
	"switchboard/media/browserleg"
	"switchboard/media/report"
	"switchboard/media/udploop"
)

// TestBrowsersOnEveryShard: on a loop of 2 shards the shared port is a
// group of 2 sockets; 24 browsers' STUN checks (sent at once, each shard
// answering with its own scratch) are all answered, their SRTP reaches
// each leg's sink in order, the browsers are read by both shards, and
// packets toward them, queued from several goroutines, arrive in order.
func TestBrowsersOnEveryShard(t *testing.T) {
	loop, err := udploop.NewShards(2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = loop.Close() })
	e, err := New(Config{Config: browserleg.Config{IP: netip.MustParseAddr("127.0.0.1"), Logger: slog.New(slog.DiscardHandler)}, Loop: loop})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	if len(e.sock.rs) != 2 {
		t.Fatalf("%d sockets on the shared port, want one per shard (2)", len(e.sock.rs))
	}
	const browsers, each = 24, 50
	type browser struct {
		cli  *net.UDPConn
		leg  *Leg
		rig  *receiveRig
		mu   sync.Mutex
		seqs []uint16
	}
	bs := make([]*browser, browsers)
	for i := range bs {
		cli, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cli.Close() })
		leg, tx := keyLeg(t, e, media.PCMU, cli.LocalAddr().(*net.UDPAddr).AddrPort())
		b := &browser{cli: cli, leg: leg}
		b.rig = &receiveRig{leg: leg, cli: cli, to: e.Addr(), tx: tx, hdr: rtp.Header{Version: 2, SSRC: uint32(100 + i)},
			plain: make([]byte, 12+160), enc: make([]byte, 0, 256)}
		leg.Start(media.PacketWriterFunc(func(p *media.Packet) error {
			b.mu.Lock()
			b.seqs = append(b.seqs, p.SequenceNumber)
			b.mu.Unlock()
			return nil
		}))
		bs[i] = b
	}
	// STUN checks from every browser at once.
	for _, b := range bs {
		m, err := stun.Build(stun.TransactionID, stun.BindingRequest, stun.NewUsername(b.leg.ufrag+":brws"),
			stun.NewShortTermIntegrity(b.leg.pwd), stun.Fingerprint)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.cli.WriteToUDPAddrPort(m.Raw, e.Addr()); err != nil {
			t.Fatal(err)
		}
	}
	for i, b := range bs {
		var buf [1500]byte
		_ = b.cli.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := b.cli.Read(buf[:])
		if err != nil {
			t.Fatalf("browser %d: no STUN answer: %v", i, err)
		}
		res := &stun.Message{Raw: buf[:n]}
		if err := res.Decode(); err != nil || res.Type != stun.BindingSuccess {
			t.Fatalf("browser %d: answer %v, %v; want a binding success", i, res.Type, err)
		}
	}
	// SRTP from every browser, interleaved.
	for range each {
		for _, b := range bs {
			b.rig.send(t)
		}
		time.Sleep(200 * time.Microsecond) // paced, so as not to overflow a socket buffer
	}
	waitFor(t, "every browser's packets", func() bool {
		for _, b := range bs {
			b.mu.Lock()
			n := len(b.seqs)
			b.mu.Unlock()
			if n < each {
				return false
			}
		}
		return true
	})
	for i, b := range bs {
		for j, s := range b.seqs {
			if j > 0 && s != b.seqs[j-1]+1 {
				t.Fatalf("browser %d: packet %d had sequence %d after %d (out of order)", i, j, s, b.seqs[j-1])
			}
		}
	}
	for i, r := range e.sock.rs {
		if r.reads.Load() == 0 {
			t.Errorf("shard %d's socket read nothing of %d browsers", i, browsers)
		}
	}
	// Toward the browsers: two writers per leg's stream in turn (as two
	// shards' trunk legs would), every packet in order.
	p := media.Packet{Payload: make([]byte, 160), Codec: media.PCMU}
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for _, b := range bs[w*browsers/2 : (w+1)*browsers/2] {
				q := p
				for k := range each {
					q.SequenceNumber, q.Timestamp = uint16(k), uint32(k*160)
					if err := b.leg.WritePacket(&q); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	for i, b := range bs {
		var buf [1500]byte
		last := -1
		for k := 0; k < each; {
			_ = b.cli.SetReadDeadline(time.Now().Add(10 * time.Second))
			n, err := b.cli.Read(buf[:])
			if err != nil {
				t.Fatalf("browser %d: packet %d: %v", i, k, err)
			}
			if report.IsRTCP(buf[:n]) {
				continue // the leg's SRTCP report
			}
			k++
			seq := int(buf[2])<<8 | int(buf[3])
			if last >= 0 && seq != (last+1)&0xffff {
				t.Fatalf("browser %d: sequence %d after %d", i, seq, last)
			}
			last = seq
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
