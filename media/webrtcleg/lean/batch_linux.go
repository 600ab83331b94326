package lean

import (
	"encoding/binary"
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// readBatch is how many datagrams one recvmmsg takes from the shared
// socket at most.
const readBatch = 16

// batchReader reads the shared socket with recvmmsg (Linux): every
// datagram queued when the engine's goroutine runs, up to readBatch, in
// one system call instead of one recvfrom each. It does not allocate.
// Only the read loop uses it.
type batchReader struct {
	rc    syscall.RawConn
	hdrs  [readBatch]unix.Mmsghdr
	iovs  [readBatch]unix.Iovec
	names [readBatch]unix.RawSockaddrInet6 // room for either family
	bufs  [readBatch][readBufferSize]byte
	n     int
	errno syscall.Errno
	fn    func(fd uintptr) bool // r.recv, bound once
}

func newBatchReader(c *net.UDPConn) (*batchReader, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	r := &batchReader{rc: rc}
	for i := range r.hdrs {
		r.iovs[i].Base = &r.bufs[i][0]
		r.iovs[i].SetLen(readBufferSize)
		r.hdrs[i].Hdr.Name = (*byte)(unsafe.Pointer(&r.names[i]))
		r.hdrs[i].Hdr.Iov = &r.iovs[i]
		r.hdrs[i].Hdr.SetIovlen(1)
	}
	r.fn = r.recv
	return r, nil
}

// recv is the RawConn.Read callback: false on EAGAIN makes the runtime
// wait until the socket is readable and call it again.
func (r *batchReader) recv(fd uintptr) bool {
	for i := range r.hdrs {
		r.hdrs[i].Hdr.Namelen = unix.SizeofSockaddrInet6
		r.hdrs[i].Hdr.Flags = 0
		r.hdrs[i].Len = 0
	}
	for {
		n, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.hdrs[0])), readBatch, unix.MSG_DONTWAIT, 0, 0)
		switch e {
		case 0:
			r.n, r.errno = int(n), 0
			return true
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		r.n, r.errno = 0, e
		return true
	}
}

// read waits for the next datagrams; it returns how many packet(i) holds.
// A closed socket gives net.ErrClosed (from RawConn.Read).
func (r *batchReader) read() (int, error) {
	if err := r.rc.Read(r.fn); err != nil {
		return 0, err
	}
	if r.errno != 0 {
		return 0, r.errno
	}
	return r.n, nil
}

// packet returns datagram i of the last read and its source (IPv4-mapped
// addresses unmapped); an invalid source for a family it does not know.
func (r *batchReader) packet(i int) ([]byte, netip.AddrPort) {
	b := r.bufs[i][:min(int(r.hdrs[i].Len), readBufferSize)]
	sa := &r.names[i]
	switch sa.Family {
	case unix.AF_INET:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return b, netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), portOf(sa4.Port))
	case unix.AF_INET6:
		return b, netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), portOf(sa.Port))
	}
	return b, netip.AddrPort{}
}

// portOf converts a sockaddr port (network byte order in memory) to a
// number.
func portOf(p uint16) uint16 {
	var b [2]byte
	*(*uint16)(unsafe.Pointer(&b[0])) = p
	return binary.BigEndian.Uint16(b[:])
}

// forceReadBuffer raises the shared socket's receive buffer to size with
// SO_RCVBUFFORCE, past net.core.rmem_max, when the process may (root or
// CAP_NET_ADMIN); otherwise the buffer stays what SetReadBuffer got. Every
// browser's packets queue in this one buffer (rtpengine has a socket per
// leg), so while the engine's goroutine is starved of CPU the buffer must
// hold every leg's packets: at 200 calls 10,000 a second. With the 8 MiB
// that a 4 MiB rmem_max allows, a loaded 2-core machine overflowed it
// (3.7-8.2 % of the browsers' packets lost at 200 calls, independent
// shape; rtpengine 0 %).
func forceReadBuffer(c *net.UDPConn, size int) {
	rc, err := c.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		if cur, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF); err == nil && cur >= 2*size {
			return // the kernel reports twice the size asked for
		}
		_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, size) // EPERM without CAP_NET_ADMIN: keep what SetReadBuffer got
	})
}
