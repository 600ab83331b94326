package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"switchboard/media/rtpleg"
	"switchboard/signaling/trunk"
	"switchboard/web"
)

func main() {
	cfg, err := parseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "switchboard: %v\n", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	slog.SetDefault(log)
	if err := run(cfg, log); err != nil {
		log.Error("switchboard stopped", "err", err)
		os.Exit(1)
	}
}

// run wires the gateway together and runs it until a signal ends it.
func run(cfg Config, log *slog.Logger) error {
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("data dir %s: %w", cfg.DataDir, err)
	}
	// Seam: the store (configuration, call records, admin token) opens
	// cfg.DataDir here once it exists; the router and agent orchestrator
	// replace routeHandler.

	pool, err := rtpleg.NewPool(rtpleg.Config{IP: cfg.MediaIP, PortMin: cfg.RTPPortMin, PortMax: cfg.RTPPortMax, Timeout: cfg.RTPTimeout, Logger: log})
	if err != nil {
		return err
	}
	tr, err := trunk.New(trunk.Config{
		Listen:      cfg.SIPAddr.String(),
		ExternalIP:  externalIP(cfg),
		Allow:       cfg.TrunkAllow,
		Media:       pool,
		Handler:     routeHandler,
		OutboundURI: cfg.TrunkURI,
		Logger:      log,
	})
	if err != nil {
		return err
	}
	httpSrv := web.New(web.Config{Addr: cfg.HTTPAddr, Logger: log})

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	wg.Go(func() { errc <- tr.Run(ctx) })
	wg.Go(func() { errc <- httpSrv.Run(ctx) })
	log.Info("switchboard started", "sip_addr", tr.Addr().String(), "http_addr", cfg.HTTPAddr, "media_ip", cfg.MediaIP.String(),
		"rtp_ports", fmt.Sprintf("%d-%d", cfg.RTPPortMin, cfg.RTPPortMax))

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	var runErr error
	draining := false
loop:
	for {
		select {
		case s := <-sigs:
			if s == syscall.SIGTERM && !draining {
				// Drain: 503 to new INVITEs, /healthz 503, exit when calls end.
				draining = true
				log.Info("sigterm: draining", "active_calls", tr.ActiveCalls())
				httpSrv.SetDraining(true)
				tr.Drain()
				continue
			}
			log.Info("signal: ending calls", "signal", s.String(), "active_calls", tr.ActiveCalls())
			tr.HangupAll()
			break loop
		case <-tr.Idle():
			if draining && tr.ActiveCalls() == 0 {
				log.Info("drained: no call left")
				break loop
			}
		case runErr = <-errc:
			break loop
		}
	}
	stop()
	wg.Wait()
	close(errc)
	for err := range errc {
		runErr = errors.Join(runErr, err)
	}
	return runErr
}

// externalIP is the address for Contact/Via: the SIP listen IP, or the
// media IP when listening on all interfaces.
func externalIP(cfg Config) netip.Addr {
	if a := cfg.SIPAddr.Addr(); !a.IsUnspecified() {
		return a
	}
	return cfg.MediaIP
}

// routeHandler is the routing for now: "echo" is the echo test, anything
// else is 404. The agent orchestrator replaces it.
var routeHandler = trunk.HandlerFunc(func(ctx context.Context, c *trunk.Call) {
	if c.Number() == "echo" {
		c.OnDTMF(func(rune) {}) // digits are logged by the trunk ("dtmf received")
		trunk.Echo(ctx, c)
		return
	}
	_ = c.Reject(404, "Not Found")
})
