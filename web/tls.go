package web

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// plainPaths are served on the plain HTTP listener even when TLS is on:
// probes and scrapers that do not follow redirects (PROTOCOL §8).
var plainPaths = []string{"/healthz", "/metrics"}

// setupTLS builds the plain listener's server: /healthz and /metrics from
// the mux, a 308 to HTTPS for everything else.
func (s *Server) setupTLS() {
	if s.cfg.TLSAddr == "" {
		s.cfg.TLSAddr = ":8443"
	}
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slices.Contains(plainPaths, r.URL.Path) {
			s.mux.ServeHTTP(w, r)
			return
		}
		s.redirect(w, r)
	})
	if s.cfg.PlainWrap != nil {
		h = s.cfg.PlainWrap(h)
	}
	s.plain = &http.Server{
		Handler:           s.realClient(h),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	// HTTP/1.1 only over TLS: the websockets are upgraded HTTP/1.1
	// connections (RFC 6455), and browsers open them on a connection of
	// their own when the origin speaks h2 without RFC 8441.
	cfg := s.cfg.TLS.Clone()
	cfg.NextProtos = slices.DeleteFunc(slices.Clone(cfg.NextProtos), func(p string) bool { return p == "h2" })
	if !slices.Contains(cfg.NextProtos, "http/1.1") {
		cfg.NextProtos = append(cfg.NextProtos, "http/1.1")
	}
	s.cfg.TLS = cfg
	s.srv.TLSConfig = cfg
	s.srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){} // no h2
}

// redirect answers 308 Permanent Redirect to the same URL on HTTPS (the
// method and body are kept, RFC 9110 §15.4.9).
func (s *Server) redirect(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "" {
		http.Error(w, "this server needs HTTPS", http.StatusBadRequest)
		return
	}
	port := s.httpsPort()
	if !strings.Contains(hostPort(r.Host), ":") && s.plainPort() != "80" {
		// The client came on port 80 while we listen elsewhere: a port
		// mapping (80 -> -http-addr) is in front of us, and by the same
		// convention 443 reaches -https-addr.
		port = "443"
	}
	target := "https://" + host
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		target = "https://[" + host + "]"
	}
	if port != "" && port != "443" {
		target += ":" + port
	}
	http.Redirect(w, r, target+r.URL.RequestURI(), http.StatusPermanentRedirect)
}

// hostPort strips the brackets of an IPv6 literal Host so that a colon
// in the result means a port.
func hostPort(h string) string {
	if strings.HasPrefix(h, "[") {
		if i := strings.Index(h, "]"); i >= 0 {
			return "x" + h[i+1:]
		}
	}
	return h
}

// plainPort is the port the plain listener is bound on.
func (s *Server) plainPort() string {
	if a := s.Addr(); a != nil {
		return strconv.Itoa(a.(*net.TCPAddr).Port)
	}
	return ""
}

// httpsPort is the port the HTTPS listener is bound on.
func (s *Server) httpsPort() string {
	if a := s.TLSAddr(); a != nil {
		return strconv.Itoa(a.(*net.TCPAddr).Port)
	}
	_, p, _ := net.SplitHostPort(s.cfg.TLSAddr)
	return p
}

// TLSAddr returns the bound HTTPS address once Run has bound it, or nil
// (also when TLS is off).
func (s *Server) TLSAddr() net.Addr { return s.bound(&s.tlsLn) }

// runTLS serves the plain listener (redirects, probes) and the HTTPS one
// until ctx ends or Shutdown is called.
func (s *Server) runTLS(ctx context.Context, ln, tlsLn net.Listener) error {
	s.log.Info("http listening", "addr", ln.Addr().String(), "serves", "healthz,metrics,redirect")
	s.log.Info("https listening", "addr", tlsLn.Addr().String())
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	wg.Go(func() { errc <- s.plain.Serve(ln) })
	wg.Go(func() { errc <- s.srv.Serve(tls.NewListener(tlsLn, s.cfg.TLS)) })
	var first error
	select {
	case <-ctx.Done():
	case first = <-errc:
	}
	s.Shutdown()
	wg.Wait()
	close(errc)
	var errs []error
	for _, e := range append([]error{first}, drain(errc)...) {
		if e != nil && !errors.Is(e, http.ErrServerClosed) {
			errs = append(errs, e)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("serve https: %w", err)
	}
	return nil
}

func drain(c <-chan error) []error {
	var out []error
	for e := range c {
		out = append(out, e)
	}
	return out
}
