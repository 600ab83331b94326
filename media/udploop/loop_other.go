//go:build !linux

package udploop

import (
	"errors"
	"net/netip"
	"time"
)

// Tick and IdleTicks are Linux's (loop_linux.go).
const (
	Tick      = time.Millisecond
	IdleTicks = 8
)

// Ticker is Linux's (loop_linux.go).
type Ticker interface {
	Tick() bool
	Stop()
	Start()
}

// Loop is not available: New fails, and the legs read their sockets on
// goroutines.
type Loop struct{}

// Conn is never made where Loop is not available.
type Conn struct{}

// New returns errors.ErrUnsupported.
func New() (*Loop, error) { return nil, errors.ErrUnsupported }

// NewShards returns errors.ErrUnsupported.
func NewShards(int) (*Loop, error) { return nil, errors.ErrUnsupported }

func (*Loop) Shards() int          { return 0 }
func (*Loop) ShardTicks() []uint64 { return nil }
func (*Loop) ListenGroup(netip.AddrPort, int, int) ([]*Conn, error) {
	return nil, errors.ErrUnsupported
}

func (*Loop) Close() error                                   { return nil }
func (*Loop) AddTicker(Ticker) (remove func())               { return func() {} }
func (*Loop) Ticks() uint64                                  { return 0 }
func (*Loop) Parks() uint64                                  { return 0 }
func (*Loop) Listen(netip.AddrPort, int, int) (*Conn, error) { return nil, errors.ErrUnsupported }
func (*Conn) ListenBeside(netip.AddrPort, int, int) (*Conn, error) {
	return nil, errors.ErrUnsupported
}
func (*Conn) LocalAddr() netip.AddrPort                           { return netip.AddrPort{} }
func (*Conn) Watch(func() bool) error                             { return errors.ErrUnsupported }
func (*Conn) Close() error                                        { return nil }
func (*Conn) WriteTo([]byte, netip.AddrPort) error                { return errors.ErrUnsupported }
func (*Conn) ReadBatch(func([]byte, netip.AddrPort)) (int, error) { return 0, errors.ErrUnsupported }
func (*Conn) ReadFrom([]byte) (int, netip.AddrPort, error) {
	return 0, netip.AddrPort{}, errors.ErrUnsupported
}
