package browserleg

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"
)

// Config is the part of an engine's configuration both engines share; each
// engine's Config embeds it and adds its own fields.
type Config struct {
	// IP is the media address put in the ICE host candidate and bound for
	// the shared UDP socket. With a loopback address (tests: 127.0.0.1) only
	// loopback peers are answered. What the zero value means is the
	// engine's (see its Config).
	IP netip.Addr
	// PublicIP, when valid, is put in the host candidate instead of IP
	// (1:1 NAT: the socket still binds IP).
	PublicIP netip.Addr
	// UDPPort is the single UDP port every leg's ICE, DTLS and SRTP share.
	// 0 means an ephemeral port; see the engine's Addr.
	UDPPort int
	// DisconnectedTimeout: 0 means DefaultDisconnectedTimeout.
	DisconnectedTimeout time.Duration
	// FailedTimeout: 0 means DefaultFailedTimeout.
	FailedTimeout time.Duration
	// Logger receives lifecycle logs. nil means slog.Default().
	Logger *slog.Logger
}

// Validate checks the shared values: the port's range, and that the
// timeouts, these and the engine's own (more), are not negative.
func (c Config) Validate(more ...time.Duration) error {
	if c.UDPPort < 0 || c.UDPPort > 65535 {
		return fmt.Errorf("udp port %d out of range", c.UDPPort)
	}
	for _, d := range append([]time.Duration{c.DisconnectedTimeout, c.FailedTimeout}, more...) {
		if d < 0 {
			return errors.New("negative timeout")
		}
	}
	return nil
}

// Timeouts returns the disconnected and failed timeouts, defaults applied.
func (c Config) Timeouts() (disconnected, failed time.Duration) {
	disconnected, failed = c.DisconnectedTimeout, c.FailedTimeout
	if disconnected == 0 {
		disconnected = DefaultDisconnectedTimeout
	}
	if failed == 0 {
		failed = DefaultFailedTimeout
	}
	return disconnected, failed
}

// Log returns Logger, or slog.Default() when it is nil.
func (c Config) Log() *slog.Logger {
	if c.Logger == nil {
		return slog.Default()
	}
	return c.Logger
}
