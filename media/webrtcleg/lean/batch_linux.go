package lean

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"

	"switchboard/media/udploop"
)

// batchReader reads the shared socket with recvmmsg when it is a
// net.UDPConn (Config.Loop nil, sock_linux.go): every datagram queued
// when the engine's goroutine runs, up to readBatch, in one system call
// instead of one recvfrom each. It does not allocate. Only the read loop
// uses it.
type batchReader struct {
	rc    syscall.RawConn
	m     *udploop.Mmsgs
	n     int
	errno syscall.Errno
	fn    func(fd uintptr) bool // r.recv, bound once
}

func newBatchReader(c *net.UDPConn) (*batchReader, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	r := &batchReader{rc: rc, m: udploop.NewMmsgs(readBatch, readBufferSize)}
	r.fn = r.recv
	return r, nil
}

// recv is the RawConn.Read callback: false on EAGAIN makes the runtime
// wait until the socket is readable and call it again.
func (r *batchReader) recv(fd uintptr) bool {
	n, e := r.m.Recv(int(fd))
	if e == unix.EAGAIN {
		return false
	}
	r.n, r.errno = n, e
	if e != 0 {
		r.n = 0
	}
	return true
}

// read waits for the next datagrams; it returns how many Packet holds.
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
