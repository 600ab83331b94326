//go:build !linux

package udpmux

import (
	"errors"
	"net/netip"
	"sync/atomic"
	"time"

	"switchboard/media/udploop"
)

// Mux is not available: New fails (the generator's media loops need Linux).
type Mux struct{ SendErrors atomic.Uint64 }

// End is never made where Mux is not available.
type End struct{}

// New returns errors.ErrUnsupported.
func New(*udploop.Loop, byte) (*Mux, error) { return nil, errors.ErrUnsupported }

func (*Mux) Open(func([]byte, netip.AddrPort, time.Time)) (*End, error) {
	return nil, errors.ErrUnsupported
}
func (*Mux) Close() error                         { return nil }
func (*Mux) Flush()                               {}
func (*End) LocalAddr() netip.AddrPort            { return netip.AddrPort{} }
func (*End) Close() error                         { return nil }
func (*End) WriteTo([]byte, netip.AddrPort) error { return errors.ErrUnsupported }
func (*End) Queue([]byte, netip.AddrPort) error   { return errors.ErrUnsupported }
