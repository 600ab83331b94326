package lean

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"switchboard/media/browserleg"
	"switchboard/media/udploop"
)

// The shared socket on Linux, with a Config.Loop, is a udploop.Conn: read
// on the loop's 1 ms clock (every datagram queued, readBatch per recvmmsg), and while the
// clock runs Leg.WritePacket queues its packet and the loop sends the
// queue at the end of the tick in one sendmmsg (the packets the trunk legs
// forwarded during the tick, when they share the loop). When the clock
// stops (nothing to do) writes go straight out. Latency added: up to one
// tick each way (media/udploop). Without a Loop it is a net.UDPConn read
// by a goroutine with recvmmsg (batch_linux.go) and written at once.
const (
	// readBatch is how many datagrams one recvmmsg takes at most.
	readBatch = 16
	// sendQueueLen packets toward browsers wait for the end of the tick at
	// most; a writer finding the queue full sends its packet itself.
	sendQueueLen = 256
	// sendSlot is the largest packet queued (a 20 ms G.711 frame in SRTP
	// is 188 bytes); larger ones are sent at once.
	sendSlot = 256
)

type sock struct {
	uc     *net.UDPConn // without a Loop: read by a goroutine (batch_linux.go)
	wg     sync.WaitGroup
	c      *udploop.Conn // with a Loop
	local  netip.AddrPort
	loop   *udploop.Loop
	untick func() // removes the Ticker
	handle func([]byte, netip.AddrPort)

	qmu     sync.Mutex // guards following
	ticking bool       // the loop's clock runs: writers queue
	q       *sendQueue // writers fill it; flush swaps it with spare
	spare   *sendQueue // flush's

	sendErrors atomic.Uint64 // datagrams toward browsers the kernel refused (queued ones)
	reads      atomic.Uint64 // recvmmsg calls (tests)
	batched    atomic.Uint64 // datagrams sent by sendmmsg (tests)

	// The loop goroutine's own.
	rn     int
	rm     *udploop.Mmsgs
	recvFn func(fd int) // s.recvmmsg, bound once
	sendq  *sendQueue
	sendFn func(fd int) // s.sendmmsg, bound once
}

// sendQueue is packets toward browsers waiting for the end of the tick, in
// sendmmsg's form.
type sendQueue struct {
	n int
	m *udploop.Mmsgs
}

func newSendQueue() *sendQueue { return &sendQueue{m: udploop.NewMmsgs(sendQueueLen, sendSlot)} }

// listen binds the shared socket: on loop, or (nil) a net.UDPConn.
func listen(bind netip.AddrPort, loop *udploop.Loop) (*sock, error) {
	if loop == nil {
		uc, err := listenUDP(bind)
		if err != nil {
			return nil, err
		}
		s := &sock{uc: uc, local: uc.LocalAddr().(*net.UDPAddr).AddrPort()}
		_ = s.control(func(fd int) { forceReadBuffer(fd, forcedReadBuffer) }) // just opened: not closed
		return s, nil
	}
	s := &sock{loop: loop, q: newSendQueue(), spare: newSendQueue()}
	c, err := s.loop.Listen(bind, browserleg.SocketBuffer, browserleg.SocketBuffer)
	if err != nil {
		return nil, err
	}
	s.c, s.local = c, c.LocalAddr()
	_ = s.control(func(fd int) { forceReadBuffer(fd, forcedReadBuffer) }) // just opened: not closed
	s.rm = udploop.NewMmsgs(readBatch, readBufferSize)
	s.recvFn, s.sendFn = s.recvmmsg, s.sendmmsg
	return s, nil
}

// forceReadBuffer raises the shared socket's receive buffer to size with
// SO_RCVBUFFORCE, past net.core.rmem_max, when the process may (root or
// CAP_NET_ADMIN); otherwise the buffer stays what SO_RCVBUF got. Every
// browser's packets queue in this one buffer (rtpengine has a socket per
// leg), so while the engine's goroutine is starved of CPU the buffer must
// hold every leg's packets: at 200 calls 10,000 a second. With the 8 MiB
// that a 4 MiB rmem_max allows, a loaded 2-core machine overflowed it
// (3.7-8.2 % of the browsers' packets lost at 200 calls, independent
// shape; rtpengine 0 %).
func forceReadBuffer(fd, size int) {
	if cur, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF); err == nil && cur >= 2*size {
		return // the kernel reports twice the size asked for
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, size) // EPERM without CAP_NET_ADMIN: keep what SO_RCVBUF got
}

// control runs f with the socket's descriptor.
func (s *sock) control(f func(fd int)) error {
	if s.uc != nil {
		rc, err := s.uc.SyscallConn()
		if err != nil {
			return err
		}
		return rc.Control(func(fd uintptr) { f(int(fd)) })
	}
	return s.c.Control(f)
}

// serve starts handing every datagram to handle: on the loop, or on a
// read goroutine.
func (s *sock) serve(handle func([]byte, netip.AddrPort)) error {
	if s.uc != nil {
		r, err := newBatchReader(s.uc)
		if err != nil {
			return err
		}
		s.wg.Go(func() { s.readLoop(r, handle) })
		return nil
	}
	s.handle = handle
	s.untick = s.loop.AddTicker(s)
	if err := s.c.Watch(s.readable); err != nil {
		return err
	}
	return nil
}

// maxReadsPerTick bounds the recvmmsg calls of one tick (64 datagrams):
// the browsers' backlog after a stall must not keep the loop from the
// trunk legs' sockets (their packets would wait, then overflow); what is
// left is read in the next tick, which follows at once while the loop is
// behind.
const maxReadsPerTick = 4

// readable reads what is queued, up to maxReadsPerTick batches (loop
// goroutine).
func (s *sock) readable() bool {
	got := false
	for range maxReadsPerTick {
		s.rn = 0
		if s.c.Control(s.recvFn) != nil || s.rn == 0 {
			return got
		}
		got = true
		for i := range s.rn {
			if b, from := s.rm.Packet(i); len(b) > 0 && from.IsValid() {
				s.handle(b, from)
			}
		}
		if s.rn < readBatch {
			return got
		}
	}
	return got
}

func (s *sock) recvmmsg(fd int) {
	s.reads.Add(1)
	if n, e := s.rm.Recv(fd); e == 0 {
		s.rn = n // else EAGAIN: nothing queued; an ICMP error reported on the socket: read again later
	}
}

// readLoop drains the net.UDPConn, every datagram queued in one recvmmsg.
func (s *sock) readLoop(r *batchReader, handle func([]byte, netip.AddrPort)) {
	for {
		n, err := r.read()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		for i := range n {
			if b, from := r.m.Packet(i); len(b) > 0 && from.IsValid() {
				handle(b, from)
			}
		}
	}
}

// writeTo sends b to `to` at once. It does not allocate.
func (s *sock) writeTo(b []byte, to netip.AddrPort) error {
	if s.uc != nil {
		if _, err := s.uc.WriteToUDPAddrPort(b, to); err != nil {
			s.sendErrors.Add(1)
			return err
		}
		return nil
	}
	return s.c.WriteTo(b, to)
}

// send sends b to `to`: queued for the end of the tick while the clock
// runs, else at once. b is copied; it does not allocate.
func (s *sock) send(b []byte, to netip.AddrPort) error {
	if s.uc == nil && len(b) <= sendSlot && len(b) > 0 {
		s.qmu.Lock()
		if q := s.q; s.ticking && q.n < sendQueueLen {
			i := q.n
			if n := s.c.RawAddr(&q.m.Names[i], to); n != 0 {
				q.m.Hdrs[i].Hdr.Namelen = n
				q.m.Iovs[i].SetLen(copy(q.m.Bufs[i], b))
				q.n++
				s.qmu.Unlock()
				return nil
			}
		}
		s.qmu.Unlock()
	}
	return s.writeTo(b, to)
}

// Tick sends what writers queued during the tick (udploop.Ticker).
func (s *sock) Tick() bool { return s.flush() > 0 }

// Stop: the clock stops; writers send at once (udploop.Ticker).
func (s *sock) Stop() {
	s.qmu.Lock()
	s.ticking = false
	s.qmu.Unlock()
	s.flush() // what was queued before
}

// Start: the clock runs; writers queue (udploop.Ticker).
func (s *sock) Start() {
	s.qmu.Lock()
	s.ticking = true
	s.qmu.Unlock()
}

// flush sends the queue in one sendmmsg (more if the kernel takes fewer)
// and returns how many it sent. Loop goroutine only.
func (s *sock) flush() int {
	s.qmu.Lock()
	q := s.q
	if q.n == 0 {
		s.qmu.Unlock()
		return 0
	}
	s.q, s.spare = s.spare, q
	s.qmu.Unlock()
	s.sendq = q
	n := q.n
	_ = s.c.Control(s.sendFn) // closed: the queue is dropped
	q.n = 0
	s.batched.Add(uint64(n))
	return n
}

func (s *sock) sendmmsg(fd int) {
	s.sendErrors.Add(uint64(s.sendq.m.Send(fd, s.sendq.n)))
}

// shutdown stops reading and ticking; close closes the socket.
func (s *sock) shutdown() {
	if s.uc != nil {
		_ = s.uc.Close() // ends the read goroutine; close reports nothing more
		return
	}
	if s.untick != nil {
		s.untick()
		s.untick = nil
	}
}

func (s *sock) close() error {
	s.shutdown()
	if s.uc != nil {
		s.wg.Wait()
		return nil
	}
	return s.c.Close()
}

// errors sent by the socket, for Engine.Dropped.
func (s *sock) failedSends() uint64 {
	if s.c == nil {
		return s.sendErrors.Load()
	}
	return s.sendErrors.Load() + s.c.SendErrors.Load()
}
