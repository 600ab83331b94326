package rtpleg

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"

	"switchboard/media/udploop"
)

// Defaults for the zero Config values.
const (
	DefaultPortMin = 10000
	DefaultPortMax = 20000
	DefaultTimeout = 60 * time.Second
)

// Config configures a Pool and the legs it opens.
type Config struct {
	IP               netip.Addr    // media IPv4 address written into SDP and bound by the sockets; required
	PublicIP         netip.Addr    // written into SDP instead of IP when valid (1:1 NAT); the sockets still bind IP
	PortMin, PortMax int           // UDP port range, inclusive; 0,0 means 10000-20000; RTP uses the even ports, RTCP the next odd one
	RTCPInterval     time.Duration // RTCP report interval; 0 means 5 s (report.Interval)
	Timeout          time.Duration // RTP inactivity timeout; 0 means 60 s, negative disables it
	SRTP             SRTPPolicy    // SDES-SRTP policy of the legs (srtp.go); zero means SRTPOff
	// Loop, when set, reads the legs' RTP sockets on its 1 ms clock
	// (media/udploop, Linux) instead of a goroutine per leg on the Go
	// netpoller; nil: a read goroutine per leg.
	Loop   *udploop.Loop
	Logger *slog.Logger // nil means slog.Default()
}

// Validate checks the configuration and says what is wrong.
func (c Config) Validate() error {
	if !c.IP.IsValid() {
		return errors.New("rtpleg: media IP is required")
	}
	ip := c.IP.Unmap()
	if !ip.Is4() {
		return fmt.Errorf("rtpleg: media IP %s: only IPv4 is supported", c.IP)
	}
	if ip.IsUnspecified() || ip.IsMulticast() {
		return fmt.Errorf("rtpleg: media IP %s: must be a unicast address", c.IP)
	}
	lo, hi := c.portRange()
	if lo < 1 || hi > 65535 || lo > hi {
		return fmt.Errorf("rtpleg: bad RTP port range %d-%d: want 1 <= min <= max <= 65535", c.PortMin, c.PortMax)
	}
	if lo+lo%2+1 > hi {
		return fmt.Errorf("rtpleg: RTP port range %d-%d holds no even port with the next one for RTCP", c.PortMin, c.PortMax)
	}
	return nil
}

func (c Config) portRange() (lo, hi int) {
	if c.PortMin == 0 && c.PortMax == 0 {
		return DefaultPortMin, DefaultPortMax
	}
	return c.PortMin, c.PortMax
}

func (c Config) timeout() time.Duration {
	switch {
	case c.Timeout == 0:
		return DefaultTimeout
	case c.Timeout < 0:
		return 0
	}
	return c.Timeout
}

// Pool hands out RTP legs on the even ports of a range. It is safe for
// concurrent use.
type Pool struct {
	cfg   Config
	ip    netip.Addr
	log   *slog.Logger
	ports []int // the even ports of the range

	drops dropCounters // pool-wide drops by reason, for /metrics

	mu   sync.Mutex // guards following
	used map[int]bool
}

// NewPool validates cfg and returns a Pool.
func NewPool(cfg Config) (*Pool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	lo, hi := cfg.portRange()
	p := &Pool{cfg: cfg, ip: cfg.IP.Unmap(), log: cfg.Logger, used: make(map[int]bool)}
	if p.log == nil {
		p.log = slog.Default()
	}
	for port := lo + lo%2; port+1 <= hi; port += 2 { // RTP even, RTCP the next (RFC 3550 §11)
		p.ports = append(p.ports, port)
	}
	return p, nil
}

// Open binds UDP sockets on IP:port and IP:port+1 (RTP and RTCP) for a
// free even port of the range,
// skipping ports that are in use by this pool or anyone else, and returns a
// Leg on it. The search starts at a random port, so the next call's port
// cannot be guessed from this one's. It fails with ErrPortsExhausted when no
// port is left.
func (p *Pool) Open() (*Leg, error) {
	start := rand.IntN(len(p.ports))
	for i := 0; i < len(p.ports); i++ {
		port, skipped, ok := p.reserve(start + i)
		if !ok {
			break
		}
		i += skipped
		conn, err := p.listen(port)
		if err != nil {
			p.release(port)
			continue
		}
		rtcpConn, err := p.listenBeside(conn, port+1)
		if err != nil {
			_ = conn.close() // a socket just opened and never used: nothing to report
			p.release(port)
			continue
		}
		return newLeg(p, port, conn, rtcpConn), nil
	}
	return nil, fmt.Errorf("open rtp leg on %s: %w", p.ip, ErrPortsExhausted)
}

// reserve marks the first unused port at or after index from (wrapping) as
// used, and says how many used ports it skipped to get there.
func (p *Pool) reserve(from int) (port, skipped int, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range len(p.ports) {
		port := p.ports[(from+i)%len(p.ports)]
		if !p.used[port] {
			p.used[port] = true
			return port, i, true
		}
	}
	return 0, 0, false
}

func (p *Pool) release(port int) {
	p.mu.Lock()
	delete(p.used, port)
	p.mu.Unlock()
}

// InUse returns how many ports the pool's open legs hold.
func (p *Pool) InUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.used)
}
