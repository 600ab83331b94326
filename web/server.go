package web

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/internal/netguard"
)

// Config configures a Server. The zero value serves on :8080.
type Config struct {
	Addr            string        // listen address host:port; "" means ":8080"
	ShutdownTimeout time.Duration // how long Shutdown waits for in-flight requests; 0 means 5s
	// TLS, when set, moves everything to an HTTPS listener on TLSAddr; Addr
	// then serves only /healthz and /metrics and redirects the rest (tls.go).
	TLS       *tls.Config
	TLSAddr   string                          // HTTPS listen address host:port; "" means ":8443"
	PlainWrap func(http.Handler) http.Handler // wraps the plain listener's handler when TLS is set (ACME HTTP-01); nil means none
	// Timeouts of every connection (PROTOCOL §14 budgets). A websocket is
	// exempt once upgraded (gorilla clears the deadlines; ws has its own).
	ReadHeaderTimeout time.Duration // request line and headers; 0 means 10s
	ReadTimeout       time.Duration // whole request, body included; 0 means 60s
	WriteTimeout      time.Duration // from the end of the headers to the end of the response; 0 means 60s
	IdleTimeout       time.Duration // keep-alive connection between requests; 0 means 120s
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (proxy.go); empty means every peer is the client.
	TrustedProxies []netip.Prefix
	Logger         *slog.Logger // nil means slog.Default()
	// Health, when set, reports whether the rest of the gateway is serving
	// (the SIP listeners); /healthz answers 503 while it returns an error.
	Health func() error
}

// Server is the HTTP server of the gateway.
type Server struct {
	cfg   Config
	log   *slog.Logger
	mux   *http.ServeMux
	srv   *http.Server
	plain *http.Server // the redirecting plain listener's server when TLS is on (tls.go), else nil
	drain atomic.Bool

	guards []*netguard.Listener // the HTTP listeners' accept guards; set before ready closes

	mu     sync.Mutex // guards following
	ln     net.Listener
	tlsLn  net.Listener
	closed bool

	ready        chan struct{} // closed once the listener is bound (or Run failed)
	shutdownOnce sync.Once
}

// New returns a Server that is not yet listening; Run starts it.
func New(cfg Config) *Server {
	if cfg.Addr == "" {
		cfg.Addr = ":8080"
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 5 * time.Second
	}
	cfg.ReadHeaderTimeout = cmp.Or(cfg.ReadHeaderTimeout, 10*time.Second)
	cfg.ReadTimeout = cmp.Or(cfg.ReadTimeout, 60*time.Second)
	cfg.WriteTimeout = cmp.Or(cfg.WriteTimeout, 60*time.Second)
	cfg.IdleTimeout = cmp.Or(cfg.IdleTimeout, 120*time.Second)
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Server{cfg: cfg, log: log, mux: http.NewServeMux(), ready: make(chan struct{})}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.srv = &http.Server{
		Handler:           s.realClient(s.mux), // proxy.go
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if cfg.TLS != nil {
		s.setupTLS()
	}
	return s
}

// Handle mounts h on pattern (net/http.ServeMux syntax, e.g. "GET /ws/agent").
// It panics, like ServeMux, on a conflicting pattern: that is a wiring bug.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// RegisterOnShutdown registers f to run when Shutdown starts; websocket
// handlers use it to close their hijacked connections, which
// http.Server.Shutdown does not close.
func (s *Server) RegisterOnShutdown(f func()) { s.srv.RegisterOnShutdown(f) }

// SetDraining makes /healthz answer 503 (true) or 200 (false).
func (s *Server) SetDraining(draining bool) { s.drain.Store(draining) }

// Draining reports whether SetDraining(true) is in effect.
func (s *Server) Draining() bool { return s.drain.Load() }

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.drain.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, "draining")
		return
	}
	if err := s.serving(); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "not serving: %v", err)
		return
	}
	fmt.Fprint(w, "ok")
}

// serving returns nil when every HTTP listener accepts and Config.Health
// says the rest serves (PROTOCOL §14: /healthz tells the truth).
func (s *Server) serving() error {
	var errs []error
	for _, g := range s.guards {
		if err := g.Err(); err != nil {
			errs = append(errs, fmt.Errorf("http: %w", err))
		}
	}
	if s.cfg.Health != nil {
		errs = append(errs, s.cfg.Health())
	}
	return errors.Join(errs...)
}

func (s *Server) guard(ln net.Listener, name string) net.Listener {
	g := netguard.Listen(ln, netguard.Config{Name: name, Logger: s.log})
	s.guards = append(s.guards, g)
	return g
}

// Addr returns the bound listen address once Run has bound it, or nil.
func (s *Server) Addr() net.Addr { return s.bound(&s.ln) }

// bound is *ln's address once Run has set it, or nil.
func (s *Server) bound(ln *net.Listener) net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if *ln == nil {
		return nil
	}
	return (*ln).Addr()
}

// Ready is closed once Run has bound its listener (or failed to).
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Run listens on Config.Addr and serves until ctx ends or Shutdown is
// called; then it shuts down gracefully and returns. It returns nil after a
// clean shutdown.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		close(s.ready)
		return fmt.Errorf("listen http %s: %w", s.cfg.Addr, err)
	}
	var tlsLn net.Listener
	if s.cfg.TLS != nil {
		if tlsLn, err = net.Listen("tcp", s.cfg.TLSAddr); err != nil {
			ln.Close()
			close(s.ready)
			return fmt.Errorf("listen https %s: %w", s.cfg.TLSAddr, err)
		}
	}
	// Accept retries through EMFILE and the like rather than stopping.
	ln = s.guard(ln, "http")
	if tlsLn != nil {
		tlsLn = s.guard(tlsLn, "https")
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		if tlsLn != nil {
			tlsLn.Close()
		}
		close(s.ready)
		return nil
	}
	s.ln, s.tlsLn = ln, tlsLn
	s.mu.Unlock()
	close(s.ready)
	if tlsLn != nil {
		return s.runTLS(ctx, ln, tlsLn)
	}
	s.log.Info("http listening", "addr", ln.Addr().String())

	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		select {
		case <-ctx.Done():
			s.Shutdown()
		case <-stop:
		}
	})
	err = s.srv.Serve(ln)
	close(stop)
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("serve http: %w", err)
}

// Shutdown stops the server gracefully: it stops accepting, runs the
// RegisterOnShutdown functions and waits up to Config.ShutdownTimeout for
// in-flight requests. It is idempotent.
func (s *Server) Shutdown() {
	s.shutdownOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
		defer cancel()
		if s.plain != nil {
			if err := s.plain.Shutdown(ctx); err != nil {
				s.plain.Close()
			}
		}
		if err := s.srv.Shutdown(ctx); err != nil {
			s.log.Warn("http shutdown", "err", err)
			s.srv.Close()
		}
	})
}
