package udploop

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Conn is a UDP socket of the loop: non-blocking, not watched by the Go
// runtime. Writes may come from any goroutine; reads belong to its handler.
type Conn struct {
	sh    *shard // the shard whose goroutine runs the handler
	fd    int
	v6    bool
	local netip.AddrPort

	hmu     sync.Mutex // held while the handler runs; Close takes it
	handler func() bool
	watched bool
	batch   *Mmsgs // the running shard's ReadBatch buffers (hmu held)

	cmu    sync.RWMutex // writes and reads hold it shared; Close exclusively
	closed atomic.Bool

	SendErrors atomic.Uint64 // datagrams the kernel refused
}

// Listen binds a UDP socket on bind (IPv6 only for an IPv6 address) with
// the given kernel buffer sizes (0: the default; capped at
// net.core.[rw]mem_max), on the shard with the fewest sockets (so a
// call's socket lands beside as few others as possible). It is not
// watched until Watch.
func (l *Loop) Listen(bind netip.AddrPort, readBuffer, writeBuffer int) (*Conn, error) {
	return listenOn(l.place(), bind, readBuffer, writeBuffer, false)
}

// ListenBeside binds a UDP socket as Listen does, on c's shard (a call's
// RTCP socket beside its RTP one: the placement stays even).
func (c *Conn) ListenBeside(bind netip.AddrPort, readBuffer, writeBuffer int) (*Conn, error) {
	return listenOn(c.sh, bind, readBuffer, writeBuffer, false)
}

// ListenGroup binds one socket per shard on the same address (an
// ephemeral port for port 0), the kernel's SO_REUSEPORT group: it hands
// each datagram to one of them by a hash of the source and destination
// addresses, so one peer's datagrams all reach the same socket, in order,
// and a busy shared port is read by every shard. Conn i is on shard i;
// any of them sends from the port. The sockets need each other: close
// them all.
//
// A port already bound fails with EADDRINUSE, as Listen's would: the port
// is first bound by a plain socket, which is closed just before the group
// binds it (another SO_REUSEPORT socket of the same user taking the port
// in between would share its datagrams).
func (l *Loop) ListenGroup(bind netip.AddrPort, readBuffer, writeBuffer int) ([]*Conn, error) {
	probe, err := listenOn(l.shards[0], bind, 0, 0, false)
	if err != nil {
		return nil, err
	}
	bind = netip.AddrPortFrom(bind.Addr(), probe.LocalAddr().Port())
	if err := probe.Close(); err != nil {
		return nil, err
	}
	cs := make([]*Conn, 0, len(l.shards))
	for _, s := range l.shards {
		c, err := listenOn(s, bind, readBuffer, writeBuffer, true)
		if err != nil {
			for _, c := range cs {
				_ = c.Close() // never used: err is the one to report
			}
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// listenOn binds a socket placed on shard s (reusePort: SO_REUSEPORT).
func listenOn(s *shard, bind netip.AddrPort, readBuffer, writeBuffer int, reusePort bool) (*Conn, error) {
	c := &Conn{sh: s, v6: bind.Addr().Is6()}
	family := unix.AF_INET
	if c.v6 {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	fail := func(err error) (*Conn, error) {
		_ = unix.Close(fd) // never used: err is the one to report
		return nil, err
	}
	var sa unix.Sockaddr = &unix.SockaddrInet4{Port: int(bind.Port()), Addr: bind.Addr().Unmap().As4()}
	if c.v6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			return fail(fmt.Errorf("ipv6only: %w", err))
		}
		sa = &unix.SockaddrInet6{Port: int(bind.Port()), Addr: bind.Addr().As16()}
	}
	if !c.v6 {
		// DF without path MTU discovery: the kernel then leaves the IP ID 0
		// instead of hashing one per datagram (__ip_select_ident, 1.6 % of
		// the gateway's CPU at 200 calls); media datagrams (≤ 1,250 bytes)
		// are not fragmented either way.
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, unix.IP_PMTUDISC_PROBE) // best effort: without it the ID is hashed
	}
	if reusePort {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
			return fail(fmt.Errorf("reuseport: %w", err))
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return fail(&net.OpError{Op: "listen", Net: "udp", Addr: net.UDPAddrFromAddrPort(bind), Err: err})
	}
	got, err := unix.Getsockname(fd)
	if err != nil {
		return fail(fmt.Errorf("getsockname: %w", err))
	}
	switch a := got.(type) {
	case *unix.SockaddrInet4:
		c.local = netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *unix.SockaddrInet6:
		c.local = netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port))
	}
	if readBuffer > 0 {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, readBuffer) // best effort, capped by rmem_max
	}
	if writeBuffer > 0 {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, writeBuffer) // best effort, capped by wmem_max
	}
	c.fd = fd
	s.socks.Add(1)
	return c, nil
}

// LocalAddr returns the bound address.
func (c *Conn) LocalAddr() netip.AddrPort { return c.local }

// Watch makes the socket's shard call handler on its goroutine in every tick in which
// the socket has a datagram queued, until Close. handler should read what
// is queued (what it leaves is reported again next tick) and report whether
// it read anything.
func (c *Conn) Watch(handler func() bool) error {
	c.hmu.Lock()
	defer c.hmu.Unlock()
	if c.closed.Load() || c.watched {
		return net.ErrClosed
	}
	c.handler, c.watched = handler, true
	s := c.sh
	s.mu.Lock()
	s.setConn(c.fd, c)
	s.mu.Unlock()
	if err := unix.EpollCtl(s.epfd, unix.EPOLL_CTL_ADD, c.fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(c.fd)}); err != nil {
		s.mu.Lock()
		s.setConn(c.fd, nil)
		s.mu.Unlock()
		return fmt.Errorf("udploop: epoll add: %w", err)
	}
	return nil
}

// ready runs the handler (loop goroutine).
func (c *Conn) ready(runner *shard) bool {
	c.hmu.Lock()
	defer c.hmu.Unlock()
	return c.runLocked(runner)
}

// tryReady runs the handler on runner (another shard's goroutine, rescuing
// c's) unless it is running now.
func (c *Conn) tryReady(runner *shard) bool {
	if !c.hmu.TryLock() {
		return false
	}
	defer c.hmu.Unlock()
	return c.runLocked(runner)
}

// runLocked runs the handler with runner's buffers (hmu held).
func (c *Conn) runLocked(runner *shard) bool {
	if c.closed.Load() {
		return false
	}
	c.batch = runner.batch
	return c.handler()
}

// Close stops watching the socket, waits for a handler call in progress
// and closes it; writes then fail with net.ErrClosed. It must not be called
// from the socket's own handler. It is idempotent.
func (c *Conn) Close() error {
	c.hmu.Lock()
	defer c.hmu.Unlock()
	c.cmu.Lock()
	defer c.cmu.Unlock()
	if c.closed.Swap(true) {
		return nil
	}
	if c.watched {
		s := c.sh
		s.mu.Lock()
		s.setConn(c.fd, nil)
		s.mu.Unlock()
		_ = unix.EpollCtl(s.epfd, unix.EPOLL_CTL_DEL, c.fd, nil) // closing the fd removes it anyway
	}
	c.sh.socks.Add(-1)
	return unix.Close(c.fd)
}

// Control runs f with the socket's descriptor unless the socket is closed
// (then it returns net.ErrClosed): for reads and writes of batches
// (recvmmsg, sendmmsg). f must not keep fd.
func (c *Conn) Control(f func(fd int)) error {
	c.cmu.RLock()
	defer c.cmu.RUnlock()
	if c.closed.Load() {
		return net.ErrClosed
	}
	f(c.fd)
	return nil
}

// RawAddr writes `to` in sockaddr form for the socket's family into sa and
// returns its length; 0 for an IPv6 address on an IPv4 socket.
func (c *Conn) RawAddr(sa *unix.RawSockaddrInet6, to netip.AddrPort) uint32 {
	var port [2]byte
	binary.BigEndian.PutUint16(port[:], to.Port())
	if !c.v6 {
		if !to.Addr().Is4() && !to.Addr().Is4In6() {
			return 0
		}
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		*sa4 = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: to.Addr().Unmap().As4()}
		sa4.Port = *(*uint16)(unsafe.Pointer(&port[0]))
		return unix.SizeofSockaddrInet4
	}
	*sa = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: to.Addr().As16()}
	sa.Port = *(*uint16)(unsafe.Pointer(&port[0]))
	return unix.SizeofSockaddrInet6
}

// AddrOf decodes a sockaddr the kernel filled in (IPv4-mapped addresses
// unmapped); invalid for a family it does not know.
func AddrOf(sa *unix.RawSockaddrInet6) netip.AddrPort {
	switch sa.Family {
	case unix.AF_INET:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), portOf(sa4.Port))
	case unix.AF_INET6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), portOf(sa.Port))
	}
	return netip.AddrPort{}
}

// portOf converts a sockaddr port (network byte order in memory) to a
// number.
func portOf(p uint16) uint16 {
	var b [2]byte
	*(*uint16)(unsafe.Pointer(&b[0])) = p
	return binary.BigEndian.Uint16(b[:])
}

// WriteTo sends b to `to` at once (sendto, not waiting: a full send buffer
// is an error). It does not allocate.
func (c *Conn) WriteTo(b []byte, to netip.AddrPort) error {
	if len(b) == 0 {
		return nil
	}
	var sa unix.RawSockaddrInet6
	n := c.RawAddr(&sa, to)
	if n == 0 {
		return fmt.Errorf("send to %s: %w", to, unix.EAFNOSUPPORT)
	}
	c.cmu.RLock()
	defer c.cmu.RUnlock()
	if c.closed.Load() {
		return net.ErrClosed
	}
	for {
		_, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(c.fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)),
			unix.MSG_DONTWAIT, uintptr(unsafe.Pointer(&sa)), uintptr(n))
		switch e {
		case 0:
			return nil
		case unix.EINTR:
			continue
		}
		c.SendErrors.Add(1)
		return e
	}
}

// readBatch is how many datagrams ReadBatch takes per call at most.
const readBatch = 8

// maxDatagram is the size of ReadBatch's buffers: larger datagrams are
// truncated.
const maxDatagram = 2048

// ReadBatch reads the datagrams queued, up to 8, in one recvmmsg without
// waiting, and calls fn with each (b valid during the call only); it
// returns how many. Handler only (the buffers are the loop's). It does not
// allocate.
func (c *Conn) ReadBatch(fn func(b []byte, from netip.AddrPort)) (int, error) {
	c.cmu.RLock()
	if c.closed.Load() {
		c.cmu.RUnlock()
		return 0, net.ErrClosed
	}
	b := c.batch
	n, e := b.Recv(c.fd)
	c.cmu.RUnlock()
	switch e {
	case 0:
	case unix.EAGAIN:
		return 0, nil
	default:
		return 0, e
	}
	for i := range n {
		fn(b.Packet(i))
	}
	return int(n), nil
}

// ReadFrom reads one queued datagram into b without waiting: n is 0 when
// none is queued (or on a transient error such as a reported ICMP error).
// Handler only. It does not allocate.
func (c *Conn) ReadFrom(b []byte) (int, netip.AddrPort, error) {
	c.cmu.RLock()
	defer c.cmu.RUnlock()
	if c.closed.Load() {
		return 0, netip.AddrPort{}, net.ErrClosed
	}
	var sa unix.RawSockaddrInet6
	salen := uint32(unix.SizeofSockaddrInet6)
	for {
		n, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(c.fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)),
			unix.MSG_DONTWAIT, uintptr(unsafe.Pointer(&sa)), uintptr(unsafe.Pointer(&salen)))
		switch e {
		case 0:
			return int(n), AddrOf(&sa), nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0, netip.AddrPort{}, nil
		}
		return 0, netip.AddrPort{}, e
	}
}
