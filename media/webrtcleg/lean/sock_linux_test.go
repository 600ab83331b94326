package lean

import (
	"net/netip"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"switchboard/media"
	"switchboard/media/browserleg"
	"switchboard/media/udploop"
)

// TestReadBufferForced: with CAP_NET_ADMIN (root here) the shared socket's
// receive buffer is forced to forcedReadBuffer, past net.core.rmem_max.
func TestReadBufferForced(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SO_RCVBUFFORCE needs CAP_NET_ADMIN: run as root to check it")
	}
	for _, loop := range []*udploop.Loop{nil, testLoop(t)} {
		e, err := New(Config{Config: browserleg.Config{IP: netip.MustParseAddr("127.0.0.1")}, Loop: loop})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		var got int
		if cerr := e.sock.control(func(fd int) { got, err = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF) }); cerr != nil || err != nil {
			t.Fatal(cerr, err)
		}
		if got < 2*forcedReadBuffer { // the kernel reports twice the size set
			t.Errorf("loop %v: SO_RCVBUF = %d, want %d (2 × %d forced)", loop != nil, got, 2*forcedReadBuffer, forcedReadBuffer)
		}
	}
}

// testLoop returns a udploop closed after the test's engines.
func testLoop(t *testing.T) *udploop.Loop {
	l, err := udploop.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// TestReaderOnClock: datagrams arriving one at a time, 10 or more per
// millisecond (200 calls' browsers), are read on the engine's clock, several
// per recvmmsg, not one wake-up and read each (which is what reading on
// the netpoller did: ≈ 1 read per datagram when they come apart).
func TestReaderOnClock(t *testing.T) {
	const n = 2000
	r := newReceiveRigOn(t, testLoop(t), n)
	s := r.leg.e.sock
	r.once(t)
	reads := s.reads.Load()
	for range n {
		r.send(t)
		for t0 := time.Now(); time.Since(t0) < 50*time.Microsecond; { // apart, as many browsers send
		}
	}
	for range n {
		select {
		case <-r.got:
		case <-time.After(10 * time.Second):
			t.Fatalf("%d datagrams delivered of %d", len(r.got), n)
		}
	}
	if got := s.reads.Load() - reads; got > n/3 {
		t.Errorf("%d reads for %d datagrams, want at most %d (on the 1 ms clock, not one per datagram)", got, n, n/3)
	}
}

// TestSendsBatchedWhileTicking: while the engine ticks, WritePacket queues
// its packet and the reader sends the queue with sendmmsg on its next
// tick: every packet arrives, in order, none waits long; WritePacket does
// not allocate on that path either.
func TestSendsBatchedWhileTicking(t *testing.T) {
	r := newReceiveRigOn(t, testLoop(t), 1<<16)
	s := r.leg.e.sock
	p := media.Packet{Payload: make([]byte, 160), Codec: media.PCMU}
	var buf [1500]byte
	var last uint16
	r.once(t) // the engine has read a datagram: its clock runs (on a loaded machine its shards may not have run yet)
	for i := range 200 {
		r.send(t) // keeps the engine on its clock
		p.SequenceNumber++
		p.Timestamp += 160
		sent := time.Now()
		if err := r.leg.WritePacket(&p); err != nil {
			t.Fatal(err)
		}
		_ = r.cli.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := r.cli.Read(buf[:])
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if wait := time.Since(sent); wait > 5*time.Second {
			t.Errorf("packet %d arrived %v after WritePacket", i, wait)
		}
		if seq := uint16(buf[2])<<8 | uint16(buf[3]); i > 0 && seq != last+1 || n < 160 {
			t.Fatalf("packet %d: %d bytes, sequence %d after %d", i, n, seq, last)
		} else {
			last = seq
		}
	}
	if s.batched.Load() == 0 {
		t.Errorf("no packet went out through the tick's sendmmsg (%d reads, rounds per shard %v)", s.reads.Load(), s.loop.ShardTicks())
	}
	allocs := testing.AllocsPerRun(100, func() {
		r.send(t)
		_ = r.leg.WritePacket(&p)
	})
	if allocs != 0 {
		t.Errorf("WritePacket while ticking (and the browser's send): %v allocs per packet, want 0", allocs)
	}
}
