package main

import (
	"flag"
	"strconv"
	"time"
)

// Limits are the §14 flags of the web side (PROTOCOL.md "Limits and
// hostile input").
type Limits struct {
	WSLoginTimeout time.Duration // -ws-login-timeout: a websocket without login/auth by then is closed
	MaxWSUnauth    int           // -max-ws-unauth: websockets not yet logged in, at once (16 per source address)
	MetricsPublic  bool          // -metrics-public: /metrics without the admin token
	EventsKeep     int           // -events-keep: retention bound of the event journal
}

// wsUnauthPerSource is the per-address share of -max-ws-unauth.
const wsUnauthPerSource = 16

// limitFlags declares the Limits flags on fs; the returned function checks
// them (after fs.Parse) into c, reporting errors through bad.
func limitFlags(fs *flag.FlagSet) func(c *Config, bad func(flag, val, why string)) {
	loginTimeout := fs.Duration("ws-login-timeout", 10*time.Second, "close a websocket that has not sent login (agent) or auth (admin) by then")
	maxUnauth := fs.Int("max-ws-unauth", 256, "websockets not yet logged in, at once over both websockets (at most 16 per source address); more are refused with 503")
	metricsPublic := fs.Bool("metrics-public", false, "serve /metrics without the admin token (by default it needs Authorization: Bearer <admin token>)")
	eventsKeep := fs.Int("events-keep", 1_000_000, "the event journal keeps at most this many events (the oldest are deleted)")
	return func(c *Config, bad func(flag, val, why string)) {
		if *eventsKeep < 1000 {
			bad("events-keep", strconv.Itoa(*eventsKeep), "must be at least 1000")
		}
		if *loginTimeout <= 0 {
			bad("ws-login-timeout", loginTimeout.String(), "must be positive")
		}
		if *maxUnauth < 1 {
			bad("max-ws-unauth", strconv.Itoa(*maxUnauth), "must be at least 1")
		}
		c.Limits = Limits{WSLoginTimeout: *loginTimeout, MaxWSUnauth: *maxUnauth, MetricsPublic: *metricsPublic, EventsKeep: *eventsKeep}
	}
}
