package ws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Config configures a Handler. The zero value is usable.
type Config struct {
	// AllowedOrigins lists the browser origins allowed to connect, as full
	// origins ("https://ops.example.com:8443") or bare hosts
	// ("ops.example.com:8443"); "*" allows any. They add to the request's
	// own Host, which is always allowed. Requests without an Origin header
	// (non-browser clients) are allowed.
	AllowedOrigins []string
	MaxMessage     int64         // largest accepted message in bytes; 0 means 64 KiB
	SendQueue      int           // outgoing messages buffered per connection; 0 means 256. Full => connection closed
	PingInterval   time.Duration // keepalive ping period; 0 means 20s. Silence for 2× this closes the connection
	WriteTimeout   time.Duration // deadline for one write; 0 means 10s
	// LoginTimeout closes (1008, "login timeout") a connection that has
	// not sent its Gate's method by then (-ws-login-timeout); 0 means no
	// deadline (for sessions without a Gate).
	LoginTimeout time.Duration
	// Admission caps the connections not yet authenticated (see Gate),
	// shared by every Handler given the same one (-max-ws-unauth); nil
	// means no cap. Over the cap the upgrade is refused with 503.
	Admission *Admission
	Kind      string       // label for logs ("admin", "agent"); empty means "ws"
	Logger    *slog.Logger // nil means slog.Default()
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c.MaxMessage < 0 || c.SendQueue < 0 || c.PingInterval < 0 || c.WriteTimeout < 0 || c.LoginTimeout < 0 {
		return errors.New("ws config: negative limit")
	}
	for _, o := range c.AllowedOrigins {
		if strings.TrimSpace(o) == "" {
			return errors.New("ws config: empty allowed origin")
		}
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.MaxMessage == 0 {
		c.MaxMessage = 64 << 10
	}
	if c.SendQueue == 0 {
		c.SendQueue = 256
	}
	if c.PingInterval == 0 {
		c.PingInterval = 20 * time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.Kind == "" {
		c.Kind = "ws"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// NewSessionFunc creates the Session of a new connection. ctx is cancelled
// when the connection ends; c may be kept to send notifications.
type NewSessionFunc func(ctx context.Context, c *Conn) Session

// Handler is an http.Handler that upgrades requests to websocket
// connections and serves JSON-RPC on them.
type Handler struct {
	cfg        Config
	newSession NewSessionFunc
	upgrader   websocket.Upgrader

	wg     sync.WaitGroup // one per connection being served
	mu     sync.Mutex     // guards following
	conns  map[*Conn]struct{}
	closed bool
}

// NewHandler returns a Handler serving JSON-RPC with sessions made by
// newSession.
func NewHandler(cfg Config, newSession NewSessionFunc) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if newSession == nil {
		return nil, errors.New("ws: nil session constructor")
	}
	h := &Handler{cfg: cfg.withDefaults(), newSession: newSession, conns: map[*Conn]struct{}{}}
	h.upgrader = websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		CheckOrigin:      func(*http.Request) bool { return true }, // checked before Upgrade
	}
	return h, nil
}

// Conns returns the number of open connections.
func (h *Handler) Conns() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// ServeHTTP implements http.Handler. It blocks for the connection's life.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.originAllowed(r) {
		h.cfg.Logger.Warn("ws origin refused", "origin", r.Header.Get("Origin"), "host", r.Host, "kind", h.cfg.Kind)
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	h.wg.Add(1)
	h.mu.Unlock()
	defer h.wg.Done()

	release := func() {}
	if a := h.cfg.Admission; a != nil {
		rel, err := a.acquire(sourceAddr(r))
		if err != nil {
			h.cfg.Logger.Warn("ws refused", "remote", r.RemoteAddr, "kind", h.cfg.Kind, "reason", err.Error())
			w.Header().Set("Retry-After", "10")
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		release = rel
	}
	defer release()
	wsc, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the client
	}
	// r.RemoteAddr: the client as the web server determined it (a trusted
	// reverse proxy's X-Forwarded-For, else the TCP peer).
	c := newConn(wsc, &h.cfg, r.RemoteAddr)
	c.release = release
	h.mu.Lock()
	if h.closed { // Close ran between the check above and now
		c.shutdown(websocket.CloseGoingAway, "shutting down", errors.New("shutting down"))
	}
	h.conns[c] = struct{}{}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.conns, c)
		h.mu.Unlock()
	}()
	h.serve(context.WithoutCancel(r.Context()), c)
}

func (h *Handler) serve(parent context.Context, c *Conn) {
	ctx, cancel := context.WithCancelCause(withConn(parent, c))
	c.log.Debug("ws connected")
	if d := h.cfg.LoginTimeout; d > 0 {
		t := time.AfterFunc(d, func() {
			if !c.Authenticated() && !c.began.Load() {
				c.shutdown(websocket.ClosePolicyViolation, "login timeout", errLoginTimeout)
			}
		})
		defer t.Stop()
	}
	sess := h.newSession(ctx, c)
	var wg sync.WaitGroup
	wg.Go(c.writeLoop) // only writer
	err := c.readLoop(ctx, sess)
	c.shutdown(websocket.CloseNormalClosure, "", fmt.Errorf("read: %w", err))
	cancel(c.Cause())
	wg.Wait() // the writer has closed the socket
	cause := c.Cause()
	if cl, ok := sess.(Closer); ok {
		cl.Closed(cause)
	}
	c.log.Debug("ws disconnected", "cause", cause)
}

// Close closes every connection (status 1001, going away), refuses new ones
// and waits until all have ended. It is idempotent.
func (h *Handler) Close() error {
	h.mu.Lock()
	h.closed = true
	for c := range h.conns {
		c.shutdown(websocket.CloseGoingAway, "shutting down", errors.New("server shutting down"))
	}
	h.mu.Unlock()
	h.wg.Wait()
	return nil
}

func (h *Handler) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true // the page's own origin, always (PROTOCOL §14)
	}
	for _, allowed := range h.cfg.AllowedOrigins {
		allowed = strings.TrimSuffix(strings.TrimSpace(allowed), "/")
		switch {
		case allowed == "*":
			return true
		case strings.Contains(allowed, "://"):
			if strings.EqualFold(allowed, u.Scheme+"://"+u.Host) {
				return true
			}
		case strings.EqualFold(allowed, u.Host):
			return true
		}
	}
	return false
}
