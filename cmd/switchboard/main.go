package main

import (
	"cmp"
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

// run builds the gateway and runs it until a signal ends it: SIGTERM drains
// (503 to new INVITEs, /healthz 503, exit when the last call ends), SIGINT
// ends every call with BYE and exits. SIGHUP reloads -tls-cert/-tls-key.
func run(cfg Config, log *slog.Logger) error {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	g, err := newGateway(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer g.close()
	runErr := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Go(func() { runErr <- g.run(ctx) })
	log.Info("switchboard started", "sip_addr", g.trunk.Addr().String(), "http_addr", cfg.HTTPAddr,
		"media_ip", cfg.MediaIP.String(), "rtp_ports", fmt.Sprintf("%d-%d", cfg.RTPPortMin, cfg.RTPPortMax),
		"webrtc_addr", g.webrtc.Addr().String(), "webrtc_engine", cmp.Or(cfg.WebRTCEngine, "lean"))

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sigs)
	draining := false
	var err2 error
loop:
	for {
		select {
		case s := <-sigs:
			if s == syscall.SIGHUP {
				g.reloadCerts() // calls and sockets stay up
				continue
			}
			if s == syscall.SIGTERM && !draining {
				draining = true
				log.Info("sigterm: draining", "active_calls", g.trunk.ActiveCalls())
				g.http.SetDraining(true)
				g.trunk.Drain()
				if g.cluster != nil {
					g.cluster.Drain() // its agents take no more calls from the floor
				}
				if g.trunk.ActiveCalls() == 0 {
					break loop
				}
				continue
			}
			log.Info("signal: ending calls", "signal", s.String(), "active_calls", g.trunk.ActiveCalls())
			g.trunk.HangupAll()
			break loop
		case <-g.trunk.Idle():
			if draining && g.trunk.ActiveCalls() == 0 {
				log.Info("drained: no call left")
				break loop
			}
		case err2 = <-runErr:
			runErr <- err2
			break loop
		}
	}
	stop()
	wg.Wait()
	return <-runErr
}

// externalIP is the address for Contact/Via: -public-ip, else the SIP
// listen IP, or the media IP when listening on all interfaces.
func externalIP(cfg Config) netip.Addr {
	if cfg.Deploy.PublicIP.IsValid() {
		return cfg.Deploy.PublicIP // 1:1 NAT: peers reach us there
	}
	if a := cfg.SIPAddr.Addr(); !a.IsUnspecified() {
		return a
	}
	return cfg.MediaIP
}
