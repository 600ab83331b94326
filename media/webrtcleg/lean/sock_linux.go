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

// The shared socket on Linux, with a Config.Loop, is a udploop group: one
// SO_REUSEPORT socket per shard of the loop on the one port, the kernel
// handing each browser's datagrams to one of them (by a hash of its
// address), so every shard reads a share of the browsers on its 1 ms clock
// (every datagram queued, readBatch per recvmmsg). While a shard's clock
// runs Leg.WritePacket queues its packet and the first shard to end its
// tick sends the queue in one sendmmsg (the packets the trunk legs of
// every shard forwarded during the tick). When every shard's clock stops
// (nothing to do) writes go straight out. Latency added: up to one tick
// each way (media/udploop). Without a Loop it is a net.UDPConn read by a
// goroutine with recvmmsg (batch_linux.go) and written at once.
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
	rs     []*shardReader // with a Loop: the group's sockets, one per shard
	c      *udploop.Conn  // rs[0]'s: sends at once and the queue's sendmmsg
	local  netip.AddrPort
	loop   *udploop.Loop
	untick func() // removes the Ticker

	qmu     sync.Mutex // guards following
	ticking int        // shards whose clock runs: while > 0 writers queue
	q       *sendQueue // writers fill it; flush swaps it with spare

	fmu   sync.Mutex // held by the shard flushing; guards following
	spare *sendQueue // flush's
	sendq *sendQueue

	sendErrors atomic.Uint64 // datagrams toward browsers the kernel refused (queued ones)
	reads      atomic.Uint64 // recvmmsg calls (tests)
	batched    atomic.Uint64 // datagrams sent by sendmmsg (tests)
	sendFn     func(fd int)  // s.sendmmsg, bound once
}

// shardReader is one socket of the group and its shard's read state (that
// shard's goroutine only).
type shardReader struct {
	s      *sock
	c      *udploop.Conn
	handle func([]byte, netip.AddrPort)
	rn     int
	rm     *udploop.Mmsgs
	recvFn func(fd int)  // r.recvmmsg, bound once
	reads  atomic.Uint64 // recvmmsg calls that read something (tests)
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
	cs, err := s.loop.ListenGroup(bind, browserleg.SocketBuffer, browserleg.SocketBuffer)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		_ = c.Control(func(fd int) { forceReadBuffer(fd, forcedReadBuffer) }) // just opened: not closed
		r := &shardReader{s: s, c: c, rm: udploop.NewMmsgs(readBatch, readBufferSize)}
		r.recvFn = r.recvmmsg
		s.rs = append(s.rs, r)
	}
	s.c, s.local = cs[0], cs[0].LocalAddr()
	s.sendFn = s.sendmmsg
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

// serve starts handing every datagram to a handler from newHandler, one
// per reader (the loop's shards read at the same time): on the loop, or
// on a read goroutine.
func (s *sock) serve(newHandler func() func([]byte, netip.AddrPort)) error {
	if s.uc != nil {
		r, err := newBatchReader(s.uc)
		if err != nil {
			return err
		}
		handle := newHandler()
		s.wg.Go(func() { s.readLoop(r, handle) })
		return nil
	}
	s.untick = s.loop.AddTicker(s)
	for _, r := range s.rs {
		r.handle = newHandler()
		if err := r.c.Watch(r.readable); err != nil {
			return err
		}
	}
	return nil
}

// maxReadsPerTick bounds the recvmmsg calls of one tick (64 datagrams):
// the browsers' backlog after a stall must not keep the shard from the
// trunk legs' sockets (their packets would wait, then overflow); what is
// left is read in the next tick, which follows at once while the shard is
// behind.
const maxReadsPerTick = 4

// readable reads what is queued, up to maxReadsPerTick batches (the
// reader's shard goroutine).
func (r *shardReader) readable() bool {
	got := false
	for range maxReadsPerTick {
		r.rn = 0
		if r.c.Control(r.recvFn) != nil || r.rn == 0 {
			return got
		}
		got = true
		for i := range r.rn {
			if b, from := r.rm.Packet(i); len(b) > 0 && from.IsValid() {
				r.handle(b, from)
			}
		}
		if r.rn < readBatch {
			return got
		}
	}
	return got
}

func (r *shardReader) recvmmsg(fd int) {
	r.s.reads.Add(1)
	if n, e := r.rm.Recv(fd); e == 0 {
		r.rn = n // else EAGAIN: nothing queued; an ICMP error reported on the socket: read again later
		r.reads.Add(1)
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

// send sends b to `to`: queued for the end of a tick while a shard's
// clock runs, else at once, after what is queued (a full queue is sent
// first, on the writer's goroutine): one stream's packets leave in the
// order written. b is copied; it does not allocate.
func (s *sock) send(b []byte, to netip.AddrPort) error {
	if s.uc != nil || len(b) > sendSlot || len(b) == 0 {
		return s.writeTo(b, to)
	}
	for room := true; ; room = false {
		s.qmu.Lock()
		q := s.q
		ticking := s.ticking > 0
		if ticking && q.n < sendQueueLen {
			i := q.n
			n := s.c.RawAddr(&q.m.Names[i], to)
			if n == 0 {
				s.qmu.Unlock()
				return s.writeTo(b, to) // not of the socket's family: the error
			}
			q.m.Hdrs[i].Hdr.Namelen = n
			q.m.Iovs[i].SetLen(copy(q.m.Bufs[i], b))
			q.n++
			s.qmu.Unlock()
			return nil
		}
		s.qmu.Unlock()
		s.fmu.Lock() // waits for a flush in progress
		s.flushLocked()
		if ticking && room {
			s.fmu.Unlock()
			continue // the queue was full: it has room now
		}
		err := s.writeTo(b, to)
		s.fmu.Unlock()
		return err
	}
}

// Tick sends what writers queued since the last flush (udploop.Ticker),
// unless another shard is sending it right now.
func (s *sock) Tick() bool {
	if !s.fmu.TryLock() {
		return false
	}
	defer s.fmu.Unlock()
	return s.flushLocked() > 0
}

// Stop: a shard's clock stops; when none runs, writers send at once
// (udploop.Ticker).
func (s *sock) Stop() {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.qmu.Lock()
	s.ticking--
	s.qmu.Unlock()
	s.flushLocked() // what was queued before
}

// Start: a shard's clock runs; writers queue (udploop.Ticker).
func (s *sock) Start() {
	s.qmu.Lock()
	s.ticking++
	s.qmu.Unlock()
}

// flushLocked sends the queue in one sendmmsg (more if the kernel takes
// fewer) and returns how many it sent (fmu held).
func (s *sock) flushLocked() int {
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
	var errs []error
	for _, r := range s.rs {
		errs = append(errs, r.c.Close())
	}
	return errors.Join(errs...)
}

// errors sent by the socket, for Engine.Dropped.
func (s *sock) failedSends() uint64 {
	n := s.sendErrors.Load()
	for _, r := range s.rs {
		n += r.c.SendErrors.Load()
	}
	return n
}
