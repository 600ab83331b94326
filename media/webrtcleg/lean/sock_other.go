//go:build !linux

package lean

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"switchboard/media/udploop"
)

// sock is the shared socket where media/udploop is not available: a
// net.UDPConn read one datagram at a time on a goroutine, every write sent
// at once (sock_linux.go runs it on the loop's 1 ms clock).
type sock struct {
	c          *net.UDPConn
	local      netip.AddrPort
	sendErrors atomic.Uint64
	batched    atomic.Uint64 // never: every write goes out at once
	buf        [readBufferSize]byte
	wg         sync.WaitGroup
}

func listen(bind netip.AddrPort, _ *udploop.Loop) (*sock, error) {
	c, err := listenUDP(bind)
	if err != nil {
		return nil, err
	}
	return &sock{c: c, local: c.LocalAddr().(*net.UDPAddr).AddrPort()}, nil
}

func (s *sock) writeTo(b []byte, to netip.AddrPort) error {
	_, err := s.c.WriteToUDPAddrPort(b, to)
	if err != nil {
		s.sendErrors.Add(1)
	}
	return err
}

func (s *sock) send(b []byte, to netip.AddrPort) error { return s.writeTo(b, to) }

func (s *sock) serve(newHandler func() func([]byte, netip.AddrPort)) error {
	handle := newHandler()
	s.wg.Go(func() {
		for {
			n, from, err := s.c.ReadFromUDPAddrPort(s.buf[:])
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err == nil && n > 0 {
				handle(s.buf[:n], netip.AddrPortFrom(from.Addr().Unmap(), from.Port()))
			}
		}
	})
	return nil
}

func (s *sock) shutdown() {}

// close closes the socket, which ends the reader, and waits for it.
func (s *sock) close() error {
	err := s.c.Close()
	s.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

func (s *sock) failedSends() uint64 { return s.sendErrors.Load() }
