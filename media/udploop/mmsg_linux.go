package udploop

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Mmsgs are message headers for recvmmsg and sendmmsg, each with one buffer
// and room for a sockaddr of either family. Make them with NewMmsgs.
type Mmsgs struct {
	Hdrs  []unix.Mmsghdr
	Iovs  []unix.Iovec
	Names []unix.RawSockaddrInet6
	Bufs  [][]byte
}

// NewMmsgs returns n headers with buffers of size bytes.
func NewMmsgs(n, size int) *Mmsgs {
	m := &Mmsgs{Hdrs: make([]unix.Mmsghdr, n), Iovs: make([]unix.Iovec, n), Names: make([]unix.RawSockaddrInet6, n), Bufs: make([][]byte, n)}
	all := make([]byte, n*size)
	for i := range m.Hdrs {
		m.Bufs[i] = all[i*size : (i+1)*size : (i+1)*size]
		m.Iovs[i].Base = &m.Bufs[i][0]
		m.Iovs[i].SetLen(size)
		m.Hdrs[i].Hdr.Name = (*byte)(unsafe.Pointer(&m.Names[i]))
		m.Hdrs[i].Hdr.Iov = &m.Iovs[i]
		m.Hdrs[i].Hdr.SetIovlen(1)
	}
	return m
}

// Recv reads up to len(m.Hdrs) queued datagrams from fd in one recvmmsg
// without waiting: how many, 0 with EAGAIN when none is queued. It does
// not allocate.
func (m *Mmsgs) Recv(fd int) (int, unix.Errno) {
	for i := range m.Hdrs {
		m.Hdrs[i].Hdr.Namelen = unix.SizeofSockaddrInet6
		m.Hdrs[i].Hdr.Flags = 0
		m.Hdrs[i].Len = 0
	}
	for {
		n, _, e := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(fd), uintptr(unsafe.Pointer(&m.Hdrs[0])), uintptr(len(m.Hdrs)), unix.MSG_DONTWAIT, 0, 0)
		if e != unix.EINTR {
			return int(n), e
		}
	}
}

// Packet returns datagram i of the last Recv and its source.
func (m *Mmsgs) Packet(i int) ([]byte, netip.AddrPort) {
	return m.Bufs[i][:min(int(m.Hdrs[i].Len), len(m.Bufs[i]))], AddrOf(&m.Names[i])
}

// Send sends the first n messages (their lengths and addresses set) on fd
// in as few sendmmsg as the kernel allows, without waiting; a message the
// kernel refuses is skipped. It returns how many were refused and does not
// allocate.
func (m *Mmsgs) Send(fd, n int) (failed int) {
	for i := 0; i < n; {
		sent, _, e := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&m.Hdrs[i])), uintptr(n-i), unix.MSG_DONTWAIT, 0, 0)
		switch {
		case e == unix.EINTR:
		case e != 0 || sent == 0:
			failed++ // the first one failed: skip it
			i++
		default:
			i += int(sent)
		}
	}
	return failed
}
