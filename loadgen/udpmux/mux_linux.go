//go:build linux

package udpmux

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"switchboard/media/udploop"
)

const (
	batch      = 64   // datagrams per recvmmsg / sendmmsg
	maxPacket  = 1500 // largest datagram read
	rcvBuffer  = 4 << 20
	cmsgSpace  = unix.SizeofCmsghdr + (unix.SizeofInet4Pktinfo+7)&^7 // CMSG_SPACE(sizeof(in_pktinfo))
	perOctet   = 254                                                 // last octet 1..254
	maxEnds    = 256 * perOctet
	readRounds = 16 // recvmmsg calls per tick at most (then the rest waits a tick)
)

// cmsg is room for one IP_PKTINFO control message, 8-byte aligned as
// struct cmsghdr wants.
type cmsg [cmsgSpace / 8]uint64

func (c *cmsg) ptr() unsafe.Pointer { return unsafe.Pointer(&c[0]) }

// Mux is one UDP socket on a udploop.Loop shared by many endpoints.
type Mux struct {
	conn *udploop.Conn
	port uint16
	net  byte // second octet of every endpoint's address

	mu   sync.RWMutex // guards ends, free; held (read) while a batch is handed out
	ends []*End
	free []int

	rx  *udploop.Mmsgs // handler only
	rxc []cmsg

	tmu     sync.Mutex // guards following
	tx      *udploop.Mmsgs
	txc     []cmsg
	ntx     int
	stopped bool // the loop's clock stopped: Queue sends at once
	closed  bool
	remove  func()

	// SendErrors counts datagrams the kernel refused (queued or written).
	SendErrors atomic.Uint64
}

// End is one endpoint of a Mux: its own address, the Mux's port.
type End struct {
	m      *Mux
	idx    int
	addr   netip.AddrPort
	onRecv func(b []byte, from netip.AddrPort, at time.Time)
}

// New binds a Mux's socket on loop: port picked by the kernel, every
// endpoint at 127.net.x.y (net not 0; the socket is bound to the
// loopback device, so nothing from another interface reaches it).
func New(loop *udploop.Loop, network byte) (*Mux, error) {
	if network == 0 || network == 255 {
		return nil, fmt.Errorf("udpmux: network 127.%d.0.0/16 is not usable", network)
	}
	conn, err := loop.Listen(netip.AddrPortFrom(netip.IPv4Unspecified(), 0), rcvBuffer, 0)
	if err != nil {
		return nil, fmt.Errorf("udpmux: %w", err)
	}
	var serr error
	if err := conn.Control(func(fd int) {
		if serr = unix.SetsockoptString(fd, unix.SOL_SOCKET, unix.SO_BINDTODEVICE, "lo"); serr != nil {
			serr = fmt.Errorf("SO_BINDTODEVICE lo: %w", serr)
			return
		}
		if serr = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_PKTINFO, 1); serr != nil {
			serr = fmt.Errorf("IP_PKTINFO: %w", serr)
		}
	}); err != nil || serr != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("udpmux: %w", errors.Join(err, serr))
	}
	m := &Mux{conn: conn, port: conn.LocalAddr().Port(), net: network,
		rx: udploop.NewMmsgs(batch, maxPacket), rxc: make([]cmsg, batch),
		tx: udploop.NewMmsgs(batch, maxPacket), txc: make([]cmsg, batch)}
	for i := range batch {
		m.rx.Hdrs[i].Hdr.Control = (*byte)(m.rxc[i].ptr())
		m.tx.Hdrs[i].Hdr.Control = (*byte)(m.txc[i].ptr())
		m.tx.Hdrs[i].Hdr.SetControllen(cmsgSpace)
	}
	if err := conn.Watch(m.readable); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("udpmux: %w", err)
	}
	m.remove = loop.AddTicker(m)
	return m, nil
}

// Open adds an endpoint: the datagrams sent to its address are handed to
// onRecv on the loop's goroutine (b valid during the call only, at the
// time the batch was read).
func (m *Mux) Open(onRecv func(b []byte, from netip.AddrPort, at time.Time)) (*End, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var i int
	switch {
	case len(m.free) > 0:
		i, m.free = m.free[len(m.free)-1], m.free[:len(m.free)-1]
	case len(m.ends) < maxEnds:
		i = len(m.ends)
		m.ends = append(m.ends, nil)
	default:
		return nil, fmt.Errorf("udpmux: all %d addresses in use", maxEnds)
	}
	e := &End{m: m, idx: i, onRecv: onRecv,
		addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, m.net, byte(i / perOctet), byte(i%perOctet + 1)}), m.port)}
	m.ends[i] = e
	return e, nil
}

// LocalAddr is the endpoint's address.
func (e *End) LocalAddr() netip.AddrPort { return e.addr }

// Close removes the endpoint: onRecv is not called after it returns (not
// from onRecv itself).
func (e *End) Close() error {
	m := e.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ends[e.idx] == e {
		m.ends[e.idx] = nil
		m.free = append(m.free, e.idx)
	}
	return nil
}

// WriteTo sends b from the endpoint's address at once (one sendmsg).
func (e *End) WriteTo(b []byte, to netip.AddrPort) error {
	if len(b) == 0 {
		return nil
	}
	var (
		sa   unix.RawSockaddrInet6
		cm   cmsg
		iov  unix.Iovec
		msg  unix.Msghdr
		serr error
	)
	n := e.m.conn.RawAddr(&sa, to)
	if n == 0 {
		return fmt.Errorf("udpmux: send to %s: %w", to, unix.EAFNOSUPPORT)
	}
	pktinfo(&cm, e.addr.Addr())
	iov.Base = &b[0]
	iov.SetLen(len(b))
	msg.Name, msg.Namelen = (*byte)(unsafe.Pointer(&sa)), n
	msg.Iov = &iov
	msg.SetIovlen(1)
	msg.Control = (*byte)(cm.ptr())
	msg.SetControllen(cmsgSpace)
	err := e.m.conn.Control(func(fd int) {
		for {
			_, _, en := unix.Syscall(unix.SYS_SENDMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), unix.MSG_DONTWAIT)
			if en == unix.EINTR {
				continue
			}
			if en != 0 {
				serr = en
				e.m.SendErrors.Add(1)
			}
			return
		}
	})
	if err != nil {
		return err
	}
	return serr
}

// Queue sends b from the endpoint's address at the end of the loop's
// tick, in one sendmmsg with everything queued in that tick (b is copied;
// at once when the clock is stopped).
func (e *End) Queue(b []byte, to netip.AddrPort) error {
	m := e.m
	if len(b) == 0 {
		return nil
	}
	if len(b) > maxPacket {
		return fmt.Errorf("udpmux: %d-byte datagram", len(b))
	}
	m.tmu.Lock()
	defer m.tmu.Unlock()
	if m.closed {
		return net.ErrClosed
	}
	if m.stopped {
		return e.WriteTo(b, to) // tmu does not guard the socket: only the batch
	}
	i := m.ntx
	h := &m.tx.Hdrs[i].Hdr
	h.Namelen = m.conn.RawAddr(&m.tx.Names[i], to)
	if h.Namelen == 0 {
		return fmt.Errorf("udpmux: send to %s: %w", to, unix.EAFNOSUPPORT)
	}
	m.tx.Iovs[i].SetLen(copy(m.tx.Bufs[i], b))
	pktinfo(&m.txc[i], e.addr.Addr())
	m.ntx++
	if m.ntx == batch {
		m.flush()
	}
	return nil
}

// Flush sends what is queued now (from a Ticker that queued in this tick
// and should not wait for the Mux's own Tick: the Mux's may have run
// before it).
func (m *Mux) Flush() {
	m.tmu.Lock()
	m.flush()
	m.tmu.Unlock()
}

// flush sends what is queued (tmu held).
func (m *Mux) flush() {
	if m.ntx == 0 {
		return
	}
	var failed int
	_ = m.conn.Control(func(fd int) { failed = m.tx.Send(fd, m.ntx) }) // closed: dropped
	m.SendErrors.Add(uint64(failed))
	m.ntx = 0
}

// Tick sends what the tick queued (udploop.Ticker, loop goroutine).
func (m *Mux) Tick() bool {
	m.tmu.Lock()
	defer m.tmu.Unlock()
	busy := m.ntx > 0
	m.flush()
	return busy
}

// Stop: the clock stopped, Queue sends at once (what is queued leaves
// now).
func (m *Mux) Stop() { m.setStopped(true) }

// Start: the clock runs again, Queue queues.
func (m *Mux) Start() { m.setStopped(false) }

func (m *Mux) setStopped(stopped bool) {
	m.tmu.Lock()
	defer m.tmu.Unlock()
	m.flush()
	m.stopped = stopped
}

// Close closes the socket (after every endpoint is closed; what is still
// queued is dropped).
func (m *Mux) Close() error {
	m.remove()
	m.tmu.Lock()
	m.closed, m.ntx = true, 0
	m.tmu.Unlock()
	return m.conn.Close()
}

// readable reads what is queued, batch by batch, and hands each datagram
// to the endpoint it was sent to (loop goroutine).
func (m *Mux) readable() bool {
	at := time.Now()
	any := false
	for range readRounds {
		for i := range batch {
			m.rx.Hdrs[i].Hdr.SetControllen(cmsgSpace)
		}
		n := 0
		_ = m.conn.Control(func(fd int) { n, _ = m.rx.Recv(fd) })
		if n <= 0 {
			break
		}
		any = true
		m.mu.RLock()
		for i := range n {
			e := m.endOf(i)
			if e == nil {
				continue
			}
			b, from := m.rx.Packet(i)
			e.onRecv(b, from, at)
		}
		m.mu.RUnlock()
		if n < batch {
			break
		}
	}
	return any
}

// endOf finds the endpoint datagram i of the last read was sent to (its
// IP_PKTINFO destination); nil if none (mu held).
func (m *Mux) endOf(i int) *End {
	h := &m.rx.Hdrs[i].Hdr
	c := &m.rxc[i]
	if h.Controllen < unix.SizeofCmsghdr+unix.SizeofInet4Pktinfo {
		return nil
	}
	cm := (*unix.Cmsghdr)(c.ptr())
	if cm.Level != unix.IPPROTO_IP || cm.Type != unix.IP_PKTINFO {
		return nil
	}
	pi := (*unix.Inet4Pktinfo)(unsafe.Add(c.ptr(), unix.SizeofCmsghdr))
	a := pi.Addr
	if a[0] != 127 || a[1] != m.net || a[3] == 0 || a[3] > perOctet {
		return nil
	}
	idx := int(a[2])*perOctet + int(a[3]) - 1
	if idx >= len(m.ends) {
		return nil
	}
	return m.ends[idx]
}

// pktinfo writes an IP_PKTINFO control message that sends from src.
func pktinfo(c *cmsg, src netip.Addr) {
	clear(c[:])
	cm := (*unix.Cmsghdr)(c.ptr())
	cm.Level, cm.Type = unix.IPPROTO_IP, unix.IP_PKTINFO
	cm.SetLen(unix.SizeofCmsghdr + unix.SizeofInet4Pktinfo)
	pi := (*unix.Inet4Pktinfo)(unsafe.Add(c.ptr(), unix.SizeofCmsghdr))
	pi.Spec_dst = src.As4()
}
