package main

import (
	"flag"
	"strconv"
	"time"
)

// SIPLimits are the §8/§14 flags of the SIP side (PROTOCOL.md
// "-sip-rate", "Limits and hostile input").
type SIPLimits struct {
	Rate        float64       // -sip-rate: initial INVITEs per second per source IP (burst twice that)
	MaxConns    int           // -max-sip-conns: TCP+TLS connections at once (64 per source address)
	TCPIdle     time.Duration // -sip-tcp-idle: a stream connection with no complete message for this long is closed
	ReadTimeout time.Duration // -sip-read-timeout: a started message not complete by then closes its connection
	UserAgent   string        // -sip-user-agent: Server/User-Agent value; "" sends none
}

// sipConnsPerSource is the per-address share of -max-sip-conns.
const sipConnsPerSource = 64

// sipFlags declares the SIPLimits flags on fs; the returned function checks
// them (after fs.Parse) into c, reporting errors through bad.
func sipFlags(fs *flag.FlagSet) func(c *Config, bad func(flag, val, why string)) {
	rate := fs.Float64("sip-rate", 20, "INVITEs per second allowed per source IP (burst twice that); the excess gets 503 with Retry-After before any port or call is allocated")
	maxConns := fs.Int("max-sip-conns", 4096, "SIP TCP+TLS connections at once (at most 64 per source address); more are refused")
	idle := fs.Duration("sip-tcp-idle", 60*time.Second, "close a SIP TCP or TLS connection with no complete message for this long")
	readTimeout := fs.Duration("sip-read-timeout", 10*time.Second, "close a SIP TCP or TLS connection whose started message is not complete by then")
	ua := fs.String("sip-user-agent", "Switchboard", "Server and User-Agent header value; empty sends none")
	return func(c *Config, bad func(flag, val, why string)) {
		if *rate <= 0 {
			bad("sip-rate", strconv.FormatFloat(*rate, 'g', -1, 64), "must be positive")
		}
		if *maxConns < 1 {
			bad("max-sip-conns", strconv.Itoa(*maxConns), "must be at least 1")
		}
		if *idle <= 0 {
			bad("sip-tcp-idle", idle.String(), "must be positive")
		}
		if *readTimeout <= 0 {
			bad("sip-read-timeout", readTimeout.String(), "must be positive")
		}
		c.SIP = SIPLimits{Rate: *rate, MaxConns: *maxConns, TCPIdle: *idle, ReadTimeout: *readTimeout, UserAgent: *ua}
	}
}
