// Package netguard keeps listeners serving through transient errors and
// caps what they hold (PROTOCOL §14 "No silent outage", "Budgets").
//
// A Listener's Accept never returns a transient error such as EMFILE or
// ENFILE: it backs off (5 ms doubling to 1 s) and retries, so a server loop
// that stops on the first Accept error (sipgo's TCP transport does) keeps
// serving once descriptors are free again. While Accept is failing, Err
// reports the error: /healthz uses it to answer 503. Accept returns only
// net.ErrClosed, after Close. The Listener also caps the connections it
// has open at once, in total and per source address; a connection over a
// cap is accepted and closed at once (refused), and counted.
//
// A PacketConn does the same for ReadFrom on a datagram socket.
//
// It performs no protocol work. All methods are safe for concurrent use.
package netguard

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = time.Second
)

// Config configures a Listener. The zero value retries with no caps.
type Config struct {
	Budget *Budget      // caps on open connections, may be shared by listeners; nil means no cap
	Name   string       // what the listener serves, for logs ("sip tcp")
	Logger *slog.Logger // nil means slog.Default()
}

// Budget caps the connections open at once, in total and per source
// address, across the listeners that share it (SIP TCP and TLS share one).
type Budget struct {
	max, perSource int
	refused        atomic.Uint64

	mu       sync.Mutex // guards following
	open     int
	bySource map[netip.Addr]int
}

// NewBudget returns a budget of max connections at once, at most perSource
// of them from one address; 0 means no cap for either.
func NewBudget(max, perSource int) *Budget {
	return &Budget{max: max, perSource: perSource, bySource: map[netip.Addr]int{}}
}

func (b *Budget) admit(src netip.Addr) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if (b.max > 0 && b.open >= b.max) || (b.perSource > 0 && b.bySource[src] >= b.perSource) {
		b.refused.Add(1)
		return false
	}
	b.open++
	b.bySource[src]++
	return true
}

func (b *Budget) release(src netip.Addr) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.open--
	if b.bySource[src]--; b.bySource[src] <= 0 {
		delete(b.bySource, src)
	}
}

// Open returns the number of connections holding a slot.
func (b *Budget) Open() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.open
}

// Refused returns how many connections were closed at once for a cap.
func (b *Budget) Refused() uint64 { return b.refused.Load() }

// Listener is a net.Listener that retries transient Accept errors and caps
// its connections.
type Listener struct {
	net.Listener
	cfg     Config
	log     *slog.Logger
	closed  atomic.Bool
	failing atomic.Pointer[error] // the Accept error being retried; nil while serving
	done    chan struct{}
}

// Listen wraps l.
func Listen(l net.Listener, cfg Config) *Listener {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if cfg.Budget == nil {
		cfg.Budget = NewBudget(0, 0)
	}
	return &Listener{Listener: l, cfg: cfg, log: log, done: make(chan struct{})}
}

// Accept waits for the next connection within the caps. It returns an
// error only once the listener is closed.
func (l *Listener) Accept() (net.Conn, error) {
	backoff := time.Duration(0)
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if l.closed.Load() || errors.Is(err, net.ErrClosed) {
				return nil, err
			}
			if backoff == 0 {
				backoff = minBackoff
				l.log.Error("accept failing: retrying", "listener", l.cfg.Name, "err", err)
			} else {
				backoff = min(2*backoff, maxBackoff)
			}
			l.failing.Store(&err)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-l.done:
				t.Stop()
				return nil, net.ErrClosed
			}
			if descriptorsBack(err) {
				// Accept may now block with nothing queued: the listener is
				// serving again, so health must not keep the old error.
				l.failing.Store(nil)
			}
			continue
		}
		if backoff != 0 {
			l.log.Info("accept recovered", "listener", l.cfg.Name)
			backoff = 0
		}
		l.failing.Store(nil)
		src := addrOf(c.RemoteAddr())
		if !l.cfg.Budget.admit(src) {
			l.log.Debug("connection refused: over budget", "listener", l.cfg.Name, "source", src.String())
			c.Close()
			continue
		}
		return &conn{Conn: c, b: l.cfg.Budget, src: src}, nil
	}
}

// Close closes the listener; a pending Accept returns net.ErrClosed.
// Connections already accepted stay open.
func (l *Listener) Close() error {
	if l.closed.Swap(true) {
		return nil
	}
	close(l.done)
	return l.Listener.Close()
}

// Err returns the Accept error being retried, or nil while accepting works.
func (l *Listener) Err() error {
	if p := l.failing.Load(); p != nil {
		return *p
	}
	return nil
}

// descriptorsBack reports whether err was a shortage of file descriptors
// that is over: a descriptor can be opened again. Accept blocks, not fails,
// when nothing is queued, so without this probe a listener that failed on
// EMFILE would report the error until the next connection arrived.
func descriptorsBack(err error) bool {
	if !errors.Is(err, syscall.EMFILE) && !errors.Is(err, syscall.ENFILE) {
		return false
	}
	f, e := os.Open(os.DevNull)
	if e != nil {
		return false
	}
	f.Close()
	return true
}

// conn releases its slot once, on the first Close.
type conn struct {
	net.Conn
	b    *Budget
	src  netip.Addr
	once sync.Once
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.b.release(c.src) })
	return err
}

// NetConn returns the wrapped connection (as tls.Conn.NetConn does).
func (c *conn) NetConn() net.Conn { return c.Conn }

func addrOf(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	if a == nil {
		return netip.Addr{}
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// PacketConn is a net.PacketConn whose ReadFrom retries transient errors
// (ENOBUFS, ENOMEM, a stray ICMP error) with back-off instead of returning
// them; it returns an error only once closed.
type PacketConn struct {
	net.PacketConn
	name    string
	log     *slog.Logger
	closed  atomic.Bool
	failing atomic.Pointer[error]
	done    chan struct{}
}

// ListenPacket wraps pc; name and log are for the retry log lines (nil log
// means slog.Default()).
func ListenPacket(pc net.PacketConn, name string, log *slog.Logger) *PacketConn {
	if log == nil {
		log = slog.Default()
	}
	return &PacketConn{PacketConn: pc, name: name, log: log, done: make(chan struct{})}
}

// ReadFrom reads the next datagram, retrying transient errors.
func (p *PacketConn) ReadFrom(b []byte) (int, net.Addr, error) {
	backoff := time.Duration(0)
	for {
		n, a, err := p.PacketConn.ReadFrom(b)
		if err == nil {
			if backoff != 0 {
				p.log.Info("read recovered", "listener", p.name)
				p.failing.Store(nil)
			}
			return n, a, nil
		}
		if p.closed.Load() || errors.Is(err, net.ErrClosed) {
			return n, a, err
		}
		if backoff == 0 {
			backoff = minBackoff
			p.log.Error("read failing: retrying", "listener", p.name, "err", err)
		} else {
			backoff = min(2*backoff, maxBackoff)
		}
		p.failing.Store(&err)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-p.done:
			t.Stop()
			return 0, nil, net.ErrClosed
		}
	}
}

// Close closes the socket; a pending ReadFrom returns.
func (p *PacketConn) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	close(p.done)
	return p.PacketConn.Close()
}

// Err returns the read error being retried, or nil while reading works.
func (p *PacketConn) Err() error {
	if e := p.failing.Load(); e != nil {
		return *e
	}
	return nil
}
