//go:build !linux

package lean

import (
	"net"
	"net/netip"
)

// batchReader reads one datagram per call where recvmmsg is not
// available (batch_linux.go reads up to 16).
type batchReader struct {
	c    *net.UDPConn
	buf  [readBufferSize]byte
	n    int
	from netip.AddrPort
}

func newBatchReader(c *net.UDPConn) (*batchReader, error) { return &batchReader{c: c}, nil }

func (r *batchReader) read() (int, error) {
	n, from, err := r.c.ReadFromUDPAddrPort(r.buf[:])
	if err != nil {
		return 0, err
	}
	r.n, r.from = n, netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	return 1, nil
}

func (r *batchReader) packet(int) ([]byte, netip.AddrPort) { return r.buf[:r.n], r.from }

// forceReadBuffer is Linux only (batch_linux.go).
func forceReadBuffer(*net.UDPConn, int) {}
